package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
)

func startServer(t *testing.T, cfg ListenConfig) *Server {
	t.Helper()
	s, err := Listen(cfg, testDispatcher(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s
}

// TestUnixSocket: the socket is 0600, answers several requests on one
// connection (one JSON text each, answers newline-terminated), is
// removed by Close, and a second server on the same path is refused.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	s := startServer(t, ListenConfig{Addr: "unix:" + path})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	if _, err := Listen(ListenConfig{Addr: "unix:" + path}, testDispatcher(t)); !errors.Is(err, ErrInUse) {
		t.Errorf("second Listen on a live socket: %v, want ErrInUse", err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Two requests in one write, the second split from its answer by
	// nothing but JSON's own framing.
	c.Write([]byte(`{"jsonrpc":"2.0","method":"test.int","params":[1],"id":1}{"jsonrpc":"2.0","method":"test.int","params":[2],"id":2}` + "\n"))
	r := bufio.NewReader(c)
	for _, want := range []string{`{"jsonrpc":"2.0","result":2,"id":1}`, `{"jsonrpc":"2.0","result":3,"id":2}`} {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(line) != want {
			t.Errorf("answer %q, want %q", line, want)
		}
	}
	got, err := Call(context.Background(), s.Addr(), "test.echo", "x", 5)
	if err != nil || string(got) != `["x",5]` {
		t.Errorf("Call = %s, %v", got, err)
	}
	_, err = Call(context.Background(), s.Addr(), "test.fail")
	var re *module.RPCError
	if !errors.As(err, &re) || re.Code != 404 {
		t.Errorf("Call test.fail: %v, want *module.RPCError 404", err)
	}
}

// TestStaleSocketReplaced: a socket file nobody listens on is replaced.
func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	s := startServer(t, ListenConfig{Addr: "unix:" + path})
	if _, err := Call(context.Background(), s.Addr(), "core.version"); err != nil {
		t.Errorf("core.version on the replaced socket: %v", err)
	}
}

// TestOversizedRequest: a request over MaxRequestSize gets an error and
// the connection is closed.
func TestOversizedRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	startServer(t, ListenConfig{Addr: "unix:" + path})
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		c.Write([]byte(`{"jsonrpc":"2.0","method":"test.echo","params":["`))
		c.Write([]byte(strings.Repeat("x", MaxRequestSize+10)))
	}()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var resp response
	if err := json.Unmarshal([]byte(line), &resp); err != nil || resp.Error == nil || resp.Error.Code != CodeInvalidRequest {
		t.Errorf("answer to an oversized request: %s (%v)", line, err)
	}
}

// TestHTTPToken: HTTP on loopback works without a token; with one, a
// request without it or with a wrong one is 401; a non-loopback address
// without a token is refused at Listen.
func TestHTTPToken(t *testing.T) {
	open := startServer(t, ListenConfig{Addr: "tcp:127.0.0.1:0"})
	if got, err := (Client{Addr: open.Addr()}).Call(context.Background(), "test.int", 41); err != nil || string(got) != "42" {
		t.Errorf("loopback without token: %s, %v", got, err)
	}
	locked := startServer(t, ListenConfig{Addr: "http://127.0.0.1:0", Token: "s3cret"})
	for _, tc := range []struct {
		token string
		ok    bool
	}{{"", false}, {"wrong", false}, {"s3cret", true}} {
		_, err := (Client{Addr: locked.Addr(), Token: tc.token}).Call(context.Background(), "core.version")
		if (err == nil) != tc.ok {
			t.Errorf("token %q: err %v, want ok=%v", tc.token, err, tc.ok)
		}
	}
	resp, err := http.Get(locked.Addr())
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET without token: %s, want 401", resp.Status)
		}
	}
	for _, addr := range []string{"tcp:0.0.0.0:0", "http://[::]:0"} {
		if _, err := Listen(ListenConfig{Addr: addr}, testDispatcher(t)); err == nil || !strings.Contains(err.Error(), "token") {
			t.Errorf("Listen %s without a token: %v, want a refusal naming the token", addr, err)
		}
	}
}

// TestParseAddr covers the address forms.
func TestParseAddr(t *testing.T) {
	tests := []struct {
		in       string
		want     string
		loopback bool
		bad      bool
	}{
		{in: "unix:/run/olelo/olelo_ctl", want: "unix:/run/olelo/olelo_ctl", loopback: true},
		{in: "unix:///tmp/x", want: "unix:/tmp/x", loopback: true},
		{in: "/tmp/ctl", want: "unix:/tmp/ctl", loopback: true},
		{in: "tcp:127.0.0.1:2049", want: "http://127.0.0.1:2049/RPC", loopback: true},
		{in: "tcp:localhost:2049", want: "http://localhost:2049/RPC", loopback: true},
		{in: "http://[::1]:80/rpc", want: "http://[::1]:80/rpc", loopback: true},
		{in: "http://10.0.0.1:2049", want: "http://10.0.0.1:2049/RPC"},
		{in: "udp:127.0.0.1:2046", bad: true},
		{in: "tcp:2049", bad: true},
		{in: "unix:", bad: true},
		{in: "olelo_ctl", bad: true},
	}
	for _, tc := range tests {
		a, err := ParseAddr(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseAddr(%q) = %v, want an error", tc.in, a)
			}
			continue
		}
		if err != nil || a.String() != tc.want || a.Loopback() != tc.loopback {
			t.Errorf("ParseAddr(%q) = %v (loopback %v), %v; want %s (loopback %v)", tc.in, a, a.Loopback(), err, tc.want, tc.loopback)
		}
	}
}
