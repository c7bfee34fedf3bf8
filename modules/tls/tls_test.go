package tls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	cryptotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate and key into dir.
func writeCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "olelo-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}

func TestTransportConfigFromModparams(t *testing.T) {
	cert, key := writeCert(t, t.TempDir())
	m := &Instance{Certificate: cert, PrivateKey: key, Method: "TLSv1.3", ClientVerify: true, VerifyCertificate: true, RequireCertificate: true}
	c, err := m.TransportConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.CertFile != cert || c.MinVersion != cryptotls.VersionTLS13 || !c.VerifyClient || c.InsecureSkipVerify {
		t.Fatalf("config %+v", c)
	}
}

func TestTransportConfigFromFile(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	cfg := filepath.Join(dir, "tls.cfg")
	os.WriteFile(cfg, []byte("# olelo test\n[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"+
		"private_key = "+key+"\ncertificate = "+cert+"\n\n[client:default]\nverify_certificate = no\n"), 0o600)
	m := &Instance{Config: cfg, ClientVerify: true}
	c, err := m.TransportConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyFile != key || c.MinVersion != cryptotls.VersionTLS12 || c.VerifyClient || !c.InsecureSkipVerify {
		t.Fatalf("config %+v", c)
	}
}

func TestTransportConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	bad := filepath.Join(dir, "bad.cfg")
	os.WriteFile(bad, []byte("[server:10.0.0.1:5061]\ncertificate = x\n"), 0o600)
	tests := []struct {
		m    Instance
		want string
	}{
		{Instance{}, "certificate and private_key are required"},
		{Instance{Certificate: cert, PrivateKey: cert}, "loading certificate"},
		{Instance{Certificate: cert, PrivateKey: key, Method: "SSLv3"}, `method "SSLv3" is not supported`},
		{Instance{Config: bad}, "bad.cfg:1: tls: section [server:10.0.0.1:5061] is not supported"},
		{Instance{Config: filepath.Join(dir, "missing.cfg")}, "no such file"},
	}
	for _, tt := range tests {
		if _, err := tt.m.TransportConfig(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.m, err, tt.want)
		}
	}
}
