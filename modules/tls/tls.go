package tls

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"os"
	"strings"

	"github.com/olelo-sip/olelo/transport"
)

// TransportConfig returns the TLS settings for the transports, reading
// the tls.cfg file when the config modparam names one. It checks that the
// certificate and key load, so that a bad path fails at start with the
// file named, not at the first TLS handshake.
func (m *Instance) TransportConfig() (*transport.TLSConfig, error) {
	if m.Config != "" {
		if err := m.readConfigFile(m.Config); err != nil {
			return nil, err
		}
	}
	if m.Certificate == "" || m.PrivateKey == "" {
		return nil, fmt.Errorf("tls: certificate and private_key are required for tls/wss listeners (modparam(\"tls\", \"certificate\", ...) or a tls.cfg [server:default] section)")
	}
	if _, err := tls.LoadX509KeyPair(m.Certificate, m.PrivateKey); err != nil {
		return nil, fmt.Errorf("tls: loading certificate %s and key %s: %w", m.Certificate, m.PrivateKey, err)
	}
	min, err := minVersion(m.Method)
	if err != nil {
		return nil, err
	}
	return &transport.TLSConfig{
		CertFile:           m.Certificate,
		KeyFile:            m.PrivateKey,
		CAFile:             m.CAList,
		VerifyClient:       m.VerifyCertificate && m.RequireCertificate,
		MinVersion:         min,
		InsecureSkipVerify: !m.ClientVerify,
	}, nil
}

// minVersion maps Kamailio's method names to the lowest TLS version.
// Versions below 1.2 are refused: they are broken and Go does not offer
// them by default either.
func minVersion(method string) (uint16, error) {
	switch strings.ToUpper(strings.TrimSpace(method)) {
	case "", "TLSV1.2+", "TLSV1.2", "SSLV23", "TLSV1+", "TLSV1.1+":
		return tls.VersionTLS12, nil
	case "TLSV1.3", "TLSV1.3+":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("tls: method %q is not supported (use TLSv1.2+ or TLSv1.3)", method)
}

// readConfigFile reads the [server:default] and [client:default] sections
// of a Kamailio tls.cfg. Sections for specific addresses are not
// supported yet and are reported.
func (m *Instance) readConfigFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = strings.ToLower(strings.Trim(line, "[] "))
			if section != "server:default" && section != "client:default" {
				return fmt.Errorf("%s:%d: tls: section [%s] is not supported (only [server:default] and [client:default])", path, n, section)
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%s:%d: tls: expected name = value, got %q", path, n, line)
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		if section == "" {
			return fmt.Errorf("%s:%d: tls: %s outside a [server:default] or [client:default] section", path, n, key)
		}
		if err := m.set(section, key, value); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

func (m *Instance) set(section, key, value string) error {
	yes := func() (bool, error) {
		switch strings.ToLower(value) {
		case "yes", "1", "true", "on":
			return true, nil
		case "no", "0", "false", "off":
			return false, nil
		}
		return false, fmt.Errorf("tls: %s needs yes or no, got %q", key, value)
	}
	if section == "client:default" {
		if key == "verify_certificate" {
			v, err := yes()
			m.ClientVerify = v
			return err
		}
		// The client certificate is the server's (transport presents it).
		return nil
	}
	var err error
	switch key {
	case "method":
		m.Method = value
	case "certificate":
		m.Certificate = value
	case "private_key":
		m.PrivateKey = value
	case "ca_list":
		m.CAList = value
	case "verify_certificate":
		m.VerifyCertificate, err = yes()
	case "require_certificate":
		m.RequireCertificate, err = yes()
	case "cipher_list", "server_name", "verify_depth", "crl", "server_id":
		// Accepted, not used: Go chooses the cipher suites.
	default:
		return fmt.Errorf("tls: unknown setting %q", key)
	}
	return err
}
