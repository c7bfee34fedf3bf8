package db_mysql

import (
	"testing"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/module"
)

// TestParamsAccepted checks that the Kamailio modparams scripts use are
// accepted.
func TestParamsAccepted(t *testing.T) {
	m, ok := module.Lookup("db_mysql")
	if !ok {
		t.Fatal("db_mysql not registered")
	}
	inst := m.New()
	for _, p := range []struct {
		name  string
		value any
	}{
		{"ping_interval", int64(1)},
		{"timeout_interval", int64(1)},
		{"auto_reconnect", int64(1)},
		{"server_timezone", int64(1)},
		{"insert_delayed", int64(1)},
		{"update_affected_found", int64(1)},
		{"opt_ssl_mode", int64(1)},
		{"opt_ssl_ca", "x"},
		{"connect_timeout", int64(1)},
		{"send_timeout", int64(1)},
		{"receive_timeout", int64(1)},
		{"retries", int64(1)},
		{"unsigned_type", int64(1)},
	} {
		if err := module.SetParam(inst, p.name, p.value); err != nil {
			t.Errorf("modparam %s: %v", p.name, err)
		}
	}
	if err := module.SetParam(inst, "no_such_param", int64(1)); err == nil {
		t.Error("unknown modparam accepted")
	}
}

// TestScheme checks that the module's scheme is the one db.ParseURL
// gives for the URL of its README.
func TestScheme(t *testing.T) {
	u, err := db.ParseURL("mysql://kamailio:kamailiorw@127.0.0.1/kamailio")
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != Scheme {
		t.Errorf("scheme %q, want %q", u.Scheme, Scheme)
	}
}
