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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The call-flow suite: the same configuration file and the same SIPp
// scenarios (testdata/callflow, caller and callee sides) run through
// Kamailio and through olelo; each flow checks the sequence of replies
// the caller sees. Running a flow against Kamailio validates the
// scenarios and the expected sequence; running it against olelo checks
// olelo behaves the same.

// serverKind names the SIP server under test.
type serverKind string

const (
	kamailioServer serverKind = "kamailio"
	oleloServer    serverKind = "olelo"
)

// sut is a running server under test.
type sut struct {
	kind serverKind
	addr string        // 127.0.0.1:port, UDP and TCP
	log  func() string // what it logged so far
}

// uasPeer is one SIPp callee: a scenario of testdata/callflow, its
// transport ("u1" or "t1"), and the define that points the config at it:
// -A Define="sip:127.0.0.1:PORT[;transport=tcp]".
type uasPeer struct {
	Scenario  string
	Transport string
	Define    string
	// Calls is how many calls it takes before it exits (default 1).
	Calls int
	// PortOnly makes the define's value the bare port number.
	PortOnly bool
	// Sees are texts the callee's message trace must contain.
	Sees []string
}

// callFlow is one caller scenario against some callees.
type callFlow struct {
	Name      string
	UAC       string // scenario in testdata/callflow, an absolute path, or "sn:uac" (SIPp's built-in)
	Service   string // Request-URI user (selects the routing in the config)
	Transport string // caller's transport, "u1" (default) or "t1"
	UAS       []uasPeer
	PadBytes  int   // grow the INVITE to about this size with a padding header
	Calls     int   // calls the caller makes one after the other (default 1)
	Want      []int // replies the caller sees, retransmissions folded
	// Register makes every callee register itself (user Service, its
	// address as Contact) before the call, for configs with a registrar.
	Register bool
	// LogHas are texts the server's log must contain after the call.
	LogHas []string
	// CallerTrace are texts the caller's message trace must contain.
	CallerTrace []string
}

