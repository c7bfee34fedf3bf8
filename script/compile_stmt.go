package script

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/olelo-sip/olelo/module"
)

// flow says how a statement ended.
type flow uint8

const (
	flowNext   flow = iota // go on with the next statement
	flowBreak              // break: leave the innermost switch or while
	flowReturn             // return: leave the route
	flowExit               // exit or drop: stop the whole script
)

// action is a compiled statement. It returns its value (Kamailio's
// action return code: the value of a route is that of its last action)
// and how it ended.
type action func(c *module.Ctx) (int64, flow)

// runBlock runs a statement list. An empty list is worth 1.
func runBlock(c *module.Ctx, acts []action) (int64, flow) {
	ret := int64(1)
	for _, a := range acts {
		var f flow
		ret, f = a(c)
		if f != flowNext {
			return ret, f
		}
	}
	return ret, flowNext
}

// exprFailed turns an expression error into the statement's outcome: an
// exit signal stops the script; other errors are logged and the statement
// fails with -1.
func exprFailed(c *module.Ctx, err error) (int64, flow) {
	var ex exitSignal
	if errors.As(err, &ex) {
		return ex.ret, flowExit
	}
	ctxLog(c).Error(err.Error())
	return -1, flowNext
}

func (c *compiler) block(list []Stmt) []action {
	acts := make([]action, 0, len(list))
	for _, s := range list {
		if a := c.stmt(s); a != nil {
			acts = append(acts, a)
		}
	}
	return acts
}

func (c *compiler) stmt(s Stmt) action {
	switch s := s.(type) {
	case *Call:
		return c.callStmt(s)
	case *RouteCall:
		a, ok := c.routeCall(s)
		if !ok {
			return nil
		}
		return a
	case *AssignStmt:
		set, val, ok := c.assignment(s.LHS, s.Value)
		if !ok {
			return nil
		}
		pos := s.Pos
		return func(ctx *module.Ctx) (int64, flow) {
			v, err := val(ctx)
			if err != nil {
				return exprFailed(ctx, err)
			}
			if err := set.Set(ctx, v); err != nil {
				ctxLog(ctx).Error(fmt.Sprintf("%s: assignment to %s: %v", pos, s.LHS.Text, err))
				return -1, flowNext
			}
			return 1, flowNext
		}
	case *IfStmt:
		return c.ifStmt(s)
	case *WhileStmt:
		return c.whileStmt(s)
	case *SwitchStmt:
		return c.switchStmt(s)
	case *ReturnStmt:
		return c.exitStmt(s.Value, 1, func(ret int64) flow {
			if ret == 0 {
				return flowExit // return 0 ends the script, as exit
			}
			return flowReturn
		}, false)
	case *ExitStmt:
		return c.exitStmt(s.Value, 1, func(int64) flow { return flowExit }, false)
	case *DropStmt:
		return c.exitStmt(s.Value, 0, func(int64) flow { return flowExit }, true)
	case *BreakStmt:
		return func(*module.Ctx) (int64, flow) { return 0, flowBreak }
	}
	c.errorf(s.Position(), "unsupported statement")
	return nil
}

func (c *compiler) exitStmt(value Expr, def int64, how func(int64) flow, drop bool) action {
	if value == nil {
		f := how(def)
		return func(ctx *module.Ctx) (int64, flow) {
			if drop {
				ctx.Dropped = true
			}
			return def, f
		}
	}
	x, ok := c.expr(value)
	if !ok {
		return nil
	}
	if x.typ == tStr && x.konst {
		if _, isNum := strToInt(x.val.Str); !isNum {
			c.errorf(value.Position(), "type mismatch: a return value is an integer, found %s", describeExpr(value))
			return nil
		}
	}
	xf := x.fn
	if x.raw != nil {
		xf = x.raw
	}
	pos := value.Position()
	return func(ctx *module.Ctx) (int64, flow) {
		if drop {
			ctx.Dropped = true
		}
		v, err := xf(ctx)
		if err != nil {
			return exprFailed(ctx, err)
		}
		n := intAt(ctx, v, pos)
		return n, how(n)
	}
}

func (c *compiler) callStmt(call *Call) action {
	fe, args, ok := c.resolveCall(call)
	if !ok {
		return nil
	}
	run := fe.fn.Run
	if fe.core {
		return func(ctx *module.Ctx) (int64, flow) {
			return int64(run(ctx, args)), flowNext
		}
	}
	return func(ctx *module.Ctx) (int64, flow) {
		ret := int64(run(ctx, args))
		ctx.RetCode = ret
		if ret == 0 {
			return 0, flowExit
		}
		return ret, flowNext
	}
}

