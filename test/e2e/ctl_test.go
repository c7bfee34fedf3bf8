package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/db"
)

// oleloCmd runs the olelo binary with args and env (added to the
// test's) and returns stdout, stderr and the exit code.
func oleloCmd(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(oleloBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("olelo %s: still running after 60 s", strings.Join(args, " "))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// mustOlelo runs olelo and fails the test unless it exits 0.
func mustOlelo(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := oleloCmd(t, nil, args...)
	if code != 0 {
		t.Fatalf("olelo %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// ha1Cfg is authCfg reading the digest hash from column ha1 (Kamailio's
// default), so that a REGISTER succeeds only when `olelo ctl add` wrote
// ha1 right.
var ha1Cfg = strings.Replace(strings.Replace(authCfg,
	`modparam("auth_db", "calculate_ha1", 1)`, `modparam("auth_db", "calculate_ha1", 0)`, 1),
	`modparam("auth_db", "password_column", "password")`, `modparam("auth_db", "password_column", "ha1")`, 1)

// TestCtlSubscriberAuthenticates: `olelo db create`, `olelo ctl add`
// writes the subscriber row (ha1, ha1b) as kamctl does, and both olelo
// and Kamailio 5.6 then accept a digest REGISTER with that password;
// passwd changes it, rm removes the user.
func TestCtlSubscriberAuthenticates(t *testing.T) {
	// Four slashes: Kamailio reads the path after the third as relative
	// to its working directory.
	url := "sqlite:///" + filepath.Join(t.TempDir(), "ctl.db")
	mustOlelo(t, "db", "create", "--db", url)
	out := mustOlelo(t, "ctl", "--db", url, "add", "alice@example.com", "s3cr:et")
	if !strings.Contains(out, "added alice@example.com") {
		t.Errorf("ctl add said %q", out)
	}
	// The domain from the environment, as kamctl's SIP_DOMAIN.
	if _, errOut, code := oleloCmd(t, []string{"SIP_DOMAIN=example.com"}, "ctl", "--db", url, "add", "bob", "b0b"); code != 0 {
		t.Fatalf("ctl add bob with SIP_DOMAIN: exit %d: %s", code, errOut)
	}
	if _, errOut, code := oleloCmd(t, nil, "ctl", "--db", url, "add", "alice@example.com", "again"); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("adding alice twice: exit %d, %q", code, errOut)
	}

	ctx := context.Background()
	conn, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "subscriber", []string{"username", "domain", "password", "ha1", "ha1b"}, nil, "username")
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"alice", "example.com", "s3cr:et", md5hex("alice:example.com:s3cr:et"), md5hex("alice@example.com:example.com:s3cr:et")},
		{"bob", "example.com", "b0b", md5hex("bob:example.com:b0b"), md5hex("bob@example.com:example.com:b0b")},
	}
	if len(rows) != len(want) {
		t.Fatalf("subscriber rows: %v", rows)
	}
	for i, w := range want {
		for j := range w {
			if rows[i].Str(j) != w[j] {
				t.Errorf("row %d column %d: %q, want %q", i, j, rows[i].Str(j), w[j])
			}
		}
	}
	show := mustOlelo(t, "ctl", "--db", url, "show", "bob@example.com")
	if !strings.Contains(show, md5hex("bob:example.com:b0b")) || strings.Contains(show, "alice") {
		t.Errorf("ctl show bob:\n%s", show)
	}

	cfg := filepath.Join(t.TempDir(), "ha1.cfg")
	if err := os.WriteFile(cfg, []byte(ha1Cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []serverKind{oleloServer, kamailioServer} {
		t.Run(fmt.Sprint(kind), func(t *testing.T) {
			s := startServer(t, kind, cfg, fmt.Sprintf("DBURL=\"%s\"", url))
			u := newDigestUA(t, s.addr)
			ch := u.send("REGISTER", "alice", "")
			if ch.code != 401 {
				t.Fatalf("REGISTER without credentials: %d", ch.code)
			}
			if got := u.send("REGISTER", "alice", credentials(ch, "REGISTER", "alice", "s3cr:et", "00000001")).code; got != 200 {
				t.Errorf("REGISTER with the ctl password: %d, want 200; log:\n%s", got, lastLines(s.log(), 20))
			}
			if got := u.send("REGISTER", "alice", credentials(ch, "REGISTER", "alice", "wrong", "00000002")).code; got != 403 {
				t.Errorf("REGISTER with a wrong password: %d, want 403", got)
			}
		})
	}

	mustOlelo(t, "ctl", "--db", url, "passwd", "alice@example.com", "new")
	mustOlelo(t, "ctl", "--db", url, "rm", "bob@example.com")
	conn, err = db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err = conn.Query(ctx, "subscriber", []string{"username", "ha1"}, nil, "")
	if err != nil || len(rows) != 1 || rows[0].Str(1) != md5hex("alice:example.com:new") {
		t.Errorf("after passwd and rm: %v %v", rows, err)
	}
	if _, errOut, code := oleloCmd(t, nil, "ctl", "--db", url, "rm", "bob@example.com"); code != 1 || !strings.Contains(errOut, "no user bob@example.com") {
		t.Errorf("rm of a missing user: exit %d, %q", code, errOut)
	}
}

// TestCtlChangesApplyWhileRunning: subscribers changed by `olelo ctl`
// (another process) while the server runs apply to the next request:
// olelo keeps credentials read from SQLite only while the database is
// unchanged (auth_db credentials_cache), so it must answer as Kamailio,
// which has no cache, does. Also for a user first looked up unknown.
func TestCtlChangesApplyWhileRunning(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "ha1.cfg")
	if err := os.WriteFile(cfg, []byte(ha1Cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []serverKind{oleloServer, kamailioServer} {
		t.Run(fmt.Sprint(kind), func(t *testing.T) {
			url := "sqlite:///" + filepath.Join(t.TempDir(), "live.db")
			mustOlelo(t, "db", "create", "--db", url)
			mustOlelo(t, "ctl", "--db", url, "add", "alice@example.com", "first")
			s := startServer(t, kind, cfg, fmt.Sprintf("DBURL=\"%s\"", url))
			u := newDigestUA(t, s.addr)
			try := func(user, password string, want int) {
				t.Helper()
				ch := u.send("REGISTER", user, "")
				if ch.code != 401 {
					t.Fatalf("REGISTER %s without credentials: %d", user, ch.code)
				}
				if got := u.send("REGISTER", user, credentials(ch, "REGISTER", user, password, "00000001")).code; got != want {
					t.Errorf("REGISTER %s with %q: %d, want %d; log:\n%s", user, password, got, want, lastLines(s.log(), 20))
				}
			}
			try("alice", "first", 200)
			try("alice", "first", 200) // a second time: from olelo's cache
			try("carol", "c4rol", 401) // unknown: challenged again
			mustOlelo(t, "ctl", "--db", url, "passwd", "alice@example.com", "second")
			mustOlelo(t, "ctl", "--db", url, "add", "carol@example.com", "c4rol")
			try("alice", "first", 403)
			try("alice", "second", 200)
			try("carol", "c4rol", 200)
			mustOlelo(t, "ctl", "--db", url, "rm", "alice@example.com")
			try("alice", "second", 401)
		})
	}
}

// TestCtlAddressAndDispatcher: address and dispatcher entries added by
// `olelo ctl` are in the tables with Kamailio's columns and shown back;
// bad arguments give a clear error and exit 2 or 1.
func TestCtlAddressAndDispatcher(t *testing.T) {
	url := "sqlite://" + filepath.Join(t.TempDir(), "ctl.db")
	if _, errOut, code := oleloCmd(t, nil, "ctl", "--db", url, "address", "show"); code != 1 || !strings.Contains(errOut, "olelo db create") {
		t.Errorf("address show without tables: exit %d, %q", code, errOut)
	}
	mustOlelo(t, "db", "create", "--db", url, "address", "dispatcher")
	mustOlelo(t, "ctl", "--db", url, "address", "add", "1", "192.168.1.0", "24", "5060", "office")
	mustOlelo(t, "ctl", "--db", url, "address", "add", "2", "2001:db8::1")
	show := mustOlelo(t, "ctl", "--db", url, "address", "show")
	for _, w := range []string{"192.168.1.0  24    5060  office", "2001:db8::1  128   0"} {
		if !strings.Contains(show, w) {
			t.Errorf("address show lacks %q:\n%s", w, show)
		}
	}
	for _, bad := range [][]string{
		{"address", "add", "x", "10.0.0.1"},
		{"address", "add", "1", "10.0.0.1", "33"},
		{"address", "add", "1", "10.0.0.1", "32", "70000"},
		{"dispatcher", "add", "1", "10.0.0.1"},
	} {
		if _, errOut, code := oleloCmd(t, nil, append([]string{"ctl", "--db", url}, bad...)...); code != 1 || !strings.Contains(errOut, "bad ") {
			t.Errorf("ctl %v: exit %d, %q", bad, code, errOut)
		}
	}
	mustOlelo(t, "ctl", "--db", url, "address", "rm", "2", "2001:db8::1")
	mustOlelo(t, "ctl", "--db", url, "dispatcher", "add", "3", "sip:10.0.0.9:5080", "2", "10", "weight=50", "media gw")
	ctx := context.Background()
	conn, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "address", []string{"grp", "ip_addr", "mask", "port", "tag"}, nil, "")
	if err != nil || len(rows) != 1 || rows[0].Int(0) != 1 || rows[0].Str(1) != "192.168.1.0" || rows[0].Int(2) != 24 || rows[0].Int(3) != 5060 || rows[0].Str(4) != "office" {
		t.Errorf("address rows: %v %v", rows, err)
	}
	rows, err = conn.Query(ctx, "dispatcher", []string{"setid", "destination", "flags", "priority", "attrs", "description"}, nil, "")
	if err != nil || len(rows) != 1 || fmt.Sprint(rows[0]) != "[3 sip:10.0.0.9:5080 2 10 weight=50 media gw]" {
		t.Errorf("dispatcher rows: %v %v", rows, err)
	}
	mustOlelo(t, "ctl", "--db", url, "dispatcher", "rm", "3", "sip:10.0.0.9:5080")
	if out := mustOlelo(t, "ctl", "--db", url, "dispatcher", "show"); strings.Contains(out, "10.0.0.9") {
		t.Errorf("dispatcher show after rm:\n%s", out)
	}
	// Reload without a server: a clear error naming the address.
	sock := "unix:" + filepath.Join(t.TempDir(), "none.sock")
	if _, errOut, code := oleloCmd(t, nil, "ctl", "--rpc", sock, "address", "reload"); code != 1 || !strings.Contains(errOut, "is olelo running") {
		t.Errorf("address reload without a server: exit %d, %q", code, errOut)
	}
	if out, _, code := oleloCmd(t, nil, "ctl", "help"); code != 0 || !strings.Contains(out, "dispatcher add SETID URI") {
		t.Errorf("ctl help: exit %d\n%s", code, out)
	}
}

// TestCtlAddressReload: an address added with `olelo ctl` is allowed by
// allow_source_address() of a running olelo after `olelo ctl address
// reload` (RPC permissions.addressReload), and refused after rm+reload.
func TestCtlAddressReload(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite://" + filepath.Join(dir, "perm.db")
	mustOlelo(t, "db", "create", "--db", url, "address", "trusted")
	cfg := filepath.Join(dir, "perm.cfg")
	writeCfg(t, cfg, "loadmodule \"db_sqlite.so\"\nloadmodule \"permissions.so\"\nmodparam(\"permissions\", \"db_url\", \""+url+"\")\nmodparam(\"permissions\", \"reload_delta\", 0)\n",
		`if (allow_source_address("7")) { sl_send_reply("200", "Allowed"); } else { sl_send_reply("403", "Not Allowed"); }`)
	if out, errOut, code := oleloCmd(t, nil, "check", "-f", cfg); code != 0 {
		if strings.Contains(out+errOut, "permissions") {
			t.Skipf("permissions module not available yet: %s%s", out, errOut)
		}
		t.Fatalf("check: %s%s", out, errOut)
	}
	sock := "unix:" + filepath.Join(dir, "ctl.sock")
	s := startOlelo(t, "-f", cfg, "--rpc", sock)
	status := func() string {
		st, err := s.options("udp", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := status(); !strings.Contains(st, "403") {
		t.Fatalf("before add: %q", st)
	}
	mustOlelo(t, "ctl", "--db", url, "address", "add", "7", "127.0.0.1", "32", "0", "local")
	mustOlelo(t, "ctl", "--rpc", sock, "address", "reload")
	if st := status(); !strings.Contains(st, "200") {
		t.Errorf("after add and reload: %q; log:\n%s", st, lastLines(s.log(), 20))
	}
	mustOlelo(t, "ctl", "--db", url, "address", "rm", "7", "127.0.0.1")
	mustOlelo(t, "ctl", "--rpc", sock, "address", "reload")
	if st := status(); !strings.Contains(st, "403") {
		t.Errorf("after rm and reload: %q", st)
	}
}
