package ctl

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "ctl",
		Doc:  "control interface addresses (JSON-RPC over a unix socket or HTTP)",
		New:  func() module.Instance { return &Instance{} },
	})
}

// Instance is the ctl module: its modparams.
type Instance struct {
	// Binrpc are the control addresses (Kamailio's binrpc modparam, one
	// line each): unix:PATH, tcp:HOST:PORT or http://HOST:PORT.
	Binrpc []string `modparam:"binrpc"`
	// Mode is the unix socket's file mode, octal (default 0600).
	Mode string `modparam:"mode"`
	// User and Group own the unix socket (name or number).
	User  string `modparam:"user"`
	Group string `modparam:"group"`
	// RPCToken is the bearer token HTTP clients must send; required for
	// an address that is not loopback.
	RPCToken string `modparam:"rpc_token"`
}

// Funcs: ctl exports no script functions.
func (m *Instance) Funcs() []module.Func { return nil }
