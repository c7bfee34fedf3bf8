package all_test

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/script"
	"github.com/olelo-sip/olelo/transport"
)

// Addresses of the benchmark call: the caller, the proxy and the callee.
var (
	benchUAC   = netip.MustParseAddrPort("198.51.100.1:5060")
	benchProxy = netip.MustParseAddrPort("192.0.2.10:5060")
	benchUAS   = netip.MustParseAddrPort("203.0.113.1:5070")
)

// callHost is the proxy's network: it keeps the last message sent to the
// caller and to the callee, which the benchmark answers like SIPp would.
type callHost struct {
	mu       sync.Mutex
	toUAC    []byte
	toUAS    []byte
	sent     int // messages sent
	sentUAS  int // of which to the callee
	unwanted []byte
}

func (h *callHost) Send(_ context.Context, t transport.Target, b []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent++
	switch t.Addr {
	case benchUAS:
		h.toUAS = append(h.toUAS[:0], b...)
		h.sentUAS++
	case benchUAC:
		h.toUAC = append(h.toUAC[:0], b...)
	default:
		h.unwanted = append(h.unwanted[:0], b...)
	}
	return nil
}

// benchProxyHost is the proxy's address as text, made once: a real Host
// does not format it per message either.
var benchProxyHost = benchProxy.Addr().String()

func (h *callHost) ViaAddress(transport.Proto, netip.AddrPort) (string, uint16) {
	return benchProxyHost, benchProxy.Port()
}

func (h *callHost) IsMyself(host string, port uint16) bool {
	return host == benchProxyHost && (port == 0 || port == benchProxy.Port())
}

// headerLines returns the lines of msg whose header name is one of names
// (case-sensitive: olelo writes the names it adds in full), joined with
// CRLF and ending in CRLF.
func headerLines(dst, msg []byte, names ...string) []byte {
	for len(msg) > 0 {
		i := bytes.Index(msg, []byte("\r\n"))
		if i <= 0 {
			break
		}
		line := msg[:i]
		msg = msg[i+2:]
		for _, n := range names {
			if len(line) > len(n) && string(line[:len(n)]) == n && line[len(n)] == ':' {
				dst = append(dst, line...)
				dst = append(dst, "\r\n"...)
			}
		}
	}
	return dst
}

// routeSet turns the Record-Route lines of a 2xx into the caller's Route
// header (same order: the caller sees them top-down).
func routeSet(dst, resp []byte) []byte {
	rr := headerLines(nil, resp, "Record-Route")
	for len(rr) > 0 {
		i := bytes.Index(rr, []byte("\r\n"))
		dst = append(dst, "Route"...)
		dst = append(dst, rr[len("Record-Route"):i+2]...)
		rr = rr[i+2:]
	}
	return dst
}

