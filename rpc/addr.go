package rpc

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Addr is a parsed control address.
type Addr struct {
	// Network is "unix" (the control socket) or "http" (JSON-RPC over
	// HTTP POST).
	Network string
	// Path is the socket file for "unix".
	Path string
	// Host is HOST:PORT for "http".
	Host string
	// URLPath is the HTTP path the client posts to ("/RPC" by default;
	// the server answers on every path).
	URLPath string
}

// String returns the address in the form ParseAddr reads.
func (a Addr) String() string {
	if a.Network == "unix" {
		return "unix:" + a.Path
	}
	return "http://" + a.Host + a.URLPath
}

// ParseAddr reads a control address:
//
//	unix:/run/olelo/olelo_ctl   a unix stream socket (also a bare path with a '/')
//	tcp:127.0.0.1:2049          JSON-RPC over HTTP (Kamailio ctl's tcp: form)
//	http://127.0.0.1:2049/RPC   the same, as a URL
//
// Kamailio ctl's udp: form is refused: olelo has no datagram transport.
func ParseAddr(s string) (Addr, error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "unix:"), "//")
		if p == "" {
			return Addr{}, fmt.Errorf("rpc address %q: empty socket path", s)
		}
		return Addr{Network: "unix", Path: p}, nil
	case strings.HasPrefix(s, "tcp:"):
		host := strings.TrimPrefix(strings.TrimPrefix(s, "tcp:"), "//")
		if _, _, err := net.SplitHostPort(host); err != nil {
			return Addr{}, fmt.Errorf("rpc address %q: %w", s, err)
		}
		return Addr{Network: "http", Host: host, URLPath: "/RPC"}, nil
	case strings.HasPrefix(s, "http://"):
		u, err := url.Parse(s)
		if err != nil {
			return Addr{}, fmt.Errorf("rpc address %q: %w", s, err)
		}
		if _, _, err := net.SplitHostPort(u.Host); err != nil {
			return Addr{}, fmt.Errorf("rpc address %q needs HOST:PORT: %w", s, err)
		}
		p := u.Path
		if p == "" || p == "/" {
			p = "/RPC"
		}
		return Addr{Network: "http", Host: u.Host, URLPath: p}, nil
	case strings.HasPrefix(s, "udp:"), strings.HasPrefix(s, "https://"):
		return Addr{}, fmt.Errorf("rpc address %q: only unix:PATH, tcp:HOST:PORT and http://HOST:PORT are supported", s)
	case strings.Contains(s, "/"):
		return Addr{Network: "unix", Path: s}, nil
	}
	return Addr{}, fmt.Errorf("rpc address %q: want unix:PATH, tcp:HOST:PORT or http://HOST:PORT", s)
}

// Loopback reports whether the address can only be reached from this
// machine: a unix socket, or HTTP on a loopback IP or "localhost".
func (a Addr) Loopback() bool {
	if a.Network == "unix" {
		return true
	}
	host, _, err := net.SplitHostPort(a.Host)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// SocketName is the file name of the default control socket.
const SocketName = "olelo_ctl"

// defaultSockets are the candidate default socket paths, in order:
// /run/olelo/olelo_ctl (the system service, like Kamailio's
// /run/kamailio/kamailio_ctl), $XDG_RUNTIME_DIR/olelo_ctl (a user's
// session), and $TMPDIR/olelo-UID/olelo_ctl (anything else; the folder is
// created 0700 and must belong to the user).
func defaultSockets() []string {
	c := []string{filepath.Join("/run/olelo", SocketName)}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		c = append(c, filepath.Join(x, SocketName))
	}
	return append(c, filepath.Join(privateTempDir(), SocketName))
}

// privateTempDir is the per-user folder of the last default.
func privateTempDir() string {
	return filepath.Join(os.TempDir(), "olelo-"+strconv.Itoa(os.Getuid()))
}

// DefaultAddr is the control address a client uses when none is given:
// the first default socket path (see DefaultListenAddr) where a socket
// exists, else the first candidate the server would use.
func DefaultAddr() string {
	for _, p := range defaultSockets() {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:" + p
		}
	}
	return DefaultListenAddr()
}

// DefaultListenAddr is the socket the server opens when neither a flag
// nor modparam("ctl", "binrpc", ...) names one: /run/olelo/olelo_ctl when
// /run/olelo exists or can be created and is writable, else
// $XDG_RUNTIME_DIR/olelo_ctl when that is set and writable, else
// $TMPDIR/olelo-UID/olelo_ctl.
func DefaultListenAddr() string {
	c := defaultSockets()
	for _, p := range c[:len(c)-1] {
		if writableDir(filepath.Dir(p)) {
			return "unix:" + p
		}
	}
	return "unix:" + c[len(c)-1]
}

// writableDir reports whether dir exists (or can be created, mode 0755
// for /run/olelo as a service's runtime folder) and is writable.
func writableDir(dir string) bool {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false
	}
	f, err := os.CreateTemp(dir, ".olelo-probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// preparePrivateDir creates the per-user folder under the temporary
// directory (0700) and refuses one that another user owns or others can
// enter: the socket inside must not be reachable through it.
func preparePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return errors.New(dir + " is accessible to other users (want mode 0700)")
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("%s belongs to uid %d, not to us", dir, uid)
	}
	return nil
}
