package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/olelo-sip/olelo/sip"
)

// conn is an open stream connection (TCP, TLS, WS or WSS), inbound or
// outbound.
type conn struct {
	m        *Manager
	id       uint64
	proto    Proto
	remote   netip.AddrPort
	local    netip.AddrPort
	l        *Listener
	outbound bool

	raw net.Conn        // the socket (counted); closing it ends everything
	rw  net.Conn        // what reads and writes go through (raw, or TLS over raw)
	ws  *websocket.Conn // WS/WSS only

	ready   bool         // handshakes done; visible to Send (guarded by m.mu)
	aliases []connKey    // extra byAddr keys (guarded by m.mu)
	idle    atomic.Int64 // idle timeout override in ns; 0: Config.TCPIdleTimeout
	wmu     sync.Mutex
	last    atomic.Int64 // UnixNano of the last read or write
	closed  atomic.Bool
	once    sync.Once
}

func (c *conn) touch() { c.last.Store(time.Now().UnixNano()) }

// close closes the connection and removes it from the tables. It is safe to
// call more than once and from any goroutine.
func (c *conn) close() {
	c.once.Do(func() {
		c.closed.Store(true)
		c.raw.Close()
		if c.ws != nil {
			c.ws.CloseNow()
		}
		c.m.unregister(c)
	})
}

var crlf = []byte("\r\n")

// write sends one whole message under the write deadline.
func (c *conn) write(ctx context.Context, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrConnClosed
	}
	dl := time.Now().Add(c.m.cfg.WriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	var err error
	if c.ws != nil {
		// Deadlines on the socket bound the WebSocket write too, without
		// a context timer per message.
		err = c.raw.SetWriteDeadline(dl)
		if err == nil {
			typ := websocket.MessageText
			if !utf8.Valid(data) {
				typ = websocket.MessageBinary
			}
			err = c.ws.Write(context.Background(), typ, data)
		}
	} else {
		err = c.rw.SetWriteDeadline(dl)
		if err == nil {
			_, err = c.rw.Write(data)
		}
	}
	if err != nil {
		c.m.log.Debug("transport: write failed, closing connection", "proto", c.proto.String(),
			"remote", c.remote.String(), "conn", c.id, "err", err)
		c.close() // takes m.mu; nothing takes wmu while holding m.mu
		return err
	}
	c.touch()
	return nil
}

// countedConn releases a connection slot when closed.
type countedConn struct {
	net.Conn
	m    *Manager
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.m.release)
	return c.Conn.Close()
}

// register adds c to the connection table (not yet visible to Send unless
// ready) and accounts for its reader goroutine. It fails once the manager
// is closing.
func (m *Manager) register(c *conn, ready bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != stateStarted {
		return false
	}
	c.id = m.nextID.Add(1)
	c.touch()
	m.conns[c.id] = c
	if ready {
		c.ready = true
		m.byAddr[connKey{c.proto, c.remote}] = c
	}
	m.wg.Add(1)
	return true
}

func (m *Manager) markReady(c *conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.closed.Load() {
		return
	}
	c.ready = true
	m.byAddr[connKey{c.proto, c.remote}] = c
}

func (m *Manager) unregister(c *conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns[c.id] == c {
		delete(m.conns, c.id)
	}
	k := connKey{c.proto, c.remote}
	if m.byAddr[k] == c {
		delete(m.byAddr, k)
	}
	for _, k := range c.aliases {
		if m.byAddr[k] == c {
			delete(m.byAddr, k)
		}
	}
}

// openConn returns the open connection id, or nil.
func (m *Manager) openConn(id uint64) *conn {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c := m.conns[id]; c != nil && !c.closed.Load() {
		return c
	}
	return nil
}

// CloseConn closes the stream connection id (as Kamailio's
// tcp_close_connection). It reports whether the connection was open.
func (m *Manager) CloseConn(id uint64) bool {
	c := m.openConn(id)
	if c == nil {
		return false
	}
	c.close()
	return true
}

// SetConnLifetime sets how long connection id may stay idle before it is
// closed (as Kamailio's tcp_set_connection_lifetime); d <= 0 restores
// Config.TCPIdleTimeout. The sweep runs every TCPIdleTimeout/8 (at most
// 5s), which bounds how precisely a shorter lifetime is kept. It reports
// whether the connection was open.
func (m *Manager) SetConnLifetime(id uint64, d time.Duration) bool {
	c := m.openConn(id)
	if c == nil {
		return false
	}
	c.idle.Store(int64(max(d, 0)))
	return true
}

