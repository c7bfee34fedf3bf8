package db_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/db/dbtest"
)

// TestWALWatcherSeesEveryCommit checks that the SQLite change generation
// moves after a commit through olelo's own connection and after one made
// by another process (python3's sqlite3, standing in for `olelo ctl` or
// the sqlite3 shell), and stays put when nothing is written.
func TestWALWatcherSeesEveryCommit(t *testing.T) {
	ctx := context.Background()
	url := dbtest.SQLite(t)
	c := openFresh(t, func(testing.TB) string { return url })
	w, ok := c.(db.ChangeWatcher)
	if !ok {
		t.Fatalf("%T is not a db.ChangeWatcher", c)
	}
	gen := func() uint64 {
		t.Helper()
		g, ok := w.Generation()
		if !ok {
			t.Fatal("Generation: not watchable")
		}
		return g
	}
	g0 := gen()
	if _, err := c.Query(ctx, "subscriber", []string{"username"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if g := gen(); g != g0 {
		t.Fatalf("a read moved the generation from %d to %d", g0, g)
	}
	if err := c.Insert(ctx, "subscriber", subscriberCols, []any{"alice", "example.com", "secret", "", ""}); err != nil {
		t.Fatal(err)
	}
	g1 := gen()
	if g1 == g0 {
		t.Fatal("an insert through the Conn did not move the generation")
	}

	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: the other-process commit is not checked")
	}
	path := strings.TrimPrefix(url, "sqlite://")
	script := `import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE subscriber SET password = 'changed' WHERE username = 'alice'")
c.commit()
c.close()`
	if out, err := exec.Command(py, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if g := gen(); g == g1 {
		t.Fatal("a commit by another process did not move the generation")
	}
	rows, err := c.Query(ctx, "subscriber", []string{"password"}, []db.Cond{db.Eq("username", "alice")}, "")
	if err != nil || len(rows) != 1 || rows[0].Str(0) != "changed" {
		t.Fatalf("after the other process's commit: %v %v", rows, err)
	}
}

// TestChangeWatcherOnlySQLite checks that the servers and db_text do not
// claim to be watchable (their readers would cache stale rows).
func TestChangeWatcherOnlySQLite(t *testing.T) {
	for _, b := range backends[1:] {
		t.Run(b.name, func(t *testing.T) {
			c := openFresh(t, b.url)
			if w, ok := c.(db.ChangeWatcher); ok {
				if _, ok := w.Generation(); ok {
					t.Fatalf("%s claims a change generation", b.name)
				}
			}
		})
	}
}
