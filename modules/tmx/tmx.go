package tmx

import (
	"fmt"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/tm"
	txn "github.com/olelo-sip/olelo/tm"
)

func isRoute(rt module.RouteType) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, _ []*module.Arg) int {
		if c.Route&rt != 0 {
			return 1
		}
		return -1
	}
}

// runPrecheck is t_precheck_trans: 1 when a transaction for the request
// exists already (a retransmission: the script then lets t_check_trans
// answer it), -1 otherwise and for ACK and CANCEL.
func runPrecheck(c *module.Ctx, _ []*module.Arg) int {
	if !c.Msg.IsRequest() {
		return -1
	}
	switch c.Msg.Method().String() {
	case "ACK", "CANCEL":
		return -1
	}
	mgr := tm.SharedManager()
	if mgr == nil {
		return -1
	}
	if tx, match := mgr.Lookup(c.Msg.Message); tx != nil {
		tx.Unlock()
		if match == txn.Retransmission {
			return 1
		}
	}
	return -1
}

// runFlushFlags copies the message flags into the transaction of this
// run: 1, or -1 without one.
func runFlushFlags(c *module.Ctx, _ []*module.Arg) int {
	if tm.WithTx(c, func(tx *txn.Tx) { tx.Flags = c.Flags }) {
		return 1
	}
	return -1
}

type pvFunc func(c *module.Ctx) (module.Value, error)

func (f pvFunc) Get(c *module.Ctx) (module.Value, error) { return f(c) }

func noArg(f pvFunc) func(string) (module.PV, error) {
	return func(arg string) (module.PV, error) {
		if arg != "" {
			return nil, fmt.Errorf("takes no argument")
		}
		return f, nil
	}
}

func replyCode(c *module.Ctx) (module.Value, error) {
	code, _ := tm.ReplyCode(c)
	return module.IntValue(int64(code)), nil
}

func replyReason(c *module.Ctx) (module.Value, error) {
	code, reason := tm.ReplyCode(c)
	if code == 0 {
		return module.Null, nil
	}
	return module.StrValue(reason), nil
}

func branchIdx(c *module.Ctx) (module.Value, error) {
	_, b, _ := tm.Current(c)
	if b < 0 {
		b = 0
	}
	return module.IntValue(int64(b)), nil
}