// startKamailio starts Debian's Kamailio on cfg with the defines
// (NAME or NAME=VALUE), listening on UDP and TCP at a free loopback port,
// with every file it writes in a temporary folder. It skips the test when
// kamailio is not installed, and stops it at cleanup.
func startKamailio(t *testing.T, cfg string, defines ...string) *sut {
	t.Helper()
	s, err := startKamailioErr(t, cfg, defines...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startKamailioErr is startKamailio returning an error when Kamailio
// does not start (a config it refuses).
func startKamailioErr(t *testing.T, cfg string, defines ...string) (*sut, error) {
	t.Helper()
	bin := lookPath(t, "kamailio", "kamailio")
	cfg, _ = filepath.Abs(cfg)
	dir := t.TempDir()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"-f", cfg, "-DD", "-E", "-n", "1", "-m", "32", "-M", "8",
		"-w", dir, "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"),
		"-l", "udp:" + addr, "-l", "tcp:" + addr}
	for _, d := range defines {
		args = append(args, "-A", d)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var mu sync.Mutex
	var out bytes.Buffer
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	go func() { cmd.Wait(); pw.Close(); close(done) }()
	logf := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	t.Cleanup(func() {
		// Kamailio's processes share the group of the one we started.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return nil, fmt.Errorf("kamailio exited at start-up:\n%s", lastLines(logf(), 30))
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("kamailio did not listen on %s within 10s:\n%s", addr, lastLines(logf(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The TCP socket is up once the workers run; give UDP workers a moment.
	time.Sleep(200 * time.Millisecond)
	return &sut{kind: kamailioServer, addr: addr, log: logf}, nil
}

var unknownFuncRe = regexp.MustCompile(`unknown function "([^"]+)"|module "([^"]+)" is not built into olelo`)

// oleloLacks runs `olelo check` on cfg and returns the functions and
// modules it reports as missing.
func oleloLacks(t *testing.T, cfg string, defines ...string) []string {
	t.Helper()
	args := []string{"check", "-f", cfg}
	for _, d := range defines {
		args = append(args, "-A", d)
	}
	out, _ := exec.Command(oleloBin, args...).CombinedOutput()
	var missing []string
	for _, m := range unknownFuncRe.FindAllStringSubmatch(string(out), -1) {
		name := m[1]
		if name == "" {
			name = "module " + m[2]
		}
		if !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	return missing
}

// skipIfOleloLacks skips the test while `olelo check` reports functions
// or modules of cfg as missing.
func skipIfOleloLacks(t *testing.T, cfg string, defines ...string) {
	t.Helper()
	missing := oleloLacks(t, cfg, defines...)
	if len(missing) == 0 {
		return
	}
	if slices.Contains(missing, "t_relay") {
		t.Skipf("olelo has no tm yet: run when modules/tm lands (olelo check on %s: missing %s)", filepath.Base(cfg), strings.Join(missing, ", "))
	}
	t.Skipf("olelo lacks what %s uses: %s", filepath.Base(cfg), strings.Join(missing, ", "))
}

// startServer starts kind on cfg with the defines. For olelo it skips
// the test while `olelo check` reports functions or modules of the
// config as missing (tm's t_relay until modules/tm lands).
func startServer(t *testing.T, kind serverKind, cfg string, defines ...string) *sut {
	t.Helper()
	if kind == kamailioServer {
		return startKamailio(t, cfg, defines...)
	}
	return startOleloSUT(t, cfg, defines...)
}

// startOleloSUT starts olelo on cfg, skipping the test while olelo lacks
// functions or modules the config uses.
func startOleloSUT(t *testing.T, cfg string, defines ...string) *sut {
	t.Helper()
	skipIfOleloLacks(t, cfg, defines...)
	var args []string
	args = append(args, "-f", cfg)
	for _, d := range defines {
		args = append(args, "-A", d)
	}
	s := startOlelo(t, args...)
	return &sut{kind: oleloServer, addr: s.addr, log: s.log}
}

// portBusy reports whether something is bound to port on loopback for
// the transport of a SIPp -t value.
func portBusy(port int, transport string) bool {
	a := fmt.Sprintf("127.0.0.1:%d", port)
	if transport == "t1" {
		l, err := net.Listen("tcp", a)
		if err != nil {
			return true
		}
		l.Close()
		return false
	}
	c, err := net.ListenPacket("udp", a)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// peerResult is how a background SIPp ended.
type peerResult struct {
	name string
	err  error
	out  string
	errs string
}

// padScenario writes a copy of the scenario at src with a header of
// padding added to its first message, so that the message is about size
// bytes, and returns its path.
func padScenario(t *testing.T, src string, size int) string {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	pad := "      X-Padding: " + strings.Repeat("p", size-800) + "\n"
	s := strings.Replace(string(b), "      Subject: olelo call-flow test\n", "      Subject: olelo call-flow test\n"+pad, 1)
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

var (
	receivedRe = regexp.MustCompile(`message received \[\d+\] bytes :\n\n`)
	statusRe   = regexp.MustCompile(`^SIP/2\.0 (\d{3}) `)
	cseqRe     = regexp.MustCompile(`(?mi)^(?:CSeq|C):\s*(.+)$`)
)

// callerReplies reads SIPp's message trace and returns the status codes
// of the replies received, in order; a reply repeated with the same code
// and CSeq (a retransmission) counts once.
func callerReplies(trace string) []int {
	var codes []int
	last := ""
	parts := receivedRe.Split(strings.ReplaceAll(trace, "\r", ""), -1)
	for _, p := range parts[1:] {
		m := statusRe.FindStringSubmatch(p)
		if m == nil {
			continue // a request
		}
		cs := ""
		if c := cseqRe.FindStringSubmatch(p); c != nil {
			cs = strings.TrimSpace(c[1])
		}
		if key := m[1] + " " + cs; key != last {
			last = key
			n, _ := strconv.Atoi(m[1])
			codes = append(codes, n)
		}
	}
	return codes
}

// runAgainst runs flow f through kind started on cfg: it starts the
// callees (each on a free port, passed to the config as its define), the
// server, then the caller, and returns the replies the caller saw. The
// test fails when a SIPp scenario fails on either side.
func runAgainst(t *testing.T, kind serverKind, cfg string, f callFlow, defines ...string) []int {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	if kind == kamailioServer {
		lookPath(t, "kamailio", "kamailio")
	}
	if kind == oleloServer {
		// Skip before starting peers when olelo cannot run the config.
		skipIfOleloLacks(t, cfg, defines...)
	}
	scen := func(name string) string {
		if filepath.IsAbs(name) || strings.HasPrefix(name, "sn:") {
			return name
		}
		p, _ := filepath.Abs(filepath.Join("testdata", "callflow", name))
		return p
	}
	// scenArgs are SIPp's arguments for a scenario: -sf FILE, or -sn NAME
	// for "sn:NAME" (SIPp's built-in uac and uas).
	scenArgs := func(name string) []string {
		if n, ok := strings.CutPrefix(name, "sn:"); ok {
			return []string{"-sn", n}
		}
		return []string{"-sf", scen(name)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	results := make(chan peerResult, len(f.UAS))
	type registration struct {
		port      int
		transport string
	}
	var registrations []registration
	defs := slices.Clone(defines)
	for i, u := range f.UAS {
		port := freePort(t)
		tr := u.Transport
		if tr == "" {
			tr = "u1"
		}
		uri := fmt.Sprintf("sip:127.0.0.1:%d", port)
		if tr == "t1" {
			uri += ";transport=tcp"
		}
		rt := "udp"
		if tr == "t1" {
			rt = "tcp"
		}
		registrations = append(registrations, registration{port, rt})
		switch {
		case u.Define == "":
			// Reached through the registrar (Register), not a define.
		case u.PortOnly:
			defs = append(defs, fmt.Sprintf("%s=%d", u.Define, port))
		default:
			defs = append(defs, fmt.Sprintf("%s=\"%s\"", u.Define, uri))
		}
		dir := t.TempDir()
		args := append(scenArgs(u.Scenario), "-i", "127.0.0.1", "-p", fmt.Sprint(port),
			"-t", tr, "-m", fmt.Sprint(max(u.Calls, 1)), "-nostdin", "-mp", fmt.Sprint(freeMediaPort(t)),
			"-trace_err", "-error_file", filepath.Join(dir, "err.log"),
			"-trace_msg", "-message_file", filepath.Join(dir, "msg.log"))
		cmd := exec.CommandContext(ctx, sipp, args...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("callee %d (%s on %s)", i+1, u.Scenario, uri)
		sees := u.Sees
		go func() {
			err := cmd.Wait()
			errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			msgs, _ := os.ReadFile(filepath.Join(dir, "msg.log"))
			for _, want := range sees {
				if err == nil && !strings.Contains(strings.ReplaceAll(string(msgs), "\r", ""), want) {
					err = fmt.Errorf("its messages lack %q", want)
				}
			}
			results <- peerResult{name: name, err: err, out: lastLines(out.String(), 15), errs: string(errs) + "\nmessages:\n" + lastLines(string(msgs), 60)}
		}()
		for deadline := time.Now().Add(15 * time.Second); !portBusy(port, tr); {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not bind its port", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	s := startServer(t, kind, cfg, defs...)
	service := f.Service
	if service == "" {
		service = "service"
	}

	if f.Register {
		for _, r := range registrations {
			rdir := t.TempDir()
			out, err := runPeer(t, 15*time.Second, sipp, append([]string{s.addr}, append(scenArgs("uac_register.xml"),
				"-s", service, "-key", "contact_port", fmt.Sprint(r.port), "-key", "contact_transport", r.transport,
				"-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", "1", "-nostdin",
				"-timeout", "10s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(rdir, "err.log"))...)...)
			if err != nil {
				errs, _ := os.ReadFile(filepath.Join(rdir, "err.log"))
				t.Fatalf("%s: REGISTER through %s failed: %v\n%s\n%s\n%s log:\n%s", f.Name, kind, err, lastLines(out, 10), errs, kind, lastLines(s.log(), 30))
			}
		}
	}
	uacArgs := scenArgs(f.UAC)
	if f.PadBytes > 0 {
		uacArgs = []string{"-sf", padScenario(t, scen(f.UAC), f.PadBytes)}
	}
	calls := f.Calls
	if calls == 0 {
		calls = 1
	}
	tr := f.Transport
	if tr == "" {
		tr = "u1"
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "msg.log")
	args := append([]string{s.addr}, uacArgs...)
	args = append(args, "-s", service, "-i", "127.0.0.1",
		"-p", fmt.Sprint(freePort(t)), "-mp", fmt.Sprint(freeMediaPort(t)), "-t", tr, "-m", fmt.Sprint(calls), "-r", "10", "-nostdin",
		"-timeout", "20s", "-timeout_error", "-max_recv_loops", "1000",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_msg", "-message_file", trace)
	out, err := runPeer(t, 30*time.Second, sipp, args...)
	msgs, _ := os.ReadFile(trace)
	if os.Getenv("CALLFLOW_TRACE") != "" {
		t.Logf("caller trace:\n%s", msgs)
	}
	codes := callerReplies(string(msgs))
	for _, want := range f.LogHas {
		if !strings.Contains(s.log(), want) {
			t.Errorf("%s: the %s log lacks %q:\n%s", f.Name, kind, want, lastLines(s.log(), 20))
		}
	}
	for _, want := range f.CallerTrace {
		if !strings.Contains(strings.ReplaceAll(string(msgs), "\r", ""), want) {
			t.Errorf("%s: the caller's messages through %s lack %q", f.Name, kind, want)
		}
	}
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Errorf("%s: caller %s through %s failed: %v\n%s\nsipp errors:\n%s\ncaller messages:\n%s\n%s log:\n%s",
			f.Name, f.UAC, kind, err, lastLines(out, 20), errs, lastLines(string(msgs), 80), kind, lastLines(s.log(), 40))
	}
	// Every callee must finish its scenario too.
	for range f.UAS {
		select {
		case r := <-results:
			if r.err != nil {
				t.Errorf("%s: %s through %s failed: %v\n%s\n%s", f.Name, r.name, kind, r.err, r.out, r.errs)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s: a callee did not finish within 15s of the caller through %s", f.Name, kind)
			cancel()
		}
	}
	return codes
}

// What the callee of a record-routed call must see, and what the caller
// must send: Record-Route in, a Route set (taken from the 200's
// Record-Route) on the ACK and BYE out.
var (
	rrIn     = "\nRecord-Route: <sip:127.0.0.1:"
	routeOut = "\nRoute: <sip:127.0.0.1:"
	doubleRR = ";transport=tcp;r2=on;lr;ftag="
	answer   = func(def string, sees ...string) uasPeer {
		return uasPeer{Scenario: "uas_answer.xml", Define: def, Sees: append([]string{rrIn}, sees...)}
	}
	cancelled = func(def string) uasPeer {
		return uasPeer{Scenario: "uas_cancelled.xml", Define: def, Sees: []string{"\nCANCEL sip:"}}
	}
)

// The flows of the issue-4 proof list, run with examples/proxy-callflows.cfg.
// Want is what Kamailio 5.6 gives (each 200 is for a different CSeq).
var callFlows = []callFlow{
	{Name: "record-routed call", UAC: "uac_call.xml", Service: "bob",
		UAS: []uasPeer{answer("NEXT_HOP")}, Want: []int{100, 180, 200, 200}, CallerTrace: []string{routeOut}},
	{Name: "re-INVITE in dialog", UAC: "uac_reinvite.xml", Service: "bob",
		UAS:  []uasPeer{{Scenario: "uas_reinvite.xml", Define: "NEXT_HOP", Sees: []string{rrIn, "CSeq: 2 INVITE"}}},
		Want: []int{100, 180, 200, 100, 200, 200}, CallerTrace: []string{routeOut}},
	{Name: "CANCEL before answer", UAC: "uac_cancel.xml", Service: "bob",
		UAS: []uasPeer{cancelled("NEXT_HOP")}, Want: []int{100, 180, 200, 487}},
	{Name: "busy then next destination", UAC: "uac_call.xml", Service: "bob",
		UAS:  []uasPeer{{Scenario: "uas_busy.xml", Define: "NEXT_HOP"}, answer("NEXT_HOP2")},
		Want: []int{100, 180, 200, 200}, CallerTrace: []string{routeOut}},
	{Name: "no answer gives 408", UAC: "uac_timeout.xml", Service: "bob",
		UAS: []uasPeer{cancelled("NEXT_HOP")}, Want: []int{100, 180, 408}},
	{Name: "serial forking to three", UAC: "uac_call.xml", Service: "bob",
		UAS:  []uasPeer{{Scenario: "uas_busy.xml", Define: "NEXT_HOP"}, {Scenario: "uas_unavailable.xml", Define: "NEXT_HOP2"}, answer("NEXT_HOP3")},
		Want: []int{100, 180, 200, 200}, CallerTrace: []string{routeOut}},
	{Name: "parallel forking", UAC: "uac_call.xml", Service: "parallel",
		UAS:  []uasPeer{answer("NEXT_HOP"), cancelled("NEXT_HOP2")},
		Want: []int{100, 180, 200, 200}, CallerTrace: []string{routeOut}},
	{Name: "UDP caller, TCP callee", UAC: "uac_call.xml", Service: "bob",
		UAS:  []uasPeer{{Scenario: "uas_answer.xml", Transport: "t1", Define: "NEXT_HOP", Sees: []string{doubleRR, ";r2=on;lr;ftag="}}},
		Want: []int{100, 180, 200, 200}, CallerTrace: []string{routeOut}},
	{Name: "callee hangs up", UAC: "uac_hangup.xml", Service: "bob",
		UAS: []uasPeer{{Scenario: "uas_hangup.xml", Define: "NEXT_HOP", Sees: []string{rrIn, routeOut}}}, Want: []int{100, 180, 200},
		LogHas: []string{"the callee ends the call"}},
	{Name: "TCP callee hangs up", UAC: "uac_hangup.xml", Service: "bob",
		UAS: []uasPeer{{Scenario: "uas_hangup.xml", Transport: "t1", Define: "NEXT_HOP", Sees: []string{doubleRR, routeOut}}}, Want: []int{100, 180, 200},
		LogHas: []string{"the callee ends the call"}},
	{Name: "3 KB INVITE over TCP", UAC: "uac_call.xml", Service: "bob", Transport: "t1", PadBytes: 3072,
		UAS:  []uasPeer{answer("NEXT_HOP", "X-Padding: pppp", doubleRR)},
		Want: []int{100, 180, 200, 200}, CallerTrace: []string{routeOut}},
}

func testCallFlows(t *testing.T, kind serverKind) {
	cfg := example("proxy-callflows.cfg")
	if c := os.Getenv("CALLFLOW_CFG"); c != "" {
		cfg = c // try a variant of the config by hand
	}
	for _, f := range callFlows {
		t.Run(strings.ReplaceAll(f.Name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			got := runAgainst(t, kind, cfg, f)
			if !slices.Equal(got, f.Want) {
				t.Errorf("%s through %s: caller saw %v, want %v", f.Name, kind, got, f.Want)
			}
		})
	}
}

// TestCallFlowsKamailio validates the scenarios and the expected reply
// sequences against Kamailio 5.6.
func TestCallFlowsKamailio(t *testing.T) { testCallFlows(t, kamailioServer) }

// TestCallFlowsOlelo runs the same flows through olelo.
func TestCallFlowsOlelo(t *testing.T) { testCallFlows(t, oleloServer) }

// The Kamailio 101 configs of parts 5 and 6 (examples/): callees register,
// then get called through the registrar's lookup (modules/registrar and
// modules/usrloc), on both servers.
func testKamailio101Parts56(t *testing.T, kind serverKind) {
	registered := func(scenario string, sees ...string) []uasPeer {
		return []uasPeer{{Scenario: scenario, Sees: sees}}
	}
	cases := []struct {
		cfg  string
		flow callFlow
	}{
		{"kamailio101-part5.cfg", callFlow{Name: "unregistered user", UAC: uacFile(t, uac{Method: "INVITE", Expect: 404, User: "carol"}), Service: "carol", Want: []int{404}}},
		{"kamailio101-part6.cfg", callFlow{Name: "unregistered user", UAC: uacFile(t, uac{Method: "INVITE", Expect: 404, User: "carol"}), Service: "carol", Want: []int{404}}},
		{"kamailio101-part6.cfg", callFlow{Name: "registered callee answers", UAC: "uac_call.xml", Service: "bob", Register: true,
			UAS: registered("uas_answer.xml", rrIn), Want: []int{100, 180, 200, 200}, CallerTrace: []string{routeOut}}},
		{"kamailio101-part6.cfg", callFlow{Name: "caller cancels", UAC: "uac_cancel.xml", Service: "bob", Register: true,
			UAS: registered("uas_cancelled.xml", "\nCANCEL sip:"), Want: []int{100, 180, 200, 487}}},
		{"kamailio101-part6.cfg", callFlow{Name: "TCP callee", UAC: "uac_call.xml", Service: "bob", Register: true,
			UAS: []uasPeer{{Scenario: "uas_answer.xml", Transport: "t1", Sees: []string{";transport=tcp;r2=on;lr>, <sip:127.0.0.1:"}}}, Want: []int{100, 180, 200, 200}}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.cfg, ".cfg")+"/"+strings.ReplaceAll(tc.flow.Name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			got := runAgainst(t, kind, example(tc.cfg), tc.flow)
			if !slices.Equal(got, tc.flow.Want) {
				t.Errorf("%s, %s through %s: caller saw %v, want %v", tc.cfg, tc.flow.Name, kind, got, tc.flow.Want)
			}
		})
	}
}

func TestKamailio101Parts56Kamailio(t *testing.T) { testKamailio101Parts56(t, kamailioServer) }
func TestKamailio101Parts56Olelo(t *testing.T)    { testKamailio101Parts56(t, oleloServer) }
