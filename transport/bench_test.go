package transport

import (
	"context"
	"net"
	"testing"
	"time"
)

// replyHandler sends every packet back where it came from, on the same
// socket or connection, without allocating.
type replyHandler struct{ m *Manager }

func (h *replyHandler) HandlePacket(ctx context.Context, p *Packet) {
	h.m.Send(ctx, Target{Proto: p.Proto, Addr: p.Remote, ConnID: p.ConnID, Local: p.Local}, p.Data)
}

var benchMsg = []byte("OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74b43\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n" +
	"To: Bob <sip:bob@biloxi.example.com>\r\n" +
	"Call-ID: 3848276298220188511@atlanta.example.com\r\n" +
	"CSeq: 1 OPTIONS\r\n" +
	"Content-Length: 0\r\n\r\n")

// BenchmarkUDPRoundTrip: client → listener → handler → Send → client.
func BenchmarkUDPRoundTrip(b *testing.B) {
	h := &replyHandler{}
	m := startManager(b, Config{Listen: mustListen(b, "udp:127.0.0.1:0")}, h)
	h.m = m
	cl, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(m.Listeners()[0].Addr()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	buf := make([]byte, 2048)
	// One deadline for the whole run: a lost datagram fails the benchmark
	// instead of hanging it.
	cl.SetReadDeadline(time.Now().Add(time.Minute))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		if _, err := cl.Write(benchMsg); err != nil {
			b.Fatal(err)
		}
		if _, err := cl.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTCPRoundTrip: client → TCP connection → framing → handler →
// Send on the same connection → client.
func BenchmarkTCPRoundTrip(b *testing.B) {
	h := &replyHandler{}
	m := startManager(b, Config{Listen: mustListen(b, "tcp:127.0.0.1:0")}, h)
	h.m = m
	cl, err := net.Dial("tcp4", m.Listeners()[0].Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	buf := make([]byte, len(benchMsg))
	cl.SetReadDeadline(time.Now().Add(time.Minute))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		if _, err := cl.Write(benchMsg); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < len(buf); {
			k, err := cl.Read(buf[n:])
			if err != nil {
				b.Fatal(err)
			}
			n += k
		}
	}
}
