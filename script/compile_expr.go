package script

import (
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/transport"
)

// vtype is the static type of an expression, where it is known at load
// time (Kamailio checks constant operands the same way).
type vtype uint8

const (
	tDyn vtype = iota // known only at run time (pseudo-variables ...)
	tInt
	tStr
)

// cexpr is a compiled expression.
type cexpr struct {
	fn    evalFn
	typ   vtype
	konst bool // constant: val holds the value
	val   module.Value
	// raw, for a function or route call, gives the call's return code
	// itself (what an assignment stores) instead of 1 or 0.
	raw evalFn
}

func constExpr(v module.Value) cexpr {
	typ := tDyn
	switch v.Kind {
	case module.KindInt:
		typ = tInt
	case module.KindStr:
		typ = tStr
	}
	return cexpr{fn: func(*module.Ctx) (module.Value, error) { return v, nil }, typ: typ, konst: true, val: v}
}

var badExpr = cexpr{fn: func(*module.Ctx) (module.Value, error) { return module.Null, nil }}

// isNullPV reports whether e is $null.
func isNullPV(e Expr) bool {
	p, ok := e.(*PVar)
	return ok && p.Text == "$null"
}

// expr compiles an expression. ok is false when an error was reported.
func (c *compiler) expr(e Expr) (cexpr, bool) {
	switch v := e.(type) {
	case *IntLit:
		return constExpr(module.IntValue(v.Value)), true
	case *StrLit:
		return constExpr(module.StrValue(v.Value)), true
	case *Ident:
		return constExpr(module.StrValue(v.Name)), true
	case *IPLit:
		return constExpr(module.StrValue(ipText(v))), true
	case *SocketAddr:
		return constExpr(module.StrValue(socketAddrText(v))), true
	case *PVar:
		if v.Text == "$null" {
			return cexpr{fn: badExpr.fn, konst: true}, true
		}
		p, err := pvParse(v.Text, c.pvLookup)
		if err != nil {
			c.errorf(v.Pos, "%v", err)
			return badExpr, false
		}
		return cexpr{fn: p.Get}, true
	case *Select:
		return c.selectExpr(v)
	case *Keyword:
		fn, typ, ok := c.keywordValue(v)
		return cexpr{fn: fn, typ: typ}, ok
	case *Unary:
		return c.unary(v)
	case *Binary:
		return c.binary(v)
	case *Call:
		return c.callExpr(v)
	case *RouteCall:
		return c.routeCallExpr(v)
	case *Selval:
		return c.selval(v)
	case *AssignExpr:
		set, val, ok := c.assignment(v.LHS, v.Value)
		if !ok {
			return badExpr, false
		}
		return cexpr{fn: func(ctx *module.Ctx) (module.Value, error) {
			x, err := val(ctx)
			if err != nil {
				return module.Null, err
			}
			return x, set.Set(ctx, x)
		}}, true
	case *SocketList:
		c.errorf(v.Pos, "a socket list is not a value")
		return badExpr, false
	}
	c.errorf(e.Position(), "unsupported expression %s", describeExpr(e))
	return badExpr, false
}

// selectExpr supports @cfg_get.group.name (the custom cfg variables);
// other selects are not implemented.
func (c *compiler) selectExpr(v *Select) (cexpr, bool) {
	if rest, ok := strings.CutPrefix(v.Text, "@cfg_get."); ok {
		if group, name, ok := strings.Cut(rest, "."); ok {
			for _, cv := range c.cfg.CfgVars {
				if cv.Group == group && cv.Name == name {
					return c.expr(cv.Value)
				}
			}
			c.errorf(v.Pos, "no custom variable %s.%s is declared", group, name)
			return badExpr, false
		}
	}
	c.errorf(v.Pos, "select %s is not supported by olelo (only @cfg_get.group.name)", v.Text)
	return badExpr, false
}

// needType reports a static type mismatch of an operand.
func (c *compiler) needType(x cexpr, node Expr, want vtype, what string) bool {
	if x.typ == tDyn || x.typ == want || node == nil {
		return true
	}
	wantS, found := "an integer", "a string"
	if want == tStr {
		wantS, found = "a string", "an integer"
	}
	desc := describeExpr(node)
	if desc == "an expression" {
		desc = found
	}
	c.errorf(node.Position(), "type mismatch: %s needs %s, found %s", what, wantS, desc)
	return false
}

