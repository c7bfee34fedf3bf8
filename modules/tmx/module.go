package tmx

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "tmx",
		Doc:  "tm extensions: route-type checks, t_precheck_trans, $T_* pseudo-variables",
		New:  func() module.Instance { return &Instance{} },
	})
}

// Instance is the tmx module. It has no modparams.
type Instance struct{}

// Funcs lists tmx's functions.
func (*Instance) Funcs() []module.Func {
	any := module.AnyRoute
	return []module.Func{
		{Name: "t_precheck_trans", Routes: module.RequestRoute, Run: runPrecheck, Doc: "true when the request is a retransmission of a transaction being handled"},
		{Name: "t_is_failure_route", Routes: any, Run: isRoute(module.FailureRoute), Doc: "true in a failure route"},
		{Name: "t_is_branch_route", Routes: any, Run: isRoute(module.BranchRoute), Doc: "true in a branch route"},
		{Name: "t_is_reply_route", Routes: any, Run: isRoute(module.OnReplyRoute | module.CoreReplyRoute), Doc: "true in a reply route"},
		{Name: "t_flush_flags", Routes: module.RequestRoute | module.FailureRoute | module.BranchRoute, Run: runFlushFlags, Doc: "copy the message flags into the transaction"},
	}
}

// PVs lists tmx's pseudo-variables.
func (*Instance) PVs() []module.PVClass {
	return []module.PVClass{
		{Name: "T_reply_code", New: noArg(replyCode), Doc: "the reply code: received (reply route), winning (failure route), else the last sent"},
		{Name: "T_reply_reason", New: noArg(replyReason), Doc: "the reason phrase of that reply"},
		{Name: "T_branch_idx", New: noArg(branchIdx), Doc: "the index of the branch (branch and reply routes), 0 elsewhere"},
	}
}
