package sl

import (
	"fmt"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "sl",
		Doc:  "stateless replies",
		New: func() module.Instance {
			return &Instance{DefaultCode: 500, DefaultReason: "Internal Server Error", BindTM: 1}
		},
	})
}

// Instance is the sl module with its modparams. default_code and
// default_reason are accepted for compatibility (Kamailio uses them only
// for its internal error replies); bind_tm and rich_redirect change
// nothing yet.
type Instance struct {
	DefaultCode   int    `modparam:"default_code"`
	DefaultReason string `modparam:"default_reason"`
	BindTM        int    `modparam:"bind_tm"`
	RichRedirect  int    `modparam:"rich_redirect"`
}

// Funcs lists sl's functions.
func (m *Instance) Funcs() []module.Func {
	i, s := module.ArgInt, module.ArgStr
	reply := module.Func{Args: []module.ArgKind{i, s}, Check: checkCode, Run: runReply, Routes: module.RequestRoute}
	var fs []module.Func
	for _, name := range []string{"sl_send_reply", "sl_reply"} {
		f := reply
		f.Name, f.Doc = name, "send a stateless reply with a status code and reason"
		fs = append(fs, f)
	}
	f := reply
	f.Name, f.Doc, f.Run = "send_reply", "send a reply: stateful when the request has a transaction (tm), else stateless", runSendReply
	f.Routes = module.RequestRoute | module.FailureRoute | module.OnReplyRoute
	fs = append(fs,
		f,
		module.Func{Name: "sl_reply_error", Run: runReplyError, Routes: module.RequestRoute, Doc: "send the reply for the last internal error"},
		module.Func{Name: "send_reply_error", Run: runReplyError, Routes: module.RequestRoute | module.FailureRoute | module.OnReplyRoute, Doc: "send the reply for the last internal error"},
	)
	return fs
}

// PreRoute absorbs the ACK of a non-2xx reply sl sent (its To-tag is
// ours), before the script runs, as Kamailio's sl does.
func (m *Instance) PreRoute(c *module.Ctx) bool {
	return !IsLocalACK(c.Msg.Message)
}

// checkCode refuses a constant status code outside 100-699.
func checkCode(args []*module.Arg) error {
	if a := args[0]; a.Const && (a.Int < 100 || a.Int > 699) {
		return fmt.Errorf("invalid reply code %d (want 100-699)", a.Int)
	}
	return nil
}