// fold evaluates an expression with constant operands at load time.
func fold(x cexpr) cexpr {
	v, err := x.fn(nil)
	if err != nil {
		return x
	}
	f := constExpr(v)
	if x.typ != tDyn {
		f.typ = x.typ
	}
	return f
}

func (c *compiler) unary(u *Unary) (cexpr, bool) {
	x, ok := c.expr(u.X)
	if !ok {
		return badExpr, false
	}
	xf := x.fn
	pos := u.Pos
	var out cexpr
	switch u.Op {
	case OpNot:
		if !c.needType(x, u.X, tInt, "operator !") {
			return badExpr, false
		}
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			return boolValue(!truth(ctx, v, pos)), nil
		}}
	case OpNeg:
		if !c.needType(x, u.X, tInt, "unary -") {
			return badExpr, false
		}
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			return module.IntValue(-intAt(ctx, v, pos)), nil
		}}
	case OpBitNot:
		if !c.needType(x, u.X, tInt, "operator ~") {
			return badExpr, false
		}
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			return module.IntValue(^intAt(ctx, v, pos)), nil
		}}
	case OpDefined:
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			return boolValue(!v.IsNull()), nil
		}}
	case OpIntCast:
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			if v.Kind == module.KindInt {
				return v, nil
			}
			return module.IntValue(intAt(ctx, v, pos)), nil
		}}
	case OpStrCast:
		out = cexpr{typ: tStr, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			if v.Kind == module.KindStr {
				return v, nil
			}
			return module.StrValue(v.String()), nil
		}}
	case OpStrlen, OpStrempty:
		if !c.needType(x, u.X, tStr, u.Op.String()+"()") {
			return badExpr, false
		}
		empty := u.Op == OpStrempty
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			n := len(v.Str)
			if v.Kind == module.KindInt {
				n = len(v.String())
			}
			if empty {
				return boolValue(n == 0), nil
			}
			return module.IntValue(int64(n)), nil
		}}
	default:
		c.errorf(u.Pos, "unsupported operator %s", u.Op)
		return badExpr, false
	}
	if x.konst {
		out = fold(out)
	}
	return out, true
}

// defined compiles "defined x" or its negation (x == $null).
func (c *compiler) definedTest(e Expr, negate bool) (cexpr, bool) {
	x, ok := c.expr(e)
	if !ok {
		return badExpr, false
	}
	xf := x.fn
	return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
		v, err := xf(ctx)
		if err != nil {
			return v, err
		}
		return boolValue(v.IsNull() == negate), nil
	}}, true
}

