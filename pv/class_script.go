package pv

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

// varPV is $var(name) (and $vz(name)): a script variable, 0 until set;
// assigning $null sets it back to 0. $vn(name) is the same variable read
// as null until set. See README.md for why the lifetime is one message.
type varPV struct {
	name     string
	nullable bool
}

func (p *varPV) Get(c *module.Ctx) (module.Value, error) {
	if c != nil {
		if v, ok := c.Vars[p.name]; ok {
			if v.IsNull() && !p.nullable {
				return intVal(0)
			}
			return v, nil
		}
	}
	if p.nullable {
		return null()
	}
	return intVal(0)
}

func (p *varPV) Set(c *module.Ctx, v module.Value) error {
	if v.IsNull() && !p.nullable {
		v = module.IntValue(0)
	}
	if c.Vars == nil {
		c.Vars = map[string]module.Value{}
	}
	c.Vars[p.name] = v
	return nil
}

// AVPName returns the key under which $avp(name) is kept in Ctx.AVPs:
// the legacy "s:" and "i:" prefixes are dropped, so $avp(s:x) and
// $avp(x) are the same AVP. Modules naming AVPs in modparams use it too.
func AVPName(name string) string {
	name = strings.TrimSpace(name)
	if len(name) > 2 && (name[:2] == "s:" || name[:2] == "i:") {
		return name[2:]
	}
	return name
}

// avpPV is $avp(name): a stack of values. Assigning pushes (index 0 is
// the newest value); assigning $null removes the newest; through [*],
// $null removes all and a value replaces all.
type avpPV struct{ name string }

// avpJoin separates values in $(avp(x)[*]) (Kamailio's PV_FIELD_DELIM).
const avpJoin = ", "

func (p *avpPV) stack(c *module.Ctx) []module.Value {
	if c == nil {
		return nil
	}
	return c.AVPs[p.name]
}

func (p *avpPV) Get(c *module.Ctx) (module.Value, error) {
	if s := p.stack(c); len(s) > 0 {
		return s[0], nil
	}
	return null()
}

// GetAt reads the value at idx; Kamailio gives null for a negative index
// of an AVP, and so does olelo.
func (p *avpPV) GetAt(c *module.Ctx, idx int) (module.Value, error) {
	if s := p.stack(c); idx >= 0 && idx < len(s) {
		return s[idx], nil
	}
	return null()
}

func (p *avpPV) GetAll(c *module.Ctx) (module.Value, error) {
	s := p.stack(c)
	if len(s) == 0 {
		return null()
	}
	if len(s) == 1 {
		return s[0], nil
	}
	var b strings.Builder
	for i, v := range s {
		if i > 0 {
			b.WriteString(avpJoin)
		}
		b.WriteString(v.String())
	}
	return strVal(b.String())
}

func (p *avpPV) Set(c *module.Ctx, v module.Value) error {
	s := p.stack(c)
	if v.IsNull() {
		if len(s) <= 1 {
			delete(c.AVPs, p.name)
			return nil
		}
		c.AVPs[p.name] = s[1:]
		return nil
	}
	if c.AVPs == nil {
		c.AVPs = map[string][]module.Value{}
	}
	// A new slice rather than an in-place shift: the old one may be
	// shared with a copy kept by a transaction.
	ns := make([]module.Value, len(s)+1)
	ns[0] = v
	copy(ns[1:], s)
	c.AVPs[p.name] = ns
	return nil
}

func (p *avpPV) SetAll(c *module.Ctx, v module.Value) error {
	if v.IsNull() {
		delete(c.AVPs, p.name)
		return nil
	}
	if c.AVPs == nil {
		c.AVPs = map[string][]module.Value{}
	}
	c.AVPs[p.name] = []module.Value{v}
	return nil
}

func (p *avpPV) SetAt(c *module.Ctx, idx int, v module.Value) error {
	s := p.stack(c)
	if idx < 0 || idx >= len(s) {
		if v.IsNull() {
			return nil
		}
		return fmt.Errorf("$avp(%s) has no value at index %d", p.name, idx)
	}
	if v.IsNull() {
		s = append(s[:idx:idx], s[idx+1:]...)
		if len(s) == 0 {
			delete(c.AVPs, p.name)
		} else {
			c.AVPs[p.name] = s
		}
		return nil
	}
	// Copy before writing: the slice may be shared with a copy made for
	// a transaction.
	s = append([]module.Value(nil), s...)
	s[idx] = v
	c.AVPs[p.name] = s
	return nil
}

// xavpPV is $xavp(root[i]=>key): a list of records, newest first, each a
// set of named fields (one value per field in olelo).
type xavpPV struct {
	root    string
	rootIdx int
	rootAll bool
	hasIdx  bool // root index written
	key     string
	keyIdx  int
}

