package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// limitListener applies the connection limit to WS/WSS accepts and counts
// the accepted sockets as connections until they are closed.
type limitListener struct {
	net.Listener
	m *Manager
	l *Listener
}

func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		nc, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !ll.m.acquire() {
			ll.m.logLimit(ll.l, nc.RemoteAddr())
			nc.Close()
			continue
		}
		return &countedConn{Conn: nc, m: ll.m}, nil
	}
}

type netConnKey struct{}

func (m *Manager) serveWS(l *Listener) {
	hs := m.cfg.WSHandshakeTimeout
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.acceptWS(l, w, r) }),
		ReadHeaderTimeout: hs,
		WriteTimeout:      hs,
		IdleTimeout:       hs,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return m.ctx },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, netConnKey{}, c)
		},
	}
	l.srv = srv
	var ln net.Listener = &limitListener{Listener: l.ln, m: m, l: l}
	if l.spec.Proto == ProtoWSS {
		cfg := m.tlsServer.Clone()
		cfg.NextProtos = []string{"http/1.1"}
		// http.Server runs the TLS handshake under the smallest of its
		// timeouts, here hs.
		ln = tls.NewListener(ln, cfg)
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("transport: websocket server stopped", "listen", l.String(), "err", err)
		}
	}()
}

// wantsSIP reports whether the upgrade request offers the "sip"
// subprotocol (RFC 7118 section 4).
func wantsSIP(r *http.Request) bool {
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "sip") {
				return true
			}
		}
	}
	return false
}

func (m *Manager) acceptWS(l *Listener, w http.ResponseWriter, r *http.Request) {
	if !wantsSIP(r) {
		m.log.Debug("transport: websocket request without subprotocol sip refused", "listen", l.String(), "remote", r.RemoteAddr)
		http.Error(w, `WebSocket subprotocol "sip" required`, http.StatusBadRequest)
		return
	}
	nc, _ := r.Context().Value(netConnKey{}).(net.Conn)
	if nc == nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{"sip"},
		// SIP clients run in pages served from anywhere; Kamailio does
		// not check Origin either.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		m.log.Debug("transport: websocket upgrade failed", "listen", l.String(), "remote", r.RemoteAddr, "err", err)
		return
	}
	if ws.Subprotocol() != "sip" {
		ws.Close(websocket.StatusProtocolError, `subprotocol "sip" required`)
		return
	}
	// Clear the deadlines http.Server left on the socket.
	nc.SetDeadline(time.Time{})
	ws.SetReadLimit(int64(m.cfg.MaxMessageSize))

	remote, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		remote = addrPortOf(nc.RemoteAddr())
	}
	// Close the socket under TLS directly: closing a tls.Conn first tries
	// to send close_notify, which can wait for a stalled writer.
	raw := nc
	if tc, ok := nc.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	c := &conn{m: m, proto: l.spec.Proto, remote: unmapAP(remote), local: l.addr, l: l, raw: raw, rw: nc, ws: ws}
	if !m.register(c, true) {
		ws.CloseNow()
		return
	}
	defer m.wg.Done()
	defer c.close()
	m.readWS(c)
}

// readWS is the reader (and worker) of a WebSocket connection: each data
// message is one SIP message.
func (m *Manager) readWS(c *conn) {
	p := &Packet{Proto: c.proto, Remote: c.remote, Local: c.local, ConnID: c.id, Listener: c.l}
	for {
		// No context deadline here: idle connections are closed by the
		// sweeper, and a context with a deadline would cost a timer per
		// message.
		_, rd, err := c.ws.Reader(context.Background())
		if err != nil {
			if !c.closed.Load() {
				m.log.Debug("transport: websocket closed", "remote", c.remote.String(), "conn", c.id, "err", err)
			}
			return
		}
		bp := m.wsPool.Get().(*[]byte)
		buf := *bp
		n, err := readAll(rd, buf)
		if err != nil {
			m.wsPool.Put(bp)
			m.log.Debug("transport: websocket read", "remote", c.remote.String(), "conn", c.id, "err", err)
			return
		}
		c.touch()
		msg := buf[:n]
		if onlyWhitespace(msg) {
			if bytes.Contains(msg, ping) && c.write(m.ctx, crlf) != nil {
				m.wsPool.Put(bp)
				return
			}
		} else {
			p.Data = msg
			m.deliver(p)
			p.Data = nil
		}
		m.wsPool.Put(bp)
		if c.closed.Load() {
			return
		}
	}
}

// readAll reads r to EOF into buf; the message must fit (the read limit set
// on the connection guarantees it).
func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		if n == len(buf) {
			return n, errors.New("message too large")
		}
		k, err := r.Read(buf[n:])
		n += k
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

var ping = []byte("\r\n\r\n")
