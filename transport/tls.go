package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// buildTLS returns the server config (nil when no certificate is
// configured) and the client config for outbound TLS.
func buildTLS(c *TLSConfig) (server, client *tls.Config, err error) {
	client = &tls.Config{MinVersion: tls.VersionTLS12}
	if c == nil {
		return nil, client, nil
	}
	minV := c.MinVersion
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	client.MinVersion = minV
	client.InsecureSkipVerify = c.InsecureSkipVerify

	var pool *x509.CertPool
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("transport: tls CA file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("transport: tls CA file %s: no PEM certificate found", c.CAFile)
		}
		client.RootCAs = pool
	}
	if c.VerifyClient && pool == nil {
		return nil, nil, errors.New("transport: tls VerifyClient needs a CAFile")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, nil, errors.New("transport: tls needs both CertFile and KeyFile")
	}
	if c.CertFile == "" {
		return nil, client, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: tls certificate %s: %w", c.CertFile, err)
	}
	client.Certificates = []tls.Certificate{cert}
	server = &tls.Config{
		MinVersion:   minV,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
	}
	if c.VerifyClient {
		server.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return server, client, nil
}
