package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Packet is one complete received SIP message.
//
// Data is only valid during the Handler call: buffers are reused, and so is
// the Packet itself. A handler that keeps the message, or any field, past
// its return must copy it.
type Packet struct {
	Data  []byte
	Proto Proto
	// Remote is the peer's address (an IPv4 address is never 4-in-6
	// mapped).
	Remote netip.AddrPort
	// Local is the address of the listener that received the message (for
	// a wildcard listener, the wildcard address). For a message received
	// on an outbound connection it is the address of the listener of that
	// protocol and family, or the connection's own address if there is
	// none.
	Local netip.AddrPort
	// ConnID identifies the stream connection (0 for UDP and SCTP). Pass
	// it in Target.ConnID to send on the same connection.
	ConnID uint64
	// Listener is the listener behind Local (nil for an outbound
	// connection of a protocol that has no listener).
	Listener *Listener
}

// Handler receives packets. It is called on the reader goroutine of the
// socket or connection (see the package documentation): a slow handler
// delays the packets behind it on that socket or connection only.
type Handler interface {
	HandlePacket(ctx context.Context, p *Packet)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, p *Packet)

// HandlePacket calls f(ctx, p).
func (f HandlerFunc) HandlePacket(ctx context.Context, p *Packet) { f(ctx, p) }

// Target is where Send sends a message.
type Target struct {
	Proto Proto
	Addr  netip.AddrPort
	// ConnID, when non-zero and that connection is still open, selects
	// the stream connection (flow reuse). Otherwise an open connection to
	// Addr with Proto is reused, or, for TCP and TLS, one is dialled.
	ConnID uint64
	// Local chooses the source: for UDP, the listener with this address
	// (or the one bound to the wildcard address on its port); for TCP/TLS
	// dials, the source IP (the port is always ephemeral). Zero: the
	// first listener of the protocol and address family.
	Local netip.AddrPort
	// ServerName is the TLS server name for SNI and certificate
	// verification when dialling; empty means Addr's IP address.
	ServerName string
}

// Errors returned by Send (wrapped).
var (
	ErrClosed             = errors.New("transport: manager closed")
	ErrNoListener         = errors.New("transport: no listener for this protocol and address family")
	ErrNoConnection       = errors.New("transport: no open connection (outbound WebSocket connections are not supported)")
	ErrTooManyConnections = errors.New("transport: too many connections")
	ErrConnClosed         = errors.New("transport: connection closed")
)

// Listener is one bound listen address (for UDP, its group of SO_REUSEPORT
// sockets).
type Listener struct {
	m    *Manager
	spec ListenSpec
	addr netip.AddrPort

	udp     []*net.UDPConn
	udpNext atomic.Uint32
	udpRaw  []syscall.RawConn // l.udp's raw connections (Linux), nil elsewhere
	udpV6   bool              // the UDP sockets are IPv6 (dual-stack)
	ln      net.Listener      // TCP, TLS, WS, WSS
	srv     *http.Server      // WS, WSS
	sctp    *sctpSocket
}

// Spec returns the listen spec this listener was made from, with a host
// name or interface resolved into Spec().Addr.
func (l *Listener) Spec() ListenSpec { return l.spec }

// Addr returns the bound address (with the actual port when the spec
// asked for port 0).
func (l *Listener) Addr() netip.AddrPort { return l.addr }

// Proto returns the listener's protocol.
func (l *Listener) Proto() Proto { return l.spec.Proto }

func (l *Listener) String() string { return l.spec.Proto.String() + ":" + l.addr.String() }

func (l *Listener) close() {
	for _, c := range l.udp {
		c.Close()
	}
	if l.srv != nil {
		l.srv.Close() // closes l.ln too
	} else if l.ln != nil {
		l.ln.Close()
	}
	if l.sctp != nil {
		l.sctp.close()
	}
}

type connKey struct {
	proto Proto
	addr  netip.AddrPort
}

type dialCall struct {
	done chan struct{}
	c    *conn
	err  error
}

const (
	stateNew = iota
	stateStarted
	stateClosed
)

// Manager owns the listeners and connections, delivers received messages to
// the Handler and sends messages.
type Manager struct {
	cfg       Config
	h         Handler
	log       *slog.Logger
	tlsServer *tls.Config
	tlsClient *tls.Config

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.RWMutex
	state     int
	listeners []*Listener
	conns     map[uint64]*conn
	byAddr    map[connKey]*conn
	dialing   map[connKey]*dialCall

	nextID  atomic.Uint64
	nconns  atomic.Int64
	limitRL rateLimiter
	wsPool  sync.Pool

	httpHandler atomic.Pointer[http.Handler] // xhttp, see http.go
}

