package db_postgres

import "github.com/olelo-sip/olelo/module"

// Scheme is the db_url scheme this module stands for.
const Scheme = "postgres"

// Funcs: the module exports no script functions; the backend serves every
// module that takes a db_url.
func (m *Instance) Funcs() []module.Func { return nil }