func parseXAVPName(arg string) (*xavpPV, error) {
	p := &xavpPV{}
	root, key, hasKey := strings.Cut(arg, "=>")
	var err error
	p.root, p.rootIdx, p.rootAll, p.hasIdx, err = splitXAVPIndex(strings.TrimSpace(root))
	if err != nil {
		return nil, fmt.Errorf("$xavp(%s): %w", arg, err)
	}
	if hasKey {
		var all bool
		p.key, p.keyIdx, all, _, err = splitXAVPIndex(strings.TrimSpace(key))
		if err != nil {
			return nil, fmt.Errorf("$xavp(%s): %w", arg, err)
		}
		if all || p.key == "" {
			return nil, fmt.Errorf("$xavp(%s): bad field name", arg)
		}
	}
	if p.root == "" {
		return nil, fmt.Errorf("$xavp(%s): missing name", arg)
	}
	return p, nil
}

func splitXAVPIndex(s string) (name string, idx int, all, has bool, err error) {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return s, 0, false, false, nil
	}
	if !strings.HasSuffix(s, "]") {
		return "", 0, false, false, errors.New("missing ']'")
	}
	in := s[i+1 : len(s)-1]
	if in == "*" {
		return s[:i], 0, true, true, nil
	}
	n, err := strconv.Atoi(in)
	if err != nil {
		return "", 0, false, false, fmt.Errorf("index [%s] is not an integer", in)
	}
	return s[:i], n, false, true, nil
}

func (p *xavpPV) record(c *module.Ctx, idx int) map[string]module.Value {
	if c == nil {
		return nil
	}
	recs := c.XAVPs[p.root]
	if i, ok := listIndex(int64(idx), len(recs)); ok {
		return recs[i]
	}
	return nil
}

func (p *xavpPV) Get(c *module.Ctx) (module.Value, error) {
	rec := p.record(c, p.rootIdx)
	if rec == nil {
		return null()
	}
	if p.key == "" {
		// Kamailio prints the record's address; a marker says the same.
		return strVal("<<xavp:" + p.root + ">>")
	}
	v, ok := rec[p.key]
	if !ok || p.keyIdx != 0 {
		return null()
	}
	return v, nil
}

func (p *xavpPV) Set(c *module.Ctx, v module.Value) error {
	if c.XAVPs == nil {
		c.XAVPs = map[string][]map[string]module.Value{}
	}
	recs := c.XAVPs[p.root]
	if p.key == "" {
		if !v.IsNull() {
			return fmt.Errorf("$xavp(%s) needs a field name to be assigned a value ($xavp(%s=>name))", p.root, p.root)
		}
		if p.rootAll {
			delete(c.XAVPs, p.root)
			return nil
		}
		if i, ok := listIndex(int64(p.rootIdx), len(recs)); ok {
			recs = append(recs[:i:i], recs[i+1:]...)
			if len(recs) == 0 {
				delete(c.XAVPs, p.root)
			} else {
				c.XAVPs[p.root] = recs
			}
		}
		return nil
	}
	if !p.hasIdx && !v.IsNull() {
		// $xavp(r=>k) = v starts a new record, as in Kamailio; fields are
		// added to it with $xavp(r[0]=>k2) = v2.
		nr := make([]map[string]module.Value, len(recs)+1)
		nr[0] = map[string]module.Value{p.key: v}
		copy(nr[1:], recs)
		c.XAVPs[p.root] = nr
		return nil
	}
	i, ok := listIndex(int64(p.rootIdx), len(recs))
	if !ok {
		if v.IsNull() {
			return nil
		}
		if len(recs) == 0 && p.rootIdx == 0 {
			c.XAVPs[p.root] = []map[string]module.Value{{p.key: v}}
			return nil
		}
		return fmt.Errorf("$xavp(%s) has no record %d", p.root, p.rootIdx)
	}
	if v.IsNull() {
		delete(recs[i], p.key)
		return nil
	}
	recs[i][p.key] = v
	return nil
}

