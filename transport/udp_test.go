package transport

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echo replies to every packet with "echo:" + the data, to p.Remote, on
// the same connection.
func echo(ctx context.Context, p *Packet) {
	if strings.HasPrefix(string(p.Data), "echo:") {
		return
	}
	reply := append([]byte("echo:"), p.Data...)
	p.Listener.m.Send(ctx, Target{Proto: p.Proto, Addr: p.Remote, ConnID: p.ConnID, Local: p.Local}, reply)
}

func udpRoundTrip(t *testing.T, listen, clientNet string) {
	col := newCollector()
	col.reply = echo
	m := startManager(t, Config{Listen: mustListen(t, listen), UDPReaders: 2}, col)
	ls := m.Listeners()
	if len(ls) != 1 || ls[0].Addr().Port() == 0 || ls[0].Proto() != ProtoUDP {
		t.Fatalf("listeners: %v", ls)
	}
	srv := ls[0].Addr()
	cl, err := net.ListenUDP(clientNet, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Keep-alives are dropped; the message after them is delivered.
	for _, d := range []string{"\r\n\r\n", "\r\n", " \t\r\n", msg("OPTIONS", "")} {
		if _, err := cl.WriteToUDPAddrPort([]byte(d), srv); err != nil {
			t.Fatal(err)
		}
	}
	g := col.next(t)
	if g.Data != msg("OPTIONS", "") || g.Proto != ProtoUDP || g.ConnID != 0 || g.Local != srv {
		t.Fatalf("got %+v", g)
	}
	if g.Remote.Port() != uint16(cl.LocalAddr().(*net.UDPAddr).Port) || !g.Remote.Addr().IsLoopback() {
		t.Fatalf("remote %v, client %v", g.Remote, cl.LocalAddr())
	}
	cl.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 2000)
	n, from, err := cl.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "echo:"+msg("OPTIONS", "") {
		t.Fatalf("reply %q", buf[:n])
	}
	if from.Port() != srv.Port() {
		t.Fatalf("reply from %v, listener %v", from, srv)
	}
}

func TestUDPEcho(t *testing.T) { udpRoundTrip(t, "udp:127.0.0.1:0", "udp4") }

func TestUDPEchoIPv6(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback")
	}
	udpRoundTrip(t, "udp:[::1]:0", "udp6")
}