// AddAlias makes connection id reachable by Send as (its protocol, addr)
// too: the connection alias of RFC 5923 and Kamailio's Via ";alias", which
// lets requests to a client's advertised address reuse the connection it
// opened. The alias goes away with the connection. It reports whether the
// connection was open.
func (m *Manager) AddAlias(id uint64, addr netip.AddrPort) bool {
	addr = unmapAP(addr)
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conns[id]
	if c == nil || !c.ready || c.closed.Load() || !addr.IsValid() {
		return false
	}
	k := connKey{c.proto, addr}
	if m.byAddr[k] != c {
		m.byAddr[k] = c
		c.aliases = append(c.aliases, k)
	}
	return true
}

// lookup finds an open, ready connection for t.
func (m *Manager) lookup(t Target) *conn {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if t.ConnID != 0 {
		if c := m.conns[t.ConnID]; c != nil && c.ready && c.proto == t.Proto && !c.closed.Load() {
			return c
		}
	}
	if c := m.byAddr[connKey{t.Proto, t.Addr}]; c != nil && !c.closed.Load() {
		return c
	}
	return nil
}

func (m *Manager) acceptLoop(l *Listener) {
	defer m.wg.Done()
	delay := time.Duration(0)
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || m.ctx.Err() != nil {
				return
			}
			// EMFILE and the like: back off, bounded.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			m.log.Warn("transport: accept", "listen", l.String(), "err", err, "retry_in", delay)
			if !m.pause(delay) {
				return
			}
			continue
		}
		delay = 0
		if !m.acquire() {
			m.logLimit(l, nc.RemoteAddr())
			nc.Close()
			continue
		}
		raw := &countedConn{Conn: nc, m: m}
		c := &conn{m: m, proto: l.spec.Proto, remote: addrPortOf(nc.RemoteAddr()), local: l.addr, l: l, raw: raw, rw: raw}
		tlsConn := l.spec.Proto == ProtoTLS
		if !m.register(c, !tlsConn) {
			raw.Close()
			return
		}
		go m.serveInbound(c, tlsConn)
	}
}

func (m *Manager) serveInbound(c *conn, tlsConn bool) {
	defer m.wg.Done()
	defer c.close()
	if tlsConn {
		tc := tls.Server(c.raw, m.tlsServer)
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.ConnectTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			m.log.Debug("transport: tls handshake failed", "remote", c.remote.String(), "err", err)
			return
		}
		c.rw = tc // published to writers by markReady's lock
		m.markReady(c)
	}
	m.readStream(c)
}

