package db

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in                                 string
		scheme, user, pass, host, database string
		port                               int
		path                               string
		err                                string
	}{
		{in: "sqlite:///var/lib/olelo/olelo.db", scheme: "sqlite", path: "/var/lib/olelo/olelo.db"},
		{in: "sqlite:////var/lib/olelo/olelo.db", scheme: "sqlite", path: "/var/lib/olelo/olelo.db"},
		{in: "sqlite:///./olelo.db", scheme: "sqlite", path: "olelo.db"},
		{in: "sqlite:///../x/olelo.db", scheme: "sqlite", path: "../x/olelo.db"},
		{in: "sqlite://olelo.db", scheme: "sqlite", path: "olelo.db"},
		{in: "text:///etc/kamailio/dbtext", scheme: "text", path: "/etc/kamailio/dbtext"},
		{in: "mysql://kamailio:kamailiorw@localhost/kamailio", scheme: "mysql", user: "kamailio", pass: "kamailiorw", host: "localhost", database: "kamailio"},
		{in: "mysql://u:p@ss:w@rd@10.0.0.1:3307/db", scheme: "mysql", user: "u", pass: "p@ss:w@rd", host: "10.0.0.1", port: 3307, database: "db"},
		{in: "mysql://root@[::1]:3306/k", scheme: "mysql", user: "root", host: "::1", port: 3306, database: "k"},
		{in: "pgsql://k:pw@db.example.org/kam?sslmode=require", scheme: "postgres", user: "k", pass: "pw", host: "db.example.org", database: "kam"},
		{in: "postgres://k@127.0.0.1:5433/kam", scheme: "postgres", user: "k", host: "127.0.0.1", port: 5433, database: "kam"},
		{in: "oracle://x@h/db", err: "unknown scheme"},
		{in: "/var/lib/x.db", err: "want scheme://"},
		{in: "sqlite://", err: "no path"},
		{in: "mysql://u:p@host", err: "no database name"},
		{in: "mysql://u:p@/db", err: "no host"},
		{in: "mysql://u:p@host:99999/db", err: "bad port"},
		{in: "mysql://u:p@[::1/db", err: "unclosed"},
	}
	for _, tt := range tests {
		u, err := ParseURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.in, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "p@ss") {
				t.Errorf("%s: error shows the password: %v", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if u.Scheme != tt.scheme || u.User != tt.user || u.Password != tt.pass || u.Host != tt.host || u.Port != tt.port || u.Database != tt.database || u.Path != tt.path {
			t.Errorf("%s: got %+v", tt.in, u)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"mysql://u:secret@h/db":    "mysql://u:***@h/db",
		"mysql://u:p@ss@h/db":      "mysql://u:***@h/db",
		"mysql://u@h/db":           "mysql://u@h/db",
		"sqlite:///a/b@c.db":       "sqlite:///a/b@c.db",
		"text:///x":                "text:///x",
		"postgres://a:b@h:1/d?x=y": "postgres://a:***@h:1/d?x=y",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseURL: any input gives a URL or an error, never a panic, and an
// error never shows the password.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"sqlite:///a.db", "mysql://u:p@h:1/d", "pgsql://u:p@[::1]:5/d?a=b", "text://x", "a://", "mysql://@/", "mysql://u:p@h:/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			return
		}
		if u.Scheme == "" {
			t.Errorf("%q: no scheme", s)
		}
		if (u.Scheme == "sqlite" || u.Scheme == "text") && u.Path == "" {
			t.Errorf("%q: no path", s)
		}
		if u.Password != "" && len(u.Password) > 3 && strings.Contains(u.String(), ":"+u.Password+"@") {
			t.Errorf("%q: String shows the password", s)
		}
	})
}
