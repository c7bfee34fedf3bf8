package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadOnSIGHUP: SIGHUP compiles the config again and swaps it in; a
// config that does not compile leaves the running one in place.
func TestReloadOnSIGHUP(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "reload.cfg")
	write := func(body string) {
		if err := os.WriteFile(cfg, []byte("loadmodule \"sl.so\"\nrequest_route {\n"+body+"\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`sl_send_reply("480", "First Config");`)
	s := startOlelo(t, "-f", cfg)
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 480}, 3, "u1")

	write(`sl_send_reply("486", "Second Config");`)
	hupAndWait(t, s, "config reloaded", 1)
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 486}, 3, "u1")

	write(`sl_send_reply("404" "missing comma");`)
	hupAndWait(t, s, "config reload failed", 1)
	if !strings.Contains(s.log(), cfg+":3:") {
		t.Errorf("reload error does not name %s:3:col:\n%s", cfg, lastLines(s.log(), 10))
	}
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 486}, 3, "u1")
}

// hupAndWait sends SIGHUP and waits until the log has want n times.
func hupAndWait(t *testing.T, s *server, want string, n int) {
	t.Helper()
	before := strings.Count(s.log(), want)
	s.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.log(), want) < before+n {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log 10s after SIGHUP:\n%s", want, lastLines(s.log(), 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