func (c *compiler) binary(b *Binary) (cexpr, bool) {
	if b.Op == OpEq || b.Op == OpNe {
		// x == $null is !defined x; x != $null is defined x.
		if isNullPV(b.Y) && !isNullPV(b.X) {
			return c.definedTest(b.X, b.Op == OpEq)
		}
		if isNullPV(b.X) && !isNullPV(b.Y) {
			return c.definedTest(b.Y, b.Op == OpEq)
		}
	}
	_, kx := b.X.(*Keyword)
	_, ky := b.Y.(*Keyword)
	if kx || ky {
		return c.keywordCompare(b)
	}
	x, okx := c.expr(b.X)
	y, oky := c.expr(b.Y)
	if !okx || !oky {
		return badExpr, false
	}
	xf, yf := x.fn, y.fn
	pos := b.Pos
	opName := "operator " + b.Op.String()
	var out cexpr
	switch b.Op {
	case OpOr, OpAnd:
		if !c.needType(x, b.X, tInt, opName) || !c.needType(y, b.Y, tInt, opName) {
			return badExpr, false
		}
		isOr := b.Op == OpOr
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			v, err := xf(ctx)
			if err != nil {
				return v, err
			}
			t := truth(ctx, v, pos)
			if t == isOr {
				return boolValue(t), nil
			}
			v, err = yf(ctx)
			if err != nil {
				return v, err
			}
			return boolValue(truth(ctx, v, pos)), nil
		}}
	case OpEq, OpNe:
		if x.typ == tInt && !c.needType(y, b.Y, tInt, opName+" with an integer on the left") {
			return badExpr, false
		}
		ne := b.Op == OpNe
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			l, err := xf(ctx)
			if err != nil {
				return l, err
			}
			r, err := yf(ctx)
			if err != nil {
				return r, err
			}
			return boolValue(eqValues(ctx, l, r, pos) != ne), nil
		}}
	case OpStrEq, OpStrNe:
		ne := b.Op == OpStrNe
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			l, err := xf(ctx)
			if err != nil {
				return l, err
			}
			r, err := yf(ctx)
			if err != nil {
				return r, err
			}
			return boolValue((l.String() == r.String()) != ne), nil
		}}
	case OpMatch:
		if y.konst {
			match, err := compileMatch(y.val.String())
			if err != nil {
				c.errorf(b.Y.Position(), "bad regular expression %q: %s", y.val.String(), regexpErr(err))
				return badExpr, false
			}
			out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
				l, err := xf(ctx)
				if err != nil {
					return l, err
				}
				if l.Kind == module.KindStr {
					return boolValue(match(l.Str)), nil
				}
				return boolValue(match(l.String())), nil
			}}
			break
		}
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			l, err := xf(ctx)
			if err != nil {
				return l, err
			}
			r, err := yf(ctx)
			if err != nil {
				return r, err
			}
			re, err := dynRegex(r.String())
			if err != nil {
				return module.Null, runErrorf(pos, "%v", err)
			}
			return boolValue(re.MatchString(l.String())), nil
		}}
	case OpAdd:
		if x.typ == tInt && !c.needType(y, b.Y, tInt, "operator + with an integer on the left") {
			return badExpr, false
		}
		out = cexpr{typ: x.typ, fn: func(ctx *module.Ctx) (module.Value, error) {
			l, err := xf(ctx)
			if err != nil {
				return l, err
			}
			r, err := yf(ctx)
			if err != nil {
				return r, err
			}
			if l.Kind == module.KindInt {
				return module.IntValue(l.Int + intAt(ctx, r, pos)), nil
			}
			return module.StrValue(l.Str + r.String()), nil
		}}
	default:
		op := b.Op
		switch op {
		case OpIntEq, OpIntNe, OpLt, OpGt, OpLe, OpGe, OpSub, OpMul, OpDiv, OpMod,
			OpBitOr, OpBitAnd, OpBitXor, OpShl, OpShr:
		default:
			c.errorf(b.Pos, "unsupported operator %s", op)
			return badExpr, false
		}
		if !c.needType(x, b.X, tInt, opName) || !c.needType(y, b.Y, tInt, opName) {
			return badExpr, false
		}
		out = cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			l, err := xf(ctx)
			if err != nil {
				return l, err
			}
			r, err := yf(ctx)
			if err != nil {
				return r, err
			}
			return intOp(op, intAt(ctx, l, pos), intAt(ctx, r, pos), pos)
		}}
	}
	if x.konst && y.konst {
		out = fold(out)
	}
	return out, true
}

// eqValues is == with Kamailio's typing: the left operand decides; a
// null left operand takes the right one's type, as 0 or "".
func eqValues(c *module.Ctx, l, r module.Value, p Pos) bool {
	switch l.Kind {
	case module.KindInt:
		if r.Kind == module.KindInt {
			return l.Int == r.Int
		}
		return l.Int == intAt(c, r, p)
	case module.KindStr:
		if r.Kind == module.KindStr {
			return l.Str == r.Str
		}
		return l.Str == r.String()
	}
	switch r.Kind {
	case module.KindInt:
		return r.Int == 0
	case module.KindStr:
		return r.Str == ""
	}
	return true
}

func intOp(op Op, a, b int64, p Pos) (module.Value, error) {
	var n int64
	switch op {
	case OpIntEq:
		return boolValue(a == b), nil
	case OpIntNe:
		return boolValue(a != b), nil
	case OpLt:
		return boolValue(a < b), nil
	case OpGt:
		return boolValue(a > b), nil
	case OpLe:
		return boolValue(a <= b), nil
	case OpGe:
		return boolValue(a >= b), nil
	case OpSub:
		n = a - b
	case OpMul:
		n = a * b
	case OpDiv, OpMod:
		if b == 0 {
			return module.Null, runErrorf(p, "division by zero")
		}
		if op == OpDiv {
			n = a / b
		} else {
			n = a % b
		}
	case OpBitOr:
		n = a | b
	case OpBitAnd:
		n = a & b
	case OpBitXor:
		n = a ^ b
	case OpShl, OpShr:
		if b < 0 {
			return module.Null, runErrorf(p, "negative shift count %d", b)
		}
		if op == OpShl {
			n = a << uint64(b)
		} else {
			n = a >> uint64(b)
		}
	}
	return module.IntValue(n), nil
}

