package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/rpc"
)

// oleloRPC runs `olelo rpc -s addr args...` and returns stdout, stderr
// and the exit code.
func oleloRPC(t *testing.T, addr string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(oleloBin, append([]string{"rpc", "-s", addr}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// writeCfg writes a config with request_route answering status/reason.
func writeCfg(t *testing.T, path, extra, body string) {
	t.Helper()
	cfg := "loadmodule \"sl.so\"\n" + extra + "request_route {\n" + body + "\n}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRPCUnixSocket: `olelo rpc` over the control socket (0600, removed
// at exit): core.version, system.listMethods, an error, and kamcmd-style
// arguments.
func TestRPCUnixSocket(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rpc.cfg")
	sock := filepath.Join(dir, "olelo_ctl")
	writeCfg(t, cfg, "", `sl_send_reply("404", "Not Here");`)
	// Registered first, so it runs after startOlelo's cleanup stopped
	// the server.
	t.Cleanup(func() {
		if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("control socket still there after exit: %v", err)
		}
	})
	startOlelo(t, "-f", cfg, "--rpc", "unix:"+sock)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket mode %v, want a socket 0600", fi.Mode())
	}
	out, errOut, code := oleloRPC(t, "unix:"+sock, "core.version")
	if code != 0 || !strings.HasPrefix(out, "olelo ") {
		t.Errorf("olelo rpc core.version: exit %d, %q %q", code, out, errOut)
	}
	out, _, code = oleloRPC(t, "unix:"+sock, "system.listMethods")
	var methods []string
	if err := json.Unmarshal([]byte(out), &methods); err != nil || code != 0 {
		t.Fatalf("system.listMethods: exit %d, %q: %v", code, out, err)
	}
	for _, want := range []string{"core.version", "core.uptime", "core.ps", "core.info", "core.shmmem", "stats.get_statistics", "stats.reset_statistics", "cfg.reload", "system.listMethods", "system.methodHelp"} {
		if !strings.Contains(out, `"`+want+`"`) {
			t.Errorf("system.listMethods lacks %s: %s", want, out)
		}
	}
	if !sort.StringsAreSorted(methods) {
		t.Errorf("system.listMethods is not sorted: %v", methods)
	}
	_, errOut, code = oleloRPC(t, "unix:"+sock, "no.such_method")
	if code == 0 || !strings.Contains(errOut, "error: 500 - Method Not Found") {
		t.Errorf("unknown method: exit %d, stderr %q", code, errOut)
	}
	// Arguments: "all" is a string; "s:" forces one.
	out, _, code = oleloRPC(t, "unix:"+sock, "stats.get_statistics", "s:rcv_requests")
	if code != 0 || !strings.Contains(out, "core:rcv_requests = ") {
		t.Errorf("stats.get_statistics s:rcv_requests: exit %d, %q", code, out)
	}
	// The client library reaches the same socket.
	res, err := rpc.Call(context.Background(), "unix:"+sock, "system.methodHelp", "core.uptime")
	if err != nil || !strings.Contains(string(res), "uptime") {
		t.Errorf("rpc.Call system.methodHelp: %s, %v", res, err)
	}
}

// TestRPCConfigReload: cfg.reload swaps a good config in and refuses a
// bad one with file:line:col, keeping the running one.
func TestRPCConfigReload(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "reload.cfg")
	sock := "unix:" + filepath.Join(dir, "ctl")
	writeCfg(t, cfg, "", `sl_send_reply("480", "First Config");`)
	s := startOlelo(t, "-f", cfg, "--rpc", sock)
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 480}, 1, "u1")

	writeCfg(t, cfg, "", `sl_send_reply("486", "Second Config");`)
	if out, errOut, code := oleloRPC(t, sock, "cfg.reload"); code != 0 {
		t.Fatalf("cfg.reload of a good config: exit %d %q %q", code, out, errOut)
	}
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 486}, 1, "u1")

	writeCfg(t, cfg, "", `sl_send_reply("404" "missing comma");`)
	_, errOut, code := oleloRPC(t, sock, "cfg.reload")
	if code == 0 || !strings.Contains(errOut, cfg+":3:") {
		t.Errorf("cfg.reload of a bad config: exit %d, stderr %q; want an error naming %s:3:col", code, errOut, cfg)
	}
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 486}, 1, "u1")
}

