package kex

import (
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/core"
	"github.com/olelo-sip/olelo/sip"
)

type flagOp uint8

const (
	set flagOp = iota
	reset
	test
)

// apply runs op on *flags with flag bit f.
func (op flagOp) apply(flags *uint64, f uint64) int {
	switch op {
	case set:
		*flags |= f
	case reset:
		*flags &^= f
	case test:
		if *flags&f == 0 {
			return -1
		}
	}
	return 1
}

func flagBit(c *module.Ctx, a *module.Arg) (uint64, bool) {
	n, err := a.GetInt(c)
	if err != nil || n < 0 || n > core.MaxFlag {
		return 0, false
	}
	return 1 << uint(n), true
}

// runBranchFlag works on the flags of branch 0 (Ctx.BranchFlags); other
// branches belong to tm and give -1 until it exists.
func runBranchFlag(op flagOp) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		f, ok := flagBit(c, args[0])
		if !ok {
			return -1
		}
		if len(args) > 1 {
			if b, err := args[1].GetInt(c); err != nil || b != 0 {
				return -1
			}
		}
		return op.apply(&c.BranchFlags, f)
	}
}

type scriptFlagsKey struct{}

// runScriptFlag works on the script flags, kept for the message in
// Ctx.Store.
func runScriptFlag(op flagOp) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		f, ok := flagBit(c, args[0])
		if !ok {
			return -1
		}
		if c.Store == nil {
			c.Store = map[any]any{}
		}
		flags, _ := c.Store[scriptFlagsKey{}].(uint64)
		rc := op.apply(&flags, f)
		c.Store[scriptFlagsKey{}] = flags
		return rc
	}
}

func runSetDstURI(c *module.Ctx, args []*module.Arg) int {
	u, err := args[0].GetStr(c)
	if err != nil || u == "" {
		return -1
	}
	c.DstURI = u
	return 1
}

func runResetDstURI(c *module.Ctx, _ []*module.Arg) int {
	c.DstURI = ""
	return 1
}

func runIsDstURISet(c *module.Ctx, _ []*module.Arg) int {
	if c.DstURI == "" {
		return -1
	}
	return 1
}

// runIsMyself: 1 when the URI's host (and port, when given) is one of
// this server's addresses or aliases.
func runIsMyself(c *module.Ctx, args []*module.Arg) int {
	s, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	u, err := sip.ParseURI([]byte(s))
	if err != nil || len(u.Host) == 0 {
		return -1
	}
	if c.Host.IsMyself(string(u.Host), u.Port) {
		return 1
	}
	return -1
}

func runPVPrintf(c *module.Ctx, args []*module.Arg) int {
	s, err := args[1].GetStr(c)
	if err != nil || args[0].PV == nil {
		return -1
	}
	if err := args[0].PV.Set(c, module.StrValue(s)); err != nil {
		return -1
	}
	return 1
}