func (c *compiler) selval(s *Selval) (cexpr, bool) {
	cond, ok1 := c.cond(s.Cond)
	a, ok2 := c.expr(s.Then)
	b, ok3 := c.expr(s.Else)
	if !ok1 || !ok2 || !ok3 {
		return badExpr, false
	}
	typ := tDyn
	if a.typ == b.typ {
		typ = a.typ
	}
	af, bf := a.fn, b.fn
	return cexpr{typ: typ, fn: func(ctx *module.Ctx) (module.Value, error) {
		t, err := cond(ctx)
		if err != nil {
			return module.Null, err
		}
		if t {
			return af(ctx)
		}
		return bf(ctx)
	}}, true
}

// condFn evaluates a condition of if, while or selval.
type condFn func(c *module.Ctx) (bool, error)

// cond compiles a condition: true when its value is > 0 (return_mode 0)
// or != 0.
func (c *compiler) cond(e Expr) (condFn, bool) {
	x, ok := c.expr(e)
	if !ok {
		return nil, false
	}
	if x.konst {
		n, _ := valInt(x.val)
		t := n > 0 || c.e.Settings.ReturnMode != 0 && n != 0
		return func(*module.Ctx) (bool, error) { return t, nil }, true
	}
	xf := x.fn
	pos := e.Position()
	if c.e.Settings.ReturnMode != 0 {
		return func(ctx *module.Ctx) (bool, error) {
			v, err := xf(ctx)
			if err != nil {
				return false, err
			}
			return intAt(ctx, v, pos) != 0, nil
		}, true
	}
	return func(ctx *module.Ctx) (bool, error) {
		v, err := xf(ctx)
		if err != nil {
			return false, err
		}
		if v.Kind == module.KindInt {
			return v.Int > 0, nil
		}
		return intAt(ctx, v, pos) > 0, nil
	}, true
}

// callExpr compiles a function call used as a value: 1 when it returned a
// positive code, else 0; the code itself goes to $rc.
func (c *compiler) callExpr(call *Call) (cexpr, bool) {
	fe, args, ok := c.resolveCall(call)
	if !ok {
		return badExpr, false
	}
	run := fe.fn.Run
	isCore := fe.core
	rawf := func(ctx *module.Ctx) (module.Value, error) {
		ret := int64(run(ctx, args))
		if !isCore {
			ctx.RetCode = ret
			if ret == 0 {
				return module.IntValue(0), exitSignal{ret: 0}
			}
		}
		return module.IntValue(ret), nil
	}
	return cexpr{typ: tInt, raw: rawf, fn: func(ctx *module.Ctx) (module.Value, error) {
		v, err := rawf(ctx)
		if err != nil {
			return v, err
		}
		return boolValue(v.Int > 0), nil
	}}, true
}

// exitSignal is errExit carrying the value the script ended with.
type exitSignal struct{ ret int64 }

func (exitSignal) Error() string { return "script exit" }

func (c *compiler) routeCallExpr(rc *RouteCall) (cexpr, bool) {
	act, ok := c.routeCall(rc)
	if !ok {
		return badExpr, false
	}
	rawf := func(ctx *module.Ctx) (module.Value, error) {
		ret, f := act(ctx)
		if f == flowExit {
			return module.IntValue(ret), exitSignal{ret: ret}
		}
		return module.IntValue(ret), nil
	}
	return cexpr{typ: tInt, raw: rawf, fn: func(ctx *module.Ctx) (module.Value, error) {
		v, err := rawf(ctx)
		if err != nil {
			return v, err
		}
		return boolValue(v.Int > 0), nil
	}}, true
}