// TestRPCOverHTTP: tcp:127.0.0.1:PORT serves JSON-RPC over HTTP without a
// token; a non-loopback address without a token stops olelo at start.
func TestRPCOverHTTP(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "http.cfg")
	writeCfg(t, cfg, "", `sl_send_reply("404", "Not Here");`)
	port := freePort(t)
	addr := fmt.Sprintf("tcp:127.0.0.1:%d", port)
	startOlelo(t, "-f", cfg, "--rpc", addr)
	res, err := rpc.Call(context.Background(), addr, "core.uptime")
	if err != nil {
		t.Fatalf("core.uptime over HTTP: %v", err)
	}
	var up map[string]any
	if err := json.Unmarshal(res, &up); err != nil || up["now"] == nil || up["up_since"] == nil || up["uptime"] == nil {
		t.Errorf("core.uptime = %s (%v)", res, err)
	}

	cmd := exec.Command(oleloBin, "-f", cfg, "-l", fmt.Sprintf("udp:127.0.0.1:%d", freePort(t)), "--rpc", fmt.Sprintf("tcp:0.0.0.0:%d", freePort(t)))
	out, err := runWithTimeout(cmd, 10*time.Second)
	if err == nil || !strings.Contains(out, "token") {
		t.Errorf("non-loopback control address without a token: %v, output:\n%s", err, out)
	}
}

// runWithTimeout runs cmd and returns its combined output.
func runWithTimeout(cmd *exec.Cmd, d time.Duration) (string, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return out.String(), errors.New("still running")
	}
}

// stockXHTTP is the stock kamailio.cfg WITH_JSONRPC event route.
const stockXHTTP = `
event_route[xhttp:request] {
	set_reply_close();
	set_reply_no_connect();
	if(src_ip!=127.0.0.1) {
		xhttp_reply("403", "Forbidden", "text/html",
				"<html><body>Not allowed from $si</body></html>");
		exit;
	}
	if ($hu =~ "^/RPC") {
		jsonrpc_dispatch();
		exit;
	}

	xhttp_reply("200", "OK", "text/html",
				"<html><body>Wrong URL $hu</body></html>");
    exit;
}
`

const jsonrpcModules = `loadmodule "xhttp.so"
loadmodule "jsonrpcs.so"
loadmodule "ctl.so"
tcp_accept_no_cl=yes
modparam("jsonrpcs", "pretty_format", 1)
modparam("jsonrpcs", "transport", 7)
`

