package e2e

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// baresip is one running baresip user agent, driven through its ctrl_tcp
// module (netstring-framed JSON commands and events).
type baresip struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  *syncBuffer
	ctrl net.Conn

	mu     sync.Mutex
	events []map[string]any
	notify chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freePortPair returns a port p such that p and p+1 are free on loopback
// for UDP and TCP (baresip also binds SIP over TLS on p+1).
func freePortPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freePort(t)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no free port pair")
	return 0
}

// startBaresip runs baresip with one account line (user@domain and
// parameters) in its own config dir: SIP on a free loopback port, G.711,
// audio from a silent WAV file, SIP trace in its log.
func startBaresip(t *testing.T, name, account string) *baresip {
	t.Helper()
	bin := lookPath(t, "baresip", "baresip")
	dir := t.TempDir()
	wav := filepath.Join(dir, "silence.wav")
	writeSilence(t, wav, 60)
	sipPort, ctrlPort := freePortPair(t), freePort(t)
	cfg := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%d
audio_source aufile,%s
audio_player aufile,/dev/null
audio_alert aufile,/dev/null
rtp_ports %d-%d
`, sipPort, ctrlPort, wav, 40000+(sipPort%1000)*20, 40000+(sipPort%1000)*20+18)
	must(t, os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(account+"\n"), 0o644))
	b := &baresip{t: t, name: name, log: &syncBuffer{}, notify: make(chan struct{}, 1)}
	b.cmd = exec.Command(bin, "-f", dir, "-s")
	b.cmd.Stdout, b.cmd.Stderr = b.log, b.log
	must(t, b.cmd.Start())
	t.Cleanup(func() {
		b.cmd.Process.Kill()
		b.cmd.Wait()
		if t.Failed() {
			t.Logf("baresip %s log:\n%s", name, lastLines(b.log.String(), 80))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ctrlPort))
		if err == nil {
			b.ctrl = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip %s: control port not open: %v\n%s", name, err, b.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	go b.readEvents()
	return b
}

// writeSilence writes a WAV file of secs seconds of 8 kHz mono silence.
func writeSilence(t *testing.T, path string, secs int) {
	t.Helper()
	n := 8000 * 2 * secs
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+n))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], 16000)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(n))
	must(t, os.WriteFile(path, append(h, make([]byte, n)...), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readEvents collects the events baresip sends (netstrings: LEN:JSON,).
func (b *baresip) readEvents() {
	r := bufio.NewReader(b.ctrl)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var ev map[string]any
		if json.Unmarshal(buf[:n], &ev) != nil || ev["event"] != true {
			continue
		}
		b.mu.Lock()
		b.events = append(b.events, ev)
		b.mu.Unlock()
		select {
		case b.notify <- struct{}{}:
		default:
		}
	}
}

// command sends a ctrl_tcp command ("dial", "hangup" ...).
func (b *baresip) command(cmd, params string) {
	b.t.Helper()
	m, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	if _, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(m), m); err != nil {
		b.t.Fatalf("baresip %s: %s: %v", b.name, cmd, err)
	}
}

// waitEvent waits for an event of type typ and returns it.
func (b *baresip) waitEvent(typ string, timeout time.Duration) map[string]any {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b.mu.Lock()
		for _, ev := range b.events {
			if ev["type"] == typ {
				b.mu.Unlock()
				return ev
			}
		}
		b.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			b.t.Fatalf("baresip %s: no %s event within %v; events: %v", b.name, typ, timeout, b.eventTypes())
		}
		select {
		case <-b.notify:
		case <-time.After(min(left, 100*time.Millisecond)):
		}
	}
}

// waitLog waits until baresip's output contains s.
func (b *baresip) waitLog(s string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(b.log.String(), s) {
		if time.Now().After(deadline) {
			b.t.Fatalf("baresip %s: no %q in its log within %v", b.name, s, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *baresip) eventTypes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, ev := range b.events {
		out = append(out, fmt.Sprint(ev["type"]))
	}
	return out
}

// TestBaresipCallThroughDefaultConfig is the quick start, end to end:
// olelo with its built-in configuration, two users added with olelo ctl,
// two baresip phones register with their passwords, alice calls bob,
// bob answers, alice hangs up. A third phone with a wrong password never
// registers.
func TestBaresipCallThroughDefaultConfig(t *testing.T) {
	lookPath(t, "baresip", "baresip")
	s := startOlelo(t)
	mustOlelo(t, "ctl", "--db", s.dbURL, "add", "alice", "correct-horse-1")
	mustOlelo(t, "ctl", "--db", s.dbURL, "add", "bob", "battery-staple-2")
	mustOlelo(t, "ctl", "--db", s.dbURL, "add", "carol", "the-real-password")

	proxy := fmt.Sprintf(";outbound=\"sip:%s\";regint=60", s.addr)
	alice := startBaresip(t, "alice", "<sip:alice@localhost>;auth_pass=correct-horse-1"+proxy)
	bob := startBaresip(t, "bob", "<sip:bob@localhost>;auth_pass=battery-staple-2;answermode=auto"+proxy)
	carol := startBaresip(t, "carol", "<sip:carol@localhost>;auth_pass=a-wrong-guess"+proxy)

	// Phones register as they start, before the control connection is
	// up, so their registration is read from their logs.
	alice.waitLog("alice@localhost: {0/UDP/v4} 200 OK", 10*time.Second)
	bob.waitLog("bob@localhost: {0/UDP/v4} 200 OK", 10*time.Second)
	carol.waitLog("reg: sip:carol@localhost: 401 Unauthorized", 10*time.Second)
	if strings.Contains(carol.log.String(), "carol@localhost: {0/UDP/v4} 200 OK") {
		t.Fatal("carol registered with a wrong password")
	}

	alice.command("dial", "sip:bob@localhost")
	alice.waitEvent("CALL_ESTABLISHED", 10*time.Second)
	bob.waitEvent("CALL_ESTABLISHED", 10*time.Second)
	alice.command("hangup", "")
	bob.waitEvent("CALL_CLOSED", 10*time.Second)
	alice.waitEvent("CALL_CLOSED", 10*time.Second)

	// The ladder, from the phones' SIP traces: alice's INVITE was
	// challenged (407) and then answered (200); bob's INVITE came through
	// olelo with olelo's Record-Route, and so did the BYE.
	aliceLog, bobLog := alice.log.String(), bob.log.String()
	for _, want := range []string{"SIP/2.0 401 Unauthorized", "SIP/2.0 407 Proxy Authentication Required", "SIP/2.0 180", "SIP/2.0 200 OK"} {
		if !strings.Contains(aliceLog, want) {
			t.Errorf("alice's trace has no %q", want)
		}
	}
	rr := "Record-Route: <sip:" + s.addr
	for _, want := range []string{"INVITE sip:bob-", rr, "BYE sip:bob-"} {
		if !strings.Contains(bobLog, want) {
			t.Errorf("bob's trace has no %q", want)
		}
	}
	if s.exited() {
		t.Fatalf("olelo exited:\n%s", s.log())
	}
}
