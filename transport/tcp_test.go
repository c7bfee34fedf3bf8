package transport

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func tcpServer(t *testing.T, cfg Config, h Handler) (*Manager, string) {
	t.Helper()
	if cfg.Listen == nil {
		cfg.Listen = mustListen(t, "tcp:127.0.0.1:0")
	}
	m := startManager(t, cfg, h)
	return m, m.Listeners()[0].Addr().String()
}

func dialTCP(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTCPFraming(t *testing.T) {
	a, b := msg("INVITE", "v=0\r\n"), msg("BYE", "")
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"two pipelined in one write", []string{a + b}, []string{a, b}},
		{"split across writes", []string{a[:10], a[10:40], a[40 : len(a)-2], a[len(a)-2:]}, []string{a}},
		{"split inside the empty line", []string{a[:strings.Index(a, "\r\n\r\n")+3], a[strings.Index(a, "\r\n\r\n")+3:]}, []string{a}},
		{"keep-alives between", []string{"\r\n", a + "\r\n", "\r\n" + b}, []string{a, b}},
		{"bare LF", []string{"OPTIONS sip:x SIP/2.0\nl: 2\n\nab"}, []string{"OPTIONS sip:x SIP/2.0\nl: 2\n\nab"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := newCollector()
			_, addr := tcpServer(t, Config{}, col)
			c := dialTCP(t, addr)
			for _, w := range tc.writes {
				if _, err := c.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			var id uint64
			for i, want := range tc.want {
				g := col.next(t)
				if g.Data != want || g.Proto != ProtoTCP || g.ConnID == 0 {
					t.Fatalf("message %d: got %+v", i, g)
				}
				if id != 0 && g.ConnID != id {
					t.Fatalf("conn id changed: %d, %d", id, g.ConnID)
				}
				id = g.ConnID
				if g.Remote.String() != c.LocalAddr().String() {
					t.Fatalf("remote %v, client %v", g.Remote, c.LocalAddr())
				}
			}
		})
	}
}

// A big message trickling in a few bytes at a time is framed once whole.
func TestTCPTrickle(t *testing.T) {
	col := newCollector()
	_, addr := tcpServer(t, Config{}, col)
	c := dialTCP(t, addr)
	m := msg("MESSAGE", strings.Repeat("z", 20000))
	for i := 0; i < len(m); i += 700 {
		if _, err := c.Write([]byte(m[i:min(i+700, len(m))])); err != nil {
			t.Fatal(err)
		}
	}
	if g := col.next(t); g.Data != m {
		t.Fatalf("got %d bytes, want %d", len(g.Data), len(m))
	}
}

func TestTCPPing(t *testing.T) {
	col := newCollector()
	_, addr := tcpServer(t, Config{}, col)
	c := dialTCP(t, addr)
	// A ping split across two writes is still answered, once.
	c.Write([]byte("\r\n\r"))
	c.Write([]byte("\n"))
	if got := readFull(t, c, 2); got != "\r\n" {
		t.Fatalf("pong %q", got)
	}
	// The connection still carries messages.
	c.Write([]byte("\r\n\r\n" + msg("OPTIONS", "")))
	if got := readFull(t, c, 2); got != "\r\n" {
		t.Fatalf("pong %q", got)
	}
	if g := col.next(t); g.Data != msg("OPTIONS", "") {
		t.Fatalf("got %q", g.Data)
	}
}

func TestTCPBadStreamCloses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		data string
	}{
		{"missing Content-Length", Config{}, "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n"},
		{"bad Content-Length", Config{}, "OPTIONS sip:x SIP/2.0\r\nContent-Length: -3\r\n\r\n"},
		{"message over MaxMessageSize", Config{MaxMessageSize: 1000}, msg("MESSAGE", strings.Repeat("x", 1000))},
		{"headers over MaxMessageSize", Config{MaxMessageSize: 1000}, "OPTIONS sip:x SIP/2.0\r\nX: " + strings.Repeat("x", 2000)},
		{"over TCPMaxBuffered", Config{TCPMaxBuffered: 1024}, "OPTIONS sip:x SIP/2.0\r\nX: " + strings.Repeat("x", 2000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := newCollector()
			m, addr := tcpServer(t, tc.cfg, col)
			c := dialTCP(t, addr)
			c.Write([]byte(tc.data))
			expectEOF(t, c)
			select {
			case g := <-col.ch:
				t.Fatalf("delivered %q", g.Data)
			default:
			}
			waitFor(t, func() bool { return m.ConnCount() == 0 })
		})
	}
}

