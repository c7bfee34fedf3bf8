package corex

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "corex",
		Doc:  "send a request as it is, send raw data",
		New:  func() module.Instance { return &Instance{} },
	})
}

// Instance is the corex module. Its modparams are accepted for
// compatibility and change nothing yet.
type Instance struct {
	AliasSubdomains []string `modparam:"alias_subdomains"`
	NioIntercept    int      `modparam:"nio_intercept"`
	NioMinMsgLen    int      `modparam:"nio_min_msg_len"`
	NioMsgAvp       string   `modparam:"nio_msg_avp"`
	DNSCache        []string `modparam:"dns_cache"`
}

// Funcs lists corex's functions.
func (m *Instance) Funcs() []module.Func {
	s := module.ArgStr
	routes := module.RequestRoute | module.FailureRoute | module.BranchRoute
	return []module.Func{
		{Name: "send_udp", Routes: routes, Run: runSend(protoUDP), Doc: "send the request as it is over UDP to $du or the Request-URI"},
		{Name: "send_udp", Args: []module.ArgKind{s}, Routes: routes, Run: runSend(protoUDP), Doc: "send the request as it is over UDP to a URI"},
		{Name: "send_tcp", Routes: routes, Run: runSend(protoTCP), Doc: "send the request as it is over TCP to $du or the Request-URI"},
		{Name: "send_tcp", Args: []module.ArgKind{s}, Routes: routes, Run: runSend(protoTCP), Doc: "send the request as it is over TCP to a URI"},
		{Name: "append_branch", Routes: routes, Run: runAppendBranch, Doc: "add the current Request-URI and $du to the destination set"},
		{Name: "append_branch", Args: []module.ArgKind{s}, Routes: routes, Run: runAppendBranch, Doc: "add a URI to the destination set (tm forks to it in parallel)"},
		{Name: "append_branch", Args: []module.ArgKind{s, s}, Routes: routes, Run: runAppendBranch, Doc: "add a URI with a q value (\"0.5\") to the destination set"},
		{Name: "send_data", Args: []module.ArgKind{s, s}, Routes: module.AnyRoute, Run: runSendData, Doc: "send raw data to a URI"},
	}
}
