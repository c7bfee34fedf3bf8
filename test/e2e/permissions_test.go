package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/db"
)

// permissionsCfg is Kamailio 101 part 8: INVITEs from the carriers of
// address group 200 are relayed to the callee (UAS), everybody else is
// refused with 403. The ACK and BYE of a carrier's call take the same
// way. It runs unchanged on Kamailio 5.6 and on olelo.
const permissionsCfg = `#!KAMAILIO
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "db_sqlite.so"
loadmodule "permissions.so"

modparam("permissions", "db_url", DBURL)
modparam("permissions", "peer_tag_avp", "$avp(carrier)")
modparam("permissions", "reload_delta", 0)

request_route {
	if (method == "INVITE") {
		if (allow_source_address("200")) {
			route(CARRIER);
		} else {
			sl_reply("403", "Nope. Don't know who you are");
		}
		exit;
	}
	if (method == "ACK" || method == "BYE") {
		if (allow_source_address("200")) {
			route(CARRIER);
		}
		exit;
	}
	sl_reply("501", "Not Implemented");
}

route[CARRIER] {
	$du = UAS;
	t_relay();
	exit;
}
`

// permissionsSetup writes the config and an SQLite database with the
// address and trusted tables (Kamailio's permissions module checks both
// at start) and one carrier, 127.0.0.2, in group 200. It returns the
// config path, the db_url and an open connection.
func permissionsSetup(t *testing.T) (cfg, url string, conn db.Conn) {
	t.Helper()
	dir := t.TempDir()
	// Four slashes: Kamailio's db_sqlite reads "sqlite:///tmp/x.db" as
	// the relative path tmp/x.db; olelo reads both forms as absolute.
	url = "sqlite:///" + filepath.Join(dir, "olelo.db")
	ctx := context.Background()
	conn, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := db.CreateTables(ctx, conn, "address", "trusted"); err != nil {
		t.Fatal(err)
	}
	addCarrier(t, conn, "127.0.0.2", "Carrier IP address")
	cfg = filepath.Join(dir, "permissions.cfg")
	if err := os.WriteFile(cfg, []byte(permissionsCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, url, conn
}

func addCarrier(t *testing.T, conn db.Conn, ip, tag string) {
	t.Helper()
	err := conn.Insert(context.Background(), "address", []string{"grp", "ip_addr", "mask", "port", "tag"}, []any{200, ip, 32, 0, tag})
	if err != nil {
		t.Fatal(err)
	}
}

// startCallee starts SIPp's built-in UAS on a free loopback port and
// returns its URI.
func startCallee(t *testing.T) string {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	port := freePort(t)
	startPeer(t, sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-t", "u1", "-nostdin")
	for deadline := time.Now().Add(15 * time.Second); !portBusy(port, "u1"); {
		if time.Now().After(deadline) {
			t.Fatal("the SIPp callee did not bind its port")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Sprintf("sip:127.0.0.1:%d", port)
}

// callFrom makes one call with SIPp from the loopback address ip to
// server: want 200 runs SIPp's built-in UAC (INVITE, 200, ACK, BYE
// through the server to the callee); any other status runs a one-request
// scenario that expects it.
func callFrom(t *testing.T, server, ip string, want int, serverLog func() string) {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	dir := t.TempDir()
	scen := []string{"-sn", "uac", "-s", "bob"}
	if want != 200 {
		file := filepath.Join(dir, "uac.xml")
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := uacScenario.Execute(f, uac{Method: "INVITE", User: "bob", Expect: want, MaxForwards: "70"}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		scen = []string{"-sf", file}
	}
	args := append([]string{server}, scen...)
	args = append(args, "-i", ip, "-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", "1", "-nostdin",
		"-timeout", "20s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	out, err := runPeer(t, 40*time.Second, sipp, args...)
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Fatalf("call from %s expecting %d: %v\n%s\nsipp errors:\n%s\nserver log:\n%s", ip, want, err, lastLines(out, 20), lastLines(string(errs), 40), lastLines(serverLog(), 30))
	}
}

// loopbackAlias skips the test when 127.0.0.2 cannot be bound (a host
// whose loopback is only 127.0.0.1).
func loopbackAlias(t *testing.T) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.3:0")
	if err != nil {
		t.Skipf("cannot bind 127.0.0.3: %v", err)
	}
	c.Close()
}

// TestPermissionsCarrierGroup: a call from the carrier (127.0.0.2, group
// 200 in the address table) is relayed to the callee and completes; a
// call from 127.0.0.3 gets "403 Nope. Don't know who you are". After
// 127.0.0.3 is inserted and permissions.addressReload is called over
// `olelo rpc`, its call completes too. A reload that fails keeps the
// table in use and says why.
func TestPermissionsCarrierGroup(t *testing.T) {
	loopbackAlias(t)
	cfg, url, conn := permissionsSetup(t)
	callee := startCallee(t)
	sock := "unix:" + filepath.Join(t.TempDir(), "ctl.sock")
	s := startOlelo(t, "-f", cfg, "-A", `DBURL="`+url+`"`, "-A", `UAS="`+callee+`"`, "--rpc", sock)

	callFrom(t, s.addr, "127.0.0.2", 200, s.log)
	callFrom(t, s.addr, "127.0.0.3", 403, s.log)

	addCarrier(t, conn, "127.0.0.3", "Second carrier")
	out, errOut, code := oleloRPC(t, sock, "permissions.addressReload")
	if code != 0 || !strings.Contains(out, "Reload OK") {
		t.Fatalf("permissions.addressReload: exit %d, %q %q", code, out, errOut)
	}
	callFrom(t, s.addr, "127.0.0.3", 200, s.log)

	out, errOut, code = oleloRPC(t, sock, "permissions.addressDump")
	for _, want := range []string{`"127.0.0.2"`, `"127.0.0.3"`, `"Second carrier"`, `"group": 200`} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("permissions.addressDump lacks %s: exit %d, %s %s", want, code, out, errOut)
		}
	}

	// The database loses its table: the reload fails, says why, and the
	// carriers keep their access.
	if err := db.DropTables(context.Background(), conn, "address"); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = oleloRPC(t, sock, "permissions.addressReload")
	if code == 0 || !strings.Contains(errOut, "Reload failed") || !strings.Contains(errOut, "address") {
		t.Errorf("reload without the table: exit %d, %q %q", code, out, errOut)
	}
	callFrom(t, s.addr, "127.0.0.3", 200, s.log)
}

// TestPermissionsMissingTable: olelo refuses to start when the address
// table is not in the database, and says so.
func TestPermissionsMissingTable(t *testing.T) {
	cfg, url, conn := permissionsSetup(t)
	if err := db.DropTables(context.Background(), conn, "address"); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := oleloCmd(t, nil, "-E", "-f", cfg, "-A", `DBURL="`+url+`"`, "-A", `UAS="sip:127.0.0.1:9"`,
		"-l", fmt.Sprintf("udp:127.0.0.1:%d", freePort(t)), "--rpc", "off")
	if code == 0 || !strings.Contains(out+errOut, "permissions") || !strings.Contains(out+errOut, "address") {
		t.Errorf("start without the address table: exit %d\n%s%s", code, out, errOut)
	}
}

// TestPermissionsKamailio runs the same config and calls through
// Kamailio 5.6 (db_sqlite) to check that olelo's answers are
// Kamailio's.
func TestPermissionsKamailio(t *testing.T) {
	loopbackAlias(t)
	lookPath(t, "kamailio", "kamailio")
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so"); err != nil {
		t.Skip("Kamailio's db_sqlite module is not installed (Debian package kamailio-sqlite-modules)")
	}
	cfg, url, _ := permissionsSetup(t)
	callee := startCallee(t)
	k := startKamailio(t, cfg, `DBURL="`+url+`"`, `UAS="`+callee+`"`)
	callFrom(t, k.addr, "127.0.0.2", 200, k.log)
	callFrom(t, k.addr, "127.0.0.3", 403, k.log)
}

// routingCfg refuses requests that permissions.deny forbids, unless
// permissions.allow allows them (allow_routing with two files given by
// absolute paths, so that both servers find them).
const routingCfg = `#!KAMAILIO
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "permissions.so"

request_route {
	if (!allow_routing(ALLOW, DENY)) {
		sl_send_reply("403", "Forbidden by rule");
		exit;
	}
	sl_send_reply("200", "Allowed");
}
`

// TestPermissionsAllowRouting: allow_routing over the wire, olelo and
// Kamailio 5.6 with the same files and requests give the same answers.
func TestPermissionsAllowRouting(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"routing.allow": "# premium test number\nALL : \"^sip:9001@\"\n",
		"routing.deny":  "ALL : \"^sip:900\", \"^sip:00\" EXCEPT \"^sip:0044\"\n\"^sip:mallory@\" : ALL\n",
		"routing.cfg":   routingCfg,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "routing.cfg")
	defines := []string{`ALLOW="` + filepath.Join(dir, "routing.allow") + `"`, `DENY="` + filepath.Join(dir, "routing.deny") + `"`}
	cases := []struct {
		user string
		want int
	}{
		{"9001", 200}, {"9002", 403}, {"555", 200}, {"0049", 403}, {"0044", 200},
	}
	for _, kind := range []serverKind{oleloServer, kamailioServer} {
		t.Run(string(kind), func(t *testing.T) {
			var addr string
			var logf func() string
			if kind == kamailioServer {
				k := startKamailio(t, cfg, defines...)
				addr, logf = k.addr, k.log
			} else {
				args := []string{"-f", cfg}
				for _, d := range defines {
					args = append(args, "-A", d)
				}
				s := startOlelo(t, args...)
				addr, logf = s.addr, s.log
			}
			for _, c := range cases {
				requestAs(t, addr, c.user, c.want, logf)
			}
		})
	}
}

// requestAs sends one OPTIONS to user@server from alice and expects the
// status want.
func requestAs(t *testing.T, server, user string, want int, serverLog func() string) {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	dir := t.TempDir()
	file := filepath.Join(dir, "uac.xml")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := uacScenario.Execute(f, uac{Method: "OPTIONS", User: user, Expect: want, MaxForwards: "70"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := runPeer(t, 40*time.Second, sipp, server, "-sf", file, "-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)),
		"-t", "u1", "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Errorf("OPTIONS to %s expecting %d: %v\n%s\nsipp errors:\n%s\nserver log:\n%s", user, want, err, lastLines(out, 10), lastLines(string(errs), 20), lastLines(serverLog(), 20))
	}
}