// assignment prepares "$pv = value".
func (c *compiler) assignment(lhs *PVar, value Expr) (module.SettablePV, evalFn, bool) {
	var set module.SettablePV
	ok := true
	if lhs.Text == "$null" {
		c.errorf(lhs.Pos, "cannot assign to $null")
		ok = false
	} else if p, err := pvParse(lhs.Text, c.pvLookup); err != nil {
		c.errorf(lhs.Pos, "%v", err)
		ok = false
	} else if sp, isSet := p.(module.SettablePV); !isSet {
		c.errorf(lhs.Pos, "cannot assign to %s: it is read-only", lhs.Text)
		ok = false
	} else {
		set = sp
	}
	x, xok := c.expr(value)
	if !ok || !xok {
		return nil, nil, false
	}
	if x.raw != nil {
		return set, x.raw, true
	}
	return set, x.fn, true
}

// ---- core keywords ----

// Kamailio's protocol numbers, which scripts compare proto with.
func protoNumber(c *module.Ctx) int64 {
	if c.Msg == nil {
		return 0
	}
	return int64(c.Msg.Proto.KamailioID())
}

var intKeywords = wordSet(`src_port dst_port af msg:len proto snd_port to_port snd_proto to_proto snd_af to_af`)
var ipKeywords = wordSet(`src_ip dst_ip snd_ip to_ip`)
var sendKeywords = wordSet(`snd_ip snd_port snd_proto to_proto snd_af to_af to_ip to_port`)

// keywordValue compiles a core keyword used as a plain value.
func (c *compiler) keywordValue(k *Keyword) (evalFn, vtype, bool) {
	if sendKeywords[k.Name] {
		if c.cur != nil && c.cur.kind != OnSendRoute {
			c.errorf(k.Pos, "%s can only be used in onsend_route", k.Name)
			return badExpr.fn, tDyn, false
		}
		// olelo does not run onsend_route yet: the send socket is unknown.
		if intKeywords[k.Name] {
			return func(*module.Ctx) (module.Value, error) { return module.IntValue(0), nil }, tInt, true
		}
		return func(*module.Ctx) (module.Value, error) { return module.Null, nil }, tStr, true
	}
	switch k.Name {
	case "method":
		return func(ctx *module.Ctx) (module.Value, error) {
			return module.StrValue(string(methodBytes(ctx))), nil
		}, tStr, true
	case "uri", "status":
		return func(ctx *module.Ctx) (module.Value, error) {
			return module.StrValue(firstLineURI(ctx)), nil
		}, tStr, true
	case "from_uri", "to_uri":
		from := k.Name == "from_uri"
		return func(ctx *module.Ctx) (module.Value, error) {
			s, ok := addrURI(ctx, from)
			if !ok {
				return module.Null, nil
			}
			return module.StrValue(s), nil
		}, tStr, true
	case "src_ip", "dst_ip":
		src := k.Name == "src_ip"
		return func(ctx *module.Ctx) (module.Value, error) {
			if ctx.Msg == nil {
				return module.Null, nil
			}
			a := ctx.Msg.Local.Addr()
			if src {
				a = ctx.Msg.Remote.Addr()
			}
			return module.StrValue(a.Unmap().String()), nil
		}, tStr, true
	case "src_port", "dst_port", "af", "msg:len", "proto":
		get := intKeyword(k.Name)
		return func(ctx *module.Ctx) (module.Value, error) {
			return module.IntValue(get(ctx)), nil
		}, tInt, true
	case "uri:host", "uri:port":
		host := k.Name == "uri:host"
		return func(ctx *module.Ctx) (module.Value, error) {
			u, err := currentURI(ctx)
			if err != nil {
				return module.Null, nil
			}
			if host {
				return module.StrValue(string(u.Host)), nil
			}
			if !u.HasPort {
				return module.StrValue(""), nil
			}
			return module.StrValue(strconv.Itoa(int(u.Port))), nil
		}, tStr, true
	case "myself":
		c.errorf(k.Pos, "myself can only be compared with == or != (uri == myself)")
		return badExpr.fn, tDyn, false
	}
	c.errorf(k.Pos, "unsupported keyword %s", k.Name)
	return badExpr.fn, tDyn, false
}

