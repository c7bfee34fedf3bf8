package permissions

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

// sqliteDB creates an SQLite database with the given tables and returns
// its URL and an open connection (closed at the end of the test).
func sqliteDB(t *testing.T, tables ...string) (string, db.Conn) {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "olelo.db")
	ctx := context.Background()
	conn, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := db.CreateTables(ctx, conn, tables...); err != nil {
		t.Fatal(err)
	}
	return url, conn
}

func insertAddress(t *testing.T, conn db.Conn, grp int, ip string, mask, port int, tag any) {
	t.Helper()
	if err := conn.Insert(context.Background(), "address", []string{"grp", "ip_addr", "mask", "port", "tag"}, []any{grp, ip, mask, port, tag}); err != nil {
		t.Fatal(err)
	}
}

func TestAddressTableFromDatabase(t *testing.T) {
	url, conn := sqliteDB(t, "address", "trusted")
	insertAddress(t, conn, 200, "127.0.0.2", 32, 0, "Carrier IP address")
	insertAddress(t, conn, 200, "192.168.1.0", 24, 5060, "OfficeSubnet")
	insertAddress(t, conn, 300, "::1", 128, 0, nil)

	m := New()
	m.DBURL = url
	m.ReloadDelta = 0
	m.PeerTagAVP = "$avp(tag)"
	ctx := context.Background()
	if err := m.Start(ctx, nil); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	check := func(src string, group, want int) {
		t.Helper()
		c := ctxFrom(t, src)
		if rc := modtest.Call(t, m, c, "allow_source_address", group); rc != want {
			t.Errorf("%s in group %d: %d, want %d", src, group, rc, want)
		}
	}
	check("127.0.0.2:5060", 200, 1)
	check("192.168.1.50:5060", 200, 1)
	check("[::1]:5060", 300, 1)
	check("127.0.0.3:5060", 200, -1)

	// A new row is seen after a reload.
	insertAddress(t, conn, 200, "127.0.0.3", 32, 0, nil)
	check("127.0.0.3:5060", 200, -1)
	if res, err := m.rpcAddressReload(ctx, nil); err != nil || res != "Reload OK" {
		t.Fatalf("reload: %v %v", res, err)
	}
	check("127.0.0.3:5060", 200, 1)

	// A reload that fails keeps the table in use and says why.
	if err := db.DropTables(ctx, conn, "address"); err != nil {
		t.Fatal(err)
	}
	_, err := m.rpcAddressReload(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "Reload failed") || !strings.Contains(err.Error(), "address") {
		t.Fatalf("reload without the table: %v", err)
	}
	check("127.0.0.3:5060", 200, 1)
}

func TestTrustedTableFromDatabase(t *testing.T) {
	url, conn := sqliteDB(t, "address", "trusted")
	ctx := context.Background()
	cols := []string{"src_ip", "proto", "from_pattern", "ruri_pattern", "tag", "priority"}
	for _, row := range [][]any{
		{"198.51.100.1", "any", nil, nil, "low", 1},
		{"198.51.100.1", "udp", "^sip:alice@", nil, "high", 9},
	} {
		if err := conn.Insert(ctx, "trusted", cols, row); err != nil {
			t.Fatal(err)
		}
	}
	for _, mode := range []int{0, 1} {
		m := New()
		m.DBURL = url
		m.DBMode = mode
		m.ReloadDelta = 0
		m.PeerTagAVP = "$avp(tag)"
		if err := m.Start(ctx, nil); err != nil {
			t.Fatal(err)
		}
		c, _, _ := modtest.NewCtx(t, request("sip:alice@example.com", "sip:1@x"))
		if rc := modtest.Call(t, m, c, "allow_trusted"); rc != 1 || c.AVPs["tag"][0].Str != "high" {
			t.Errorf("db_mode %d: rc %d tags %v", mode, rc, c.AVPs["tag"])
		}
		c, _, _ = modtest.NewCtx(t, request("sip:bob@example.com", "sip:1@x"))
		if rc := modtest.Call(t, m, c, "allow_trusted"); rc != 1 || c.AVPs["tag"][0].Str != "low" {
			t.Errorf("db_mode %d: rc %d tags %v", mode, rc, c.AVPs["tag"])
		}
		if mode == 1 {
			if res, err := m.rpcTrustedReload(ctx, nil); err != nil || res != "Reload OK" {
				t.Errorf("trustedReload: %v %v", res, err)
			}
		}
		m.Stop()
	}
}

func TestMissingTableFailsStart(t *testing.T) {
	url, _ := sqliteDB(t, "trusted")
	m := New()
	m.DBURL = url
	err := m.Start(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "address") {
		t.Errorf("start without the address table: %v", err)
	}
	t.Logf("start without the address table: %v", err)
	url, _ = sqliteDB(t, "address")
	m = New()
	m.DBURL = url
	err = m.Start(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "trusted") {
		t.Errorf("start without the trusted table: %v", err)
	}
	m = New()
	m.DBURL = url
	m.LoadBackends = 1 // address only: no trusted table needed
	if err := m.Start(context.Background(), nil); err != nil {
		t.Errorf("load_backends 1: %v", err)
	}
	m.Stop()
}
