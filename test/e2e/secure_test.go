package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns the paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "olelo e2e"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

func optionsOver(proto, local, target string) []byte {
	return []byte(fmt.Sprintf("OPTIONS sip:ping@%s SIP/2.0\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK-sec-1;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:e2e@127.0.0.1>;tag=s1\r\nTo: <sip:ping@%s>\r\nCall-ID: sec-1@127.0.0.1\r\n"+
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", target, proto, local, target))
}

// TestTLSAndWebSocket: olelo with the tls module answers OPTIONS over TLS
// (certificate verified by the client) and over WebSocket (RFC 7118,
// subprotocol sip); $pr tells the script which transport carried it.
func TestTLSAndWebSocket(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := filepath.Join(dir, "tls.cfg")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`enable_tls=yes
loadmodule "sl.so"
loadmodule "tls.so"
modparam("tls", "certificate", "%s")
modparam("tls", "private_key", "%s")
request_route {
	sl_send_reply("200", "OK over $pr");
}
`, cert, key)), 0o600)
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	wsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startOlelo(t, "-f", cfg, "-l", "tls:"+tlsAddr, "-l", "ws:"+wsAddr)

	conn, err := tls.Dial("tcp", tlsAddr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake: %v\n%s", err, lastLines(s.log(), 20))
	}
	status, err := exchange(conn, optionsOver("TLS", conn.LocalAddr().String(), tlsAddr), 5*time.Second)
	conn.Close()
	if err != nil || status != "SIP/2.0 200 OK over tls" {
		t.Fatalf("over TLS: %q, %v", status, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+wsAddr, &websocket.DialOptions{Subprotocols: []string{"sip"}})
	if err != nil {
		t.Fatalf("WebSocket handshake: %v", err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, optionsOver("WS", "client.invalid", wsAddr)); err != nil {
		t.Fatal(err)
	}
	_, reply, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if line, _, _ := strings.Cut(string(reply), "\r\n"); line != "SIP/2.0 200 OK over ws" {
		t.Fatalf("over WS: %q", line)
	}
}

// TestTLSNeedsCertificate: a tls: listener without the tls module is a
// start-up error that says what to add.
func TestTLSNeedsCertificate(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "notls.cfg")
	os.WriteFile(cfg, []byte("loadmodule \"sl.so\"\nrequest_route { sl_send_reply(\"200\", \"OK\"); }\n"), 0o600)
	out, err := runPeer(t, 10*time.Second, oleloBin, "-f", cfg, "-l", fmt.Sprintf("tls:127.0.0.1:%d", freePort(t)))
	if err == nil || !strings.Contains(out, `needs the tls module: loadmodule \"tls.so\"`) {
		t.Fatalf("err %v, output:\n%s", err, out)
	}
}