// BenchmarkProxyCall runs one whole record-routed call per iteration
// through the core and the script of examples/proxy-callflows.cfg (the
// config of bench/sipp/calls.sh), no sockets: INVITE (100 sent back),
// 100/180/200 from the callee, ACK and BYE along the route set, 200 to
// the BYE. Eleven messages in, eleven out: what one call costs olelo
// above the kernel.
func BenchmarkProxyCall(b *testing.B) {
	cfg, err := os.ReadFile("../../examples/proxy-callflows.cfg")
	if err != nil {
		b.Fatal(err)
	}
	// Ended transactions wait wt_timer (5 s) before they go; at this pace
	// that would fill the table, so they wait 20 ms here.
	anchor := []byte(`modparam("tm", "fr_inv_timer", 30000)`)
	if !bytes.Contains(cfg, anchor) {
		b.Fatalf("examples/proxy-callflows.cfg no longer sets fr_inv_timer: update the benchmark")
	}
	cfg = bytes.Replace(cfg, anchor, append(anchor, "\nmodparam(\"tm\", \"wt_timer\", 20)"...), 1)
	conf, err := script.ParseBytes("proxy-callflows.cfg", cfg, script.Options{Defines: map[string]string{
		"NEXT_HOP": `"sip:` + benchUAS.String() + `"`,
	}})
	if err != nil {
		b.Fatal(err)
	}
	e, err := script.Compile(conf, script.CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h := &callHost{}
	ctx := context.Background()
	if err := e.Start(ctx, h); err != nil {
		b.Fatal(err)
	}
	defer e.Stop()
	c := core.New(e, h, nil)

	deliver := func(from netip.AddrPort, msg []byte) {
		c.HandlePacket(ctx, &transport.Packet{Proto: transport.ProtoUDP, Remote: from, Local: benchProxy, Data: msg})
	}
	var (
		msg, vias, route, call []byte
	)
	build := func(parts ...[]byte) []byte {
		msg = msg[:0]
		for _, p := range parts {
			msg = append(msg, p...)
		}
		return msg
	}
	const (
		from = "From: <sip:alice@example.com>;tag=a"
		to   = "To: <sip:bob@example.org>"
	)
	ruri := []byte("sip:bob@" + benchUAS.String())
	cl := []byte("Content-Length: 0\r\n\r\n")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := strconv.Itoa(i)
		call = append(append(call[:0], "Call-ID: bench-"...), n...)
		// INVITE from the caller.
		deliver(benchUAC, build([]byte("INVITE "), ruri, []byte(" SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-i"+n+"\r\nMax-Forwards: 70\r\n"+
			from+n+"\r\n"+to+"\r\n"), call, []byte("\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@198.51.100.1:5060>\r\n"), cl))
		if h.sentUAS == 0 {
			b.Fatalf("INVITE not relayed; to the caller: %q", h.toUAC)
		}
		vias = headerLines(vias[:0], h.toUAS, "Via")
		// The callee's answers.
		for _, st := range [...]string{"100 Trying", "180 Ringing", "200 OK"} {
			tag := ""
			if st[0] != '1' || st[1] != '0' {
				tag = ";tag=b" + n
			}
			deliver(benchUAS, build([]byte("SIP/2.0 "+st+"\r\n"), vias, headerLines(nil, h.toUAS, "Record-Route"),
				[]byte(from+n+"\r\n"+to+tag+"\r\n"), call, []byte("\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@203.0.113.1:5070>\r\n"), cl))
		}
		if !bytes.HasPrefix(h.toUAC, []byte("SIP/2.0 200")) {
			b.Fatalf("200 not relayed: %q", h.toUAC)
		}
		route = routeSet(route[:0], h.toUAC)
		// ACK and BYE along the route set, then the callee's 200.
		sentUAS := h.sentUAS
		for _, m := range [...]string{"ACK", "BYE"} {
			cseq := "1 ACK"
			if m == "BYE" {
				cseq = "2 BYE"
			}
			deliver(benchUAC, build([]byte(m+" sip:bob@203.0.113.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-"+m+n+"\r\nMax-Forwards: 70\r\n"),
				route, []byte(from+n+"\r\n"+to+";tag=b"+n+"\r\n"), call, []byte("\r\nCSeq: "+cseq+"\r\n"), cl))
		}
		if h.sentUAS != sentUAS+2 {
			b.Fatalf("ACK/BYE not relayed (%d sent to the callee); last to the caller: %q", h.sentUAS-sentUAS, h.toUAC)
		}
		vias = headerLines(vias[:0], h.toUAS, "Via")
		deliver(benchUAS, build([]byte("SIP/2.0 200 OK\r\n"), vias,
			[]byte(from+n+"\r\n"+to+";tag=b"+n+"\r\n"), call, []byte("\r\nCSeq: 2 BYE\r\n"), cl))
		if !bytes.HasPrefix(h.toUAC, []byte("SIP/2.0 200")) || !bytes.Contains(h.toUAC, []byte("BYE")) {
			b.Fatalf("200 to BYE not relayed: %q", h.toUAC)
		}
	}
	b.StopTimer()
	if len(h.unwanted) > 0 {
		b.Fatalf("sent elsewhere: %q", h.unwanted)
	}
	if per := float64(h.sent) / float64(b.N); per != 7 {
		b.Fatalf("%.2f messages sent per call, want 7", per)
	}
}
