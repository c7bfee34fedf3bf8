package textopsx

import (
	"fmt"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "textopsx",
		Doc:  "apply message edits; body and status rewrites",
		New:  func() module.Instance { return &Instance{} },
	})
}

// Instance is the textopsx module. It has no modparams.
type Instance struct{}

// Funcs lists textopsx's functions.
func (m *Instance) Funcs() []module.Func {
	i, s := module.ArgInt, module.ArgStr
	return []module.Func{
		{Name: "msg_apply_changes", Routes: module.RequestRoute | module.CoreReplyRoute, Run: runApplyChanges, Doc: "apply the recorded edits so that later reads see them"},
		{Name: "remove_body", Routes: module.AnyRoute, Run: runRemoveBody, Doc: "remove the body"},
		{Name: "change_reply_status", Args: []module.ArgKind{i, s}, Routes: module.OnReplyRoute | module.CoreReplyRoute | module.FailureRoute, Check: checkStatus, Run: runChangeReplyStatus, Doc: "change the status code and reason of a reply"},
	}
}

func checkStatus(args []*module.Arg) error {
	if a := args[0]; a.Const && (a.Int < 100 || a.Int > 699) {
		return fmt.Errorf("invalid status code %d", a.Int)
	}
	return nil
}
