package e2e

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tortureDir is the RFC 4475 / RFC 5118 corpus kept with the sip package.
var tortureDir = filepath.Join("..", "..", "sip", "testdata", "torture")

type tortureCase struct{ file, class string }

func tortureCases(t *testing.T) []tortureCase {
	var out []tortureCase
	for _, m := range []struct{ dir, manifest string }{{"rfc4475", "manifest-rfc4475.tsv"}, {"rfc5118", "manifest-rfc5118.tsv"}} {
		f, err := os.Open(filepath.Join(tortureDir, m.manifest))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
				cols := strings.Split(l, "\t")
				out = append(out, tortureCase{file: filepath.Join(m.dir, cols[0]), class: cols[2]})
			}
		}
		f.Close()
	}
	return out
}

// readTorture returns the message bytes; for fix-cl files the printed
// Content-Length (counting LF line ends) is corrected as a sender would.
func readTorture(t *testing.T, c tortureCase) []byte {
	b, err := os.ReadFile(filepath.Join(tortureDir, c.file))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.class, "fix-cl") {
		return b
	}
	i := bytes.Index(b, []byte("\r\n\r\n"))
	lines := bytes.Split(b[:i], []byte("\r\n"))
	for k, l := range lines {
		if bytes.HasPrefix(bytes.ToLower(l), []byte("content-length:")) {
			lines[k] = []byte("Content-Length: " + strconv.Itoa(len(b)-i-4))
		}
	}
	return append(append(bytes.Join(lines, []byte("\r\n")), "\r\n\r\n"...), b[i+4:]...)
}

// TestTortureOverTheWire sends every RFC 4475 / 5118 message to the real
// binary over UDP and over TCP. After each one olelo must still be alive
// and answer a valid OPTIONS; an invalid request must get a 4xx/5xx or no
// answer at all, never a 2xx.
func TestTortureOverTheWire(t *testing.T) {
	s := startOlelo(t)
	for _, c := range tortureCases(t) {
		msg := readTorture(t, c)
		invalid := c.class == "invalid"
		for _, proto := range []string{"udp", "tcp"} {
			conn, err := net.Dial(proto, s.addr)
			if err != nil {
				t.Fatal(err)
			}
			status, err := exchange(conn, msg, 400*time.Millisecond)
			conn.Close()
			if err == nil {
				t.Logf("%s over %s (%s): %s", c.file, proto, c.class, status)
				if invalid && !strings.HasPrefix(status, "SIP/2.0 4") && !strings.HasPrefix(status, "SIP/2.0 5") {
					t.Errorf("%s over %s: invalid request answered %q", c.file, proto, status)
				}
			} else {
				t.Logf("%s over %s (%s): no answer", c.file, proto, c.class)
				// Over TCP the reply would come back on the connection,
				// so a refused request that can be answered must be.
				if proto == "tcp" && invalid && strings.HasSuffix(c.file, "badvers.dat") {
					t.Errorf("%s over tcp: no 505 received", c.file)
				}
			}
			if s.exited() {
				t.Fatalf("olelo died after %s over %s; log:\n%s", c.file, proto, s.log())
			}
			if st, err := s.options(proto, 2*time.Second); err != nil || !strings.HasPrefix(st, "SIP/2.0 200") {
				t.Fatalf("after %s over %s, OPTIONS got %q, %v", c.file, proto, st, err)
			}
		}
	}
}

// TestTortureTCPReplies checks the exact answers over TCP, where every
// reply returns on the connection whatever the Via says.
func TestTortureTCPReplies(t *testing.T) {
	s := startOlelo(t)
	want := map[string]string{
		"rfc4475/badvers.dat":    "SIP/2.0 505",
		"rfc4475/mismatch01.dat": "SIP/2.0 400",
		"rfc4475/scalar02.dat":   "SIP/2.0 400",
		"rfc4475/unkscm.dat":     "SIP/2.0 416",
		"rfc4475/novelsc.dat":    "SIP/2.0 416",
		"rfc4475/multi01.dat":    "SIP/2.0 400",
		"rfc4475/escruri.dat":    "SIP/2.0 400",
		"rfc4475/baddate.dat":    "SIP/2.0 400",
		"rfc4475/cparam01.dat":   "SIP/2.0 401", // valid REGISTER: the built-in config asks for credentials
		"rfc4475/zeromf.dat":     "SIP/2.0 483", // Max-Forwards 0: REQINIT refuses it
	}
	for _, c := range tortureCases(t) {
		prefix, ok := want[c.file]
		if !ok {
			continue
		}
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		status, err := exchange(conn, readTorture(t, c), 2*time.Second)
		conn.Close()
		if err != nil || !strings.HasPrefix(status, prefix) {
			t.Errorf("%s over tcp: got %q (%v), want %s", c.file, status, err, prefix)
		}
	}
}
