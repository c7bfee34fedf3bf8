package dispatcher

import (
	"context"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/db/dbtest"
	"github.com/olelo-sip/olelo/module"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// dsRow is one row of the dispatcher table.
type dsRow struct {
	setid       int
	dst         string
	flags, prio int
	attrs, desc any // string or nil (NULL)
}

// newDBTable creates the dispatcher table (Kamailio 5.6's, version 4) in
// a fresh database and fills it.
func newDBTable(t *testing.T, url string, rows ...dsRow) db.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := db.CreateTables(ctx, c, "version", "dispatcher"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		insertDS(t, c, r)
	}
	return c
}

func insertDS(t *testing.T, c db.Conn, r dsRow) {
	t.Helper()
	cols := []string{"setid", "destination", "flags", "priority"}
	vals := []any{r.setid, r.dst, r.flags, r.prio}
	// A nil attrs/description is left out: the column default ('').
	if r.attrs != nil {
		cols, vals = append(cols, "attrs"), append(vals, r.attrs)
	}
	if r.desc != nil {
		cols, vals = append(cols, "description"), append(vals, r.desc)
	}
	if err := c.Insert(context.Background(), "dispatcher", cols, vals); err != nil {
		t.Fatal(err)
	}
}

func linkDB(url string, params map[string]any) (*Instance, error) {
	m := newInstance()
	m.ListFile = "/nonexistent/dispatcher.list" // must not be read
	if err := module.SetParam(m, "db_url", url); err != nil {
		return nil, err
	}
	for k, v := range params {
		if err := module.SetParam(m, k, v); err != nil {
			return nil, err
		}
	}
	return m, m.Link(func(string) module.Instance { return nil })
}

// TestLoadDB loads the sets from the dispatcher table of every backend:
// sets, priorities (highest first), flags, attributes, descriptions; a
// reload sees rows added since; a bad row fails the load naming the row
// and keeps the old sets.
func TestLoadDB(t *testing.T) {
	backends := []struct {
		name string
		url  func(testing.TB) string
	}{
		{"sqlite", dbtest.SQLite}, {"text", dbtest.Text}, {"mysql", dbtest.MySQL}, {"postgres", dbtest.Postgres},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			c := newDBTable(t, url,
				dsRow{1, "sip:127.0.0.2:5070", 0, 10, "duid=gw1;maxload=5;weight=25", "gateway one"},
				dsRow{1, "sip:127.0.0.3:5070", 0, 20, "weight=75", nil},
				dsRow{2, "127.0.0.4:5080", 1, 0, nil, nil},
			)
			m, err := linkDB(url, map[string]any{"ds_hash_size": int64(4)})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(uris(m, 1), " "); got != "sip:127.0.0.3:5070 sip:127.0.0.2:5070" {
				t.Errorf("set 1 = %s, want the priority 20 one first", got)
			}
			if got := strings.Join(uris(m, 2), " "); got != "sip:127.0.0.4:5080" {
				t.Errorf("set 2 = %s", got)
			}
			l := m.data.Load()
			d := l.byID[1].dests[1]
			if d.attrs.duid != "gw1" || d.attrs.maxload != 5 || d.attrs.weight != 25 || d.priority != 10 {
				t.Errorf("row 1 attrs %+v priority %d", d.attrs, d.priority)
			}
			if d2 := l.byID[2].dests[0]; d2.flags&flagInactive == 0 {
				t.Errorf("set 2 flags %d, want inactive", d2.flags)
			}
			// Reload sees a new row.
			insertDS(t, c, dsRow{1, "sip:127.0.0.5:5070", 0, 30, "", ""})
			if _, err := m.rpcReload(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			if got := uris(m, 1); len(got) != 3 || got[0] != "sip:127.0.0.5:5070" {
				t.Errorf("after reload set 1 = %v", got)
			}
			// A bad row fails the reload (old sets kept) and the start.
			insertDS(t, c, dsRow{3, "sip:no-such-host.invalid", 0, 0, "", ""})
			_, err = m.rpcReload(context.Background(), nil)
			if err == nil || !strings.Contains(err.Error(), "dispatcher row") {
				t.Errorf("reload with a bad row: %v", err)
			}
			if len(uris(m, 1)) != 3 {
				t.Error("failing reload lost the sets")
			}
			if _, err := linkDB(url, nil); err == nil {
				t.Error("start with a bad row succeeded")
			}
		})
	}
}

// TestLoadDBColumns: table_name and the *_col modparams name another
// table; a missing table or an unreachable database fails the load.
func TestLoadDBColumns(t *testing.T) {
	url := dbtest.SQLite(t)
	c, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sqlc, ok := c.(db.SQLConn)
	if !ok {
		t.Skip("not an SQL connection")
	}
	if _, err := sqlc.SQL().Exec(`CREATE TABLE gw (grp INTEGER, uri TEXT, st INTEGER, pr INTEGER, at TEXT, descr TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlc.SQL().Exec(`INSERT INTO gw VALUES (7, 'sip:127.0.0.9:5090', 0, 0, NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	m, err := linkDB(url, map[string]any{"table_name": "gw", "setid_col": "grp", "destination_col": "uri",
		"flags_col": "st", "priority_col": "pr", "attrs_col": "at", "description_col": "descr"})
	if err != nil {
		t.Fatal(err)
	}
	if got := uris(m, 7); len(got) != 1 || got[0] != "sip:127.0.0.9:5090" {
		t.Errorf("set 7 = %v", got)
	}
	if _, err := linkDB(url, nil); err == nil || !strings.Contains(err.Error(), "dispatcher") {
		t.Errorf("missing dispatcher table: %v", err)
	}
	if _, err := linkDB("mysql://u:secret@127.0.0.1:1/none?timeout=1s", nil); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("unreachable database: %v", err)
	}
}