// NewManager checks cfg and loads the TLS certificates. Nothing is bound
// until Start.
func NewManager(cfg Config, h Handler) (*Manager, error) {
	if h == nil {
		return nil, errors.New("transport: nil Handler")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:     cfg,
		h:       h,
		log:     cfg.Logger,
		conns:   make(map[uint64]*conn),
		byAddr:  make(map[connKey]*conn),
		dialing: make(map[connKey]*dialCall),
	}
	var err error
	m.tlsServer, m.tlsClient, err = buildTLS(cfg.TLS)
	if err != nil {
		return nil, err
	}
	for _, s := range cfg.Listen {
		if !s.Proto.valid() {
			return nil, fmt.Errorf("transport: listen %s: invalid protocol", s)
		}
		if !s.Addr.Addr().IsValid() && s.Host == "" {
			return nil, fmt.Errorf("transport: listen %s: no address", s)
		}
		if s.Proto.Secure() && m.tlsServer == nil {
			return nil, fmt.Errorf("transport: listen %s: a %s listener needs a TLS certificate and key (Config.TLS)", s, s.Proto)
		}
		if s.Proto == ProtoSCTP && !sctpBuilt {
			return nil, fmt.Errorf("transport: listen %s: %w", s, errNoSCTP)
		}
	}
	bufSize := cfg.MaxMessageSize + 1
	m.wsPool.New = func() any { b := make([]byte, bufSize); return &b }
	return m, nil
}

// Start binds every listener, or fails with an error naming the listen
// address (closing what it had bound), then starts the readers. ctx is the
// parent of the context handlers receive; cancelling it does not stop the
// Manager (Close does).
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	if m.state != stateNew {
		m.mu.Unlock()
		return errors.New("transport: Start called twice or after Close")
	}
	m.state = stateStarted
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	m.mu.Unlock()

	var ls []*Listener
	fail := func(err error) error {
		for _, l := range ls {
			l.close()
		}
		m.mu.Lock()
		m.state = stateClosed
		m.mu.Unlock()
		m.cancel()
		return err
	}
	for _, spec := range m.cfg.Listen {
		addrs, err := resolveListen(ctx, spec)
		if err != nil {
			return fail(fmt.Errorf("transport: listen %s: %w", spec, err))
		}
		for _, a := range addrs {
			s := spec
			s.Addr = netip.AddrPortFrom(a, spec.Addr.Port())
			l := &Listener{m: m, spec: s}
			if err := m.bind(ctx, l); err != nil {
				return fail(fmt.Errorf("transport: listen %s: %w", s, err))
			}
			ls = append(ls, l)
		}
	}
	m.mu.Lock()
	m.listeners = ls
	m.mu.Unlock()
	for _, l := range ls {
		m.serve(l)
	}
	m.wg.Add(1)
	go m.sweep()
	for _, l := range ls {
		m.log.Info("transport: listening", "listen", l.String(), "advertise", l.spec.AdvertiseHost)
	}
	return nil
}

func (m *Manager) bind(ctx context.Context, l *Listener) error {
	switch l.spec.Proto {
	case ProtoUDP:
		return m.bindUDP(ctx, l)
	case ProtoTCP, ProtoTLS, ProtoWS, ProtoWSS:
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, network("tcp", l.spec.Addr.Addr()), l.spec.Addr.String())
		if err != nil {
			return err
		}
		l.ln = ln
		l.addr = addrPortOf(ln.Addr())
		return nil
	case ProtoSCTP:
		s, a, err := listenSCTP(l.spec.Addr)
		if err != nil {
			return err
		}
		l.sctp, l.addr = s, a
		return nil
	}
	return errors.New("invalid protocol")
}

func (m *Manager) serve(l *Listener) {
	switch l.spec.Proto {
	case ProtoUDP:
		m.serveUDP(l)
	case ProtoTCP, ProtoTLS:
		m.wg.Add(1)
		go m.acceptLoop(l)
	case ProtoWS, ProtoWSS:
		m.serveWS(l)
	case ProtoSCTP:
		m.wg.Add(1)
		go m.readSCTP(l)
	}
}

// Listeners returns the bound listeners, in Config.Listen order.
func (m *Manager) Listeners() []*Listener {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]*Listener(nil), m.listeners...)
}

// Send sends one whole message. For UDP and SCTP it is one datagram from the
// listener chosen by Target.Local and the address family. For streams it is
// written on the connection chosen by Target.ConnID, or an open one to
// Target.Addr, or a new outbound TCP/TLS connection, under
// Config.WriteTimeout (or ctx's deadline if earlier); writes on one
// connection are serialised, and a failed write closes the connection.
func (m *Manager) Send(ctx context.Context, t Target, data []byte) error {
	t.Addr = unmapAP(t.Addr)
	switch t.Proto {
	case ProtoUDP:
		return m.sendUDP(t, data)
	case ProtoSCTP:
		return m.sendSCTP(t, data)
	case ProtoTCP, ProtoTLS, ProtoWS, ProtoWSS:
		c := m.lookup(t)
		if c == nil {
			if t.Proto == ProtoWS || t.Proto == ProtoWSS {
				return fmt.Errorf("transport: send %s %s: %w", t.Proto, t.Addr, ErrNoConnection)
			}
			var err error
			c, err = m.dial(ctx, t)
			if err != nil {
				return err
			}
		}
		if err := c.write(ctx, data); err != nil {
			return fmt.Errorf("transport: send %s %s (conn %d): %w", t.Proto, c.remote, c.id, err)
		}
		return nil
	}
	return fmt.Errorf("transport: send: invalid protocol %d", t.Proto)
}

