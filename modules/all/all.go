// Package all loads every module of olelo: the binary imports it for the
// side effect of their registrations.
package all

import (
	_ "github.com/olelo-sip/olelo/modules/auth"
	_ "github.com/olelo-sip/olelo/modules/auth_db"
	_ "github.com/olelo-sip/olelo/modules/core"
	_ "github.com/olelo-sip/olelo/modules/corex"
	_ "github.com/olelo-sip/olelo/modules/ctl"
	_ "github.com/olelo-sip/olelo/modules/db_mysql"
	_ "github.com/olelo-sip/olelo/modules/db_postgres"
	_ "github.com/olelo-sip/olelo/modules/db_sqlite"
	_ "github.com/olelo-sip/olelo/modules/db_text"
	_ "github.com/olelo-sip/olelo/modules/dispatcher"
	_ "github.com/olelo-sip/olelo/modules/jsonrpcs"
	_ "github.com/olelo-sip/olelo/modules/kex"
	_ "github.com/olelo-sip/olelo/modules/maxfwd"
	_ "github.com/olelo-sip/olelo/modules/permissions"
	_ "github.com/olelo-sip/olelo/modules/registrar"
	_ "github.com/olelo-sip/olelo/modules/rr"
	_ "github.com/olelo-sip/olelo/modules/sanity"
	_ "github.com/olelo-sip/olelo/modules/siputils"
	_ "github.com/olelo-sip/olelo/modules/sl"
	_ "github.com/olelo-sip/olelo/modules/textops"
	_ "github.com/olelo-sip/olelo/modules/textopsx"
	_ "github.com/olelo-sip/olelo/modules/tls"
	_ "github.com/olelo-sip/olelo/modules/tm"
	_ "github.com/olelo-sip/olelo/modules/tmx"
	_ "github.com/olelo-sip/olelo/modules/usrloc"
	_ "github.com/olelo-sip/olelo/modules/xhttp"
	_ "github.com/olelo-sip/olelo/modules/xlog"
)