func init() {
	noArg("null", "the null value", func(*module.Ctx) (module.Value, error) { return null() })
	noArg("rc", "return code of the last function or route", func(c *module.Ctx) (module.Value, error) {
		if c == nil {
			return intVal(0)
		}
		return intVal(c.RetCode)
	}, "retcode", "?")

	for _, name := range []string{"var", "vz", "vn"} {
		nullable := name == "vn"
		withArg(name, "script variable (one message lifetime, see README)", func(arg string) (module.PV, error) {
			arg = strings.TrimSpace(arg)
			if strings.ContainsAny(arg, " \t$()") {
				return nil, fmt.Errorf("$%s(%s): bad variable name", name, arg)
			}
			return &varPV{name: arg, nullable: nullable}, nil
		})
	}
	withArg("avp", "AVP stack: assignment pushes, [n] reads the n-th newest, [*] all", func(arg string) (module.PV, error) {
		name := AVPName(arg)
		if name == "" {
			return nil, fmt.Errorf("$avp(%s): missing name", arg)
		}
		return &avpPV{name: name}, nil
	})
	withArg("xavp", "extended AVP: $xavp(root[i]=>field)", func(arg string) (module.PV, error) {
		return parseXAVPName(arg)
	})
	withArg("cnt", "number of values of an AVP or XAVP: $cnt($avp(x)), $cnt($xavp(r))", func(arg string) (module.PV, error) {
		arg = strings.TrimSpace(arg)
		switch {
		case strings.HasPrefix(arg, "$avp(") && strings.HasSuffix(arg, ")"):
			name := AVPName(arg[5 : len(arg)-1])
			return &roPV{get: func(c *module.Ctx) (module.Value, error) {
				if c == nil {
					return intVal(0)
				}
				return intVal(int64(len(c.AVPs[name])))
			}}, nil
		case strings.HasPrefix(arg, "$xavp(") && strings.HasSuffix(arg, ")"):
			x, err := parseXAVPName(arg[6 : len(arg)-1])
			if err != nil {
				return nil, err
			}
			return &roPV{get: func(c *module.Ctx) (module.Value, error) {
				if c == nil {
					return intVal(0)
				}
				if x.key == "" {
					return intVal(int64(len(c.XAVPs[x.root])))
				}
				if _, ok := x.record(c, x.rootIdx)[x.key]; ok {
					return intVal(1)
				}
				return intVal(0)
			}}, nil
		}
		return nil, fmt.Errorf("$cnt(%s): want $avp(name) or $xavp(name)", arg)
	})

	withArg("env", "environment variable", func(arg string) (module.PV, error) {
		return &roPV{get: func(*module.Ctx) (module.Value, error) {
			if v, ok := os.LookupEnv(arg); ok {
				return strVal(v)
			}
			return null()
		}}, nil
	})
	noArg("pp", "process id", func(*module.Ctx) (module.Value, error) { return intVal(int64(os.Getpid())) })

	noArgRW("mf", "message flags (decimal)", func(c *module.Ctx) (module.Value, error) {
		if c == nil {
			return intVal(0)
		}
		return intVal(int64(c.Flags))
	}, func(c *module.Ctx, v module.Value) error {
		n, ok := v.AsInt()
		if !ok {
			return fmt.Errorf("cannot set $mf to %q: not an integer", v.Str)
		}
		c.Flags = uint64(n)
		return nil
	})
	noArgRW("bf", "branch flags of branch 0 (decimal)", func(c *module.Ctx) (module.Value, error) {
		if c == nil {
			return intVal(0)
		}
		return intVal(int64(c.BranchFlags))
	}, func(c *module.Ctx, v module.Value) error {
		n, ok := v.AsInt()
		if !ok {
			return fmt.Errorf("cannot set $bf to %q: not an integer", v.Str)
		}
		c.BranchFlags = uint64(n)
		return nil
	})

	// $E*: characters hard to write in a config string (the ones the
	// spec digest names; Kamailio 6 has them, 5.6 does not).
	for name, ch := range map[string]string{"En": "\n", "Er": "\r", "Et": "\t"} {
		noArg(name, fmt.Sprintf("the character %q", ch), func(*module.Ctx) (module.Value, error) { return strVal(ch) })
	}
	consts := map[string]int64{
		"IPv4": 2, "IPv6": 10, "UDP": 1, "TCP": 2, "TLS": 3, "SCTP": 4, "WS": 5, "WSS": 6,
	}
	keyedConst := map[string]getter{}
	for k, n := range consts {
		keyedConst[k] = func(*module.Ctx) (module.Value, error) { return intVal(n) }
	}
	keyed("K", "constants: IPv4, IPv6 (address families), UDP, TCP, TLS, SCTP, WS, WSS (protocol ids)", keyedConst)
	// $_s(format) is bound by the parser, which has the lookup the
	// format needs; this entry makes the name known.
	withArg("_s", "evaluate a format string", func(string) (module.PV, error) {
		return nil, errors.New("$_s is only available through pv.Parse")
	})
}

// formatPV is $_s(format).
type formatPV struct{ f *Format }

func (p *formatPV) Get(c *module.Ctx) (module.Value, error) {
	s, err := p.f.Eval(c)
	if err != nil {
		return module.Null, err
	}
	return strVal(s)
}