// waitFor polls cond (bounded) for state that settles asynchronously.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTCPConnectionLimit(t *testing.T) {
	col := newCollector()
	m, addr := tcpServer(t, Config{TCPMaxConnections: 2}, col)
	var open []net.Conn
	for i := 0; i < 2; i++ {
		c := dialTCP(t, addr)
		c.Write([]byte("\r\n\r\n"))
		if got := readFull(t, c, 2); got != "\r\n" {
			t.Fatalf("pong %q", got)
		}
		open = append(open, c)
	}
	if n := m.ConnCount(); n != 2 {
		t.Fatalf("ConnCount %d", n)
	}
	over := dialTCP(t, addr)
	expectEOF(t, over)
	// Closing one frees a slot.
	open[0].Close()
	waitFor(t, func() bool { return m.ConnCount() == 1 })
	c := dialTCP(t, addr)
	c.Write([]byte("\r\n\r\n"))
	if got := readFull(t, c, 2); got != "\r\n" {
		t.Fatalf("pong %q", got)
	}
}

func TestTCPIdleTimeout(t *testing.T) {
	m, addr := tcpServer(t, Config{TCPIdleTimeout: 50 * time.Millisecond}, newCollector())
	c := dialTCP(t, addr)
	expectEOF(t, c)
	waitFor(t, func() bool { return m.ConnCount() == 0 })
}

// The handler replies with ConnID and a wrong address: the reply must go on
// the inbound connection.
func TestTCPReplyByConnID(t *testing.T) {
	col := newCollector()
	col.reply = func(ctx context.Context, p *Packet) {
		err := p.Listener.m.Send(ctx, Target{Proto: ProtoTCP, Addr: mustAP("127.0.0.1:9"), ConnID: p.ConnID}, []byte("reply:"+string(p.Data)))
		if err != nil {
			panic(err)
		}
	}
	_, addr := tcpServer(t, Config{}, col)
	c := dialTCP(t, addr)
	req := msg("OPTIONS", "")
	c.Write([]byte(req))
	if got := readFull(t, c, len("reply:"+req)); got != "reply:"+req {
		t.Fatalf("got %q", got)
	}
	if g := col.next(t); g.Data != req {
		t.Fatalf("got %q", g.Data)
	}
}

// Manager a dials manager b, then reuses the connection for a second
// request; b answers on the same connection, which a receives.
func TestTCPDialAndReuse(t *testing.T) {
	bcol := newCollector()
	b, baddr := tcpServer(t, Config{}, bcol)
	acol := newCollector()
	a := startManager(t, Config{Listen: mustListen(t, "tcp:127.0.0.1:0")}, acol)
	ctx := context.Background()
	target := Target{Proto: ProtoTCP, Addr: mustAP(baddr)}
	if err := a.Send(ctx, target, []byte(msg("INVITE", ""))); err != nil {
		t.Fatal(err)
	}
	g1 := bcol.next(t)
	if err := a.Send(ctx, target, []byte(msg("ACK", ""))); err != nil {
		t.Fatal(err)
	}
	g2 := bcol.next(t)
	if g1.Data != msg("INVITE", "") || g2.Data != msg("ACK", "") || g1.ConnID != g2.ConnID || g1.Remote != g2.Remote {
		t.Fatalf("got %+v then %+v", g1, g2)
	}
	if a.ConnCount() != 1 || b.ConnCount() != 1 {
		t.Fatalf("connections: a %d, b %d", a.ConnCount(), b.ConnCount())
	}
	// b replies by ConnID; a receives it on its outbound connection,
	// reported with a's listener as Local.
	if err := b.Send(ctx, Target{Proto: ProtoTCP, Addr: g1.Remote, ConnID: g1.ConnID}, []byte(msg("SIP/2.0", ""))); err != nil {
		t.Fatal(err)
	}
	r := acol.next(t)
	if r.Data != msg("SIP/2.0", "") || r.ConnID == 0 || r.Remote != mustAP(baddr) || r.Local != a.Listeners()[0].Addr() {
		t.Fatalf("a got %+v", r)
	}
	// b can also reach a's connection by address alone (flow reuse of an
	// inbound connection): no new connection is dialled.
	if err := b.Send(ctx, Target{Proto: ProtoTCP, Addr: g1.Remote}, []byte(msg("NOTIFY", ""))); err != nil {
		t.Fatal(err)
	}
	if r2 := acol.next(t); r2.Data != msg("NOTIFY", "") || r2.ConnID != r.ConnID {
		t.Fatalf("a got %+v", r2)
	}
	if a.ConnCount() != 1 || b.ConnCount() != 1 {
		t.Fatalf("connections: a %d, b %d", a.ConnCount(), b.ConnCount())
	}
}

