package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

func tlsFiles(t *testing.T) (*TLSConfig, *x509.CertPool) {
	t.Helper()
	cert, key := selfSigned(t, t.TempDir())
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &TLSConfig{CertFile: cert, KeyFile: key, CAFile: cert}, pool
}

// Manager a dials manager b over TLS (b requires a client certificate), and
// b answers on the same connection.
func TestTLSBothDirections(t *testing.T) {
	tc, _ := tlsFiles(t)
	srvTLS := *tc
	srvTLS.VerifyClient = true
	bcol := newCollector()
	b := startManager(t, Config{Listen: mustListen(t, "tls:127.0.0.1:0"), TLS: &srvTLS}, bcol)
	acol := newCollector()
	a := startManager(t, Config{Listen: mustListen(t, "tls:127.0.0.1:0"), TLS: tc}, acol)
	baddr := b.Listeners()[0].Addr()
	ctx := context.Background()
	for _, name := range []string{"", "localhost"} { // IP SAN, then DNS SAN on the same connection
		if err := a.Send(ctx, Target{Proto: ProtoTLS, Addr: baddr, ServerName: name}, []byte(msg("OPTIONS", name))); err != nil {
			t.Fatal(err)
		}
	}
	g1, g2 := bcol.next(t), bcol.next(t)
	if g1.Data != msg("OPTIONS", "") || g2.Data != msg("OPTIONS", "localhost") || g1.Proto != ProtoTLS || g1.ConnID != g2.ConnID {
		t.Fatalf("b got %+v, %+v", g1, g2)
	}
	if err := b.Send(ctx, Target{Proto: ProtoTLS, Addr: g1.Remote, ConnID: g1.ConnID}, []byte(msg("SIP/2.0", ""))); err != nil {
		t.Fatal(err)
	}
	r := acol.next(t)
	if r.Data != msg("SIP/2.0", "") || r.Proto != ProtoTLS || r.Remote != baddr {
		t.Fatalf("a got %+v", r)
	}
	if a.ConnCount() != 1 || b.ConnCount() != 1 {
		t.Fatalf("connections: a %d, b %d", a.ConnCount(), b.ConnCount())
	}
}

// A crypto/tls client talks to a TLS listener directly; without a client
// certificate it is refused when VerifyClient is set.
func TestTLSInbound(t *testing.T) {
	tc, pool := tlsFiles(t)
	for _, verify := range []bool{false, true} {
		cfg := *tc
		cfg.VerifyClient = verify
		col := newCollector()
		col.reply = echo
		m := startManager(t, Config{Listen: mustListen(t, "tls:127.0.0.1:0"), TLS: &cfg}, col)
		c, err := tls.Dial("tcp", m.Listeners()[0].Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		req := msg("OPTIONS", "")
		c.Write([]byte(req))
		if verify {
			expectEOF(t, c)
		} else {
			if got := readFull(t, c, len("echo:"+req)); got != "echo:"+req {
				t.Fatalf("got %q", got)
			}
		}
		c.Close()
	}
}

// Outbound TLS verifies the server: a server name not in the certificate
// fails, and the failed dial leaves no connection behind.
func TestTLSVerifyServer(t *testing.T) {
	tc, _ := tlsFiles(t)
	b := startManager(t, Config{Listen: mustListen(t, "tls:127.0.0.1:0"), TLS: tc}, newCollector())
	a := startManager(t, Config{TLS: &TLSConfig{CAFile: tc.CAFile}}, newCollector())
	err := a.Send(context.Background(), Target{Proto: ProtoTLS, Addr: b.Listeners()[0].Addr(), ServerName: "sip.example.com"}, []byte("x"))
	if err == nil {
		t.Fatal("TLS to a server with the wrong name succeeded")
	}
	if a.ConnCount() != 0 {
		t.Fatalf("%d connections left", a.ConnCount())
	}
}