func intKeyword(name string) func(*module.Ctx) int64 {
	switch name {
	case "src_port":
		return func(c *module.Ctx) int64 {
			if c.Msg == nil {
				return 0
			}
			return int64(c.Msg.Remote.Port())
		}
	case "dst_port":
		return func(c *module.Ctx) int64 {
			if c.Msg == nil {
				return 0
			}
			return int64(c.Msg.Local.Port())
		}
	case "af":
		return func(c *module.Ctx) int64 {
			if c.Msg == nil {
				return 0
			}
			if c.Msg.Remote.Addr().Unmap().Is4() {
				return 2
			}
			return 10
		}
	case "msg:len":
		return func(c *module.Ctx) int64 {
			if c.Msg == nil || c.Msg.Message == nil {
				return 0
			}
			return int64(c.Msg.Len())
		}
	case "proto":
		return protoNumber
	}
	return func(*module.Ctx) int64 { return 0 }
}

// mirror gives the operator with its operands swapped.
func mirror(op Op) Op {
	switch op {
	case OpLt:
		return OpGt
	case OpGt:
		return OpLt
	case OpLe:
		return OpGe
	case OpGe:
		return OpLe
	}
	return op
}

// keywordCompare compiles a comparison with a core keyword on one side.
func (c *compiler) keywordCompare(b *Binary) (cexpr, bool) {
	kw, _ := b.X.(*Keyword)
	other, op := b.Y, b.Op
	if kw == nil || kw.Name == "myself" {
		if k2, ok := b.Y.(*Keyword); ok && (kw == nil || k2.Name != "myself") {
			kw, other, op = k2, b.X, mirror(b.Op)
		}
	}
	if kw.Name == "myself" {
		return c.myselfCompare(b, other)
	}
	if o, ok := other.(*Keyword); ok && o.Name == "myself" {
		return c.myselfCompare(b, kw)
	}
	if sendKeywords[kw.Name] || kw.Name == "uri:host" || kw.Name == "uri:port" {
		// Compare as plain values.
		x, ok1 := c.expr(kw)
		y, ok2 := c.expr(other)
		if !ok1 || !ok2 {
			return badExpr, false
		}
		return c.genericCompare(b, op, x, y)
	}
	switch {
	case intKeywords[kw.Name]:
		return c.intKeywordCompare(b, kw, other, op)
	case ipKeywords[kw.Name]:
		return c.ipCompare(b, kw, other, op)
	}
	return c.strKeywordCompare(b, kw, other, op)
}

// genericCompare compares two compiled values with op.
func (c *compiler) genericCompare(b *Binary, op Op, x, y cexpr) (cexpr, bool) {
	xf, yf := x.fn, y.fn
	pos := b.Pos
	return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
		l, err := xf(ctx)
		if err != nil {
			return l, err
		}
		r, err := yf(ctx)
		if err != nil {
			return r, err
		}
		switch op {
		case OpEq:
			return boolValue(eqValues(ctx, l, r, pos)), nil
		case OpNe:
			return boolValue(!eqValues(ctx, l, r, pos)), nil
		case OpMatch:
			re, err := dynRegex(r.String())
			if err != nil {
				return module.Null, runErrorf(pos, "%v", err)
			}
			return boolValue(re.MatchString(l.String())), nil
		case OpStrEq, OpStrNe:
			return boolValue((l.String() == r.String()) == (op == OpStrEq)), nil
		}
		return intOp(op, intAt(ctx, l, pos), intAt(ctx, r, pos), pos)
	}}, true
}

