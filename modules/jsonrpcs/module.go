package jsonrpcs

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "jsonrpcs",
		Doc:  "JSON-RPC control commands from the script and over xhttp",
		New:  func() module.Instance { return &Instance{PrettyFormat: 1, Transport: 6} },
	})
}

// Instance is the jsonrpcs module with its modparams.
type Instance struct {
	// PrettyFormat indents the answers (default 1, as Kamailio).
	PrettyFormat int `modparam:"pretty_format"`
	// Transport is Kamailio's bit mask of transports (1 HTTP, 2 FIFO,
	// 4 datagram socket). HTTP goes through xhttp; the FIFO and
	// datagram transports are not implemented (see README).
	Transport int `modparam:"transport"`
	// FifoName and DgramSocket are accepted and not used.
	FifoName    string `modparam:"fifo_name"`
	DgramSocket string `modparam:"dgram_socket"`
}

// Funcs lists jsonrpcs's functions.
func (m *Instance) Funcs() []module.Func {
	return []module.Func{
		{Name: "jsonrpc_dispatch", Run: m.runDispatch, Routes: module.EventRoute,
			Doc: "answer the JSON-RPC request in the body of the HTTP request (event_route[xhttp:request])"},
		{Name: "jsonrpc_exec", Args: []module.ArgKind{module.ArgStr}, Run: m.runExec, Routes: module.AnyRoute,
			Doc: "run a JSON-RPC request given as text; the answer goes to $jsonrpl(code/text/body)"},
	}
}

// PVs exports $jsonrpl.
func (m *Instance) PVs() []module.PVClass {
	return []module.PVClass{{Name: "jsonrpl", New: newReplyPV, Doc: "the answer of the last jsonrpc_exec: $jsonrpl(code), $jsonrpl(text), $jsonrpl(body)"}}
}

// Pretty reports whether answers are indented (the server's
// control listeners follow it too).
func (m *Instance) Pretty() bool { return m.PrettyFormat != 0 }
