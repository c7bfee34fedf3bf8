package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// wait bounds every blocking step of a test; it is a safety net against a
// hung test, not a timing assertion.
const wait = 10 * time.Second

func testLogger() *slog.Logger {
	if os.Getenv("OLELO_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func mustListen(t testing.TB, specs ...string) []ListenSpec {
	t.Helper()
	var out []ListenSpec
	for _, s := range specs {
		ls, err := ParseListen(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ls)
	}
	return out
}

// startManager starts a Manager on cfg and closes it when the test ends.
func startManager(t testing.TB, cfg Config, h Handler) *Manager {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	m, err := NewManager(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// got is a copy of a received Packet.
type got struct {
	Data   string
	Proto  Proto
	Remote netip.AddrPort
	Local  netip.AddrPort
	ConnID uint64
}

// collector is a Handler that copies packets into a channel, and
// optionally runs a function (e.g. to reply) first.
type collector struct {
	ch    chan got
	reply func(ctx context.Context, p *Packet)
}

func newCollector() *collector { return &collector{ch: make(chan got, 1024)} }

func (c *collector) HandlePacket(ctx context.Context, p *Packet) {
	if c.reply != nil {
		c.reply(ctx, p)
	}
	select {
	case c.ch <- got{string(p.Data), p.Proto, p.Remote, p.Local, p.ConnID}:
	default:
	}
}

func (c *collector) next(t testing.TB) got {
	t.Helper()
	select {
	case g := <-c.ch:
		return g
	case <-time.After(wait):
		t.Fatal("no packet received")
	}
	return got{}
}

func msg(method string, body string) string {
	return fmt.Sprintf("%s sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-%s\r\nCSeq: 1 %s\r\nContent-Length: %d\r\n\r\n%s",
		method, method, method, len(body), body)
}

// readFull reads exactly n bytes from c under the safety deadline.
func readFull(t testing.TB, c net.Conn, n int) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return string(b)
}

// expectEOF reads from c until the server closes it.
func expectEOF(t testing.TB, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	b := make([]byte, 4096)
	for {
		_, err := c.Read(b)
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("connection not closed by the server")
		}
		return
	}
}

func hasIPv6Loopback() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// selfSigned writes a self-signed certificate for localhost, 127.0.0.1 and
// ::1 (usable as its own CA) and its key into dir.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "olelo test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
