package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/db/dbtest"
)

// oleloBin is the binary under test, built once by TestMain.
var oleloBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "olelo-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	oleloBin = filepath.Join(dir, "olelo")
	build := exec.Command("go", "build", "-race", "-o", oleloBin, "github.com/olelo-sip/olelo/cmd/olelo")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building olelo:", err)
		os.Exit(1)
	}
	code := m.Run()
	// The MariaDB and PostgreSQL servers some tests started (one each,
	// shared) stop with the test binary.
	dbtest.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback port free for both UDP and TCP at the time
// of the call.
func freePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port found")
	return 0
}

// freeMediaPort returns a loopback UDP port p with p+2 free as well: SIPp
// binds its audio and video echo sockets there (-mp), even in scenarios
// without media, and a busy port makes it fail.
func freeMediaPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		a, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		b, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+2))
		a.Close()
		if err == nil {
			b.Close()
			return p
		}
	}
	t.Fatal("no free media port pair found")
	return 0
}

// withMediaPort adds -mp with a free port pair to a SIPp command line that
// has none.
func withMediaPort(t testing.TB, prog string, args []string) []string {
	if filepath.Base(prog) != "sipp" || slices.Contains(args, "-mp") {
		return args
	}
	return append(args, "-mp", fmt.Sprint(freeMediaPort(t)))
}

// server is a running olelo process.
type server struct {
	t      testing.TB
	cmd    *exec.Cmd
	port   int
	addr   string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	// dbURL is the database of the built-in configuration (started
	// without -f).
	dbURL string
}

// startOlelo starts olelo listening on UDP and TCP at a free loopback
// port, with extra arguments, and waits until it has started. Without
// -f it runs the built-in configuration with a database in a temp dir.
func startOlelo(t testing.TB, args ...string) *server {
	t.Helper()
	port := freePort(t)
	s := &server{t: t, port: port, addr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan struct{})}
	all := append([]string{"-E", "-l", "udp:" + s.addr, "-l", "tcp:" + s.addr}, args...)
	if !slices.Contains(args, "-f") {
		// The built-in configuration listens on SIP_ADDR:SIP_PORT (UDP
		// and TCP) and keeps its data in DBURL.
		s.dbURL = "sqlite://" + filepath.Join(t.TempDir(), "olelo.db")
		all = append([]string{"-E", "-A", fmt.Sprintf("SIP_PORT=%d", port), "-A", fmt.Sprintf("DBURL=%q", s.dbURL)}, args...)
	}
	s.cmd = exec.Command(oleloBin, all...)
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() {
		s.cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(s.stop)
	// Ready when the server says so (all sockets are bound by then); a
	// probe request would go through the config under test.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.log(), "olelo started") {
		if time.Now().After(deadline) || s.exited() {
			t.Fatalf("olelo did not start within 10s; log:\n%s", s.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and checks a clean exit without a panic or a race.
func (s *server) stop() {
	if s.exited() {
		s.t.Errorf("olelo exited early: %v; log:\n%s", s.cmd.ProcessState, s.log())
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("olelo did not stop within 10s of SIGTERM; log:\n%s", s.log())
		return
	}
	log := s.log()
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Errorf("olelo exit code %d; log:\n%s", code, log)
	}
	for _, bad := range []string{"panic:", "DATA RACE", "fatal error:"} {
		if strings.Contains(log, bad) {
			s.t.Errorf("olelo log contains %q:\n%s", bad, log)
		}
	}
}

var seq int

// options sends an OPTIONS over proto ("udp" or "tcp") and returns the
// status line of the answer.
func (s *server) options(proto string, timeout time.Duration) (string, error) {
	seq++
	conn, err := net.DialTimeout(proto, s.addr, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	// The built-in configuration answers OPTIONS to itself without a user
	// (a keepalive); one for a user would need credentials.
	ruri := "sip:ping@" + s.addr
	if s.dbURL != "" {
		ruri = "sip:" + s.addr
	}
	msg := fmt.Sprintf("OPTIONS %s SIP/2.0\r\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK-e2e-%d;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:e2e@127.0.0.1>;tag=e2e%d\r\nTo: <sip:ping@%s>\r\n"+
		"Call-ID: e2e-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		ruri, strings.ToUpper(proto), local, seq, seq, s.addr, seq)
	return exchange(conn, []byte(msg), timeout)
}

// exchange writes msg and returns the status line of the first reply.
func exchange(conn net.Conn, msg []byte, timeout time.Duration) (string, error) {
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(msg); err != nil {
		return "", err
	}
	buf := make([]byte, 65536)
	n, err := conn.Read(buf)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line, nil
}

// writeFile writes text (a config, a SIPp scenario ...) to a file named
// name in a temporary folder and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lookPath skips the test when a peer program is not installed.
func lookPath(t testing.TB, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Skipf("%s not installed (Debian package %s; .ci/run installs it)", prog, pkg)
	}
	return p
}

// runPeer runs a peer program with a time limit and returns its output.
func runPeer(t testing.TB, timeout time.Duration, prog string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, withMediaPort(t, prog, args)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startPeer starts a peer program in the background for the rest of the
// test; it is killed at cleanup.
func startPeer(t testing.TB, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(prog, withMediaPort(t, prog, args)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}
