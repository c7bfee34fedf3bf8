package rpc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrInUse is returned by Listen when another live server holds the
// unix socket.
var ErrInUse = errors.New("control socket in use by another process")

// ListenConfig configures a control listener.
type ListenConfig struct {
	// Addr is where to listen (see ParseAddr).
	Addr string
	// Token is the bearer token HTTP clients must send. Required for an
	// address that is not loopback; when set, required on loopback too.
	// The unix socket is protected by its file mode (0600) instead.
	Token string
	// Pretty indents the responses.
	Pretty bool
	// Mode is the unix socket's file mode; 0 is 0600.
	Mode os.FileMode
	// UID and GID own the unix socket when Chown is set (-1 leaves one
	// unchanged).
	Chown    bool
	UID, GID int
	// Log receives errors.
	Log *slog.Logger
}

// Server is one control listener.
type Server struct {
	cfg  ListenConfig
	addr Addr
	d    *Dispatcher
	log  *slog.Logger

	ln   net.Listener
	http *http.Server
	path string // the unix socket file to remove at Close

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

const (
	// maxConns bounds the unix socket connections served at once.
	maxConns = 64
	// idleTimeout closes a unix socket connection that sends nothing.
	idleTimeout = 60 * time.Second
)

// Listen opens a control listener for d. A unix socket is created mode
// 0600; a stale socket file (nobody answering on it) is replaced, a live
// one is ErrInUse. HTTP on an address that is not loopback needs a token.
func Listen(cfg ListenConfig, d *Dispatcher) (*Server, error) {
	a, err := ParseAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, addr: a, d: d, log: cfg.Log, conns: map[net.Conn]struct{}{}}
	if a.Network == "unix" {
		if err := s.listenUnix(a.Path); err != nil {
			return nil, fmt.Errorf("rpc: control socket %s: %w", a.Path, err)
		}
		return s, nil
	}
	if !a.Loopback() && cfg.Token == "" {
		return nil, fmt.Errorf("rpc: %s is not a loopback address: set a token (modparam(\"ctl\", \"rpc_token\", ...) or --rpc-token) to expose the control interface", a)
	}
	ln, err := net.Listen("tcp", a.Host)
	if err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Addr returns the address the server listens on (with the port chosen
// by the system for tcp:HOST:0).
func (s *Server) Addr() string {
	if s.addr.Network == "unix" {
		return "unix:" + s.path
	}
	return "http://" + s.ln.Addr().String() + "/RPC"
}

// listenUnix binds the socket in a private folder next to path, sets its
// mode and renames it into place, so that it is never reachable with a
// wider mode.
func (s *Server) listenUnix(path string) error {
	dir := filepath.Dir(path)
	if dir == privateTempDir() {
		// The per-user default under the temporary folder.
		if err := preparePrivateDir(dir); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return ErrInUse
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("removing the stale socket: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(dir, ".olelo_ctl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bound := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: bound, Net: "unix"})
	if err != nil {
		return err
	}
	ln.SetUnlinkOnClose(false)
	mode := s.cfg.Mode
	if mode == 0 {
		mode = 0o600
	}
	if err := os.Chmod(bound, mode); err != nil {
		ln.Close()
		return err
	}
	if s.cfg.Chown {
		if err := os.Chown(bound, s.cfg.UID, s.cfg.GID); err != nil {
			ln.Close()
			return err
		}
	}
	if err := os.Rename(bound, path); err != nil {
		ln.Close()
		return err
	}
	s.ln, s.path = ln, path
	return nil
}

// Serve accepts connections until Close. It returns nil after Close.
func (s *Server) Serve() error {
	if s.http != nil {
		err := s.http.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
	sem := make(chan struct{}, maxConns)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		select {
		case sem <- struct{}{}:
		default:
			s.log.Warn("rpc: too many control connections, refusing one", "limit", maxConns)
			c.Close()
			continue
		}
		if !s.track(c, true) {
			c.Close()
			<-sem
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-sem }()
			defer s.track(c, false)
			defer c.Close()
			s.serveConn(c)
		}()
	}
}

func (s *Server) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closed {
			return false
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

// limitedReader lets at most n bytes through before failing; the server
// refills n for each request.
type limitedReader struct {
	r io.Reader
	n int64
}

var errTooLarge = fmt.Errorf("request larger than %d bytes", MaxRequestSize)

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// serveConn answers the requests on one unix socket connection: each is
// one JSON text (a call or a batch), each answer one JSON text followed
// by a newline. A text that is not JSON is answered with a parse error
// and ends the connection, as the stream cannot be resynchronised.
func (s *Server) serveConn(c net.Conn) {
	lr := &limitedReader{r: c, n: MaxRequestSize}
	dec := json.NewDecoder(lr)
	for {
		c.SetReadDeadline(time.Now().Add(idleTimeout))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isTimeout(err) {
				return
			}
			msg := "Parse Error"
			code := CodeParseError
			if errors.Is(err, errTooLarge) {
				msg, code = "Invalid Request: "+errTooLarge.Error(), CodeInvalidRequest
			}
			s.write(c, encode(wireResponse{JSONRPC: "2.0", Error: &wireError{Code: code, Message: msg}}, Options{Pretty: s.cfg.Pretty}))
			return
		}
		lr.n = MaxRequestSize
		out := s.d.Handle(context.Background(), raw, Options{Pretty: s.cfg.Pretty})
		if !s.write(c, out) {
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *Server) write(c net.Conn, b []byte) bool {
	c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := c.Write(append(b, '\n'))
	return err == nil
}

// ServeHTTP answers JSON-RPC over HTTP: POST on any path, the request in
// the body (at most MaxRequestSize), the response as application/json.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Token != "" && !validBearer(r.Header.Get("Authorization"), s.cfg.Token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="olelo"`)
		http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "JSON-RPC needs POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestSize))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			http.Error(w, errTooLarge.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	out := s.d.Handle(r.Context(), body, Options{Pretty: s.cfg.Pretty})
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(out, '\n'))
}

// validBearer compares the token in constant time.
func validBearer(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// Close stops the listener, closes open connections and removes the
// socket file.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	var err error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.http.Shutdown(ctx)
		cancel()
	} else {
		err = s.ln.Close()
	}
	s.wg.Wait()
	if s.path != "" {
		if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}