func (c *compiler) intKeywordCompare(b *Binary, kw *Keyword, other Expr, op Op) (cexpr, bool) {
	switch op {
	case OpEq, OpNe, OpLt, OpGt, OpLe, OpGe, OpIntEq, OpIntNe:
	default:
		c.errorf(b.Pos, "%s can only be compared with == != < > <= >=, not %s", kw.Name, op)
		return badExpr, false
	}
	get := intKeyword(kw.Name)
	if sendKeywords[kw.Name] {
		get = func(*module.Ctx) int64 { return 0 }
	}
	var y cexpr
	if id, ok := other.(*Ident); ok {
		n, known := int64(0), false
		switch kw.Name {
		case "proto", "snd_proto", "to_proto":
			if p, err := transport.ParseProto(id.Name); err == nil {
				n, known = int64(p.KamailioID()), true
			}
		case "af", "snd_af", "to_af":
			switch strings.ToLower(id.Name) {
			case "inet", "ipv4":
				n, known = 2, true
			case "inet6", "ipv6":
				n, known = 10, true
			}
		}
		if !known {
			c.errorf(id.Pos, "%s is compared with a number, found the name %s", kw.Name, id.Name)
			return badExpr, false
		}
		y = constExpr(module.IntValue(n))
	} else {
		var ok bool
		y, ok = c.expr(other)
		if !ok {
			return badExpr, false
		}
		if y.typ == tStr && y.konst {
			if _, isNum := strToInt(y.val.Str); !isNum {
				c.errorf(other.Position(), "%s is compared with a number, found %s", kw.Name, describeExpr(other))
				return badExpr, false
			}
		}
	}
	if op == OpIntEq {
		op = OpEq
	} else if op == OpIntNe {
		op = OpNe
	}
	pos := b.Pos
	if y.konst {
		n, _ := valInt(y.val)
		return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			return intCmp(op, get(ctx), n), nil
		}}, true
	}
	yf := y.fn
	return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
		r, err := yf(ctx)
		if err != nil {
			return r, err
		}
		return intCmp(op, get(ctx), intAt(ctx, r, pos)), nil
	}}, true
}

func intCmp(op Op, a, b int64) module.Value {
	switch op {
	case OpEq:
		return boolValue(a == b)
	case OpNe:
		return boolValue(a != b)
	case OpLt:
		return boolValue(a < b)
	case OpGt:
		return boolValue(a > b)
	case OpLe:
		return boolValue(a <= b)
	}
	return boolValue(a >= b)
}

// strKeywordCompare compiles method, uri, status, from_uri and to_uri
// comparisons: case-insensitive equality, or a case-insensitive regex.
func (c *compiler) strKeywordCompare(b *Binary, kw *Keyword, other Expr, op Op) (cexpr, bool) {
	var get func(ctx *module.Ctx) string
	isMethod := kw.Name == "method"
	switch kw.Name {
	case "method":
		get = func(ctx *module.Ctx) string { return string(methodBytes(ctx)) }
	case "uri", "status":
		get = firstLineURI
	case "from_uri", "to_uri":
		from := kw.Name == "from_uri"
		get = func(ctx *module.Ctx) string { s, _ := addrURI(ctx, from); return s }
	default:
		c.errorf(kw.Pos, "unsupported keyword %s", kw.Name)
		return badExpr, false
	}
	var y cexpr
	if id, ok := other.(*Ident); ok {
		y = constExpr(module.StrValue(id.Name))
	} else {
		var ok bool
		if y, ok = c.expr(other); !ok {
			return badExpr, false
		}
	}
	pos := b.Pos
	switch op {
	case OpEq, OpNe, OpStrEq, OpStrNe:
		ne := op == OpNe || op == OpStrNe
		if y.konst {
			want := y.val.String()
			if isMethod {
				wantB := []byte(want)
				return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
					return boolValue(equalFoldBytes(methodBytes(ctx), wantB) != ne), nil
				}}, true
			}
			return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
				return boolValue(strings.EqualFold(get(ctx), want) != ne), nil
			}}, true
		}
		yf := y.fn
		return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			r, err := yf(ctx)
			if err != nil {
				return r, err
			}
			return boolValue(strings.EqualFold(get(ctx), r.String()) != ne), nil
		}}, true
	case OpMatch:
		if y.konst {
			match, err := compileMatch(y.val.String())
			if err != nil {
				c.errorf(other.Position(), "bad regular expression %q: %s", y.val.String(), regexpErr(err))
				return badExpr, false
			}
			return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
				return boolValue(match(get(ctx))), nil
			}}, true
		}
		yf := y.fn
		return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			r, err := yf(ctx)
			if err != nil {
				return r, err
			}
			re, err := dynRegex(r.String())
			if err != nil {
				return module.Null, runErrorf(pos, "%v", err)
			}
			return boolValue(re.MatchString(get(ctx))), nil
		}}, true
	}
	c.errorf(b.Pos, "%s can only be compared with ==, != or =~, not %s", kw.Name, op)
	return badExpr, false
}

func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
