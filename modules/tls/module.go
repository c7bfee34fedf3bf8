package tls

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "tls",
		Doc:  "TLS certificates and verification for tls: and wss: listeners",
		New: func() module.Instance {
			return &Instance{Method: "TLSv1.2+", ClientVerify: true}
		},
	})
}

// Instance holds the tls modparams. Config names a Kamailio-style tls.cfg
// whose [server:default] and [client:default] sections override them.
type Instance struct {
	Config             string `modparam:"config"`
	Certificate        string `modparam:"certificate"`
	PrivateKey         string `modparam:"private_key"`
	CAList             string `modparam:"ca_list"`
	VerifyCertificate  bool   `modparam:"verify_certificate"`
	RequireCertificate bool   `modparam:"require_certificate"`
	Method             string `modparam:"tls_method"`
	// Accepted for compatibility, no effect (Go's crypto/tls manages
	// sessions, logging and renegotiation itself).
	TLSLog        int `modparam:"tls_log"`
	TLSDebug      int `modparam:"tls_debug"`
	SessionCache  int `modparam:"session_cache"`
	Renegotiation int `modparam:"renegotiation"`

	// ClientVerify is [client:default] verify_certificate: outbound TLS
	// checks the server's certificate unless a tls.cfg turns it off.
	ClientVerify bool
}

// Funcs: the module has no script functions yet (is_peer_verified and
// the $tls_* variables need the peer's certificate from the transport).
func (m *Instance) Funcs() []module.Func { return nil }
