package db_sqlite

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "db_sqlite",
		Doc:  "SQLite backend for db_url sqlite://",
		New:  func() module.Instance { return &Instance{} },
	})
}

// Instance is the db_sqlite module: Kamailio's modparams of the module,
// accepted so that configurations load (see the README for what olelo
// does instead).
type Instance struct {
	DBSetReadonly []string `modparam:"db_set_readonly"`
	JournalMode   string   `modparam:"journal_mode"`
}
