package tm

import (
	"fmt"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "tm",
		Doc:  "stateful transactions: t_relay, failure and reply routes, forking",
		New:  func() module.Instance { return newInstance() },
	})
}

func newInstance() *Instance {
	return &Instance{
		FrTimer: 30000, FrInvTimer: 120000, MaxInvLifetime: 180000, MaxNoninvLifetime: 32000,
		WtTimer: 5000, RetrTimer1: 500, RetrTimer2: 4000, RestartFrOnEachReply: 1,
		AutoInv100: 1, AutoInv100Reason: "trying -- your call is important to us",
		MaxTransactions: 100000, NoisyCtimer: 1, FailureReplyMode: 3, AggregateChallenges: 1,
		CancelBMethod: 1, Remap503To500: 1,
	}
}

// Instance is the tm module with its modparams (times in milliseconds).
type Instance struct {
	FrTimer              int    `modparam:"fr_timer"`
	FrInvTimer           int    `modparam:"fr_inv_timer"`
	MaxInvLifetime       int    `modparam:"max_inv_lifetime"`
	MaxNoninvLifetime    int    `modparam:"max_noninv_lifetime"`
	WtTimer              int    `modparam:"wt_timer"`
	RetrTimer1           int    `modparam:"retr_timer1"`
	RetrTimer2           int    `modparam:"retr_timer2"`
	RestartFrOnEachReply int    `modparam:"restart_fr_on_each_reply"`
	AutoInv100           int    `modparam:"auto_inv_100"`
	AutoInv100Reason     string `modparam:"auto_inv_100_reason"`
	MaxTransactions      int    `modparam:"max_transactions"`
	// Accepted for compatibility; olelo behaves as with Kamailio's
	// defaults (see the README).
	NoisyCtimer         int    `modparam:"noisy_ctimer"`
	FailureReplyMode    int    `modparam:"failure_reply_mode"`
	AggregateChallenges int    `modparam:"aggregate_challenges"`
	CancelBMethod       int    `modparam:"cancel_b_method"`
	UnmatchedCancel     int    `modparam:"unmatched_cancel"`
	Disable6xxBlock     int    `modparam:"disable_6xx_block"`
	Remap503To500       int    `modparam:"remap_503_500"`
	ContactsAVP         string `modparam:"contacts_avp"`
	ContactFlowsAVP     string `modparam:"contact_flows_avp"`
	OnSlReply           string `modparam:"on_sl_reply"`

	shared *sharedMgr
}