func TestUDPTooLargeDropped(t *testing.T) {
	col := newCollector()
	m := startManager(t, Config{Listen: mustListen(t, "udp:127.0.0.1:0"), UDPReaders: 1, MaxMessageSize: 200}, col)
	cl, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(m.Listeners()[0].Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	big := msg("MESSAGE", strings.Repeat("x", 300))
	small := msg("MESSAGE", "")
	exact := msg("MESSAGE", strings.Repeat("y", 200-len(small)-1)) // "Content-Length: NN"
	if len(exact) != 200 {
		t.Fatalf("test message is %d bytes", len(exact))
	}
	for _, d := range []string{big, small, exact} {
		cl.Write([]byte(d))
	}
	if g := col.next(t); g.Data != small {
		t.Fatalf("got %q", g.Data)
	}
	if g := col.next(t); g.Data != exact {
		t.Fatalf("got %q", g.Data)
	}
}

// With several SO_REUSEPORT sockets, handlers run concurrently on different
// readers: the first handler blocks until a second one runs.
func TestUDPSeveralReaders(t *testing.T) {
	if !reusePortSupported {
		t.Skip("no SO_REUSEPORT")
	}
	var inflight atomic.Int32
	concurrent := make(chan struct{})
	var once sync.Once
	var delivered atomic.Int32
	h := HandlerFunc(func(ctx context.Context, p *Packet) {
		delivered.Add(1)
		if inflight.Add(1) >= 2 {
			once.Do(func() { close(concurrent) })
		}
		select {
		case <-concurrent:
		case <-time.After(wait):
		case <-ctx.Done():
		}
		inflight.Add(-1)
	})
	m := startManager(t, Config{Listen: mustListen(t, "udp:127.0.0.1:0"), UDPReaders: 4}, h)
	l := m.Listeners()[0]
	if len(l.udp) != 4 {
		t.Fatalf("%d sockets, want 4", len(l.udp))
	}
	for _, c := range l.udp {
		if got := addrPortOf(c.LocalAddr()); got != l.Addr() {
			t.Fatalf("socket on %v, listener %v", got, l.Addr())
		}
	}
	// Datagrams from many source ports are spread over the sockets by
	// the kernel's hash of the addresses.
	for i := 0; i < 64; i++ {
		cl, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(l.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		cl.Write([]byte(msg("OPTIONS", "")))
		cl.Close()
	}
	select {
	case <-concurrent:
	case <-time.After(wait):
		t.Fatalf("handlers never ran concurrently (%d delivered)", delivered.Load())
	}
}

// A port held by another socket makes Start fail, even though our own
// sockets use SO_REUSEPORT, and the error names the listen address.
func TestUDPPortInUse(t *testing.T) {
	m1 := startManager(t, Config{Listen: mustListen(t, "udp:127.0.0.1:0"), UDPReaders: 2}, newCollector())
	addr := m1.Listeners()[0].Addr()
	spec := mustListen(t, "udp:"+addr.String())
	m2, err := NewManager(Config{Listen: spec, UDPReaders: 2, Logger: testLogger()}, newCollector())
	if err != nil {
		t.Fatal(err)
	}
	err = m2.Start(context.Background())
	if err == nil {
		m2.Close()
		t.Fatal("second manager bound a port in use")
	}
	if !strings.Contains(err.Error(), addr.String()) {
		t.Fatalf("error %q does not name %v", err, addr)
	}
	m2.Close()
}

func TestHandlerPanicRecovered(t *testing.T) {
	col := newCollector()
	var n atomic.Int32
	h := HandlerFunc(func(ctx context.Context, p *Packet) {
		if n.Add(1) == 1 {
			panic("boom")
		}
		col.HandlePacket(ctx, p)
	})
	m := startManager(t, Config{Listen: mustListen(t, "udp:127.0.0.1:0"), UDPReaders: 1}, h)
	cl, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(m.Listeners()[0].Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.Write([]byte(msg("A", "")))
	cl.Write([]byte(msg("B", "")))
	if g := col.next(t); g.Data != msg("B", "") {
		t.Fatalf("got %q", g.Data)
	}
}

func TestSendErrors(t *testing.T) {
	m := startManager(t, Config{Listen: mustListen(t, "udp:127.0.0.1:0")}, newCollector())
	ctx := context.Background()
	v6 := Target{Proto: ProtoUDP, Addr: mustAP("[::1]:5060")}
	if err := m.Send(ctx, v6, []byte("x")); err == nil {
		t.Error("send to IPv6 without an IPv6 listener succeeded")
	}
	if err := m.Send(ctx, Target{Proto: ProtoWS, Addr: mustAP("127.0.0.1:1")}, []byte("x")); err == nil {
		t.Error("send over WS without a connection succeeded")
	}
	if err := m.Send(ctx, Target{Proto: 0, Addr: mustAP("127.0.0.1:1")}, []byte("x")); err == nil {
		t.Error("send with no protocol succeeded")
	}
	m.Close()
	if err := m.Send(ctx, Target{Proto: ProtoTCP, Addr: mustAP("127.0.0.1:1")}, []byte("x")); err == nil {
		t.Error("send after Close succeeded")
	}
}

func TestConfigErrors(t *testing.T) {
	h := newCollector()
	if _, err := NewManager(Config{Listen: mustListen(t, "tls:127.0.0.1:0")}, h); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("tls listener without certificate: %v", err)
	}
	if !sctpBuilt {
		_, err := NewManager(Config{Listen: mustListen(t, "sctp:127.0.0.1:0")}, h)
		if err == nil || !strings.Contains(err.Error(), "build tag sctp") {
			t.Errorf("sctp listener without the build tag: %v", err)
		}
	}
	if _, err := NewManager(Config{MaxMessageSize: -1}, h); err == nil {
		t.Error("negative MaxMessageSize accepted")
	}
	if _, err := NewManager(Config{}, nil); err == nil {
		t.Error("nil handler accepted")
	}
	if _, err := NewManager(Config{TLS: &TLSConfig{CertFile: "/nonexistent.pem", KeyFile: "/nonexistent.key"}}, h); err == nil {
		t.Error("missing certificate file accepted")
	}
}
