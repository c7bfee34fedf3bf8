package maxfwd

import (
	"context"
	"fmt"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "maxfwd",
		Doc:  "Max-Forwards processing",
		New:  func() module.Instance { return &Instance{MaxLimit: 70} },
	})
}

// Instance is the maxfwd module. MaxLimit caps the value a request
// leaves with.
type Instance struct {
	MaxLimit int `modparam:"max_limit"`
}

// Start checks the modparams.
func (m *Instance) Start(ctx context.Context, h module.Host) error {
	if m.MaxLimit < 1 || m.MaxLimit > 256 {
		return fmt.Errorf("maxfwd: invalid max_limit %d (want 1-256)", m.MaxLimit)
	}
	return nil
}

// Funcs lists maxfwd's functions.
func (m *Instance) Funcs() []module.Func {
	i := module.ArgInt
	var fs []module.Func
	for _, name := range []string{"mf_process_maxfwd_header", "maxfwd_process", "process_maxfwd"} {
		fs = append(fs, module.Func{Name: name, Args: []module.ArgKind{i}, Check: checkLimit, Run: m.process,
			Doc: "add Max-Forwards when absent, else decrement it; false when it is 0"})
	}
	fs = append(fs, module.Func{Name: "is_maxfwd_lt", Args: []module.ArgKind{i}, Check: checkLimit, Run: m.isLessThan,
		Doc: "true when Max-Forwards is below a value"})
	return fs
}

// checkLimit refuses a constant limit outside 0-255 (Kamailio refuses it
// at run time).
func checkLimit(args []*module.Arg) error {
	if a := args[0]; a.Const && (a.Int < 0 || a.Int > 255) {
		return fmt.Errorf("invalid Max-Forwards value %d (want 0-255)", a.Int)
	}
	return nil
}