// Funcs lists tm's functions.
func (m *Instance) Funcs() []module.Func {
	s, i, re, rt := module.ArgStr, module.ArgInt, module.ArgRegex, module.ArgRoute
	reqFail := module.RequestRoute | module.FailureRoute
	all := module.RequestRoute | module.FailureRoute | module.BranchRoute | module.OnReplyRoute | module.CoreReplyRoute
	fs := []module.Func{
		{Name: "t_relay", Routes: reqFail, Run: m.runRelay(0, 0), Doc: "relay the request statefully to $du or the Request-URI (and the other branches)"},
		{Name: "t_relay", Args: []module.ArgKind{s, i}, Routes: reqFail, Check: checkPort(1), Run: m.runRelay(0, 2), Doc: "relay the request statefully to host:port"},
		{Name: "t_relay_to_udp", Routes: reqFail, Run: m.runRelay(protoUDP, 0), Doc: "relay statefully over UDP"},
		{Name: "t_relay_to_udp", Args: []module.ArgKind{s, i}, Routes: reqFail, Check: checkPort(1), Run: m.runRelay(protoUDP, 2), Doc: "relay statefully over UDP to host:port"},
		{Name: "t_relay_to_tcp", Routes: reqFail, Run: m.runRelay(protoTCP, 0), Doc: "relay statefully over TCP"},
		{Name: "t_relay_to_tcp", Args: []module.ArgKind{s, i}, Routes: reqFail, Check: checkPort(1), Run: m.runRelay(protoTCP, 2), Doc: "relay statefully over TCP to host:port"},
		{Name: "t_relay_to_tls", Routes: reqFail, Run: m.runRelay(protoTLS, 0), Doc: "relay statefully over TLS"},
		{Name: "t_relay_to_tls", Args: []module.ArgKind{s, i}, Routes: reqFail, Check: checkPort(1), Run: m.runRelay(protoTLS, 2), Doc: "relay statefully over TLS to host:port"},
		{Name: "t_relay_cancel", Routes: module.RequestRoute, Run: m.runRelayCancel, Doc: "relay a CANCEL to the branches of its INVITE transaction"},
		{Name: "t_on_failure", Args: []module.ArgKind{rt}, Routes: reqFail | module.BranchRoute, Run: runOnRoute(armFailure), Doc: "arm the failure route of the transaction"},
		{Name: "t_on_reply", Args: []module.ArgKind{rt}, Routes: reqFail | module.BranchRoute | module.OnReplyRoute, Run: runOnRoute(armReply), Doc: "arm the onreply route of the transaction"},
		{Name: "t_on_branch", Args: []module.ArgKind{rt}, Routes: reqFail, Run: runOnRoute(armBranch), Doc: "arm the branch route of the transaction"},
		{Name: "t_check_trans", Routes: all, Run: m.runCheckTrans, Doc: "check whether the message belongs to a transaction"},
		{Name: "t_lookup_request", Routes: module.RequestRoute, Run: m.runLookupRequest, Doc: "true when the request has a transaction"},
		{Name: "t_lookup_cancel", Routes: module.RequestRoute, Run: m.runLookupCancel, Doc: "true when the INVITE of a CANCEL has a transaction"},
		{Name: "t_lookup_cancel", Args: []module.ArgKind{i}, Routes: module.RequestRoute, Run: m.runLookupCancel, Doc: "true when the INVITE of a CANCEL has a transaction"},
		{Name: "t_newtran", Routes: module.RequestRoute, Run: m.runNewTran, Doc: "create the transaction of the request"},
		{Name: "t_reply", Args: []module.ArgKind{i, s}, Routes: reqFail | module.OnReplyRoute, Check: checkCode, Run: m.runReply(false), Doc: "send a stateful reply"},
		{Name: "t_send_reply", Args: []module.ArgKind{i, s}, Routes: reqFail | module.OnReplyRoute, Check: checkCode, Run: m.runReply(true), Doc: "create the transaction if needed and send a stateful reply"},
		{Name: "t_is_set", Args: []module.ArgKind{s}, Routes: all, Check: checkIsSet, Run: runIsSet, Doc: "true when the failure_route, branch_route or onreply_route is armed"},
		{Name: "t_release", Routes: module.RequestRoute, Run: runRelease, Doc: "accepted: the transaction is released by its timers"},
		{Name: "t_is_canceled", Routes: all, Run: test(func(x *txState) bool { return x.tx.Canceled() }), Doc: "true when the transaction was cancelled"},
		{Name: "t_is_expired", Routes: all, Run: test(func(x *txState) bool { return false }), Doc: "true when the transaction's lifetime is over"},
		{Name: "t_branch_timeout", Routes: module.FailureRoute | module.OnReplyRoute, Run: test(branchTimeout), Doc: "true when the failed branch timed out"},
		{Name: "t_branch_replied", Routes: module.FailureRoute | module.OnReplyRoute, Run: test(branchReplied), Doc: "true when the failed branch received a reply"},
		{Name: "t_any_timeout", Routes: all, Run: test(anyTimeout), Doc: "true when a branch timed out"},
		{Name: "t_any_replied", Routes: all, Run: test(anyReplied), Doc: "true when a branch received a reply"},
		{Name: "t_grep_status", Args: []module.ArgKind{i}, Routes: all, Run: runGrepStatus, Doc: "true when a branch received the given code"},
		{Name: "t_check_status", Args: []module.ArgKind{re}, Routes: all, Run: runCheckStatus, Doc: "match the reply code against a regular expression"},
		{Name: "t_set_fr", Args: []module.ArgKind{i}, Routes: all, Run: runSetFR, Doc: "set fr_inv_timer of the transaction (ms)"},
		{Name: "t_set_fr", Args: []module.ArgKind{i, i}, Routes: all, Run: runSetFR, Doc: "set fr_inv_timer and fr_timer of the transaction (ms)"},
		{Name: "t_reset_fr", Routes: all, Run: m.runResetFR, Doc: "restore the default fr timers for the transaction"},
		{Name: "t_drop_replies", Routes: module.FailureRoute, Run: runDropReplies, Doc: "drop the replies received so far"},
		{Name: "t_drop_replies", Args: []module.ArgKind{s}, Routes: module.FailureRoute, Run: runDropReplies, Doc: "drop the replies received so far (a all, l last leg, n none)"},
		{Name: "t_load_contacts", Routes: reqFail, Run: runLoadContacts, Doc: "order the destination set by q for serial forking"},
		{Name: "t_load_contacts", Args: []module.ArgKind{i}, Routes: reqFail, Run: runLoadContacts, Doc: "order the destination set by q for serial forking"},
		{Name: "t_next_contacts", Routes: reqFail, Run: runNextContacts, Doc: "take the next group of contacts as destination set"},
		{Name: "t_set_auto_inv_100", Args: []module.ArgKind{i}, Routes: module.RequestRoute, Run: runSetAuto100, Doc: "switch the automatic 100 Trying for this request"},
	}
	return fs
}

func checkPort(i int) func([]*module.Arg) error {
	return func(args []*module.Arg) error {
		if a := args[i]; a.Const && (a.Int < 0 || a.Int > 65535) {
			return fmt.Errorf("port %d out of range", a.Int)
		}
		return nil
	}
}

func checkCode(args []*module.Arg) error {
	if a := args[0]; a.Const && (a.Int < 100 || a.Int > 699) {
		return fmt.Errorf("invalid reply code %d (want 100-699)", a.Int)
	}
	return nil
}

func checkIsSet(args []*module.Arg) error {
	if a := args[0]; a.Const {
		switch a.Str {
		case "failure_route", "branch_route", "onreply_route":
		default:
			return fmt.Errorf("t_is_set takes failure_route, branch_route or onreply_route, not %q", a.Str)
		}
	}
	return nil
}
