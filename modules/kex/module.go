package kex

import (
	"fmt"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/core"
)

func init() {
	module.Register(module.Module{
		Name: "kex",
		Doc:  "branch and script flags, destination URI, is_myself, pv_printf",
		New:  func() module.Instance { return &Instance{} },
	})
}

// Instance is the kex module. It has no modparams.
type Instance struct{}

// Funcs lists kex's functions.
func (m *Instance) Funcs() []module.Func {
	i, s, pv := module.ArgInt, module.ArgStr, module.ArgPV
	any := module.AnyRoute
	var fs []module.Func
	for _, f := range []struct {
		name string
		op   flagOp
		doc  string
	}{
		{"setbflag", set, "set a branch flag"},
		{"resetbflag", reset, "clear a branch flag"},
		{"isbflagset", test, "test a branch flag"},
	} {
		fs = append(fs,
			module.Func{Name: f.name, Args: []module.ArgKind{i}, Routes: any, Check: checkFlag, Run: runBranchFlag(f.op), Doc: f.doc + " of branch 0"},
			module.Func{Name: f.name, Args: []module.ArgKind{i, i}, Routes: any, Check: checkFlag, Run: runBranchFlag(f.op), Doc: f.doc + " of a branch"})
	}
	for _, f := range []struct {
		name string
		op   flagOp
		doc  string
	}{
		{"setsflag", set, "set a script flag"},
		{"resetsflag", reset, "clear a script flag"},
		{"issflagset", test, "test a script flag"},
	} {
		fs = append(fs, module.Func{Name: f.name, Args: []module.ArgKind{i}, Routes: any, Check: checkFlag, Run: runScriptFlag(f.op), Doc: f.doc})
	}
	return append(fs,
		module.Func{Name: "setdsturi", Args: []module.ArgKind{s}, Run: runSetDstURI, Doc: "set the destination URI ($du)"},
		module.Func{Name: "resetdsturi", Run: runResetDstURI, Doc: "clear the destination URI"},
		module.Func{Name: "isdsturiset", Run: runIsDstURISet, Doc: "true when the destination URI is set"},
		module.Func{Name: "is_myself", Args: []module.ArgKind{s}, Routes: any, Run: runIsMyself, Doc: "true when a URI's host and port are this server's"},
		module.Func{Name: "pv_printf", Args: []module.ArgKind{pv, s}, Routes: any, Run: runPVPrintf, Doc: "set a pseudo-variable to a formatted string"},
	)
}

// checkFlag refuses constant flags (and branch indexes) out of range.
func checkFlag(args []*module.Arg) error {
	if a := args[0]; a.Const && (a.Int < 0 || a.Int > core.MaxFlag) {
		return fmt.Errorf("bad flag value %d (flags are 0-%d)", a.Int, core.MaxFlag)
	}
	if len(args) > 1 {
		if a := args[1]; a.Const && a.Int < 0 {
			return fmt.Errorf("bad branch index %d", a.Int)
		}
	}
	return nil
}
