package db_mysql

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "db_mysql",
		Doc:  "MySQL/MariaDB backend for db_url mysql://",
		New:  func() module.Instance { return &Instance{PingInterval: 300, TimeoutInterval: 2, AutoReconnect: 1} },
	})
}

// Instance is the db_mysql module: Kamailio's modparams of the module,
// accepted so that configurations load (see the README for what olelo
// does instead).
type Instance struct {
	PingInterval        int    `modparam:"ping_interval"`
	TimeoutInterval     int    `modparam:"timeout_interval"`
	AutoReconnect       int    `modparam:"auto_reconnect"`
	ServerTimezone      int    `modparam:"server_timezone"`
	InsertDelayed       int    `modparam:"insert_delayed"`
	UpdateAffectedFound int    `modparam:"update_affected_found"`
	OptSSLMode          int    `modparam:"opt_ssl_mode"`
	OptSSLCA            string `modparam:"opt_ssl_ca"`
	ConnectTimeout      int    `modparam:"connect_timeout"`
	SendTimeout         int    `modparam:"send_timeout"`
	ReceiveTimeout      int    `modparam:"receive_timeout"`
	Retries             int    `modparam:"retries"`
	UnsignedType        int    `modparam:"unsigned_type"`
}
