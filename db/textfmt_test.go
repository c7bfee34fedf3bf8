package db

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseTextHeader(t *testing.T) {
	tests := []struct {
		in   string
		want []textCol
		err  string
	}{
		{in: "id(int,auto) username(str) domain(string,null) q(double) expires(datetime) b(blob)", want: []textCol{
			{name: "id", typ: textInt, auto: true}, {name: "username", typ: textString}, {name: "domain", typ: textString, null: true},
			{name: "q", typ: textDouble}, {name: "expires", typ: textDateTime}, {name: "b", typ: textBlob}}},
		{in: "table_name(str) table_version(int)", want: []textCol{{name: "table_name", typ: textString}, {name: "table_version", typ: textInt}}},
		{in: "", err: "no columns"},
		{in: "id(int", err: "want name(type"},
		{in: "id(bigint)", err: "unknown type"},
		{in: "id(int,unique)", err: "unknown flag"},
		{in: "a(int) a(str)", err: "twice"},
	}
	for _, tt := range tests {
		got, err := parseTextHeader(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %+v %v", tt.in, got, err)
		}
		if back, _ := parseTextHeader(formatTextHeader(got)); !reflect.DeepEqual(back, got) {
			t.Errorf("%q: header does not survive a round trip", tt.in)
		}
	}
}

// TestOpenSIPSDispatcherFile reads the dispatcher file of the OpenSIPS
// load-balancer tutorial in the seeds: `null` and quoted strings.
func TestOpenSIPSDispatcherFile(t *testing.T) {
	cols, err := parseTextHeader("id(int,auto) setid(int) destination(string) socket(string,null) state(int) weight(int) priority(int) attrs(string) description(string)")
	if err != nil {
		t.Fatal(err)
	}
	row, err := parseTextRow(cols, `1:1:sip\:10.20.30.40\:5060:null:0:1:1:'carrier':'load balancer for OB'`)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), int64(1), "sip:10.20.30.40:5060", nil, int64(0), int64(1), int64(1), "carrier", "load balancer for OB"}
	if !reflect.DeepEqual(row, want) {
		t.Errorf("got %#v", row)
	}
}

func TestTextRowRoundTrip(t *testing.T) {
	cols := []textCol{{name: "id", typ: textInt, auto: true}, {name: "s", typ: textString}, {name: "n", typ: textString, null: true}, {name: "d", typ: textDouble}, {name: "t", typ: textDateTime}}
	when := time.Date(2030, 5, 28, 21, 32, 15, 0, time.UTC)
	for _, s := range []string{"", "plain", `a:b\c`, "line\nbreak\r\ttab", "ünïcødé", "'quoted'x", "'q'", "''", "null"} {
		row := []any{int64(7), s, nil, 0.25, when}
		nullable := []any{int64(7), s, s, 0.25, when}
		var parts []string
		for i, c := range cols {
			parts = append(parts, formatTextValue(c, row[i]))
		}
		got, err := parseTextRow(cols, strings.Join(parts, ":"))
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if !reflect.DeepEqual(got, row) {
			t.Errorf("%q: got %#v, want %#v", s, got, row)
		}
		parts = parts[:0]
		for i, c := range cols {
			parts = append(parts, formatTextValue(c, nullable[i]))
		}
		if got, err := parseTextRow(cols, strings.Join(parts, ":")); err != nil || !reflect.DeepEqual(got, nullable) {
			t.Errorf("%q in a null column: got %#v %v", s, got, err)
		}
	}
	if _, err := parseTextRow(cols, "1:2"); err == nil {
		t.Error("short row accepted")
	}
	if _, err := parseTextRow(cols, "x:a::1:2"); err == nil {
		t.Error("non-integer id accepted")
	}
}

// TestTextReloadsChangedFile: a table file edited by hand (or by
// Kamailio) is read again; Kamailio's own header form is understood.
func TestTextReloadsChangedFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "subscriber")
	write := func(body string) {
		// Write beside and rename, as an editor does: a new inode.
		tmp := file + ".new"
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	write("id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string)\n1:alice:example.com:secret:x:y\n")
	c, err := Open(context.Background(), "text://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := c.Query(context.Background(), "subscriber", []string{"username"}, nil, "")
	if err != nil || len(rows) != 1 {
		t.Fatalf("%v %v", rows, err)
	}
	write("id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string)\n1:alice:example.com:secret:x:y\n2:bob:example.com:pw:x:y\n")
	rows, err = c.Query(context.Background(), "subscriber", []string{"username"}, nil, "id")
	if err != nil || len(rows) != 2 || rows[1].Str(0) != "bob" {
		t.Errorf("after the file changed: %v %v", rows, err)
	}
	write("id(int,auto) username(string)\n1:a:b\n")
	if _, err := c.Query(context.Background(), "subscriber", nil, nil, ""); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("broken file: err %v, want the line number", err)
	}
	if _, err := c.Query(context.Background(), "../etc", nil, nil, ""); err == nil {
		t.Error("table name leaving the directory accepted")
	}
}

// FuzzTextLine: any header and row parse or fail cleanly, and a row that
// parses formats back to the same values.
func FuzzTextLine(f *testing.F) {
	f.Add("id(int,auto) username(str) domain(str,null) q(double)", `1:alice\:x::0.5`)
	f.Add("a(string) b(int,null)", `'x':null`)
	f.Add("t(datetime)", "2030-05-28 21:32:15")
	f.Fuzz(func(t *testing.T, header, line string) {
		cols, err := parseTextHeader(header)
		if err != nil {
			return
		}
		row, err := parseTextRow(cols, line)
		if err != nil {
			return
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = formatTextValue(c, row[i])
		}
		again, err := parseTextRow(cols, strings.Join(parts, ":"))
		if err != nil {
			t.Fatalf("formatted row does not parse: %v", err)
		}
		for i := range row {
			if compareText(row[i], again[i]) != 0 && !(cols[i].typ == textDouble) {
				t.Errorf("column %d: %#v became %#v", i, row[i], again[i])
			}
		}
	})
}
