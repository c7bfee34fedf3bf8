package tm_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/modules/tm"
	"github.com/olelo-sip/olelo/script"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// benchHost keeps only the last request sent to the callee.
type benchHost struct {
	mu   sync.Mutex
	last []byte
}

func (h *benchHost) Send(_ context.Context, t transport.Target, b []byte) error {
	if t.Addr.Port() == 5070 {
		h.mu.Lock()
		h.last = append(h.last[:0], b...)
		h.mu.Unlock()
	}
	return nil
}
func (h *benchHost) ViaAddress(transport.Proto, netip.AddrPort) (string, uint16) {
	return "192.0.2.10", 5060
}
func (h *benchHost) IsMyself(host string, port uint16) bool { return host == "192.0.2.10" }

// BenchmarkStatefulCall routes the INVITE of a call through t_relay with
// a failure and a reply route armed, and its 100, 180 and 200 back: the
// script engine, tm and the message layer, no sockets.
func BenchmarkStatefulCall(b *testing.B) {
	conf, err := script.ParseBytes("bench.cfg", []byte(head+`
request_route {
    if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
    if (!is_method("ACK")) {
        if (t_precheck_trans()) { t_check_trans(); exit; }
        t_check_trans();
    }
    $du = "sip:203.0.113.1:5070";
    t_on_failure("F");
    t_on_reply("R");
    if (!t_relay()) { sl_reply_error(); }
}
onreply_route[R] { if (status =~ "[12][0-9][0-9]") { $var(x) = 1; } }
failure_route[F] { if (t_is_canceled()) { exit; } }
`), script.Options{})
	if err != nil {
		b.Fatal(err)
	}
	e, err := script.Compile(conf, script.CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h := &benchHost{}
	e.Start(context.Background(), h)
	defer e.Stop()
	ctx := context.Background()
	raw := []byte(invite)
	bi := strings.Index(invite, "z9hG4bK776asdhds") + 7
	req := &core.Msg{Message: new(sip.Message), Proto: transport.ProtoUDP, Remote: upstream, Local: local}
	resp := &core.Msg{Message: new(sip.Message), Proto: transport.ProtoUDP, Remote: netip.MustParseAddrPort("203.0.113.1:5070"), Local: local}
	var rbuf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n := i
		for k := bi + 8; k >= bi; k-- {
			raw[k] = "0123456789abcdef"[n&15]
			n >>= 4
		}
		req.Message.Parse(raw, sip.Datagram)
		e.HandleRequest(ctx, req)
		var sent sip.Message
		sent.Parse(h.last, sip.Datagram)
		v, _ := sent.TopVia()
		for _, code := range [...]string{"100 Trying", "180 Ringing", "200 OK"} {
			rbuf = append(rbuf[:0], "SIP/2.0 "...)
			rbuf = append(rbuf, code...)
			rbuf = append(rbuf, "\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch="...)
			rbuf = append(rbuf, v.Branch...)
			rbuf = append(rbuf, "\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK"...)
			rbuf = append(rbuf, raw[bi:bi+9]...)
			rbuf = append(rbuf, "\r\nTo: Bob <sip:bob@example.org>;tag=b1\r\nFrom: Alice <sip:alice@example.com>;tag=1928301774\r\n"+
				"Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"...)
			resp.Message.Parse(rbuf, sip.Datagram)
			e.HandleResponse(ctx, resp)
		}
	}
	b.StopTimer()
	if mgr := tm.SharedManager(); mgr.Len() < b.N/2 {
		b.Fatalf("%d transactions for %d calls", mgr.Len(), b.N)
	}
}
