package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"
)

// Config configures a Manager. Zero fields get the documented defaults.
type Config struct {
	// Listen lists the sockets to open (see ParseListen).
	Listen []ListenSpec
	// UDPReaders is the number of sockets (bound with SO_REUSEPORT) and
	// reader goroutines per UDP listener. Default runtime.GOMAXPROCS(0).
	// Where SO_REUSEPORT is not available, one socket is shared by that
	// many readers.
	UDPReaders int
	// MaxMessageSize bounds a UDP datagram, a stream message and a
	// WebSocket message. Default 65535.
	MaxMessageSize int
	// TCPMaxConnections bounds the open TCP, TLS, WS and WSS connections,
	// inbound and outbound together. Over it, new inbound connections are
	// closed at once (logged, rate-limited) and outbound ones fail.
	// Default 2048.
	TCPMaxConnections int
	// TCPIdleTimeout closes a stream connection that has neither received
	// nor sent anything for that long (Kamailio tcp_connection_lifetime).
	// Default 120s.
	TCPIdleTimeout time.Duration
	// TCPMaxBuffered bounds a connection's read buffer: a peer that sends
	// more without completing a message is disconnected. Default 256 KiB.
	TCPMaxBuffered int
	// ConnectTimeout bounds an outbound connect and a TLS handshake (in
	// both directions). Default 5s.
	ConnectTimeout time.Duration
	// WriteTimeout bounds one write of a message on a stream connection
	// (Kamailio tcp_send_timeout); a write that times out closes the
	// connection. Default 10s.
	WriteTimeout time.Duration
	// WSHandshakeTimeout bounds the HTTP upgrade of a WS/WSS connection
	// (including the TLS handshake for WSS), so that an idle client
	// cannot hold a connection slot. Default 5s.
	WSHandshakeTimeout time.Duration
	// TLS holds certificates for TLS and WSS. nil: TLS and WSS listeners
	// are refused, and outbound TLS verifies servers with the system roots.
	TLS *TLSConfig
	// Logger receives the transport's logs. Default slog.Default().
	Logger *slog.Logger
}

// TLSConfig names the certificate files for TLS and WSS.
type TLSConfig struct {
	// CertFile and KeyFile are PEM files with the server certificate
	// (chain) and its key. They are required for TLS/WSS listeners, and
	// are also presented as the client certificate on outbound TLS.
	CertFile, KeyFile string
	// CAFile is a PEM bundle of CA certificates. It verifies client
	// certificates (with VerifyClient) and the servers that outbound TLS
	// connects to. Empty: the system roots verify servers.
	CAFile string
	// VerifyClient requires inbound TLS/WSS clients to present a
	// certificate signed by a CA in CAFile.
	VerifyClient bool
	// MinVersion is the lowest TLS version accepted (tls.VersionTLS12,
	// tls.VersionTLS13). Default TLS 1.2.
	MinVersion uint16
	// InsecureSkipVerify turns off server certificate verification on
	// outbound TLS. Off by default; only for tests and labs.
	InsecureSkipVerify bool
}

// Defaults.
const (
	DefaultMaxMessageSize     = 65535
	DefaultTCPMaxConnections  = 2048
	DefaultTCPIdleTimeout     = 120 * time.Second
	DefaultTCPMaxBuffered     = 256 << 10
	DefaultConnectTimeout     = 5 * time.Second
	DefaultWriteTimeout       = 10 * time.Second
	DefaultWSHandshakeTimeout = 5 * time.Second
)

func (c *Config) setDefaults() error {
	if c.UDPReaders < 0 || c.MaxMessageSize < 0 || c.TCPMaxConnections < 0 || c.TCPMaxBuffered < 0 ||
		c.TCPIdleTimeout < 0 || c.ConnectTimeout < 0 || c.WriteTimeout < 0 || c.WSHandshakeTimeout < 0 {
		return errors.New("transport: negative value in Config")
	}
	if c.UDPReaders == 0 {
		c.UDPReaders = runtime.GOMAXPROCS(0)
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.TCPMaxConnections == 0 {
		c.TCPMaxConnections = DefaultTCPMaxConnections
	}
	if c.TCPIdleTimeout == 0 {
		c.TCPIdleTimeout = DefaultTCPIdleTimeout
	}
	if c.TCPMaxBuffered == 0 {
		c.TCPMaxBuffered = DefaultTCPMaxBuffered
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.WSHandshakeTimeout == 0 {
		c.WSHandshakeTimeout = DefaultWSHandshakeTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TLS != nil && c.TLS.MinVersion != 0 && c.TLS.MinVersion < tls.VersionTLS10 {
		return fmt.Errorf("transport: bad TLS MinVersion %#x", c.TLS.MinVersion)
	}
	return nil
}
