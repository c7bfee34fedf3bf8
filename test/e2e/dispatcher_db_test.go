package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Destination sets from the database: examples/dispatcher.cfg with
// DS_DB_URL, the dispatcher table made by `olelo db create` and filled by
// `olelo ctl dispatcher add`.

// dsDB makes a fresh SQLite database (Kamailio's URL form, four slashes)
// with the dispatcher table.
func dsDB(t *testing.T) string {
	t.Helper()
	url := "sqlite:///" + filepath.Join(t.TempDir(), "olelo.db")
	mustOlelo(t, "db", "create", "--db", url, "dispatcher", "version")
	return url
}

// dsCalls places calls calls (uac_call.xml, one at a time) through addr.
func dsCalls(t *testing.T, sipp, addr string, calls int, serverLog func() string) {
	t.Helper()
	uac, _ := filepath.Abs(filepath.Join("testdata", "callflow", "uac_call.xml"))
	dir := t.TempDir()
	out, err := runPeer(t, 40*time.Second, sipp, addr, "-sf", uac, "-s", "bob", "-i", "127.0.0.1",
		"-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", fmt.Sprint(calls), "-r", "20", "-l", "1",
		"-nostdin", "-timeout", "30s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Fatalf("calls failed: %v\n%s\n%s\nserver log:\n%s", err, lastLines(out, 15), lastLines(string(errs), 20), lastLines(serverLog(), 30))
	}
}

func waitGateway(t *testing.T, name string, done chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not get all its calls", name)
	}
}

// TestDispatcherDB: olelo loads set 1 from the dispatcher table; a
// gateway added with `olelo ctl dispatcher add` takes calls after
// `olelo ctl dispatcher reload` (round robin: both gateways).
func TestDispatcherDB(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url := dsDB(t)
	p1, p2 := freePort(t), freePort(t)
	gw1 := startGateway(t, ctx, sipp, "uas_answer.xml", p1, 4)
	mustOlelo(t, "ctl", "--db", url, "dispatcher", "add", "1", fmt.Sprintf("sip:127.0.0.1:%d", p1), "0", "0", "", "gateway one")
	sock := "unix:" + filepath.Join(t.TempDir(), "ctl")
	s := startOlelo(t, "-f", example("dispatcher.cfg"), "-A", fmt.Sprintf("DS_DB_URL=%q", url), "--rpc", sock)
	out, _, _ := oleloRPC(t, sock, "dispatcher.list")
	if !strings.Contains(out, fmt.Sprintf("sip:127.0.0.1:%d", p1)) || strings.Contains(out, fmt.Sprint(p2)) {
		t.Fatalf("dispatcher.list after start:\n%s", out)
	}
	// One gateway: both calls to it.
	dsCalls(t, sipp, s.addr, 2, s.log)

	gw2 := startGateway(t, ctx, sipp, "uas_answer.xml", p2, 2)
	mustOlelo(t, "ctl", "--db", url, "dispatcher", "add", "1", fmt.Sprintf("sip:127.0.0.1:%d", p2))
	// Not applied before the reload.
	if out, _, _ := oleloRPC(t, sock, "dispatcher.list"); strings.Contains(out, fmt.Sprint(p2)) {
		t.Errorf("the new gateway is in use before the reload:\n%s", out)
	}
	if got := mustOlelo(t, "ctl", "--db", url, "--rpc", sock, "dispatcher", "reload"); !strings.Contains(got, "successfully reloaded") {
		t.Fatalf("olelo ctl dispatcher reload: %s", got)
	}
	if out, _, _ := oleloRPC(t, sock, "dispatcher.list"); !strings.Contains(out, fmt.Sprint(p2)) {
		t.Fatalf("dispatcher.list after reload lacks the new gateway:\n%s", out)
	}
	// Round robin over both: 2 calls each.
	dsCalls(t, sipp, s.addr, 4, s.log)
	waitGateway(t, "gateway one", gw1)
	waitGateway(t, "gateway two", gw2)

	// A row that does not load (unresolvable host): the reload fails and
	// says why; the old sets stay.
	mustOlelo(t, "ctl", "--db", url, "dispatcher", "add", "1", "sip:no-such-host.invalid")
	if out, errOut, code := oleloRPC(t, sock, "dispatcher.reload"); code == 0 || !strings.Contains(out+errOut, "no-such-host.invalid") {
		t.Errorf("failing reload: code %d %s %s", code, out, errOut)
	}
	if out, _, _ := oleloRPC(t, sock, "dispatcher.list"); !strings.Contains(out, fmt.Sprint(p2)) {
		t.Errorf("a failing reload lost the sets:\n%s", out)
	}
}

// TestDispatcherDBKamailio: the table olelo db create makes and olelo ctl
// fills is the one Kamailio 5.6 loads (table version 4): the same config
// dispatches round robin over its gateways through Kamailio and olelo.
func TestDispatcherDBKamailio(t *testing.T) {
	for _, kind := range []serverKind{kamailioServer, oleloServer} {
		t.Run(string(kind), func(t *testing.T) {
			sipp := lookPath(t, "sipp", "sip-tester")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			url := dsDB(t)
			var gws []chan error
			for i := range 2 {
				p := freePort(t)
				gws = append(gws, startGateway(t, ctx, sipp, "uas_answer.xml", p, 2))
				mustOlelo(t, "ctl", "--db", url, "dispatcher", "add", "1", fmt.Sprintf("sip:127.0.0.1:%d", p), "0", fmt.Sprint(i))
			}
			s := startServer(t, kind, example("dispatcher.cfg"), fmt.Sprintf("DS_DB_URL=%q", url))
			dsCalls(t, sipp, s.addr, 4, s.log)
			for i, g := range gws {
				waitGateway(t, fmt.Sprintf("gateway %d", i+1), g)
			}
		})
	}
}
