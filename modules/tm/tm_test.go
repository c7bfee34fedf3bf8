package tm_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	_ "github.com/olelo-sip/olelo/modules/corex"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	_ "github.com/olelo-sip/olelo/modules/sl"
	_ "github.com/olelo-sip/olelo/modules/textops"
	"github.com/olelo-sip/olelo/modules/tm"
	_ "github.com/olelo-sip/olelo/modules/tmx"
	_ "github.com/olelo-sip/olelo/modules/xlog"
	"github.com/olelo-sip/olelo/script"
	"github.com/olelo-sip/olelo/sip"
	txn "github.com/olelo-sip/olelo/tm"
	"github.com/olelo-sip/olelo/transport"
)

// A test-only module with append_branch (corex has none yet) and a
// recorder of values seen by the script.
func init() {
	module.Register(module.Module{Name: "tmtest", Doc: "test helpers", New: func() module.Instance { return &testInst{} }})
}

type testInst struct{}

var seen atomic.Value // string

func (*testInst) Funcs() []module.Func {
	return []module.Func{
		{Name: "test_append_branch", Args: []module.ArgKind{module.ArgStr}, Run: func(c *module.Ctx, a []*module.Arg) int {
			u, _ := a[0].GetStr(c)
			c.Branches = append(c.Branches, module.Branch{URI: u, Q: -1})
			return 1
		}},
		{Name: "test_seen", Args: []module.ArgKind{module.ArgStr}, Routes: module.AnyRoute, Run: func(c *module.Ctx, a []*module.Arg) int {
			s, _ := a[0].GetStr(c)
			old, _ := seen.Load().(string)
			seen.Store(old + s + ";")
			return 1
		}},
	}
}

const head = `
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "textops.so"
loadmodule "tmtest.so"
loadmodule "corex.so"
`

type rig struct {
	t         *testing.T
	e         *script.Engine
	h         *modtest.Host
	mgr       *txn.Manager
	forwarded atomic.Int32
	taken     int
}

