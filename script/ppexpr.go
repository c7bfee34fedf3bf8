package script

import (
	"strconv"
	"strings"
)

// This file evaluates the expressions of #!ifexp and #!defexp (Kamailio
// 6.x directives; Kamailio 5.6 does not have them, olelo accepts them).
//
//	expr    = or
//	or      = and { "||" and }
//	and     = cmp { "&&" cmp }
//	cmp     = sum [ ("=="|"!="|"<"|">"|"<="|">=") sum ]
//	sum     = product { ("+"|"-") product }
//	product = unary { ("*"|"/"|"%") unary }
//	unary   = ("!"|"-") unary | primary
//	primary = number | "string" | 'string' | NAME | "(" expr ")"
//
// A NAME that is not defined is 0; a define without value is 1; a define
// with a value is that value, as a number when it reads as one (so
// "#!define X 0" makes X false) and as a string otherwise, without
// enclosing quotes. A string is true when it is not empty.

type ppValue struct {
	isStr bool
	s     string
	n     int64
}

func (v ppValue) truth() bool {
	if v.isStr {
		return v.s != ""
	}
	return v.n != 0
}

func (v ppValue) String() string {
	if v.isStr {
		return v.s
	}
	return strconv.FormatInt(v.n, 10)
}

func ppNum(n int64) ppValue { return ppValue{n: n} }

func ppBool(b bool) ppValue {
	if b {
		return ppNum(1)
	}
	return ppNum(0)
}

// asNumber reads a value as a number when it is one.
func (v ppValue) asNumber() (int64, bool) {
	if !v.isStr {
		return v.n, true
	}
	s := strings.TrimSpace(v.s)
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return n, true
	}
	return 0, false
}

type ppExprParser struct {
	s      string
	i      int
	lookup func(string) (string, bool, bool)
	err    error
}

func evalPPExpr(s string, lookup func(string) (string, bool, bool)) (ppValue, error) {
	p := &ppExprParser{s: s, lookup: lookup}
	v := p.or()
	p.skip()
	if p.err == nil && p.i < len(p.s) {
		p.fail("unexpected " + strconv.Quote(p.s[p.i:]))
	}
	return v, p.err
}

func (p *ppExprParser) fail(msg string) {
	if p.err == nil {
		p.err = errorString(msg)
	}
}

func (p *ppExprParser) skip() {
	for p.i < len(p.s) && (isBlank(p.s[p.i]) || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *ppExprParser) accept(op string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], op) {
		// Do not take "<" out of "<=", nor "!" out of "!=".
		if (op == "<" || op == ">" || op == "!") && strings.HasPrefix(p.s[p.i+1:], "=") {
			return false
		}
		p.i += len(op)
		return true
	}
	return false
}

func (p *ppExprParser) or() ppValue {
	v := p.and()
	for p.err == nil && p.accept("||") {
		r := p.and()
		v = ppBool(v.truth() || r.truth())
	}
	return v
}

func (p *ppExprParser) and() ppValue {
	v := p.cmp()
	for p.err == nil && p.accept("&&") {
		r := p.cmp()
		v = ppBool(v.truth() && r.truth())
	}
	return v
}

func (p *ppExprParser) cmp() ppValue {
	v := p.sum()
	for _, op := range [...]string{"==", "!=", "<=", ">=", "<", ">"} {
		if p.err == nil && p.accept(op) {
			r := p.sum()
			return compareValues(v, r, op)
		}
	}
	return v
}

func compareValues(a, b ppValue, op string) ppValue {
	an, aok := a.asNumber()
	bn, bok := b.asNumber()
	c := 0
	if aok && bok {
		switch {
		case an < bn:
			c = -1
		case an > bn:
			c = 1
		}
	} else {
		c = strings.Compare(a.String(), b.String())
	}
	switch op {
	case "==":
		return ppBool(c == 0)
	case "!=":
		return ppBool(c != 0)
	case "<":
		return ppBool(c < 0)
	case ">":
		return ppBool(c > 0)
	case "<=":
		return ppBool(c <= 0)
	default:
		return ppBool(c >= 0)
	}
}

func (p *ppExprParser) sum() ppValue {
	v := p.product()
	for p.err == nil {
		switch {
		case p.accept("+"):
			r := p.product()
			an, aok := v.asNumber()
			bn, bok := r.asNumber()
			if aok && bok {
				v = ppNum(an + bn)
			} else {
				v = ppValue{isStr: true, s: v.String() + r.String()}
			}
		case p.accept("-"):
			v = p.arith(v, p.product(), '-')
		default:
			return v
		}
	}
	return v
}

func (p *ppExprParser) product() ppValue {
	v := p.unary()
	for p.err == nil {
		switch {
		case p.accept("*"):
			v = p.arith(v, p.unary(), '*')
		case p.accept("/"):
			v = p.arith(v, p.unary(), '/')
		case p.accept("%"):
			v = p.arith(v, p.unary(), '%')
		default:
			return v
		}
	}
	return v
}

func (p *ppExprParser) arith(a, b ppValue, op byte) ppValue {
	an, aok := a.asNumber()
	bn, bok := b.asNumber()
	if !aok || !bok {
		p.fail("arithmetic on a string (" + strconv.Quote(a.String()) + " " + string(op) + " " + strconv.Quote(b.String()) + ")")
		return ppNum(0)
	}
	switch op {
	case '-':
		return ppNum(an - bn)
	case '*':
		return ppNum(an * bn)
	}
	if bn == 0 {
		p.fail("division by zero")
		return ppNum(0)
	}
	if op == '/' {
		return ppNum(an / bn)
	}
	return ppNum(an % bn)
}

func (p *ppExprParser) unary() ppValue {
	switch {
	case p.accept("!"):
		return ppBool(!p.unary().truth())
	case p.accept("-"):
		v := p.unary()
		n, ok := v.asNumber()
		if !ok {
			p.fail("minus applied to a string")
		}
		return ppNum(-n)
	}
	return p.primary()
}

func (p *ppExprParser) primary() ppValue {
	p.skip()
	if p.i >= len(p.s) {
		p.fail("unexpected end of expression")
		return ppNum(0)
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		p.i++
		v := p.or()
		if !p.accept(")") {
			p.fail("missing ')'")
		}
		return v
	case c == '"' || c == '\'':
		j := strings.IndexByte(p.s[p.i+1:], c)
		if j < 0 {
			p.fail("unterminated string")
			p.i = len(p.s)
			return ppNum(0)
		}
		v := ppValue{isStr: true, s: p.s[p.i+1 : p.i+1+j]}
		p.i += j + 2
		return v
	case isDigit(c):
		j := p.i
		for j < len(p.s) && isAlnum(p.s[j]) {
			j++
		}
		n, err := strconv.ParseInt(p.s[p.i:j], 0, 64)
		if err != nil {
			p.fail("bad number " + p.s[p.i:j])
		}
		p.i = j
		return ppNum(n)
	case isLetter(c):
		j := p.i
		for j < len(p.s) && isAlnum(p.s[j]) {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		val, hasValue, defined := p.lookup(name)
		switch {
		case !defined:
			return ppNum(0)
		case !hasValue:
			return ppNum(1)
		}
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(val), 0, 64); err == nil {
			return ppNum(n)
		}
		return ppValue{isStr: true, s: val}
	}
	p.fail("unexpected " + strconv.Quote(p.s[p.i:]))
	return ppNum(0)
}
