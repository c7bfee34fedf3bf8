package transport

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// HTTP on SIP stream listeners (Kamailio's xhttp): an inbound TCP or TLS
// connection whose first line is an HTTP request line ("GET /path
// HTTP/1.1") is handed to the HTTP handler set with SetHTTPHandler
// instead of being framed as SIP. SIP request lines end in "SIP/2.0", so
// the two cannot be confused. Without a handler nothing changes.

// SetHTTPHandler sets the handler for HTTP requests arriving on TCP and
// TLS listeners; nil turns it off. It may be called at any time; a
// connection is checked once, on its first bytes.
func (m *Manager) SetHTTPHandler(h http.Handler) {
	if h == nil {
		m.httpHandler.Store(nil)
		return
	}
	m.httpHandler.Store(&h)
}

// HTTPConn describes the connection an HTTP request arrived on.
type HTTPConn struct {
	Proto  Proto
	Remote netip.AddrPort
	Local  netip.AddrPort
	ConnID uint64
}

type httpConnKey struct{}

// HTTPConnFrom returns the connection of an HTTP request the manager
// handed to the handler (from r.Context()).
func HTTPConnFrom(ctx context.Context) (HTTPConn, bool) {
	c, ok := ctx.Value(httpConnKey{}).(HTTPConn)
	return c, ok
}

// sniff results.
const (
	sniffMore = iota // need more bytes to decide
	sniffSIP
	sniffIsHTTP
)

// maxHTTPRequestLine bounds the first line looked at.
const maxHTTPRequestLine = 8 << 10

// sniffHTTP decides from the first bytes of a connection whether it
// carries HTTP: the first line ends in " HTTP/1.0" or " HTTP/1.1".
func sniffHTTP(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) >= maxHTTPRequestLine {
			return sniffSIP
		}
		return sniffMore
	}
	line := bytes.TrimRight(b[:i], "\r")
	if bytes.HasSuffix(line, []byte(" HTTP/1.1")) || bytes.HasSuffix(line, []byte(" HTTP/1.0")) {
		return sniffIsHTTP
	}
	return sniffSIP
}

// sniffsHTTP reports whether c's first bytes must be checked for HTTP.
func (m *Manager) sniffsHTTP(c *conn) bool {
	return m.httpHandler.Load() != nil && !c.outbound && c.ws == nil && (c.proto == ProtoTCP || c.proto == ProtoTLS)
}

// serveHTTP serves HTTP on c until the client or the handler closes it;
// pending holds the bytes already read.
func (m *Manager) serveHTTP(c *conn, pending []byte) {
	hp := m.httpHandler.Load()
	if hp == nil {
		return
	}
	info := HTTPConn{Proto: c.proto, Remote: c.remote, Local: c.local, ConnID: c.id}
	hc := &httpConn{Conn: c.rw, r: io.MultiReader(bytes.NewReader(bytes.Clone(pending)), c.rw), done: make(chan struct{})}
	srv := &http.Server{
		Handler:           *hp,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       m.cfg.TCPIdleTimeout,
		MaxHeaderBytes:    m.cfg.MaxMessageSize,
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, httpConnKey{}, info)
		},
		BaseContext: func(net.Listener) context.Context { return m.ctx },
		ErrorLog:    slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
	}
	stop := context.AfterFunc(m.ctx, func() { hc.Close() })
	defer stop()
	srv.Serve(&oneConnListener{c: hc})
}

// httpConn is a connection whose first bytes were already read; Close
// wakes the listener so that Serve returns.
type httpConn struct {
	net.Conn
	r    io.Reader
	once sync.Once
	done chan struct{}
}

func (h *httpConn) Read(p []byte) (int, error) { return h.r.Read(p) }

func (h *httpConn) Close() error {
	h.once.Do(func() { close(h.done) })
	return h.Conn.Close()
}

// oneConnListener accepts one connection, then blocks until it is
// closed.
type oneConnListener struct {
	c    *httpConn
	used bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if !l.used {
		l.used = true
		return l.c, nil
	}
	<-l.c.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.c.LocalAddr() }