// httpPost posts body to url and returns the status and the body.
func httpPost(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestXHTTPJSONRPC: HTTP on the SIP TCP port runs the stock
// event_route[xhttp:request]: /RPC goes to jsonrpc_dispatch, anything
// else gets the "Wrong URL" page; SIP on the same port still works.
func TestXHTTPJSONRPC(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "xhttp.cfg")
	writeCfg(t, cfg, jsonrpcModules, `sl_send_reply("404", "Not Here");`+"\n}\n"+stockXHTTP+"\nroute[UNUSED] {\n")
	s := startOlelo(t, "-f", cfg, "--rpc", "unix:"+filepath.Join(dir, "ctl"))
	code, body := httpPost(t, "http://"+s.addr+"/RPC", `{"jsonrpc":"2.0","method":"core.version","id":1}`)
	var resp struct {
		Result string `json:"result"`
		ID     int    `json:"id"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &resp) != nil || !strings.HasPrefix(resp.Result, "olelo ") || resp.ID != 1 {
		t.Errorf("POST /RPC core.version: %d %s", code, body)
	}
	if !strings.Contains(body, "\n\t\"result\"") {
		t.Errorf("pretty_format 1 answer is not indented: %q", body)
	}
	code, body = httpPost(t, "http://"+s.addr+"/RPC", `{"jsonrpc":"2.0","method":"nosuch","id":2}`)
	// The HTTP status is the error's code, as Kamailio sends it.
	if code != 500 || !strings.Contains(body, `"code": 500`) || !strings.Contains(body, "Method Not Found") {
		t.Errorf("POST /RPC nosuch: %d %s", code, body)
	}
	resp2, err := http.Get("http://" + s.addr + "/other?x=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != 200 || string(b) != "<html><body>Wrong URL /other?x=1</body></html>" || resp2.Header.Get("Content-Type") != "text/html" {
		t.Errorf("GET /other: %s %q %q", resp2.Status, resp2.Header.Get("Content-Type"), b)
	}
	if st, err := s.options("tcp", 5*time.Second); err != nil || !strings.Contains(st, "404") {
		t.Errorf("SIP OPTIONS over TCP on the same port: %q, %v", st, err)
	}
}

// TestRPCResultShapesKamailio compares result shapes with Kamailio 5.6
// (its stock cfg WITH_JSONRPC, jsonrpcs over HTTP on its SIP port):
// core.version is a string, core.uptime an object with now, up_since and
// uptime, stats.get_statistics an array of "group:name = value" strings
// with core:rcv_requests among them; an unknown method is 500 "Method
// Not Found".
func TestRPCResultShapesKamailio(t *testing.T) {
	k := startKamailio(t, "/etc/kamailio/kamailio.cfg", "WITH_JSONRPC")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "shapes.cfg")
	writeCfg(t, cfg, jsonrpcModules, `sl_send_reply("404", "Not Here");`+"\n}\n"+stockXHTTP+"\nroute[UNUSED] {\n")
	o := startOlelo(t, "-f", cfg, "--rpc", "unix:"+filepath.Join(dir, "ctl"))
	statLine := regexp.MustCompile(`^[a-z0-9_]+:[A-Za-z0-9_]+ = [0-9]+$`)
	calls := []struct {
		method string
		params []any
		check  func(res json.RawMessage) error
	}{
		{"core.version", nil, func(r json.RawMessage) error {
			var s string
			return json.Unmarshal(r, &s)
		}},
		{"core.uptime", nil, func(r json.RawMessage) error {
			var m map[string]any
			if err := json.Unmarshal(r, &m); err != nil {
				return err
			}
			if _, err := time.Parse(time.ANSIC, fmt.Sprint(m["now"])); err != nil {
				return fmt.Errorf("now: %w", err)
			}
			if _, err := time.Parse(time.ANSIC, fmt.Sprint(m["up_since"])); err != nil {
				return fmt.Errorf("up_since: %w", err)
			}
			if _, ok := m["uptime"].(float64); !ok || len(m) != 3 {
				return fmt.Errorf("want exactly now, up_since and a numeric uptime")
			}
			return nil
		}},
		{"stats.get_statistics", []any{"all"}, func(r json.RawMessage) error {
			var lines []string
			if err := json.Unmarshal(r, &lines); err != nil {
				return err
			}
			found := false
			for _, l := range lines {
				if !statLine.MatchString(l) {
					return fmt.Errorf("line %q is not group:name = value", l)
				}
				found = found || strings.HasPrefix(l, "core:rcv_requests = ")
			}
			if !found {
				return errors.New("no core:rcv_requests")
			}
			return nil
		}},
		{"stats.get_statistics", []any{"rcv_requests"}, func(r json.RawMessage) error {
			var lines []string
			if err := json.Unmarshal(r, &lines); err != nil {
				return err
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "core:rcv_requests = ") {
				return fmt.Errorf("want one core:rcv_requests line")
			}
			return nil
		}},
	}
	for _, srv := range []struct{ name, url string }{{"kamailio", "http://" + k.addr + "/RPC"}, {"olelo", "http://" + o.addr + "/RPC"}} {
		for _, c := range calls {
			res, err := rpc.Call(context.Background(), srv.url, c.method, c.params...)
			if err != nil {
				t.Errorf("%s %s: %v", srv.name, c.method, err)
				continue
			}
			if err := c.check(res); err != nil {
				t.Errorf("%s %s = %s: %v", srv.name, c.method, res, err)
			}
		}
		_, err := rpc.Call(context.Background(), srv.url, "no.such_method")
		var re *module.RPCError
		if !errors.As(err, &re) || re.Code != 500 || re.Message != "Method Not Found" {
			t.Errorf("%s unknown method: %v, want 500 Method Not Found", srv.name, err)
		}
	}
}
