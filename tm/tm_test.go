package tm

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// fakeSender records what is sent.
type fakeSender struct {
	mu   sync.Mutex
	sent []sentMsg
	keep bool // record (benchmarks do not)
	n    int
}

type sentMsg struct {
	to   transport.Target
	data string
}

func (s *fakeSender) Send(_ context.Context, t transport.Target, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.keep {
		s.sent = append(s.sent, sentMsg{t, string(b)})
	}
	return nil
}

// take returns and forgets what was sent, as start lines.
func (s *fakeSender) take() []sentMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sent
	s.sent = nil
	return out
}

func firstLine(s string) string {
	if i := strings.Index(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func lines(ms []sentMsg) []string {
	var out []string
	for _, m := range ms {
		out = append(out, firstLine(m.data))
	}
	return out
}

// fakeHooks records route runs and can act in the failure route.
type fakeHooks struct {
	mu       sync.Mutex
	replies  []int
	failures int
	onFail   func(tx *Tx)
	drop     bool
}

func (h *fakeHooks) Reply(tx *Tx, b int, resp *core.Msg) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replies = append(h.replies, resp.StatusCode())
	return !h.drop
}

func (h *fakeHooks) Failure(tx *Tx, route string) {
	h.mu.Lock()
	h.failures++
	h.mu.Unlock()
	if h.onFail != nil {
		h.onFail(tx)
	}
}

var (
	upstream = netip.MustParseAddrPort("198.51.100.1:5060")
	local    = netip.MustParseAddrPort("192.0.2.10:5060")
	uas1     = netip.MustParseAddrPort("203.0.113.1:5060")
	uas2     = netip.MustParseAddrPort("203.0.113.2:5060")
)

const invite = "INVITE sip:bob@example.org SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: Bob <sip:bob@example.org>\r\n" +
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n" +
	"CSeq: 314159 INVITE\r\n" +
	"Contact: <sip:alice@198.51.100.1>\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length: 4\r\n" +
	"\r\n" +
	"v=0\n"

func parse(t testing.TB, s string) *core.Msg {
	t.Helper()
	m := new(sip.Message)
	if err := m.Parse([]byte(s), sip.Datagram); err != nil {
		t.Fatalf("parse: %v\n%s", err, s)
	}
	return &core.Msg{Message: m, Proto: transport.ProtoUDP, Remote: upstream, Local: local}
}

func newManager(h Hooks) (*Manager, *fakeSender) {
	s := &fakeSender{keep: true}
	m := New(Config{Tick: 10 * time.Millisecond, ReplyHeaders: "Server: test\r\n"}, s, h)
	return m, s
}

func info() ServerInfo {
	return ServerInfo{Reply: transport.Target{Proto: transport.ProtoUDP, Addr: upstream}, Proto: transport.ProtoUDP, Remote: upstream, Local: local}
}

// relay creates the transaction of req and forks it to dsts (UDP).
func relay(t testing.TB, m *Manager, req *core.Msg, dsts ...netip.AddrPort) *Tx {
	t.Helper()
	tx, err := m.NewTx(req.Message, req.Bytes(), info(), DefaultTimers)
	if err != nil {
		t.Fatal(err)
	}
	if tx.IsInvite() {
		tx.SendTrying(context.Background(), req.Message, "Trying")
	}
	for _, d := range dsts {
		i := tx.AddBranch(BranchSpec{Dst: transport.Target{Proto: transport.ProtoUDP, Addr: d}, ViaHost: "192.0.2.10", ViaPort: 5060})
		if err := tx.SendBranch(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	tx.Unlock()
	return tx
}

// branchOf returns the branch parameter of the Via we put on the request
// sent to dst.
func branchOf(t testing.TB, sent []sentMsg, dst netip.AddrPort) string {
	t.Helper()
	for _, s := range sent {
		if s.to.Addr == dst && !strings.HasPrefix(s.data, "SIP/2.0") {
			m := parse(t, s.data)
			v, _ := m.TopVia()
			return string(v.Branch)
		}
	}
	t.Fatalf("nothing sent to %v", dst)
	return ""
}

// reply builds a reply from a UAS to the request sent with our branch.
func reply(t testing.TB, branch string, code int, reason, method string, totag string) *core.Msg {
	t.Helper()
	s := fmt.Sprintf("SIP/2.0 %d %s\r\n"+
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=%s\r\n"+
		"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds\r\n"+
		"To: Bob <sip:bob@example.org>;tag=%s\r\n"+
		"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"+
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"+
		"CSeq: 314159 %s\r\n"+
		"Content-Length: 0\r\n\r\n", code, reason, branch, totag, method)
	return parse(t, s)
}

func TestMatching(t *testing.T) {
	m, _ := newManager(nil)
	req := parse(t, invite)
	relay(t, m, req, uas1)

	retrans := parse(t, invite)
	ackNon2xx := strings.Replace(strings.Replace(invite, "INVITE sip", "ACK sip", 1), "314159 INVITE", "314159 ACK", 1)
	cancel := strings.Replace(strings.Replace(invite, "INVITE sip", "CANCEL sip", 1), "314159 INVITE", "314159 CANCEL", 1)
	otherBranch := strings.Replace(invite, "z9hG4bK776asdhds", "z9hG4bKother", 1)
	otherHost := strings.Replace(invite, "UDP 198.51.100.1:5060", "UDP 198.51.100.2:5060", 1)
	bye := strings.Replace(strings.Replace(invite, "INVITE sip", "BYE sip", 1), "314159 INVITE", "314160 BYE", 1)

	tests := []struct {
		name string
		msg  string
		want Match
	}{
		{"retransmission", invite, Retransmission},
		{"other branch", otherBranch, NoMatch},
		{"other sent-by", otherHost, NoMatch},
		{"BYE with the same branch", bye, NoMatch},
		{"ACK before a final reply", ackNon2xx, Ack2xx},
		{"CANCEL is its own transaction", cancel, NoMatch},
	}
	for _, tc := range tests {
		tx, got := m.Lookup(parse(t, tc.msg).Message)
		if tx != nil {
			tx.Unlock()
		}
		if got != tc.want {
			t.Errorf("%s: match %v, want %v", tc.name, got, tc.want)
		}
	}
	_ = retrans
	if tx := m.LookupInvite(parse(t, cancel).Message); tx == nil {
		t.Error("CANCEL does not find its INVITE")
	} else {
		tx.Unlock()
	}

	// After a non-2xx final reply the ACK is hop by hop.
	tx, _ := m.Lookup(req.Message)
	tx.Reply(context.Background(), 404, "Not Found", nil)
	tx.Unlock()
	if tx, got := m.Lookup(parse(t, ackNon2xx).Message); got != AckNon2xx {
		t.Errorf("ACK after 404: %v", got)
	} else {
		tx.Unlock()
	}
}

func TestMatchingRFC2543(t *testing.T) {
	old := strings.Replace(invite, "branch=z9hG4bK776asdhds", "branch=1234", 1)
	m, _ := newManager(nil)
	relay(t, m, parse(t, old), uas1)
	tests := []struct {
		name, msg string
		want      Match
	}{
		{"same request", old, Retransmission},
		{"other CSeq", strings.Replace(old, "314159 INVITE", "314158 INVITE", 1), NoMatch},
		{"other From tag", strings.Replace(old, "tag=1928301774", "tag=x", 1), NoMatch},
		{"other Call-ID", strings.Replace(old, "a84b4c76e66710", "b84b4c76e66710", 1), NoMatch},
		{"other Request-URI", strings.Replace(old, "INVITE sip:bob@", "INVITE sip:carol@", 1), NoMatch},
		{"ACK", strings.Replace(strings.Replace(old, "INVITE sip", "ACK sip", 1), "314159 INVITE", "314159 ACK", 1), Ack2xx},
	}
	for _, tc := range tests {
		tx, got := m.Lookup(parse(t, tc.msg).Message)
		if tx != nil {
			tx.Unlock()
		}
		if got != tc.want {
			t.Errorf("%s: match %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestProxyInviteFlow(t *testing.T) {
	h := &fakeHooks{}
	m, s := newManager(h)
	req := parse(t, invite)
	tx := relay(t, m, req, uas1)
	sent := s.take()
	if got := lines(sent); len(got) != 2 || !strings.HasPrefix(got[0], "SIP/2.0 100") || got[1] != "INVITE sip:bob@example.org SIP/2.0" {
		t.Fatalf("sent %q", got)
	}
	br := branchOf(t, sent, uas1)
	if !strings.HasPrefix(br, "z9hG4bK") {
		t.Fatalf("branch %q", br)
	}
	// A retransmitted INVITE gets the 100 again.
	rtx, match := m.Lookup(parse(t, invite).Message)
	if match != Retransmission {
		t.Fatal(match)
	}
	rtx.Retransmit(context.Background(), parse(t, invite).Message)
	rtx.Unlock()
	if got := lines(s.take()); len(got) != 1 || !strings.HasPrefix(got[0], "SIP/2.0 100") {
		t.Fatalf("retransmission answered with %q", got)
	}
	// 100 from the UAS is absorbed, 180 and 200 relayed without our Via.
	for _, c := range []struct {
		code   int
		reason string
		relay  bool
	}{{100, "Trying", false}, {180, "Ringing", true}, {200, "OK", true}, {200, "OK", true}} {
		if !m.HandleReply(context.Background(), reply(t, br, c.code, c.reason, "INVITE", "b1")) {
			t.Fatalf("%d not consumed", c.code)
		}
		got := s.take()
		if !c.relay {
			if len(got) != 0 {
				t.Fatalf("%d: sent %q", c.code, lines(got))
			}
			continue
		}
		if len(got) != 1 || got[0].to.Addr != upstream || strings.Contains(got[0].data, br) {
			t.Fatalf("%d: sent %+v", c.code, got)
		}
	}
	if tx.Status() != 200 {
		t.Fatalf("status %d", tx.Status())
	}
	// A reply that is not ours is not consumed.
	if m.HandleReply(context.Background(), reply(t, "z9hG4bKnotours", 200, "OK", "INVITE", "b1")) {
		t.Fatal("foreign reply consumed")
	}
	// The transaction goes away after wt_timer.
	m.Advance(6 * time.Second)
	if m.Len() != 0 {
		t.Fatalf("%d transactions left", m.Len())
	}
}

func TestRetransmissionTimers(t *testing.T) {
	m, s := newManager(nil)
	relay(t, m, parse(t, invite), uas1)
	s.take()
	// Timer A: 0.5, 1, 2, 4, 8, 16 s ... until a provisional reply.
	var at []time.Duration
	for ms := 10; ms <= 8000; ms += 10 {
		m.Advance(time.Duration(ms) * time.Millisecond)
		for range s.take() {
			at = append(at, time.Duration(ms)*time.Millisecond)
		}
	}
	want := []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond, 7500 * time.Millisecond}
	if fmt.Sprint(at) != fmt.Sprint(want) {
		t.Fatalf("INVITE retransmitted at %v, want %v", at, want)
	}
}

func TestNonInviteRetransmissionCappedAtT2(t *testing.T) {
	m, s := newManager(nil)
	opt := strings.Replace(strings.Replace(invite, "INVITE sip", "OPTIONS sip", 1), "314159 INVITE", "1 OPTIONS", 1)
	relay(t, m, parse(t, opt), uas1)
	s.take()
	var at []time.Duration
	for ms := 10; ms <= 20000; ms += 10 {
		m.Advance(time.Duration(ms) * time.Millisecond)
		for range s.take() {
			at = append(at, time.Duration(ms)*time.Millisecond)
		}
	}
	// 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5
	if len(at) != 7 || at[4]-at[3] != 4*time.Second || at[6]-at[5] != 4*time.Second {
		t.Fatalf("OPTIONS retransmitted at %v", at)
	}
}

func TestTimeoutLocal408AndFailureRoute(t *testing.T) {
	h := &fakeHooks{}
	m, s := newManager(h)
	tx := relay(t, m, parse(t, invite), uas1)
	LockTx(tx)
	tx.FailureRoute = "F"
	tx.Unlock()
	br := branchOf(t, s.take(), uas1)
	m.HandleReply(context.Background(), reply(t, br, 180, "Ringing", "INVITE", "b1"))
	s.take()
	// fr_inv_timer (120 s) after the 180: CANCEL to the branch, failure
	// route, then the local 408 upstream.
	m.Advance(119 * time.Second)
	if got := s.take(); len(got) != 0 {
		t.Fatalf("early: %q", lines(got))
	}
	m.Advance(121 * time.Second)
	got := lines(s.take())
	if len(got) != 2 || !strings.HasPrefix(got[0], "CANCEL sip:bob@example.org") || !strings.HasPrefix(got[1], "SIP/2.0 408") {
		t.Fatalf("sent %q", got)
	}
	if h.failures != 1 {
		t.Fatalf("failure route ran %d times", h.failures)
	}
	if _, code, local := tx.Best(); code != 408 || !local {
		t.Fatalf("best %d local %v", code, local)
	}
	// The UAS answers the CANCEL's effect with 487: ACKed, not relayed.
	m.HandleReply(context.Background(), reply(t, br, 487, "Request Terminated", "INVITE", "b1"))
	if got := lines(s.take()); len(got) != 1 || !strings.HasPrefix(got[0], "ACK ") {
		t.Fatalf("after 487: %q", got)
	}
}

func TestSetFR(t *testing.T) {
	m, s := newManager(nil)
	tx := relay(t, m, parse(t, invite), uas1)
	LockTx(tx)
	tx.SetFR(0, 2*time.Second)
	tx.Unlock()
	s.take()
	m.Advance(1900 * time.Millisecond)
	for _, l := range lines(s.take()) {
		if strings.HasPrefix(l, "SIP/2.0") {
			t.Fatalf("early reply %q", l)
		}
	}
	m.Advance(2100 * time.Millisecond)
	got := lines(s.take())
	if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "SIP/2.0 408") {
		t.Fatalf("sent %q", got)
	}
}

func TestReplySelection(t *testing.T) {
	// RFC 3261 16.7 with Kamailio's preferences: the best final reply
	// once every branch answered.
	tests := []struct {
		codes []int
		want  int
	}{
		{[]int{486, 404}, 404},
		{[]int{500, 486}, 486},
		{[]int{302, 486}, 302},
		{[]int{486, 603}, 603},
		{[]int{404, 407}, 407},
		{[]int{503, 500}, 500},
		{[]int{484, 480}, 484},
	}
	for _, tc := range tests {
		m, s := newManager(nil)
		dsts := []netip.AddrPort{uas1, uas2}
		relay(t, m, parse(t, invite), dsts...)
		sent := s.take()
		for i, c := range tc.codes {
			m.HandleReply(context.Background(), reply(t, branchOf(t, sent, dsts[i]), c, "X", "INVITE", fmt.Sprint("t", i)))
		}
		var final string
		for _, x := range s.take() {
			if strings.HasPrefix(x.data, "SIP/2.0") {
				final = firstLine(x.data)
			}
		}
		if want := fmt.Sprintf("SIP/2.0 %d X", tc.want); final != want {
			t.Errorf("%v: relayed %q, want %q", tc.codes, final, want)
		}
	}
}

func TestParallelForking2xxCancelsOthers(t *testing.T) {
	m, s := newManager(nil)
	relay(t, m, parse(t, invite), uas1, uas2)
	sent := s.take()
	b1, b2 := branchOf(t, sent, uas1), branchOf(t, sent, uas2)
	if b1 == b2 {
		t.Fatal("same branch on two branches")
	}
	m.HandleReply(context.Background(), reply(t, b1, 180, "Ringing", "INVITE", "a"))
	m.HandleReply(context.Background(), reply(t, b2, 180, "Ringing", "INVITE", "b"))
	s.take()
	m.HandleReply(context.Background(), reply(t, b1, 200, "OK", "INVITE", "a"))
	got := s.take()
	// 200 upstream, CANCEL to the other branch.
	var cancelTo netip.AddrPort
	var ok200 bool
	for _, x := range got {
		if strings.HasPrefix(x.data, "CANCEL ") {
			cancelTo = x.to.Addr
			if !strings.Contains(x.data, b2) {
				t.Errorf("CANCEL without the branch's Via:\n%s", x.data)
			}
		}
		if strings.HasPrefix(x.data, "SIP/2.0 200") && x.to.Addr == upstream {
			ok200 = true
		}
	}
	if !ok200 || cancelTo != uas2 {
		t.Fatalf("sent %q", lines(got))
	}
	// The cancelled branch's 487 is ACKed and absorbed; a late 200 on it
	// is relayed too (every 2xx goes upstream).
	m.HandleReply(context.Background(), reply(t, b2, 200, "CANCEL", "CANCEL", "b"))
	m.HandleReply(context.Background(), reply(t, b2, 200, "OK", "INVITE", "b"))
	if got := lines(s.take()); len(got) != 1 || got[0] != "SIP/2.0 200 OK" {
		t.Fatalf("late 2xx: %q", got)
	}
}

func TestCancelBeforeProvisional(t *testing.T) {
	m, s := newManager(nil)
	tx := relay(t, m, parse(t, invite), uas1)
	br := branchOf(t, s.take(), uas1)
	LockTx(tx)
	tx.Cancel(context.Background())
	tx.Unlock()
	if got := s.take(); len(got) != 0 {
		t.Fatalf("CANCEL sent before a provisional reply: %q", lines(got))
	}
	// No more INVITE retransmissions.
	m.Advance(2 * time.Second)
	if got := s.take(); len(got) != 0 {
		t.Fatalf("sent %q", lines(got))
	}
	m.HandleReply(context.Background(), reply(t, br, 180, "Ringing", "INVITE", "a"))
	got := lines(s.take())
	if len(got) != 2 || !strings.HasPrefix(got[0], "CANCEL ") {
		t.Fatalf("after 180: %q", got)
	}
	m.HandleReply(context.Background(), reply(t, br, 487, "Request Terminated", "INVITE", "a"))
	got = lines(s.take())
	if len(got) != 2 || !strings.HasPrefix(got[0], "ACK ") || got[1] != "SIP/2.0 487 Request Terminated" {
		t.Fatalf("after 487: %q", got)
	}
}

func TestSerialForkingInFailureRoute(t *testing.T) {
	h := &fakeHooks{}
	m, s := newManager(h)
	h.onFail = func(tx *Tx) {
		i := tx.AddBranch(BranchSpec{URI: "sip:bob@203.0.113.2", Dst: transport.Target{Proto: transport.ProtoUDP, Addr: uas2}, ViaHost: "192.0.2.10", ViaPort: 5060})
		tx.SendBranch(context.Background(), i)
	}
	tx := relay(t, m, parse(t, invite), uas1)
	LockTx(tx)
	tx.FailureRoute = "F"
	tx.Unlock()
	b1 := branchOf(t, s.take(), uas1)
	m.HandleReply(context.Background(), reply(t, b1, 486, "Busy Here", "INVITE", "a"))
	got := s.take()
	if l := lines(got); len(l) != 2 || !strings.HasPrefix(l[0], "ACK sip:bob@example.org ") || l[1] != "INVITE sip:bob@203.0.113.2 SIP/2.0" {
		t.Fatalf("sent %q\n%s", l, got[0].data)
	}
	b2 := branchOf(t, got, uas2)
	// The second leg fails with 500: it is what goes upstream (the
	// first leg's 486 no longer competes); the failure route is not armed
	// again.
	m.HandleReply(context.Background(), reply(t, b2, 500, "Oops", "INVITE", "b"))
	if l := lines(s.take()); len(l) != 2 || l[1] != "SIP/2.0 500 Oops" {
		t.Fatalf("sent %q", l)
	}
	if h.failures != 1 {
		t.Fatalf("failure route ran %d times", h.failures)
	}
}

func TestServerReplyRetransmission(t *testing.T) {
	m, s := newManager(nil)
	tx := relay(t, m, parse(t, invite), uas1)
	br := branchOf(t, s.take(), uas1)
	m.HandleReply(context.Background(), reply(t, br, 486, "Busy Here", "INVITE", "a"))
	s.take()
	// Timer G: the 486 is sent again until the ACK.
	m.Advance(600 * time.Millisecond)
	if got := lines(s.take()); len(got) != 1 || got[0] != "SIP/2.0 486 Busy Here" {
		t.Fatalf("sent %q", got)
	}
	ack := strings.Replace(strings.Replace(invite, "INVITE sip", "ACK sip", 1), "314159 INVITE", "314159 ACK", 1)
	atx, match := m.Lookup(parse(t, ack).Message)
	if match != AckNon2xx {
		t.Fatal(match)
	}
	atx.AckReceived()
	atx.Unlock()
	m.Advance(5 * time.Second)
	if got := s.take(); len(got) != 0 {
		t.Fatalf("after ACK: %q", lines(got))
	}
	m.Advance(11 * time.Second)
	if m.Len() != 0 {
		t.Fatal("transaction not deleted")
	}
	_ = tx
}

func TestMaxTransactions(t *testing.T) {
	s := &fakeSender{}
	m := New(Config{MaxTransactions: 2}, s, nil)
	for i := 0; i < 3; i++ {
		req := parse(t, strings.Replace(invite, "z9hG4bK776asdhds", fmt.Sprint("z9hG4bK", i), 1))
		tx, err := m.NewTx(req.Message, req.Bytes(), info(), DefaultTimers)
		if i < 2 {
			if err != nil {
				t.Fatal(err)
			}
			tx.Unlock()
		} else if err != ErrTooMany {
			t.Fatalf("third: %v", err)
		}
	}
}

func TestOnReplyDrop(t *testing.T) {
	h := &fakeHooks{drop: true}
	m, s := newManager(h)
	tx := relay(t, m, parse(t, invite), uas1)
	LockTx(tx)
	tx.ReplyRoute = "R"
	tx.Unlock()
	br := branchOf(t, s.take(), uas1)
	m.HandleReply(context.Background(), reply(t, br, 183, "Progress", "INVITE", "a"))
	if got := s.take(); len(got) != 0 {
		t.Fatalf("dropped 183 relayed: %q", lines(got))
	}
	m.HandleReply(context.Background(), reply(t, br, 200, "OK", "INVITE", "a"))
	if got := lines(s.take()); len(got) != 1 {
		t.Fatalf("final reply: %q", got)
	}
	if fmt.Sprint(h.replies) != "[183 200]" {
		t.Fatal(h.replies)
	}
}

func TestWheel(t *testing.T) {
	w := newWheel(8)
	var ts [5]timer
	for i := range ts {
		w.set(&ts[i], int64(i*7+1)) // beyond one revolution too
	}
	w.stop(&ts[2])
	w.set(&ts[3], 3)
	var got []int
	for now := int64(1); now <= 40; now++ {
		for _, f := range w.advance(now) {
			for i := range ts {
				if f.t == &ts[i] {
					got = append(got, int(now)*10+i)
				}
			}
		}
	}
	// ts0 at 1, ts3 at 3, ts1 at 8, ts4 at 29; ts2 stopped.
	if fmt.Sprint(got) != "[10 33 81 294]" {
		t.Fatal(got)
	}
}

func TestCancelRetransmission(t *testing.T) {
	m, s := newManager(nil)
	tx := relay(t, m, parse(t, invite), uas1)
	br := branchOf(t, s.take(), uas1)
	m.HandleReply(context.Background(), reply(t, br, 180, "Ringing", "INVITE", "a"))
	s.take()
	LockTx(tx)
	tx.Cancel(context.Background())
	tx.Unlock()
	if got := lines(s.take()); len(got) != 1 || !strings.HasPrefix(got[0], "CANCEL ") {
		t.Fatalf("sent %q", got)
	}
	// Lost: sent again after T1, then 2*T1.
	m.Advance(600 * time.Millisecond)
	m.Advance(1600 * time.Millisecond)
	if got := lines(s.take()); len(got) != 2 || !strings.HasPrefix(got[1], "CANCEL ") {
		t.Fatalf("sent %q", got)
	}
	// Its 200 stops the retransmissions.
	m.HandleReply(context.Background(), reply(t, br, 200, "OK", "CANCEL", "a"))
	m.Advance(10 * time.Second)
	for _, l := range lines(s.take()) {
		if strings.HasPrefix(l, "CANCEL") {
			t.Fatalf("CANCEL after its reply")
		}
	}
}

// TestConcurrentTransactions runs many calls from several goroutines
// while the timers advance (run with -race).
func TestConcurrentTransactions(t *testing.T) {
	s := &fakeSender{}
	m := New(Config{Tick: time.Millisecond}, s, &fakeHooks{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var now time.Duration
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			now += 50 * time.Millisecond
			m.Advance(now)
		}
	}()
	var calls sync.WaitGroup
	for g := 0; g < 4; g++ {
		calls.Add(1)
		go func(g int) {
			defer calls.Done()
			for i := 0; i < 300; i++ {
				raw := strings.Replace(invite, "z9hG4bK776asdhds", fmt.Sprintf("z9hG4bK%d-%d", g, i), 1)
				req := parse(t, raw)
				tx, err := m.NewTx(req.Message, req.Bytes(), info(), DefaultTimers)
				if err != nil {
					t.Error(err)
					return
				}
				bi := tx.AddBranch(BranchSpec{Dst: transport.Target{Proto: transport.ProtoUDP, Addr: uas1}, ViaHost: "192.0.2.10", ViaPort: 5060})
				tx.SendBranch(context.Background(), bi)
				var bb [64]byte
				br := string(m.appendBranch(bb[:0], tx.id, bi))
				tx.FailureRoute = "F"
				tx.Unlock()
				codes := []int{180, 486}
				if i%2 == 0 {
					codes = []int{180, 200, 200}
				}
				for _, c := range codes {
					m.HandleReply(context.Background(), reply(t, br, c, "X", "INVITE", "t"))
				}
				if r, _ := m.Lookup(req.Message); r != nil {
					r.Retransmit(context.Background(), req.Message)
					r.Unlock()
				}
			}
		}(g)
	}
	calls.Wait()
	close(stop)
	wg.Wait()
	m.Advance(now + time.Hour)
	m.Advance(now + 2*time.Hour)
	if m.Len() != 0 {
		t.Fatalf("%d transactions left", m.Len())
	}
}

func TestRemap503(t *testing.T) {
	s := &fakeSender{keep: true}
	m := New(Config{Remap503: true}, s, nil)
	relay(t, m, parse(t, invite), uas1)
	br := branchOf(t, s.take(), uas1)
	m.HandleReply(context.Background(), reply(t, br, 503, "Service Unavailable", "INVITE", "a"))
	got := s.take()
	if l := lines(got); len(l) != 2 || l[1] != "SIP/2.0 500 Service Unavailable" || !strings.Contains(got[1].data, ";tag=tm") {
		t.Fatalf("sent %q", l)
	}
}

// TestTimerGoroutineParks checks that the running timer goroutine sleeps
// while no timer is pending, wakes for the first one set, and that
// packets (Poke) advance the wheel themselves: a transaction answered
// while the goroutine is parked is still deleted after its wait timer.
func TestTimerGoroutineParks(t *testing.T) {
	s := &fakeSender{}
	m := New(Config{Tick: 2 * time.Millisecond, T1: time.Millisecond, T2: 4 * time.Millisecond, WaitTimer: 20 * time.Millisecond}, s, &fakeHooks{})
	m.Start()
	defer m.Stop()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("not within 5 s: %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	parked := func() bool {
		m.wheel.mu.Lock()
		defer m.wheel.mu.Unlock()
		return m.wheel.parked
	}
	waitFor("parked on an empty wheel", parked)
	for round := 0; round < 3; round++ {
		raw := strings.Replace(invite, "z9hG4bK776asdhds", fmt.Sprintf("z9hG4bKpark%d", round), 1)
		req := parse(t, raw)
		tx, err := m.NewTx(req.Message, req.Bytes(), info(), DefaultTimers)
		if err != nil {
			t.Fatal(err)
		}
		tx.Reply(context.Background(), 404, "Not Found", nil)
		tx.Unlock()
		if parked() {
			t.Fatal("still parked with a timer pending")
		}
		// A packet handled meanwhile advances the wheel.
		m.Poke()
		waitFor("the answered transaction deleted", func() bool { return m.Len() == 0 })
		waitFor("parked again", parked)
	}
}