// Close stops the listeners, closes every connection and waits for the
// reader goroutines, including handlers still running (their context is
// cancelled).
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.state != stateStarted {
		m.state = stateClosed
		m.mu.Unlock()
		return nil
	}
	m.state = stateClosed
	ls := m.listeners
	cs := make([]*conn, 0, len(m.conns))
	for _, c := range m.conns {
		cs = append(cs, c)
	}
	m.mu.Unlock()
	m.cancel()
	for _, l := range ls {
		l.close()
	}
	for _, c := range cs {
		c.close()
	}
	m.wg.Wait()
	return nil
}

// ConnCount returns the number of open stream connections.
func (m *Manager) ConnCount() int { return int(m.nconns.Load()) }

// deliver calls the handler, containing a panic so that one bad message
// does not take the server down.
func (m *Manager) deliver(p *Packet) {
	defer func() {
		if r := recover(); r != nil {
			m.log.Error("transport: handler panic", "panic", r, "proto", p.Proto.String(),
				"remote", p.Remote.String(), "stack", string(debug.Stack()))
		}
	}()
	m.h.HandlePacket(m.ctx, p)
}

// acquire reserves a connection slot.
func (m *Manager) acquire() bool {
	if m.nconns.Add(1) > int64(m.cfg.TCPMaxConnections) {
		m.nconns.Add(-1)
		return false
	}
	return true
}

func (m *Manager) release() { m.nconns.Add(-1) }

// logLimit logs a connection refused for the connection limit, at most once
// a second.
func (m *Manager) logLimit(l *Listener, remote net.Addr) {
	if ok, n := m.limitRL.allow(time.Second); ok {
		m.log.Warn("transport: connection limit reached, closing new connection",
			"listen", l.String(), "remote", remote.String(), "limit", m.cfg.TCPMaxConnections, "refused_since_last_log", n)
	}
}

// pickListener returns the listener of proto for addr's family, preferring
// one bound to local (or to the wildcard on local's port).
func (m *Manager) pickListener(proto Proto, addr, local netip.AddrPort) *Listener {
	m.mu.RLock()
	ls := m.listeners
	m.mu.RUnlock()
	v4 := addr.Addr().Is4()
	var first, wild *Listener
	for _, l := range ls {
		if l.spec.Proto != proto || l.addr.Addr().Is4() != v4 {
			continue
		}
		if local.IsValid() {
			if l.addr == local {
				return l
			}
			if wild == nil && l.addr.Addr().IsUnspecified() && l.addr.Port() == local.Port() {
				wild = l
			}
		}
		if first == nil {
			first = l
		}
	}
	if wild != nil {
		return wild
	}
	return first
}

// sweep closes idle stream connections.
func (m *Manager) sweep() {
	defer m.wg.Done()
	idle := m.cfg.TCPIdleTimeout
	every := min(max(idle/8, 10*time.Millisecond), 5*time.Second)
	tk := time.NewTicker(every)
	defer tk.Stop()
	var stale []*conn
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-tk.C:
		}
		now := time.Now().UnixNano()
		stale = stale[:0]
		m.mu.RLock()
		for _, c := range m.conns {
			d := c.idle.Load()
			if d == 0 {
				d = int64(idle)
			}
			if now-c.last.Load() > d {
				stale = append(stale, c)
			}
		}
		m.mu.RUnlock()
		for i, c := range stale {
			m.log.Debug("transport: closing idle connection", "proto", c.proto.String(), "remote", c.remote.String(), "conn", c.id)
			c.close()
			stale[i] = nil
		}
	}
}

type rateLimiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether to log now, and how many events were suppressed
// since the last log.
func (r *rateLimiter) allow(every time.Duration) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < every {
		r.suppressed++
		return false, 0
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	return true, n
}

func network(base string, a netip.Addr) string {
	if a.Is4() {
		return base + "4"
	}
	return base + "6"
}

func unmapAP(ap netip.AddrPort) netip.AddrPort {
	if ap.Addr().Is4In6() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return unmapAP(a.AddrPort())
	case *net.UDPAddr:
		return unmapAP(a.AddrPort())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return unmapAP(ap)
}

// resolveListen returns the addresses to bind for spec: its IP address, or
// the addresses of the interface or host it names.
func resolveListen(ctx context.Context, spec ListenSpec) ([]netip.Addr, error) {
	if spec.Addr.Addr().IsValid() {
		return []netip.Addr{spec.Addr.Addr()}, nil
	}
	if ifi, err := net.InterfaceByName(spec.Host); err == nil {
		as, err := ifi.Addrs()
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", spec.Host, err)
		}
		var out []netip.Addr
		for _, a := range as {
			if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLinkLocalUnicast() {
				out = append(out, p.Addr().Unmap())
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("interface %s has no usable address", spec.Host)
		}
		return out, nil
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	as, err := net.DefaultResolver.LookupNetIP(rctx, "ip", spec.Host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", spec.Host, err)
	}
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, a := range as {
		a = a.Unmap()
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}
