package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"testing"
	"time"
)

// Algorithm 64, round robin with overload control (Kamailio 5.8's), end
// to end: examples/dispatcher-algs.cfg with DS_OC, two SIPp gateways
// that reject with codes of their own (480 for A, 486 for B), and the
// control set by OPTIONS requests the config turns into
// ds_oc_set_attrs calls.

// sendOC asks the server at addr to set the overload control of gateway
// uri (rate %, interval ms, seq) and returns the reply's status code.
func sendOC(t *testing.T, addr, uri string, rate, interval, seq int) int {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := fmt.Sprintf("OPTIONS sip:oc@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-oc%d-%d\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:feedback@127.0.0.1>;tag=oc%d\r\nTo: <sip:oc@%s>\r\n"+
		"Call-ID: oc-%d-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nX-OC-URI: %s\r\nX-OC-Rate: %d\r\n"+
		"X-OC-Interval: %d\r\nX-OC-Seq: %d\r\nContent-Length: 0\r\n\r\n",
		addr, local, seq, rate, seq, addr, seq, rate, uri, rate, interval, seq)
	line, err := exchange(conn, []byte(msg), 5*time.Second)
	if err != nil {
		t.Fatalf("overload control request: %v", err)
	}
	var code int
	if _, err := fmt.Sscanf(line, "SIP/2.0 %d", &code); err != nil {
		t.Fatalf("overload control request: reply %q", line)
	}
	return code
}

// ocFullRe finds a destination of dispatcher.list full under a 100 %
// control with seq 1 (the fields are in alphabetical order).
var ocFullRe = regexp.MustCompile(`"OCRATE":\s*100,\s*"OCSEQ":\s*1,`)

// ocEntry is one record of dispatcher.oclist.
type ocEntry struct {
	Group      int    `json:"group"`
	URI        string `json:"uri"`
	OCRate     int    `json:"ocrate"`
	OCSeq      int    `json:"ocseq"`
	OCTimeSec  int64  `json:"octime_sec"`
	OCTimeUsec int64  `json:"octime_usec"`
	OCMin      int    `json:"ocmin"`
	OCMax      int    `json:"ocmax"`
}

// ocList returns dispatcher.oclist 1 by URI.
func ocList(t *testing.T, rpcAddr string) map[string]ocEntry {
	t.Helper()
	out, errOut, code := oleloRPC(t, rpcAddr, "dispatcher.oclist", "1")
	if code != 0 {
		t.Fatalf("dispatcher.oclist: %s %s", out, errOut)
	}
	var l []ocEntry
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("dispatcher.oclist: %v\n%s", err, out)
	}
	m := map[string]ocEntry{}
	for _, x := range l {
		m[x.URI] = x
	}
	return m
}

// gwSplit places calls calls one at a time and counts them per gateway.
func (e *dsEnv) gwSplit(t *testing.T, calls int) []int {
	t.Helper()
	n := make([]int, len(e.gws))
	for id, code := range e.callKeyed(t, "oc", "", calls, 50, 1) {
		i := gwOf(code)
		if i < 0 || i >= len(n) {
			t.Fatalf("call %s got %d", id, code)
		}
		n[i]++
	}
	return n
}

// TestDispatcherOverload: without control algorithm 64 alternates like
// round robin; ds_oc_set_attrs(rate 100, 3000 ms, seq 1) on gateway A
// sends every new call to B until the interval is over (then they
// alternate again), shows in dispatcher.oclist and dispatcher.list full,
// and a seq that is not newer is refused (-2); a rate of 50 lets A take
// exactly 50 of 150 calls.
func TestDispatcherOverload(t *testing.T) {
	e := startDSEnv(t, oleloServer, 64, rejecting(t, "0 2 ocmax=100", "0 1"), "DS_OC")
	a := e.gwURI(0)
	if n := e.gwSplit(t, 10); n[0] != 5 || n[1] != 5 {
		t.Fatalf("no control: A %d B %d of 10 calls, want 5/5", n[0], n[1])
	}
	if code := sendOC(t, e.s.addr, a, 100, 3000, 1); code != 200 {
		t.Fatalf("ds_oc_set_attrs(A, 100, 3000, 1): reply %d, want 200", code)
	}
	set := time.Now()
	if n := e.gwSplit(t, 10); n[0] != 0 || n[1] != 10 {
		t.Errorf("A at rate 100: A %d B %d of 10 calls, want 0/10", n[0], n[1])
	}
	oc := ocList(t, e.rpc)[a]
	until := time.Unix(oc.OCTimeSec, oc.OCTimeUsec*1000)
	if oc.OCRate != 100 || oc.OCSeq != 1 || oc.OCMax != 100 || until.Sub(set) < 2500*time.Millisecond || until.Sub(set) > 3500*time.Millisecond {
		t.Errorf("dispatcher.oclist for A: %+v (until %v after the request), want rate 100, seq 1, about 3 s", oc, until.Sub(set))
	}
	for _, seq := range []int{0, 1} {
		if code := sendOC(t, e.s.addr, a, 0, 3000, seq); code != 409 {
			t.Errorf("ds_oc_set_attrs with seq %d after seq 1: reply %d, want 409 (-2)", seq, code)
		}
	}
	if out, _, _ := oleloRPC(t, e.rpc, "dispatcher.list", "full"); !ocFullRe.MatchString(out) {
		t.Errorf("dispatcher.list full does not show A's control:\n%s", out)
	}
	if time.Now().After(until) {
		t.Fatalf("the calls under control took longer than the 3 s interval")
	}
	time.Sleep(time.Until(until) + 50*time.Millisecond)
	if n := e.gwSplit(t, 10); n[0] != 5 || n[1] != 5 {
		t.Errorf("control over: A %d B %d of 10 calls, want 5/5", n[0], n[1])
	}
	// Rate 50: every A turn uses one slot; of 100 slots 50 skip (the call
	// goes to B) and 50 use (A, then B's turn): 150 calls, 50 to A.
	if code := sendOC(t, e.s.addr, a, 50, 60000, 2); code != 200 {
		t.Fatalf("ds_oc_set_attrs(A, 50, 60000, 2): reply %d, want 200", code)
	}
	if n := e.gwSplit(t, 150); n[0] != 50 || n[1] != 100 {
		t.Errorf("A at rate 50: A %d B %d of 150 calls, want 50/100", n[0], n[1])
	}
}

// TestDispatcherOverloadKamailio56 pins the difference documented in
// docs/COMPATIBILITY.md: Kamailio 5.6 has no algorithm 64 and sends
// every call to the first destination ("algo 64 not implemented").
func TestDispatcherOverloadKamailio56(t *testing.T) {
	e := startDSEnv(t, kamailioServer, 64, rejecting(t, "0 2", "0 1"))
	if n := e.gwSplit(t, 6); n[0] != 6 {
		t.Errorf("Kamailio 5.6 with algorithm 64: A %d B %d of 6 calls, want all to the first (not implemented there)", n[0], n[1])
	}
}
