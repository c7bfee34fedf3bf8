package pv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

// parser reads pseudo-variable specs out of src. It is used both for a
// whole PV (Parse) and for PVs embedded in a format, index or
// transformation parameter, so every method takes the offset to start at
// and returns the offset after what it consumed.
type parser struct {
	src    string
	lookup Lookup
	// depth limits the nesting of PVs inside indexes, names and
	// transformation parameters, so hostile input cannot exhaust the
	// stack.
	depth int
	// whole is set by Parse: the source is one PV, so a short form may
	// carry an index ("$avp(x)[1]").
	whole bool
}

const maxNesting = 16

// isNameChar reports whether c may appear in a PV class name. Kamailio
// accepts '.' and '_' too, which is why "$rU." is not "$rU" followed by a
// dot but an unknown pseudo-variable "rU." (a config error there as well).
func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// spec is what the text of one PV says, before it is bound to a class.
type spec struct {
	text     string // the whole PV as written, for messages
	name     string
	inner    string // text inside the parentheses
	innerAt  int    // offset of inner in the parser's source
	hasInner bool
	index    indexSpec
	trans    []transform
}

// indexSpec is a parsed "[n]", "[-n]", "[*]" or "[$pv]".
type indexSpec struct {
	set bool
	all bool
	n   int
	pv  module.PV // dynamic index
}

// parsePV parses the PV starting at src[i] == '$' and returns it bound to
// its class, and the offset after it.
func (p *parser) parsePV(i int) (module.PV, int, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		return nil, i, errors.New("pseudo-variables nested too deeply")
	}
	sp, end, err := p.parseSpec(i)
	if err != nil {
		return nil, end, err
	}
	v, err := p.bind(sp)
	return v, end, err
}

func (p *parser) parseSpec(i int) (spec, int, error) {
	s := p.src
	start := i
	var sp spec
	if i >= len(s) || s[i] != '$' {
		return sp, i, errors.New("a pseudo-variable starts with '$'")
	}
	i++
	if i < len(s) && s[i] == '?' {
		sp.name, sp.text = "?", "$?"
		return sp, i + 1, nil
	}
	full := i < len(s) && s[i] == '('
	if full {
		i++
	}
	nameStart := i
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	sp.name = s[nameStart:i]
	if sp.name == "" {
		if i >= len(s) {
			return sp, i, fmt.Errorf("'$' at the end of %q must start a pseudo-variable (write $$ for a literal '$')", s)
		}
		return sp, i, fmt.Errorf("'$' followed by %q does not start a pseudo-variable (write $$ for a literal '$')", s[i:i+1])
	}
	if i < len(s) && s[i] == '(' {
		end, err := matchParen(s, i)
		if err != nil {
			return sp, i, fmt.Errorf("pseudo-variable $%s: %w", sp.name, err)
		}
		sp.inner, sp.innerAt, sp.hasInner = s[i+1:end], i+1, true
		i = end + 1
	}
	// An index after the short form ("$avp(x)[1]") is accepted only for
	// a whole PV: in a format Kamailio prints "[1]" as text there.
	if i < len(s) && s[i] == '[' && (full || p.whole && p.depth == 1) {
		var err error
		sp.index, i, err = p.parseIndex(i)
		if err != nil {
			return sp, i, fmt.Errorf("pseudo-variable $%s: %w", sp.name, err)
		}
	}
	if full {
		for i < len(s) && s[i] == '{' {
			t, end, err := p.parseTransform(i)
			if err != nil {
				return sp, end, fmt.Errorf("pseudo-variable %s: %w", s[start:min(end+1, len(s))], err)
			}
			sp.trans = append(sp.trans, t)
			i = end
		}
		if i >= len(s) || s[i] != ')' {
			got := "the end"
			if i < len(s) {
				got = strconv.Quote(s[i : i+1])
			}
			return sp, i, fmt.Errorf("pseudo-variable %s: expected ')' to close $( but found %s", s[start:i], got)
		}
		i++
	}
	sp.text = s[start:i]
	return sp, i, nil
}

// matchParen returns the offset of the ')' matching the '(' at s[i].
func matchParen(s string, i int) (int, error) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("missing ')' in %q", s[i:])
}

// parseIndex parses "[...]" at s[i].
func (p *parser) parseIndex(i int) (indexSpec, int, error) {
	s := p.src
	var ix indexSpec
	end := strings.IndexByte(s[i:], ']')
	if end < 0 {
		return ix, i, errors.New("missing ']' after the index")
	}
	ix.set = true
	body := s[i+1 : i+end]
	switch {
	case body == "*":
		ix.all = true
		return ix, i + end + 1, nil
	case strings.HasPrefix(body, "$"):
		v, pend, err := p.parsePV(i + 1)
		if err != nil {
			return ix, pend, fmt.Errorf("index: %w", err)
		}
		if pend >= len(s) || s[pend] != ']' {
			return ix, pend, fmt.Errorf("index: expected ']' after %s", s[i+1:pend])
		}
		ix.pv = v
		return ix, pend + 1, nil
	}
	n, err := strconv.Atoi(body)
	if err != nil {
		return ix, i, fmt.Errorf("index [%s] is not an integer, '*' or a pseudo-variable", body)
	}
	ix.n = n
	return ix, i + end + 1, nil
}

// bind resolves the class of sp and prepares the PV.
func (p *parser) bind(sp spec) (module.PV, error) {
	if p.lookup == nil {
		return nil, fmt.Errorf("unknown pseudo-variable $%s", sp.name)
	}
	class, ok := p.lookup(sp.name)
	if !ok || class.New == nil {
		return nil, fmt.Errorf("unknown pseudo-variable $%s", sp.name)
	}
	var base module.PV
	if class.Name == "_s" {
		// $_s(format) needs the lookup to parse its format.
		f, err := p.parseFormat(sp.inner)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sp.text, err)
		}
		return wrap(sp, &formatPV{f: f}), nil
	}
	if strings.HasPrefix(sp.inner, "$") && dynamicNameClasses[class.Name] {
		// $hdr($var(name)): the name is known per message only. The
		// inner PV must be the whole name, as in Kamailio.
		inner, end, err := p.parsePV(sp.innerAt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sp.text, err)
		}
		if end != sp.innerAt+len(sp.inner) {
			return nil, fmt.Errorf("%s: a dynamic name must be a single pseudo-variable, not %q", sp.text, sp.inner)
		}
		base = &dynamicName{class: class, name: inner}
	} else {
		var err error
		base, err = class.New(sp.inner)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sp.text, err)
		}
		if base == nil {
			return nil, fmt.Errorf("%s: class %s returned no pseudo-variable", sp.text, class.Name)
		}
	}
	return wrap(sp, base), nil
}
