package db_postgres

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "db_postgres",
		Doc:  "PostgreSQL backend for db_url postgres:// and pgsql://",
		New:  func() module.Instance { return &Instance{Retries: 2} },
	})
}

// Instance is the db_postgres module: Kamailio's modparams of the module,
// accepted so that configurations load (see the README for what olelo
// does instead).
type Instance struct {
	Retries           int `modparam:"retries"`
	Timeout           int `modparam:"timeout"`
	TCPUserTimeout    int `modparam:"tcp_user_timeout"`
	Keepalive         int `modparam:"keepalive"`
	ByteaOutputEscape int `modparam:"bytea_output_escape"`
}
