package db_mysql

import "github.com/olelo-sip/olelo/module"

// Scheme is the db_url scheme this module stands for.
const Scheme = "mysql"

// Funcs: the module exports no script functions; the backend serves every
// module that takes a db_url.
func (m *Instance) Funcs() []module.Func { return nil }
