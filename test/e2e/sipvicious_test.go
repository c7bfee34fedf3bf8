package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSvcrackFindsNothing runs sipvicious' password cracker against the
// built-in configuration: a dictionary of common passwords (and the
// cracker's nonce-reuse mode, which a replay-protected server must
// refuse) does not find alice's strong password, and olelo keeps
// answering afterwards.
func TestSvcrackFindsNothing(t *testing.T) {
	bin := lookPath(t, "svcrack", "sipvicious")
	s := startOlelo(t)
	mustOlelo(t, "ctl", "--db", s.dbURL, "add", "alice", "Tr0ub4dor&3-correct-horse")

	var words []string
	for _, w := range []string{"alice", "password", "123456", "secret", "admin", "1234", "letmein", "qwerty", "alice123", "olelo"} {
		words = append(words, w)
	}
	for i := range 190 {
		words = append(words, fmt.Sprintf("pass%03d", i))
	}
	dict := filepath.Join(t.TempDir(), "words.txt")
	must(t, os.WriteFile(dict, []byte(strings.Join(words, "\n")+"\n"), 0o644))

	for _, mode := range [][]string{nil, {"-n"}} {
		args := append([]string{"-u", "alice", "-d", dict, "-b", "127.0.0.1", "-p", fmt.Sprint(s.port), "--maximumtime=10", "-t", "0.05"}, mode...)
		args = append(args, "127.0.0.1")
		out, err := runPeer(t, 90*time.Second, bin, args...)
		t.Logf("svcrack %v:\n%s", mode, lastLines(out, 15))
		if err != nil && !strings.Contains(out, "could not be cracked") && !strings.Contains(out, "Found nothing") {
			// svcrack exits non-zero when it finds nothing on some
			// versions; only a found password is a failure below.
			t.Logf("svcrack exit: %v", err)
		}
		if strings.Contains(out, "| Password") && strings.Contains(out, "Tr0ub4dor") {
			t.Fatalf("svcrack found the password:\n%s", out)
		}
		for _, w := range words {
			if strings.Contains(out, "| "+w+" ") {
				t.Fatalf("svcrack reports a password %q:\n%s", w, out)
			}
		}
		if s.exited() {
			t.Fatalf("olelo exited during svcrack:\n%s", s.log())
		}
		if st, err := s.options("udp", 2*time.Second); err != nil || !strings.HasPrefix(st, "SIP/2.0 200") {
			t.Fatalf("after svcrack, OPTIONS got %q, %v", st, err)
		}
	}
}
