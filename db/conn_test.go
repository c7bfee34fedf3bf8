package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// backends are the four backends the conformance tests run against.
var backends = []struct {
	name string
	url  func(testing.TB) string
}{
	{"sqlite", dbtest.SQLite},
	{"text", dbtest.Text},
	{"mysql", dbtest.MySQL},
	{"postgres", dbtest.Postgres},
}

// openFresh opens a new empty database with Kamailio's tables.
func openFresh(t *testing.T, url func(testing.TB) string) db.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := db.Open(ctx, url(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := db.CreateTables(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

var subscriberCols = []string{"username", "domain", "password", "ha1", "ha1b"}

// TestConnConformance runs the same operations on every backend.
func TestConnConformance(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, c db.Conn)
	}{
		{"insert and query back awkward strings", testStrings},
		{"NULL in and out", testNulls},
		{"times", testTimes},
		{"numbers", testNumbers},
		{"update counts matched rows", testUpdate},
		{"delete", testDelete},
		{"replace inserts then updates", testReplace},
		{"order and operators", testOrder},
		{"concurrent use", testConcurrent},
		{"errors name table and hide password", testErrors},
		{"schema versions", testSchema},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, openFresh(t, b.url))
				})
			}
		})
	}
}

func testStrings(t *testing.T, c db.Conn) {
	ctx := context.Background()
	values := []string{
		"alice",
		"O'Brien \"quoted\"",
		`back\slash:colon;semi`,
		"ünïcødé ☎ 日本",
		"line\nbreak\ttab",
		"100%_like",
		"'); DROP TABLE subscriber; --",
	}
	for i, v := range values {
		if err := c.Insert(ctx, "subscriber", subscriberCols, []any{v, "example.org", fmt.Sprint("pw", i), "h1", "h1b"}); err != nil {
			t.Fatalf("insert %q: %v", v, err)
		}
	}
	for i, v := range values {
		rows, err := c.Query(ctx, "subscriber", []string{"username", "password"}, []db.Cond{db.Eq("username", v), db.Eq("domain", "example.org")}, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Str(0) != v || rows[0].Str(1) != fmt.Sprint("pw", i) {
			t.Errorf("query %q: got %v", v, rows)
		}
	}
	all, err := c.Query(ctx, "subscriber", nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(values) {
		t.Errorf("all rows: got %d, want %d", len(all), len(values))
	}
}

func testNulls(t *testing.T, c db.Conn) {
	ctx := context.Background()
	cols := []string{"ruid", "username", "domain", "contact", "received"}
	if err := c.Insert(ctx, "location", cols, []any{"r1", "bob", nil, "sip:bob@1.2.3.4", nil}); err != nil {
		t.Fatal(err)
	}
	if err := c.Insert(ctx, "location", cols, []any{"r2", "bob", "example.org", "sip:bob@5.6.7.8", "sip:9.9.9.9:5060"}); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "location", []string{"ruid", "domain", "received", "path"}, []db.Cond{db.Eq("domain", nil)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Str(0) != "r1" || !rows[0].IsNull(1) || !rows[0].IsNull(2) || !rows[0].IsNull(3) {
		t.Errorf("domain IS NULL: got %#v", rows)
	}
	rows, err = c.Query(ctx, "location", []string{"ruid", "received"}, []db.Cond{{Col: "domain", Op: "!=", Val: nil}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Str(0) != "r2" || rows[0].Str(1) != "sip:9.9.9.9:5060" {
		t.Errorf("domain IS NOT NULL: got %#v", rows)
	}
	// Defaults of the schema apply to the columns not given.
	rows, err = c.Query(ctx, "location", []string{"callid", "cseq", "q", "flags"}, []db.Cond{db.Eq("ruid", "r1")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Str(0) != "Default-Call-ID" || rows[0].Int(1) != 1 || rows[0].Float(2) != 1.0 || rows[0].Int(3) != 0 {
		t.Errorf("defaults: got %#v", rows)
	}
}

func testTimes(t *testing.T, c db.Conn) {
	ctx := context.Background()
	expires := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	// A time in another zone is stored as the same instant.
	modified := time.Date(2024, 7, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	cols := []string{"ruid", "username", "contact", "expires", "last_modified"}
	if err := c.Insert(ctx, "location", cols, []any{"t1", "carol", "sip:carol@h", expires, modified}); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "location", []string{"expires", "last_modified"}, []db.Cond{db.Eq("ruid", "t1")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("got %d rows", len(rows))
	}
	if got := rows[0].Time(0); !got.Equal(expires) {
		t.Errorf("expires: got %v, want %v", got, expires)
	}
	if got := rows[0].Time(1); !got.Equal(modified) {
		t.Errorf("last_modified: got %v, want %v", got, modified)
	}
	// Times compare as times in where clauses.
	rows, err = c.Query(ctx, "location", []string{"ruid"}, []db.Cond{{Col: "expires", Op: "<", Val: expires.Add(time.Hour)}, {Col: "expires", Op: ">", Val: expires.Add(-time.Hour)}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Errorf("time range: got %d rows, want 1", len(rows))
	}
}

func testNumbers(t *testing.T, c db.Conn) {
	ctx := context.Background()
	cols := []string{"ruid", "username", "contact", "q", "cseq", "flags", "methods"}
	if err := c.Insert(ctx, "location", cols, []any{"n1", "dave", "sip:d@h", 0.5, int64(2147483647), 7, nil}); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "location", []string{"q", "cseq", "flags", "methods"}, []db.Cond{db.Eq("ruid", "n1")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("got %d rows", len(rows))
	}
	r := rows[0]
	if r.Float(0) != 0.5 || r.Int(1) != 2147483647 || r.Int(2) != 7 || !r.IsNull(3) {
		t.Errorf("got %#v", r)
	}
	if _, ok := r[1].(int64); !ok {
		t.Errorf("cseq comes out as %T, want int64", r[1])
	}
	if _, ok := r[0].(float64); !ok {
		t.Errorf("q comes out as %T, want float64", r[0])
	}
	// Port 65535 fits in address.port on every backend.
	if err := c.Insert(ctx, "address", []string{"grp", "ip_addr", "mask", "port", "tag"}, []any{1, "10.0.0.1", 32, 65535, nil}); err != nil {
		t.Fatal(err)
	}
	rows, err = c.Query(ctx, "address", []string{"port", "grp"}, nil, "")
	if err != nil || len(rows) != 1 || rows[0].Int(0) != 65535 || rows[0].Int(1) != 1 {
		t.Errorf("address: %v %v", rows, err)
	}
}

func testUpdate(t *testing.T, c db.Conn) {
	ctx := context.Background()
	for _, u := range []string{"a", "b", "c"} {
		if err := c.Insert(ctx, "subscriber", subscriberCols, []any{u, "d.org", "x", "", ""}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.Update(ctx, "subscriber", []db.Cond{db.Eq("domain", "d.org")}, []string{"password"}, []any{"y"})
	if err != nil || n != 3 {
		t.Fatalf("update: n=%d err=%v, want 3", n, err)
	}
	// Setting the same value again still counts the rows matched.
	n, err = c.Update(ctx, "subscriber", []db.Cond{db.Eq("username", "a")}, []string{"password"}, []any{"y"})
	if err != nil || n != 1 {
		t.Errorf("update to same value: n=%d err=%v, want 1", n, err)
	}
	n, err = c.Update(ctx, "subscriber", []db.Cond{db.Eq("username", "nobody")}, []string{"password"}, []any{"z"})
	if err != nil || n != 0 {
		t.Errorf("update of no row: n=%d err=%v, want 0", n, err)
	}
	rows, err := c.Query(ctx, "subscriber", []string{"password"}, []db.Cond{db.Eq("username", "b")}, "")
	if err != nil || len(rows) != 1 || rows[0].Str(0) != "y" {
		t.Errorf("after update: %v %v", rows, err)
	}
}

func testDelete(t *testing.T, c db.Conn) {
	ctx := context.Background()
	for i := range 5 {
		if err := c.Insert(ctx, "dispatcher", []string{"setid", "destination"}, []any{i % 2, fmt.Sprintf("sip:10.0.0.%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.Delete(ctx, "dispatcher", []db.Cond{db.Eq("setid", 1)})
	if err != nil || n != 2 {
		t.Fatalf("delete: n=%d err=%v, want 2", n, err)
	}
	n, err = c.Delete(ctx, "dispatcher", []db.Cond{db.Eq("setid", 1)})
	if err != nil || n != 0 {
		t.Errorf("delete again: n=%d err=%v, want 0", n, err)
	}
	n, err = c.Delete(ctx, "dispatcher", nil)
	if err != nil || n != 3 {
		t.Errorf("delete all: n=%d err=%v, want 3", n, err)
	}
}

func testReplace(t *testing.T, c db.Conn) {
	ctx := context.Background()
	cols := []string{"key_name", "key_type", "value_type", "key_value", "expires"}
	if err := c.Replace(ctx, "htable", 1, cols, []any{"k", 0, 0, "v1", 0}); err != nil {
		t.Fatal(err)
	}
	if err := c.Replace(ctx, "htable", 1, cols, []any{"k", 0, 1, "v2", 10}); err != nil {
		t.Fatal(err)
	}
	// Same values again: still one row.
	if err := c.Replace(ctx, "htable", 1, cols, []any{"k", 0, 1, "v2", 10}); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "htable", []string{"key_value", "value_type", "expires"}, []db.Cond{db.Eq("key_name", "k")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Str(0) != "v2" || rows[0].Int(1) != 1 || rows[0].Int(2) != 10 {
		t.Errorf("after replace: %#v", rows)
	}
	// Every column a key: insert once.
	for range 2 {
		if err := c.Replace(ctx, "grp", 3, []string{"username", "domain", "grp"}, []any{"u", "d", "g"}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err = c.Query(ctx, "grp", []string{"grp"}, nil, "")
	if err != nil || len(rows) != 1 {
		t.Errorf("replace of all-key row: %v %v", rows, err)
	}
	if err := c.Replace(ctx, "grp", 0, []string{"username"}, []any{"u"}); err == nil {
		t.Error("replace with 0 keys: no error")
	}
}

func testOrder(t *testing.T, c db.Conn) {
	ctx := context.Background()
	for _, p := range []int{5, 1, 3, 2, 4} {
		if err := c.Insert(ctx, "dispatcher", []string{"setid", "destination", "priority"}, []any{1, fmt.Sprintf("sip:h%d", p), p}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := c.Query(ctx, "dispatcher", []string{"priority"}, []db.Cond{{Col: "priority", Op: ">=", Val: 2}, {Col: "priority", Op: "!=", Val: 4}}, "priority DESC")
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range rows {
		got = append(got, r.Int(0))
	}
	if fmt.Sprint(got) != "[5 3 2]" {
		t.Errorf("got %v, want [5 3 2]", got)
	}
	if _, err := c.Query(ctx, "dispatcher", nil, nil, "priority; DROP"); err == nil {
		t.Error("bad order accepted")
	}
	if _, err := c.Query(ctx, "dispatcher", nil, []db.Cond{{Col: "priority", Op: "LIKE", Val: 1}}, ""); err == nil {
		t.Error("bad operator accepted")
	}
}

func testConcurrent(t *testing.T, c db.Conn) {
	ctx := context.Background()
	const workers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ruid := fmt.Sprintf("w%d-%d", w, i)
				if err := c.Insert(ctx, "location", []string{"ruid", "username", "contact"}, []any{ruid, "u", "sip:x"}); err != nil {
					errs <- err
					continue
				}
				cols := []string{"key_name", "key_value"}
				if err := c.Replace(ctx, "htable", 1, cols, []any{fmt.Sprint("shared", i%3), ruid}); err != nil {
					errs <- err
				}
				if _, err := c.Query(ctx, "location", []string{"ruid"}, []db.Cond{db.Eq("ruid", ruid)}, ""); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rows, err := c.Query(ctx, "location", []string{"ruid"}, nil, "")
	if err != nil || len(rows) != workers*each {
		t.Errorf("location rows: %d (%v), want %d", len(rows), err, workers*each)
	}
}

func testErrors(t *testing.T, c db.Conn) {
	ctx := context.Background()
	_, err := c.Query(ctx, "no_such_table", []string{"x"}, nil, "")
	if err == nil {
		t.Fatal("query of a missing table: no error")
	}
	var dbErr *db.Error
	if !errors.As(err, &dbErr) || dbErr.Table != "no_such_table" {
		t.Errorf("error %v does not name the table", err)
	}
	if strings.Contains(err.Error(), "olelo%pw") {
		t.Errorf("error shows the password: %v", err)
	}
	if err := c.Insert(ctx, "subscriber", []string{"username"}, []any{"a", "b"}); err == nil {
		t.Error("insert with more values than columns: no error")
	}
	if err := c.Insert(ctx, "subscriber", []string{"username"}, []any{struct{}{}}); err == nil {
		t.Error("insert of a struct: no error")
	}
}

func testSchema(t *testing.T, c db.Conn) {
	ctx := context.Background()
	// CreateTables is idempotent.
	if err := db.CreateTables(ctx, c); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "version", []string{"table_version"}, []db.Cond{db.Eq("table_name", "location")}, "")
	if err != nil || len(rows) != 1 || rows[0].Int(0) != 9 {
		t.Fatalf("location version: %v %v", rows, err)
	}
	st, err := db.Migrate(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if !s.OK() || s.Created {
			t.Errorf("migrate of a complete database: %+v", s)
		}
	}
	if err := db.DropTables(ctx, c, "dialplan"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(ctx, "dialplan", nil, nil, ""); err == nil {
		t.Error("dialplan still there after drop")
	}
	if _, err := c.Update(ctx, "version", []db.Cond{db.Eq("table_name", "subscriber")}, []string{"table_version"}, []any{6}); err != nil {
		t.Fatal(err)
	}
	st, err = db.Migrate(ctx, c)
	if err == nil || !strings.Contains(err.Error(), "subscriber is version 6") {
		t.Errorf("migrate with an old subscriber table: err %v", err)
	}
	for _, s := range st {
		if s.Name == "dialplan" && !s.Created {
			t.Errorf("migrate did not create dialplan: %+v", s)
		}
	}
	if err := db.DropTables(ctx, c); err != nil {
		t.Fatal(err)
	}
	st, err = db.Status(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Exists {
			t.Errorf("%s exists after dropping all", s.Name)
		}
	}
}

// TestOpenShares checks that Opens of one URL share a connection that
// stays open until the last Close.
func TestOpenShares(t *testing.T) {
	ctx := context.Background()
	url := dbtest.SQLite(t)
	a, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if a.(db.SQLConn).SQL() != b.(db.SQLConn).SQL() {
		t.Error("two Opens of one URL got different pools")
	}
	if err := db.CreateTables(ctx, a, "subscriber"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close() // a second Close of the same handle releases nothing more
	if _, err := b.Query(ctx, "subscriber", nil, nil, ""); err != nil {
		t.Errorf("query after the other handle closed: %v", err)
	}
	b.Close()
	c, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Query(ctx, "subscriber", nil, nil, ""); err != nil {
		t.Errorf("reopen: %v", err)
	}
}
