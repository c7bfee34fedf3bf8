package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/db/dbtest"
)

// TestDBCommands runs `olelo db create|tables|migrate|drop` against every
// backend (real MariaDB and PostgreSQL servers) and checks the tables
// and version rows Kamailio's modules look for.
func TestDBCommands(t *testing.T) {
	for _, b := range []struct {
		name string
		url  func(testing.TB) string
	}{
		{"sqlite", dbtest.SQLite},
		{"text", dbtest.Text},
		{"mysql", dbtest.MySQL},
		{"postgres", dbtest.Postgres},
	} {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			out := mustOlelo(t, "db", "create", "--db", url)
			if strings.Contains(out, "olelo%pw") {
				t.Errorf("create shows the password: %s", out)
			}
			tables := mustOlelo(t, "db", "tables", "--db", url)
			for _, want := range []string{"subscriber      ok     7", "location        ok     9", "address         ok     6", "dispatcher      ok     4"} {
				if !strings.Contains(tables, want) {
					t.Errorf("tables lacks %q:\n%s", want, tables)
				}
			}
			ctx := context.Background()
			conn, err := db.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "version", []string{"table_name", "table_version"}, nil, "table_name")
			conn.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(db.Tables) {
				t.Errorf("version rows: %d, want %d", len(rows), len(db.Tables))
			}
			if _, errOut, code := oleloCmd(t, nil, "db", "drop", "--db", url); code != 2 || !strings.Contains(errOut, "--yes") {
				t.Errorf("drop without --yes: exit %d, %q", code, errOut)
			}
			mustOlelo(t, "db", "drop", "--yes", "--db", url, "dialplan")
			out = mustOlelo(t, "db", "migrate", "--db", url)
			if !strings.Contains(out, "dialplan        created") {
				t.Errorf("migrate did not recreate dialplan:\n%s", out)
			}
			mustOlelo(t, "db", "drop", "--yes", "--db", url)
			if out := mustOlelo(t, "db", "tables", "--db", url); strings.Contains(out, " ok ") {
				t.Errorf("tables after drop:\n%s", out)
			}
		})
	}
}

// TestDBBadInput: a bad URL or command gives a clear error, no crash.
func TestDBBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"db", "create", "--db", "oracle://x/y"}, 1, "unknown scheme"},
		{[]string{"db", "create", "--db", "mysql://u:secretpw@127.0.0.1"}, 1, "no database name"},
		{[]string{"db", "create", "--db", "text:///no/such/dir"}, 1, "no such file"},
		{[]string{"db", "create", "--db", "sqlite://" + dir + "/x.db", "nosuchtable"}, 1, "unknown table"},
		{[]string{"db", "frobnicate"}, 2, "unknown command"},
		{[]string{"db", "tables", "--db"}, 2, "needs a value"},
		{[]string{"ctl", "--db", "mysql://u:secretpw@127.0.0.1:1/db", "show"}, 1, "mysql://u:***@127.0.0.1:1/db"},
	} {
		_, errOut, code := oleloCmd(t, nil, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("olelo %v: exit %d %q, want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
		if strings.Contains(errOut, "secretpw") || strings.Contains(errOut, "panic") {
			t.Errorf("olelo %v: %q", c.args, errOut)
		}
	}
}