// dial returns an open connection to t, dialling at most once at a time per
// (proto, address).
func (m *Manager) dial(ctx context.Context, t Target) (*conn, error) {
	key := connKey{t.Proto, t.Addr}
	m.mu.Lock()
	if m.state != stateStarted {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	if c := m.byAddr[key]; c != nil && !c.closed.Load() {
		m.mu.Unlock()
		return c, nil
	}
	if dc := m.dialing[key]; dc != nil {
		m.mu.Unlock()
		select {
		case <-dc.done:
			return dc.c, dc.err
		case <-ctx.Done():
			return nil, fmt.Errorf("transport: dial %s %s: %w", t.Proto, t.Addr, ctx.Err())
		}
	}
	dc := &dialCall{done: make(chan struct{})}
	m.dialing[key] = dc
	m.mu.Unlock()

	dc.c, dc.err = m.doDial(ctx, t)
	if dc.err != nil {
		dc.err = fmt.Errorf("transport: dial %s %s: %w", t.Proto, t.Addr, dc.err)
	}
	m.mu.Lock()
	delete(m.dialing, key)
	m.mu.Unlock()
	close(dc.done)
	return dc.c, dc.err
}

func (m *Manager) doDial(ctx context.Context, t Target) (*conn, error) {
	if !t.Addr.IsValid() || t.Addr.Port() == 0 {
		return nil, errors.New("invalid address")
	}
	if !m.acquire() {
		return nil, ErrTooManyConnections
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.ConnectTimeout)
	defer cancel()
	stop := context.AfterFunc(m.ctx, cancel) // Close aborts dials
	defer stop()

	d := net.Dialer{}
	if t.Local.IsValid() && t.Local.Addr().Is4() == t.Addr.Addr().Is4() {
		d.LocalAddr = &net.TCPAddr{IP: t.Local.Addr().AsSlice(), Zone: t.Local.Addr().Zone()}
	}
	nc, err := d.DialContext(ctx, network("tcp", t.Addr.Addr()), t.Addr.String())
	if err != nil {
		m.release()
		return nil, err
	}
	raw := &countedConn{Conn: nc, m: m}
	var rw net.Conn = raw
	if t.Proto == ProtoTLS {
		cfg := m.tlsClient.Clone()
		cfg.ServerName = t.ServerName
		if cfg.ServerName == "" {
			cfg.ServerName = t.Addr.Addr().WithZone("").String()
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		rw = tc
	}
	c := &conn{m: m, proto: t.Proto, remote: t.Addr, raw: raw, rw: rw, outbound: true}
	c.l = m.pickListener(t.Proto, t.Addr, t.Local)
	if c.l != nil {
		c.local = c.l.addr
	} else {
		c.local = addrPortOf(nc.LocalAddr())
	}
	if !m.register(c, true) {
		raw.Close()
		return nil, ErrClosed
	}
	m.log.Debug("transport: connected", "proto", t.Proto.String(), "remote", t.Addr.String(), "conn", c.id)
	go func() {
		defer m.wg.Done()
		defer c.close()
		m.readStream(c)
	}()
	return c, nil
}

const (
	streamBufInitial = 4 << 10
	streamBufKeep    = 64 << 10 // an emptied buffer larger than this is dropped
)

// readStream is the reader (and worker) of a TCP or TLS connection: it
// frames messages with sip.FrameStream and runs the handler on each.
func (m *Manager) readStream(c *conn) {
	maxMsg, maxBuf := m.cfg.MaxMessageSize, m.cfg.TCPMaxBuffered
	buf := make([]byte, min(streamBufInitial, maxBuf))
	r, w := 0, 0 // unprocessed bytes are buf[r:w]
	// scan: the current message (at r) has no empty line before buf[scan];
	// hdr: its header section is known to be complete. They keep a
	// message that trickles in from being re-parsed from its start on
	// every read.
	scan, hdr := 0, false
	p := &Packet{Proto: c.proto, Remote: c.remote, Local: c.local, ConnID: c.id, Listener: c.l}
	sniff := m.sniffsHTTP(c) // HTTP on a SIP listener (http.go)
	for {
		for r < w {
			if sniff {
				if k := sniffHTTP(buf[r:w]); k == sniffMore {
					break
				} else if k == sniffIsHTTP {
					m.serveHTTP(c, buf[r:w])
					return
				}
				sniff = false
			}
			k, ping := sip.SkipKeepalive(buf[r:w])
			if ping {
				if c.write(m.ctx, crlf) != nil {
					return
				}
			}
			if k > 0 {
				r += k
				scan, hdr = r, false
			}
			if r == w || buf[r] == '\r' || buf[r] == '\n' {
				break // need more bytes
			}
			if !hdr {
				if !hasEmptyLine(buf[max(r, scan-3):w]) && w-r <= maxMsg {
					scan = w
					break
				}
				hdr = true
			}
			n, err := sip.FrameStream(buf[r:w], maxMsg)
			if err != nil {
				m.log.Info("transport: cannot frame stream, closing connection", "proto", c.proto.String(),
					"remote", c.remote.String(), "conn", c.id, "err", err)
				return
			}
			if n == 0 {
				break
			}
			p.Data = buf[r : r+n]
			m.deliver(p)
			p.Data = nil
			if c.closed.Load() {
				return
			}
			r += n
			scan, hdr = r, false
		}
		if r == w {
			r, w, scan = 0, 0, 0
			if len(buf) > streamBufKeep {
				buf = make([]byte, streamBufInitial)
			}
		}
		if w == len(buf) {
			if r > 0 {
				copy(buf, buf[r:w])
				w -= r
				scan -= r
				r = 0
			}
			if w == len(buf) {
				if len(buf) >= maxBuf {
					m.log.Info("transport: read buffer limit reached without a complete message, closing connection",
						"proto", c.proto.String(), "remote", c.remote.String(), "conn", c.id, "limit", maxBuf)
					return
				}
				nb := make([]byte, min(2*len(buf), maxBuf))
				copy(nb, buf[:w])
				buf = nb
			}
		}
		n, err := c.rw.Read(buf[w:])
		if n > 0 {
			w += n
			c.touch()
		}
		if err != nil {
			if n > 0 {
				continue // frame what arrived; the next Read returns the error again
			}
			if !c.closed.Load() {
				m.log.Debug("transport: connection closed", "proto", c.proto.String(), "remote", c.remote.String(), "conn", c.id, "err", err)
			}
			return
		}
	}
}

// hasEmptyLine reports whether b contains "\n\n" or "\n\r\n".
func hasEmptyLine(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 || i+1 >= len(b) {
			return false
		}
		b = b[i+1:]
		if b[0] == '\n' || (b[0] == '\r' && len(b) > 1 && b[1] == '\n') {
			return true
		}
	}
}