// routeCall compiles route(NAME) or route($pv).
func (c *compiler) routeCall(rc *RouteCall) (action, bool) {
	e := c.e
	if rc.Target == nil && !containsPV(rc.Name) {
		name := rc.Name
		if name == "0" {
			name = ""
		}
		target := e.routes[RequestRoute][name]
		if target == nil {
			msg := fmt.Sprintf("route %q is not defined", rc.Name)
			var names []string
			for n := range e.routes[RequestRoute] {
				if n != "" {
					names = append(names, n)
				}
			}
			if s := suggest(rc.Name, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			c.errorf(rc.Pos, "%s", msg)
			return nil, false
		}
		return func(ctx *module.Ctx) (int64, flow) {
			return e.callRoute(ctx, target, rc.Pos)
		}, true
	}
	var name evalFn
	if rc.Target != nil {
		x, ok := c.expr(rc.Target)
		if !ok {
			return nil, false
		}
		name = x.fn
	} else {
		f, err := formatParse(rc.Name, c.pvLookup)
		if err != nil {
			c.errorf(rc.Pos, "%v", err)
			return nil, false
		}
		name = func(ctx *module.Ctx) (module.Value, error) {
			s, err := f.Eval(ctx)
			return module.StrValue(s), err
		}
	}
	pos := rc.Pos
	return func(ctx *module.Ctx) (int64, flow) {
		v, err := name(ctx)
		if err != nil {
			return exprFailed(ctx, err)
		}
		n := v.String()
		if n == "0" {
			n = ""
		}
		target := e.routes[RequestRoute][n]
		if target == nil {
			ctxLog(ctx).Error(fmt.Sprintf("%s: route %q is not defined", pos, v.String()))
			return -1, flowNext
		}
		return e.callRoute(ctx, target, pos)
	}, true
}

func containsPV(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '$' {
			return true
		}
	}
	return false
}

func (c *compiler) ifStmt(s *IfStmt) action {
	cond, ok := c.cond(s.Cond)
	then := c.block(s.Then)
	var els []action
	hasElse := s.Else != nil
	if hasElse {
		els = c.block(s.Else)
	}
	if !ok {
		return nil
	}
	return func(ctx *module.Ctx) (int64, flow) {
		t, err := cond(ctx)
		if err != nil {
			if ret, f := exprFailed(ctx, err); f == flowExit {
				return ret, f
			}
			t = false
		}
		if t {
			return runBlock(ctx, then)
		}
		if hasElse {
			return runBlock(ctx, els)
		}
		return 1, flowNext
	}
}

func (c *compiler) whileStmt(s *WhileStmt) action {
	cond, ok := c.cond(s.Cond)
	body := c.block(s.Body)
	if !ok {
		return nil
	}
	limit := c.e.Settings.MaxWhileLoops
	pos := s.Pos
	return func(ctx *module.Ctx) (int64, flow) {
		ret := int64(1)
		for i := int64(0); ; i++ {
			t, err := cond(ctx)
			if err != nil {
				if r, f := exprFailed(ctx, err); f == flowExit {
					return r, f
				}
				t = false
			}
			if !t {
				return ret, flowNext
			}
			if i >= limit {
				ctxLog(ctx).Error(fmt.Sprintf("%s: runaway while: more than %d loops (max_while_loops)", pos, limit))
				return -1, flowNext
			}
			var f flow
			ret, f = runBlock(ctx, body)
			switch f {
			case flowBreak:
				return ret, flowNext
			case flowReturn, flowExit:
				return ret, f
			}
		}
	}
}

func (c *compiler) switchStmt(s *SwitchStmt) action {
	x, ok := c.expr(s.Value)
	// The case bodies form one list (C fall-through); each case starts at
	// an index in it.
	var body []action
	intCases := map[int64]int{}
	strCases := map[string]int{}
	type reCase struct {
		re    *regexp.Regexp
		start int
	}
	var reCases []reCase
	def := -1
	isInt := false
	for _, cs := range s.Cases {
		start := len(body)
		switch {
		case cs.Default:
			def = start
		case cs.Regex:
			lit, _ := cs.Value.(*StrLit)
			if lit == nil {
				break
			}
			re, err := regexp.Compile(lit.Value)
			if err != nil {
				c.errorf(lit.Pos, "bad regular expression %q: %s", lit.Value, regexpErr(err))
				ok = false
				break
			}
			reCases = append(reCases, reCase{re, start})
		default:
			switch v := cs.Value.(type) {
			case *IntLit:
				isInt = true
				if _, dup := intCases[v.Value]; dup {
					c.errorf(v.Pos, "duplicate case %s in switch", v.Text)
				} else {
					intCases[v.Value] = start
				}
			case *StrLit:
				if _, dup := strCases[v.Value]; dup {
					c.errorf(v.Pos, "duplicate case %q in switch", v.Value)
				} else {
					strCases[v.Value] = start
				}
			}
		}
		body = append(body, c.block(cs.Body)...)
	}
	if !ok {
		return nil
	}
	xf := x.fn
	pos := s.Value.Position()
	find := func(ctx *module.Ctx, v module.Value) int {
		if isInt {
			if i, ok := intCases[intAt(ctx, v, pos)]; ok {
				return i
			}
			return def
		}
		str := v.String()
		if i, ok := strCases[str]; ok {
			if len(reCases) == 0 {
				return i
			}
			// A regex case written before it may match first.
			best := i
			for _, rc := range reCases {
				if rc.start < best && rc.re.MatchString(str) {
					best = rc.start
				}
			}
			return best
		}
		for _, rc := range reCases {
			if rc.re.MatchString(str) {
				return rc.start
			}
		}
		return def
	}
	return func(ctx *module.Ctx) (int64, flow) {
		v, err := xf(ctx)
		if err != nil {
			return exprFailed(ctx, err)
		}
		start := find(ctx, v)
		if start < 0 {
			return 1, flowNext
		}
		ret, f := runBlock(ctx, body[start:])
		if f == flowBreak {
			f = flowNext
		}
		return ret, f
	}
}
