package db_postgres

import (
	"testing"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/module"
)

// TestParamsAccepted checks that the Kamailio modparams scripts use are
// accepted.
func TestParamsAccepted(t *testing.T) {
	m, ok := module.Lookup("db_postgres")
	if !ok {
		t.Fatal("db_postgres not registered")
	}
	inst := m.New()
	for _, p := range []struct {
		name  string
		value any
	}{
		{"retries", int64(1)},
		{"timeout", int64(1)},
		{"tcp_user_timeout", int64(1)},
		{"keepalive", int64(1)},
		{"bytea_output_escape", int64(1)},
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
	u, err := db.ParseURL("postgres://kamailio:kamailiorw@127.0.0.1/kamailio")
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != Scheme {
		t.Errorf("scheme %q, want %q", u.Scheme, Scheme)
	}
}
