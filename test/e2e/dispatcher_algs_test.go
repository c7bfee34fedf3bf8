package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The dispatcher algorithms end to end: examples/dispatcher-algs.cfg
// (ds_select_dst("1", DS_ALG), replies relayed as they are) with SIPp
// gateways on loopback ports. Most gateways reject every call with a code
// of their own (480, 486, 603), so the reply the caller gets tells which
// gateway the call went to.

// gwCodes are the rejection codes of the gateways, by list position.
var gwCodes = []int{480, 486, 603}

var gwReasons = map[int]string{480: "Temporarily Unavailable", 486: "Busy Here", 603: "Decline"}

// uacKeyed is a caller whose call carries the key [key] (-key key K) in
// the Request-URI user, From and To users and X-Key, and whose Call-ID is
// -cid_str's; it takes whichever of the gateways' rejections comes (or
// the script's 404) and ACKs it on the INVITE's branch.
const uacKeyed = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="keyed caller">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[key]@ds.example SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-ds[pid]-[call_number]
      From: <sip:[key]@ds.example>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[key]@ds.example>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      X-Key: [key]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true" />
  <recv response="404" optional="true" next="ack" />
  <recv response="480" optional="true" next="ack" />
  <recv response="486" optional="true" next="ack" />
  <recv response="603" next="ack" />
  <label id="ack" />
  <send>
    <![CDATA[

      ACK sip:[key]@ds.example SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-ds[pid]-[call_number]
      From: <sip:[key]@ds.example>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
`

// dsGW is a gateway of an algorithm test: a SIPp scenario and the rest
// of its list line (flags priority attrs).
type dsGW struct {
	scenario string
	line     string // "0 30 duid=a;maxload=2"
	calls    int    // -m (0: many)
	port     int
	done     chan error
}

// startDSGateway starts SIPp as a gateway that keeps no record of ended
// calls (a key test reuses Call-IDs).
func startDSGateway(t *testing.T, ctx context.Context, sipp string, g *dsGW) {
	t.Helper()
	scenario := g.scenario
	if !filepath.IsAbs(scenario) {
		scenario, _ = filepath.Abs(filepath.Join("testdata", "callflow", scenario))
	}
	calls := g.calls
	if calls == 0 {
		calls = 1000000
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, sipp, "-sf", scenario, "-i", "127.0.0.1", "-p", fmt.Sprint(g.port),
		"-t", "u1", "-m", fmt.Sprint(calls), "-nostdin", "-mp", fmt.Sprint(freeMediaPort(t)),
		"-deadcall_wait", "0", "-max_recv_loops", "1000", "-buff_size", "4194304",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g.done = make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if err != nil {
			errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			err = fmt.Errorf("%v\n%s\n%s", err, lastLines(out.String(), 10), errs)
		}
		g.done <- err
	}()
	t.Cleanup(func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	})
	for deadline := time.Now().Add(15 * time.Second); !portBusy(g.port, "u1"); {
		if time.Now().After(deadline) {
			t.Fatalf("gateway %s did not bind port %d", scenario, g.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rejecting returns gateways rejecting with gwCodes[i], list lines lines.
func rejecting(t *testing.T, lines ...string) []*dsGW {
	var gws []*dsGW
	for i, l := range lines {
		gws = append(gws, &dsGW{scenario: uasReject(t, gwCodes[i], gwReasons[gwCodes[i]]), line: l})
	}
	return gws
}

// dsEnv is a server running examples/dispatcher-algs.cfg over gateways.
type dsEnv struct {
	s    *sut
	rpc  string // olelo's control socket ("" for Kamailio)
	gws  []*dsGW
	sipp string
}

// gwURI is the list URI of gateway i.
func (e *dsEnv) gwURI(i int) string { return fmt.Sprintf("sip:127.0.0.1:%d", e.gws[i].port) }

// startDSEnv starts the gateways, writes the list file and starts kind on
// dispatcher-algs.cfg with algorithm alg and the defines.
func startDSEnv(t *testing.T, kind serverKind, alg int, gws []*dsGW, defines ...string) *dsEnv {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	var list strings.Builder
	for _, g := range gws {
		g.port = freePort(t)
		fmt.Fprintf(&list, "1 sip:127.0.0.1:%d %s\n", g.port, g.line)
		startDSGateway(t, ctx, sipp, g)
	}
	listFile := filepath.Join(t.TempDir(), "dispatcher.list")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	defs := append([]string{fmt.Sprintf("DS_LIST=%q", listFile), fmt.Sprintf("DS_ALG=\"%d\"", alg)}, defines...)
	e := &dsEnv{gws: gws, sipp: sipp}
	cfg := example("dispatcher-algs.cfg")
	if kind == kamailioServer {
		lookPath(t, "kamailio", "kamailio")
		e.s = startKamailio(t, cfg, defs...)
		return e
	}
	e.rpc = "unix:" + filepath.Join(t.TempDir(), "ctl")
	args := []string{"-f", cfg, "--rpc", e.rpc}
	for _, d := range defs {
		args = append(args, "-A", d)
	}
	o := startOlelo(t, args...)
	e.s = &sut{kind: oleloServer, addr: o.addr, log: o.log}
	return e
}

// callKeyed places calls calls with key (Call-ID cid, "" for SIPp's own)
// at rate per second, at most limit at once, and returns the final reply
// code of each call by Call-ID.
func (e *dsEnv) callKeyed(t *testing.T, key, cid string, calls, rate, limit int) map[string]int {
	t.Helper()
	uac := writeFile(t, "uac_keyed.xml", uacKeyed)
	dir := t.TempDir()
	trace := filepath.Join(dir, "msg.log")
	args := []string{"-sf", uac, "-key", "key", key, "-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)),
		"-t", "u1", "-m", fmt.Sprint(calls), "-r", fmt.Sprint(rate), "-l", fmt.Sprint(limit), "-nostdin",
		"-timeout", "25s", "-timeout_error", "-max_recv_loops", "1000", "-buff_size", "4194304", "-deadcall_wait", "0",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_msg", "-message_file", trace}
	if cid != "" {
		args = append(args, "-cid_str", cid)
	}
	out, err := runPeer(t, 28*time.Second, e.sipp, append([]string{e.s.addr}, args...)...)
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Fatalf("caller through %s failed: %v\n%s\n%s\nserver log:\n%s", e.s.kind, err, lastLines(out, 15), lastLines(string(errs), 20), lastLines(e.s.log(), 30))
	}
	msgs, _ := os.ReadFile(trace)
	finals := finalReplies(string(msgs))
	if len(finals) != calls && cid == "" {
		t.Fatalf("caller saw final replies for %d calls, want %d", len(finals), calls)
	}
	return finals
}

var callIDRe = regexp.MustCompile(`(?mi)^(?:Call-ID|i):\s*(\S+)`)

// finalReplies reads a SIPp message trace and returns the final reply
// code to the INVITE of each Call-ID (the last one, for a reused Call-ID).
func finalReplies(trace string) map[string]int {
	out := map[string]int{}
	parts := receivedRe.Split(strings.ReplaceAll(trace, "\r", ""), -1)
	for _, p := range parts[1:] {
		m := statusRe.FindStringSubmatch(p)
		c := cseqRe.FindStringSubmatch(p)
		id := callIDRe.FindStringSubmatch(p)
		if m == nil || c == nil || id == nil || !strings.HasSuffix(strings.TrimSpace(c[1]), "INVITE") {
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n >= 200 {
			out[id[1]] = n
		}
	}
	return out
}

// gwOf maps a reply code to the gateway index (-1 for anything else).
func gwOf(code int) int { return slices.Index(gwCodes, code) }

// keyGateways places calls calls for each key, one at a time, each call
// of a key with the same Call-ID, and returns the gateway index each key
// went to; it fails when a key's calls went to different gateways.
func (e *dsEnv) keyGateways(t *testing.T, keys []string, calls int) []int {
	t.Helper()
	var out []int
	for _, k := range keys {
		var got []int
		// A key's calls one after the other, each its own SIPp run with
		// the key's Call-ID.
		for range calls {
			for _, code := range e.callKeyed(t, k, "ds-"+k+"@caller", 1, 10, 1) {
				got = append(got, gwOf(code))
			}
		}
		if len(got) != calls || slices.Contains(got, -1) || slices.Min(got) != slices.Max(got) {
			t.Errorf("%s: key %q went to gateways %v over %d calls, want one gateway", e.s.kind, k, got, calls)
		}
		if len(got) > 0 {
			out = append(out, got[0])
		}
	}
	return out
}

// TestDispatcherHash: each hash algorithm (0 Call-ID, 1 From URI, 2 To
// URI, 3 Request-URI, 7 hash_pvar $hdr(X-Key)) sends every call of a key
// to one gateway, spreads different keys over the gateways, and puts
// each key on the same gateway (list index) as Kamailio 5.6 does.
func TestDispatcherHash(t *testing.T) {
	keys := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
	for _, alg := range []int{0, 1, 2, 3, 7} {
		t.Run(fmt.Sprintf("alg%d", alg), func(t *testing.T) {
			got := map[serverKind][]int{}
			for _, kind := range []serverKind{oleloServer, kamailioServer} {
				t.Run(string(kind), func(t *testing.T) {
					e := startDSEnv(t, kind, alg, rejecting(t, "0 30", "0 20", "0 10"))
					idx := e.keyGateways(t, keys, 3)
					if len(idx) == len(keys) && slices.Min(idx) == slices.Max(idx) {
						t.Errorf("all %d keys went to gateway %d: not spread", len(keys), idx[0])
					}
					got[kind] = idx
					t.Logf("%s: keys %v -> gateways %v", kind, keys, idx)
				})
			}
			if k, o := got[kamailioServer], got[oleloServer]; k != nil && o != nil && !slices.Equal(k, o) {
				t.Errorf("keys %v: olelo chose gateways %v, Kamailio %v", keys, o, k)
			}
		})
	}
}

// TestDispatcherWeight: weights 25/75 (algorithm 9) split 10 000 calls
// through olelo 25 % / 75 % within ±3 percentage points; Kamailio 5.6,
// the oracle, splits 2000 the same way (at 10 000 calls and this rate
// it runs out of the 32 MB of shared memory the tests give it).
func TestDispatcherWeight(t *testing.T) {
	for _, run := range []struct {
		kind        serverKind
		calls, rate int
	}{{oleloServer, 10000, 2000}, {kamailioServer, 2000, 250}} {
		kind, calls := run.kind, run.calls
		t.Run(string(kind), func(t *testing.T) {
			e := startDSEnv(t, kind, 9, rejecting(t, "0 0 weight=25", "0 0 weight=75"))
			start := time.Now()
			finals := e.callKeyed(t, "w", "", calls, run.rate, 300)
			n := make([]int, len(gwCodes))
			for id, code := range finals {
				i := gwOf(code)
				if i < 0 {
					t.Fatalf("call %s got %d", id, code)
				}
				n[i]++
			}
			// Which line is which: the gateway with weight=25 rejects with
			// 480 (index 0).
			pct := float64(n[0]) * 100 / float64(calls)
			t.Logf("%s: %d calls in %v: weight 25 gateway %d (%.1f %%), weight 75 gateway %d", kind, calls, time.Since(start).Round(time.Millisecond), n[0], pct, n[1])
			if pct < 22 || pct > 28 || n[0]+n[1] != calls {
				t.Errorf("%s: split %d/%d of %d calls, want 25 %% ± 3 %%", kind, n[0], n[1], calls)
			}
		})
	}
}

// wantGateway places 6 calls one at a time and checks that each went to
// gateway gw (-1: got the script's 404).
func (e *dsEnv) wantGateway(t *testing.T, gw int) {
	t.Helper()
	wantCode := 404
	if gw >= 0 {
		wantCode = gwCodes[gw]
	}
	for id, code := range e.callKeyed(t, "p", "", 6, 20, 1) {
		if code != wantCode {
			t.Errorf("call %s got %d, want %d (gateway %d)", id, code, wantCode, gw)
		}
	}
}

// setState calls an olelo state RPC (dispatcher.set_state or
// dispatcher.set_duid_state) for set 1 and fails the test unless it
// answers as Kamailio does.
func (e *dsEnv) setState(t *testing.T, method, state, key string) {
	t.Helper()
	if out, errOut, code := oleloRPC(t, e.rpc, method, state, "1", key); code != 0 || !strings.Contains(out, "Ok. Dispatcher state updated.") {
		t.Fatalf("%s %s 1 %s: %s %s", method, state, key, out, errOut)
	}
}

// TestDispatcherPriority: algorithm 8 always picks the highest-priority
// gateway that is up; marked inactive with dispatcher.set_state, the next
// one; all inactive, the script's 404.
func TestDispatcherPriority(t *testing.T) {
	// The list is written lowest priority first: the order comes from the
	// priorities.
	e := startDSEnv(t, oleloServer, 8, rejecting(t, "0 10", "0 30", "0 20"))
	e.wantGateway(t, 1)
	for _, step := range []struct {
		state string
		gw    int // the gateway changed
		want  int // where calls go then
	}{{"ip", 1, 2}, {"ip", 2, 0}, {"ip", 0, -1}, {"ap", 2, 2}, {"ap", 1, 1}} {
		e.setState(t, "dispatcher.set_state", step.state, e.gwURI(step.gw))
		e.wantGateway(t, step.want)
	}
}

// TestDispatcherDUIDState: dispatcher.set_duid_state changes the first
// destination of the group whose duid attribute matches (any case), as
// Kamailio 5.6 does: two gateways share duid gwB and only the first of
// them is drained; "all" changes every one; an unknown duid is "State
// Update Failed". The calls (algorithm 8) and dispatcher.list show it.
func TestDispatcherDUIDState(t *testing.T) {
	e := startDSEnv(t, oleloServer, 8, rejecting(t, "0 30 duid=gwA", "0 20 duid=gwB", "0 10 duid=gwB"))
	flags := func() []string {
		t.Helper()
		out, errOut, code := oleloRPC(t, e.rpc, "dispatcher.list")
		if code != 0 {
			t.Fatalf("dispatcher.list: %s %s", out, errOut)
		}
		var l struct {
			RECORDS []struct {
				SET struct {
					TARGETS []struct{ DEST struct{ FLAGS string } }
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.RECORDS) != 1 {
			t.Fatalf("dispatcher.list: %v\n%s", err, out)
		}
		var f []string
		for _, d := range l.RECORDS[0].SET.TARGETS {
			f = append(f, d.DEST.FLAGS)
		}
		return f
	}
	e.wantGateway(t, 0)
	for _, step := range []struct {
		state, duid string
		flags       []string
		want        int
	}{
		{"ip", "gwA", []string{"IP", "AX", "AX"}, 1},
		{"dx", "GWB", []string{"IP", "DX", "AX"}, 2},
		{"i", "gwB", []string{"IP", "IX", "AX"}, 2},
		{"a", "all", []string{"AX", "AX", "AX"}, 0},
	} {
		e.setState(t, "dispatcher.set_duid_state", step.state, step.duid)
		if got := flags(); !slices.Equal(got, step.flags) {
			t.Errorf("after set_duid_state %s %s: FLAGS %v, want %v", step.state, step.duid, got, step.flags)
		}
		e.wantGateway(t, step.want)
	}
	if out, errOut, code := oleloRPC(t, e.rpc, "dispatcher.set_duid_state", "i", "1", "nosuch"); code == 0 || !strings.Contains(out+errOut, "State Update Failed") {
		t.Errorf("set_duid_state of an unknown duid: code %d %s %s", code, out, errOut)
	}
}

// dlgLoads returns the RUNTIME DLGLOAD of each destination of
// dispatcher.list by URI.
func dlgLoads(t *testing.T, rpcAddr string) map[string]int {
	t.Helper()
	out, errOut, code := oleloRPC(t, rpcAddr, "dispatcher.list")
	if code != 0 {
		t.Fatalf("dispatcher.list: %s %s", out, errOut)
	}
	var l struct {
		RECORDS []struct {
			SET struct {
				TARGETS []struct {
					DEST struct {
						URI     string
						RUNTIME struct{ DLGLOAD int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("dispatcher.list: %v\n%s", err, out)
	}
	loads := map[string]int{}
	for _, r := range l.RECORDS {
		for _, d := range r.SET.TARGETS {
			loads[d.DEST.URI] = d.DEST.RUNTIME.DLGLOAD
		}
	}
	return loads
}

// TestDispatcherCallLoad: algorithm 10 with duid/maxload=2 on two
// gateways holds at most 2 calls on each: with 4 long calls up, more
// calls get the script's 404; the BYEs release the load and calls go
// through again.
func TestDispatcherCallLoad(t *testing.T) {
	e := startDSEnv(t, oleloServer, 10, []*dsGW{
		{scenario: "uas_answer.xml", line: "0 0 duid=gw1;maxload=2"},
		{scenario: "uas_answer.xml", line: "0 0 duid=gw2;maxload=2"},
	}, "CALL_LOAD")
	b, err := os.ReadFile(filepath.Join("testdata", "callflow", "uac_call.xml"))
	if err != nil {
		t.Fatal(err)
	}
	long := writeFile(t, "uac_long.xml", strings.Replace(string(b), `<pause milliseconds="100" />`, `<pause milliseconds="6000" />`, 1))
	call := func(scenario string, calls int) error {
		dir := t.TempDir()
		out, err := runPeer(t, 40*time.Second, e.sipp, e.s.addr, "-sf", scenario, "-s", "bob", "-i", "127.0.0.1",
			"-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", fmt.Sprint(calls), "-r", "50", "-l", fmt.Sprint(calls),
			"-nostdin", "-timeout", "30s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(dir, "err.log"))
		if err != nil {
			errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			return fmt.Errorf("%v\n%s\n%s\nserver log:\n%s", err, lastLines(out, 15), lastLines(string(errs), 20), lastLines(e.s.log(), 20))
		}
		return nil
	}
	checkMax := func(loads map[string]int) {
		t.Helper()
		for uri, n := range loads {
			if n > 2 {
				t.Errorf("%s holds %d calls, over its maxload 2", uri, n)
			}
		}
	}
	longDone := make(chan error, 1)
	go func() { longDone <- call(long, 4) }()
	// Wait until the 4 long calls are up: 2 on each gateway.
	deadline := time.Now().Add(20 * time.Second)
	for {
		loads := dlgLoads(t, e.rpc)
		checkMax(loads)
		if loads[e.gwURI(0)] == 2 && loads[e.gwURI(1)] == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the 4 long calls are not up within 20 s: loads %v\n%s", loads, lastLines(e.s.log(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Both gateways full: the script's 404.
	rejected := writeFile(t, "uac_rejected.xml", uacRejected)
	if err := call(rejected, 3); err != nil {
		t.Errorf("calls over maxload did not get the script's 404: %v", err)
	}
	checkMax(dlgLoads(t, e.rpc))
	if err := <-longDone; err != nil {
		t.Fatalf("long calls: %v", err)
	}
	// The BYEs released the load.
	for deadline := time.Now().Add(10 * time.Second); ; {
		loads := dlgLoads(t, e.rpc)
		if loads[e.gwURI(0)] == 0 && loads[e.gwURI(1)] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("load not released after the BYEs: %v", loads)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := call(filepath.Join("testdata", "callflow", "uac_call.xml"), 4); err != nil {
		t.Errorf("calls after the release: %v", err)
	}
}

// TestDispatcherParallel: algorithm 12 sends the INVITE to both gateways
// at once; one answers (after a while), the other rings and gets a
// CANCEL, which it answers with 200 and 487.
func TestDispatcherParallel(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "callflow", "uas_answer.xml"))
	if err != nil {
		t.Fatal(err)
	}
	slow := writeFile(t, "uas_slow.xml", strings.Replace(string(b), `<pause milliseconds="100" />`, `<pause milliseconds="1000" />`, 1))
	for _, kind := range []serverKind{oleloServer, kamailioServer} {
		t.Run(string(kind), func(t *testing.T) {
			for _, order := range [][2]string{{slow, "uas_cancelled.xml"}, {"uas_cancelled.xml", slow}} {
				gws := []*dsGW{{scenario: order[0], line: "0 20", calls: 1}, {scenario: order[1], line: "0 10", calls: 1}}
				e := startDSEnv(t, kind, 12, gws)
				dir := t.TempDir()
				trace := filepath.Join(dir, "msg.log")
				uac, _ := filepath.Abs(filepath.Join("testdata", "callflow", "uac_call.xml"))
				out, err := runPeer(t, 30*time.Second, e.sipp, e.s.addr, "-sf", uac, "-s", "bob", "-i", "127.0.0.1",
					"-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error",
					"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_msg", "-message_file", trace)
				if err != nil {
					t.Fatalf("caller: %v\n%s\nserver log:\n%s", err, lastLines(out, 15), lastLines(e.s.log(), 30))
				}
				for i, g := range gws {
					select {
					case err := <-g.done:
						if err != nil {
							t.Errorf("gateway %d (%s): %v", i, filepath.Base(g.scenario), err)
						}
					case <-time.After(15 * time.Second):
						t.Errorf("gateway %d (%s) did not finish its call (no INVITE or no CANCEL)", i, filepath.Base(g.scenario))
					}
				}
				msgs, _ := os.ReadFile(trace)
				if got := callerReplies(string(msgs)); !slices.Contains(got, 200) || slices.Contains(got, 487) {
					t.Errorf("caller saw %v, want the 200 and no 487", got)
				}
			}
		})
	}
}