// Concurrent sends to one new address share one dial.
func TestTCPConcurrentDial(t *testing.T) {
	bcol := newCollector()
	_, baddr := tcpServer(t, Config{}, bcol)
	a := startManager(t, Config{}, newCollector())
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			errs <- a.Send(context.Background(), Target{Proto: ProtoTCP, Addr: mustAP(baddr)}, []byte(msg("OPTIONS", "")))
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var id uint64
	for i := 0; i < 8; i++ {
		g := bcol.next(t)
		if id != 0 && g.ConnID != id {
			t.Fatal("more than one connection")
		}
		id = g.ConnID
	}
	if a.ConnCount() != 1 {
		t.Fatalf("%d connections", a.ConnCount())
	}
}

func TestTCPDialRefused(t *testing.T) {
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a := startManager(t, Config{}, newCollector())
	err = a.Send(context.Background(), Target{Proto: ProtoTCP, Addr: mustAP(addr)}, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err %v", err)
	}
	if a.ConnCount() != 0 {
		t.Fatalf("%d connections", a.ConnCount())
	}
}

func TestTCPIPv6(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback")
	}
	col := newCollector()
	col.reply = echo
	_, addr := tcpServer(t, Config{Listen: mustListen(t, "tcp:[::1]:0")}, col)
	c := dialTCP(t, addr)
	c.Write([]byte(msg("OPTIONS", "")))
	want := "echo:" + msg("OPTIONS", "")
	if got := readFull(t, c, len(want)); got != want {
		t.Fatalf("got %q", got)
	}
}

func TestTCPPortInUse(t *testing.T) {
	_, addr := tcpServer(t, Config{}, newCollector())
	m, err := NewManager(Config{Listen: mustListen(t, "tcp:"+addr), Logger: testLogger()}, newCollector())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "tcp:"+addr) {
		t.Fatalf("err %v", err)
	}
}

func TestConnControl(t *testing.T) {
	col := newCollector()
	// TCPIdleTimeout sets the sweep interval (1/8 of it).
	m, addr := tcpServer(t, Config{TCPIdleTimeout: 3 * time.Second}, col)
	ctx := context.Background()

	// AddAlias: the client's advertised address reaches its connection.
	c1 := dialTCP(t, addr)
	c1.Write([]byte(msg("REGISTER", "")))
	g := col.next(t)
	alias := mustAP("127.0.0.1:5999")
	if !m.AddAlias(g.ConnID, alias) {
		t.Fatal("AddAlias failed")
	}
	if err := m.Send(ctx, Target{Proto: ProtoTCP, Addr: alias}, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, c1, 5); got != "hello" {
		t.Fatalf("got %q", got)
	}

	// CloseConn closes it, and the alias goes with it.
	if !m.CloseConn(g.ConnID) {
		t.Fatal("CloseConn failed")
	}
	expectEOF(t, c1)
	if m.CloseConn(g.ConnID) || m.AddAlias(g.ConnID, alias) || m.SetConnLifetime(g.ConnID, time.Second) {
		t.Fatal("control of a closed connection succeeded")
	}
	if c := m.lookup(Target{Proto: ProtoTCP, Addr: alias}); c != nil {
		t.Fatal("alias outlived its connection")
	}

	// SetConnLifetime shortens the idle timeout of one connection.
	c2 := dialTCP(t, addr)
	c2.Write([]byte(msg("OPTIONS", "")))
	g = col.next(t)
	if !m.SetConnLifetime(g.ConnID, time.Millisecond) {
		t.Fatal("SetConnLifetime failed")
	}
	expectEOF(t, c2)
}

func TestListenInterfaceName(t *testing.T) {
	ifi, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no interface lo")
	}
	_ = ifi
	m := startManager(t, Config{Listen: mustListen(t, "udp:lo:0")}, newCollector())
	found := false
	for _, l := range m.Listeners() {
		if l.Spec().Host != "lo" || l.Addr().Port() == 0 || !l.Addr().Addr().IsLoopback() {
			t.Fatalf("listener %v spec %+v", l, l.Spec())
		}
		if l.Addr().Addr().Is4() {
			found = true
		}
	}
	if !found {
		t.Fatalf("no IPv4 listener on lo: %v", m.Listeners())
	}
}