func newRig(t *testing.T, cfg string) *rig {
	t.Helper()
	seen.Store("")
	conf, err := script.ParseBytes("test.cfg", []byte(head+cfg), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, h: &modtest.Host{}}
	e, err := script.Compile(conf, script.CompileOptions{ForwardReply: func(context.Context, *core.Msg) { r.forwarded.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background(), r.h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	r.e = e
	r.mgr = tm.SharedManager()
	r.mgr.Stop() // the test drives the timers
	return r
}

var (
	upstream = netip.MustParseAddrPort("198.51.100.1:5060")
	local    = netip.MustParseAddrPort("192.0.2.10:5060")
)

func msg(t *testing.T, s string, from netip.AddrPort) *core.Msg {
	t.Helper()
	m := new(sip.Message)
	if err := m.Parse([]byte(s), sip.Datagram); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	return &core.Msg{Message: m, Proto: transport.ProtoUDP, Remote: from, Local: local}
}

func (r *rig) request(s string) { r.e.HandleRequest(context.Background(), msg(r.t, s, upstream)) }

// sent returns the start lines and targets of what was sent since the
// last call.
func (r *rig) sent() []modtest.Sent {
	r.h.Count()
	all := r.h.Sent[r.taken:]
	r.taken = len(r.h.Sent)
	return all
}

func starts(ss []modtest.Sent) []string {
	var out []string
	for _, s := range ss {
		line, _, _ := strings.Cut(s.Data, "\r\n")
		out = append(out, s.Target.Addr.String()+" "+line)
	}
	return out
}

// reply answers the request sent to dst with code.
func (r *rig) reply(ss []modtest.Sent, dst string, code int, reason string) {
	r.t.Helper()
	for _, s := range ss {
		if s.Target.Addr.String() != dst || strings.HasPrefix(s.Data, "SIP/2.0") || strings.HasPrefix(s.Data, "ACK ") || strings.HasPrefix(s.Data, "CANCEL ") {
			continue
		}
		req := msg(r.t, s.Data, s.Target.Addr)
		var b strings.Builder
		fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, reason)
		for _, h := range req.Headers() {
			switch h.ID {
			case sip.HdrVia, sip.HdrFrom, sip.HdrCallID, sip.HdrCSeq:
				fmt.Fprintf(&b, "%s: %s\r\n", h.Name, h.Value)
			case sip.HdrTo:
				fmt.Fprintf(&b, "%s: %s;tag=uas\r\n", h.Name, h.Value)
			}
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		r.e.HandleResponse(context.Background(), msg(r.t, b.String(), s.Target.Addr))
		return
	}
	r.t.Fatalf("nothing sent to %s", dst)
}

func (r *rig) expect(got []modtest.Sent, want ...string) {
	r.t.Helper()
	if g := starts(got); strings.Join(g, "\n") != strings.Join(want, "\n") {
		r.t.Fatalf("sent:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

const invite = "INVITE sip:bob@example.org SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: Bob <sip:bob@example.org>\r\n" +
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n" +
	"CSeq: 314159 INVITE\r\n" +
	"Contact: <sip:alice@198.51.100.1>\r\n" +
	"Content-Length: 0\r\n\r\n"

func method(m, num string) string {
	s := strings.Replace(invite, "INVITE sip", m+" sip", 1)
	return strings.Replace(s, "314159 INVITE", num+" "+m, 1)
}

const relayCfg = `
request_route {
    if (is_method("CANCEL")) {
        if (t_check_trans()) { t_relay(); }
        exit;
    }
    if (is_method("ACK")) {
        if (t_check_trans()) { t_relay(); }
        exit;
    }
    if (t_precheck_trans()) { test_seen("precheck"); t_check_trans(); exit; }
    $du = "sip:203.0.113.1:5060";
    t_on_failure("FAIL");
    t_on_reply("REPLY");
    if (!t_relay()) { sl_reply_error(); }
}
onreply_route[REPLY] {
    test_seen("reply $T_reply_code");
}
failure_route[FAIL] {
    test_seen("failure $T_reply_code $T_reply_reason");
    if (t_is_canceled()) { test_seen("canceled"); exit; }
    if (t_branch_timeout()) { test_seen("timeout"); }
    if (t_check_status("486")) {
        $du = "sip:203.0.113.2:5060";
        t_relay();
    }
}
`

func TestRelayInvite(t *testing.T) {
	r := newRig(t, relayCfg)
	r.request(invite)
	out := r.sent()
	r.expect(out,
		"198.51.100.1:5060 SIP/2.0 100 trying -- your call is important to us",
		"203.0.113.1:5060 INVITE sip:bob@example.org SIP/2.0")
	if !strings.Contains(out[1].Data, "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK") {
		t.Fatalf("no Via of ours:\n%s", out[1].Data)
	}
	// A retransmission: absorbed by t_precheck_trans/t_check_trans,
	// which sends the 100 again.
	r.request(invite)
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 100 trying -- your call is important to us")
	r.reply(out, "203.0.113.1:5060", 180, "Ringing")
	r.reply(out, "203.0.113.1:5060", 200, "OK")
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 180 Ringing", "198.51.100.1:5060 SIP/2.0 200 OK")
	if r.forwarded.Load() != 0 {
		t.Fatal("a transaction's reply went to stateless forwarding")
	}
	if s := seen.Load(); s != "precheck;reply 180;reply 200;" {
		t.Fatalf("seen %q", s)
	}
}

func TestFailureRouteSerialForking(t *testing.T) {
	r := newRig(t, relayCfg)
	r.request(invite)
	out := r.sent()
	r.reply(out, "203.0.113.1:5060", 486, "Busy Here")
	out2 := r.sent()
	r.expect(out2, "203.0.113.1:5060 ACK sip:bob@example.org SIP/2.0", "203.0.113.2:5060 INVITE sip:bob@example.org SIP/2.0")
	r.reply(out2, "203.0.113.2:5060", 200, "OK")
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 200 OK")
	if s := seen.Load(); s != "reply 486;failure 486 Busy Here;reply 200;" {
		t.Fatalf("seen %q", s)
	}
}

func TestCancel(t *testing.T) {
	r := newRig(t, relayCfg)
	r.request(invite)
	out := r.sent()
	r.reply(out, "203.0.113.1:5060", 180, "Ringing")
	r.sent()
	r.request(method("CANCEL", "314159"))
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 200 canceling", "203.0.113.1:5060 CANCEL sip:bob@example.org SIP/2.0")
	r.reply(out, "203.0.113.1:5060", 487, "Request Terminated")
	r.expect(r.sent(), "203.0.113.1:5060 ACK sip:bob@example.org SIP/2.0", "198.51.100.1:5060 SIP/2.0 487 Request Terminated")
	// The caller's ACK of the 487 is absorbed.
	r.request(method("ACK", "314159"))
	r.expect(r.sent())
	if s := seen.Load(); s != "reply 180;reply 487;failure 487 Request Terminated;canceled;" {
		t.Fatalf("seen %q", s)
	}
}

func TestTimeout408(t *testing.T) {
	r := newRig(t, relayCfg)
	r.request(invite)
	r.sent()
	r.mgr.Advance(31 * time.Second)
	r.mgr.Advance(10 * time.Hour)
	got := starts(r.sent())
	if len(got) == 0 || got[len(got)-1] != "198.51.100.1:5060 SIP/2.0 408 Request Timeout" {
		t.Fatalf("sent %q", got)
	}
	if s := seen.Load(); s != "failure 408 Request Timeout;timeout;" {
		t.Fatalf("seen %q", s)
	}
}

func TestParallelForking(t *testing.T) {
	r := newRig(t, `
request_route {
    if (is_method("ACK|CANCEL")) { exit; }
    test_append_branch("sip:carol@203.0.113.3");
    $du = "";
    $ru = "sip:bob@203.0.113.2";
    t_relay();
}
`)
	r.request(invite)
	out := r.sent()
	r.expect(out,
		"198.51.100.1:5060 SIP/2.0 100 trying -- your call is important to us",
		"203.0.113.2:5060 INVITE sip:bob@203.0.113.2 SIP/2.0",
		"203.0.113.3:5060 INVITE sip:carol@203.0.113.3 SIP/2.0")
	r.reply(out, "203.0.113.2:5060", 180, "Ringing")
	r.reply(out, "203.0.113.3:5060", 180, "Ringing")
	r.sent()
	r.reply(out, "203.0.113.3:5060", 200, "OK")
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 200 OK", "203.0.113.2:5060 CANCEL sip:bob@203.0.113.2 SIP/2.0")
}

func TestNewtranReply(t *testing.T) {
	r := newRig(t, `
request_route {
    $var(rc) = t_newtran();
    test_seen("newtran $var(rc)");
    t_newtran();
    test_seen("again $rc");
    t_reply("404", "Not Here");
    test_seen("reply $rc $T_reply_code");
    t_reply("500", "Twice");
    test_seen("twice $rc");
}
`)
	r.request(method("OPTIONS", "1"))
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 404 Not Here")
	// The retransmission: t_newtran returns 0 and stops the script after
	// resending the 404.
	r.request(method("OPTIONS", "1"))
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 404 Not Here")
	if s := seen.Load(); s != "newtran 1;again -10;reply 1 404;twice -1;" {
		t.Fatalf("seen %q", s)
	}
}

func TestCheckTransCodes(t *testing.T) {
	r := newRig(t, `
request_route {
    t_check_trans();
    test_seen("$rm $rc");
    if (is_method("INVITE")) { $du = "sip:203.0.113.1"; t_relay(); }
}
`)
	r.request(method("CANCEL", "314159")) // no INVITE yet: -1
	r.request(invite)                     // new: -1
	r.request(method("CANCEL", "314159")) // INVITE exists: 1
	r.request(invite)                     // retransmission: 0 stops the script
	if s := seen.Load(); s != "CANCEL -1;INVITE -1;CANCEL 1;" {
		t.Fatalf("seen %q", s)
	}
}

func TestSendReplyStateful(t *testing.T) {
	r := newRig(t, `
request_route {
    t_newtran();
    send_reply("486", "Busy");
}
`)
	r.request(invite)
	got := r.sent()
	r.expect(got, "198.51.100.1:5060 SIP/2.0 100 trying -- your call is important to us", "198.51.100.1:5060 SIP/2.0 486 Busy")
	if !strings.Contains(got[1].Data, ";tag=tm") {
		t.Fatalf("not the transaction's tag:\n%s", got[0].Data)
	}
	// The 486 is retransmitted until the ACK (Timer G).
	r.mgr.Advance(10 * time.Hour)
	if len(r.sent()) == 0 {
		t.Fatal("no retransmission")
	}
}

func TestAVPsAndBranchRoute(t *testing.T) {
	r := newRig(t, `
request_route {
    if (is_method("ACK")) { t_check_trans(); exit; }
    $avp(hop) = 1;
    $du = "sip:203.0.113.1:5060";
    t_on_failure("F");
    t_on_branch("B");
    t_relay();
}
branch_route[B] {
    test_seen("branch $T_branch_idx hop $avp(hop)");
    append_hf("X-Branch: $T_branch_idx\r\n");
}
failure_route[F] {
    test_seen("failure hop $avp(hop)");
    $avp(hop) = $avp(hop) + 1;
    if ($avp(hop) < 3) {
        t_on_failure("F");
        t_relay();
    }
}
`)
	r.request(invite)
	out := r.sent()
	if !strings.Contains(out[1].Data, "\r\nX-Branch: 0\r\n") {
		t.Fatalf("branch route change missing:\n%s", out[1].Data)
	}
	r.reply(out, "203.0.113.1:5060", 486, "Busy Here")
	out = r.sent()
	if len(out) != 2 || !strings.Contains(out[1].Data, "\r\nX-Branch: 1\r\n") || strings.Contains(out[1].Data, "X-Branch: 0") {
		t.Fatalf("second branch:\n%s", starts(out))
	}
	r.reply(out, "203.0.113.1:5060", 486, "Busy Here")
	r.expect(r.sent()[1:], "198.51.100.1:5060 SIP/2.0 486 Busy Here")
	if s := seen.Load(); s != "branch 0 hop 1;failure hop 1;branch 1 hop 2;failure hop 2;" {
		t.Fatalf("seen %q", s)
	}
}

func TestNewtranSends100(t *testing.T) {
	r := newRig(t, `
request_route {
    t_newtran();
    $du = "sip:203.0.113.1:5060";
    t_relay();
}
`)
	r.request(invite)
	r.expect(r.sent(), "198.51.100.1:5060 SIP/2.0 100 trying -- your call is important to us", "203.0.113.1:5060 INVITE sip:bob@example.org SIP/2.0")
}

func TestLoadNextContacts(t *testing.T) {
	r := newRig(t, `
request_route {
    if (is_method("ACK")) { t_check_trans(); exit; }
    $ru = "sip:a@203.0.113.1";
    append_branch("sip:b@203.0.113.2", "0.5");
    append_branch("sip:c@203.0.113.3", "1.0");
    t_load_contacts();
    t_next_contacts();
    test_seen("first $rc $ru");
    t_on_failure("NEXT");
    t_relay();
}
failure_route[NEXT] {
    if (t_next_contacts()) {
        test_seen("next $ru");
        t_on_failure("NEXT");
        t_relay();
    } else {
        test_seen("none $rc");
    }
}
`)
	r.request(invite)
	out := r.sent()
	// q 1.0 (the Request-URI has no q: 1.0) first, in parallel.
	r.expect(out[1:], "203.0.113.1:5060 INVITE sip:a@203.0.113.1 SIP/2.0", "203.0.113.3:5060 INVITE sip:c@203.0.113.3 SIP/2.0")
	r.reply(out, "203.0.113.1:5060", 486, "Busy Here")
	r.reply(out, "203.0.113.3:5060", 480, "Unavailable")
	out = r.sent()
	if len(out) != 3 || starts(out)[2] != "203.0.113.2:5060 INVITE sip:b@203.0.113.2 SIP/2.0" {
		t.Fatalf("sent %q", starts(out))
	}
	r.reply(out, "203.0.113.2:5060", 404, "Not Found")
	if s := seen.Load(); s != "first 1 sip:a@203.0.113.1;next sip:b@203.0.113.2;none -2;" {
		t.Fatalf("seen %q", s)
	}
}
