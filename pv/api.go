package pv

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

// Lookup finds a pseudo-variable class by name ("ru", "hdr", "var") among
// those of the loaded modules. The compiler builds it from the instances
// of the loaded modules (module.PVProvider).
type Lookup func(name string) (module.PVClass, bool)

// Parse prepares the pseudo-variable written as text, as the lexer kept
// it: "$ru", "$hdr(Via)", "$var(x)", "$avp(s:x)[1]", "$(hdr(Via)[1])",
// "$(ru{uri.user})", "$?", "$rc". Errors say what is wrong with the text.
//
// The PV returned implements module.SettablePV when the class is writable
// and no transformation is applied (Kamailio refuses transformations on
// the left side of an assignment).
func Parse(text string, lookup Lookup) (module.PV, error) {
	p := parser{src: text, lookup: lookup, whole: true}
	v, end, err := p.parsePV(0)
	if err != nil {
		return nil, err
	}
	if end != len(text) {
		return nil, fmt.Errorf("unexpected %q after pseudo-variable %s", text[end:], text[:end])
	}
	return v, nil
}

// Format is a string with embedded pseudo-variables and transformations
// ("From $fu to $(ru{uri.user})"), prepared once and expanded per message.
type Format struct {
	parts []part
	// Const holds the text when the format has no pseudo-variables.
	Const   string
	IsConst bool
	// size is the length of the literal text, a hint for the output
	// buffer.
	size int
}

// part is a literal text followed by a pseudo-variable (nil for the
// trailing text).
type part struct {
	text string
	pv   module.PV
}

// ParseFormat prepares a format string. Every '$' starts a
// pseudo-variable, except "$$", which is a literal '$'; a '$' that does
// not start a valid pseudo-variable makes the whole format invalid (a
// config error in Kamailio too). There is no other escape: backslash
// sequences were handled by the config lexer.
func ParseFormat(s string, lookup Lookup) (*Format, error) {
	p := parser{lookup: lookup}
	return p.parseFormat(s)
}

// parseFormat parses s as a format with p's lookup and nesting depth (a
// format may be nested in $_s(...)).
func (p *parser) parseFormat(s string) (*Format, error) {
	f := &Format{}
	saved := p.src
	p.src = s
	defer func() { p.src = saved }()
	var lit strings.Builder
	i := 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		if i+1 < len(s) && s[i+1] == '$' {
			lit.WriteByte('$')
			i += 2
			continue
		}
		v, end, err := p.parsePV(i)
		if err != nil {
			return nil, fmt.Errorf("format %q: %w", s, err)
		}
		f.parts = append(f.parts, part{text: lit.String(), pv: v})
		f.size += lit.Len()
		lit.Reset()
		i = end
	}
	if lit.Len() > 0 || len(f.parts) == 0 {
		f.parts = append(f.parts, part{text: lit.String()})
		f.size += lit.Len()
	}
	if len(f.parts) == 1 && f.parts[0].pv == nil {
		f.Const, f.IsConst = f.parts[0].text, true
	}
	return f, nil
}

// nullText is how a null value prints in a format (Kamailio's pv_printf).
const nullText = "<null>"

// Eval expands the format for this message. A null pseudo-variable is
// written as "<null>" (Kamailio's rule for format strings); one whose
// evaluation fails (a transformation on an unsuitable value, say) is
// written as nothing and the rest of the format is still expanded, as
// Kamailio's xlog does. The failure is logged at debug level on c.Log.
// The error result is always nil today; it is kept so that a limit on
// the output size can be reported later without changing callers.
func (f *Format) Eval(c *module.Ctx) (string, error) {
	if f.IsConst {
		return f.Const, nil
	}
	// One part with no literal text: return the PV's string as is, which
	// saves a copy for the common "$var(x)" or "$ru" argument.
	if len(f.parts) == 1 && f.parts[0].text == "" {
		return f.evalOne(c, f.parts[0].pv), nil
	}
	var b strings.Builder
	b.Grow(f.size + 32*len(f.parts))
	for i := range f.parts {
		pt := &f.parts[i]
		b.WriteString(pt.text)
		if pt.pv == nil {
			continue
		}
		val, err := pt.pv.Get(c)
		switch {
		case err != nil:
			logFailure(c, pt.pv, err)
		case val.Kind == module.KindInt:
			// Formatted in place: no string for the number.
			var nb [20]byte
			b.Write(strconv.AppendInt(nb[:0], val.Int, 10))
		case val.Kind == module.KindStr:
			b.WriteString(val.Str)
		default:
			b.WriteString(nullText)
		}
	}
	return b.String(), nil
}

func logFailure(c *module.Ctx, v module.PV, err error) {
	if c != nil && c.Log != nil {
		c.Log.Debug("pseudo-variable evaluation failed", "pv", pvText(v), "err", err)
	}
}

func (f *Format) evalOne(c *module.Ctx, v module.PV) string {
	val, err := v.Get(c)
	if err != nil {
		logFailure(c, v, err)
		return ""
	}
	if val.Kind == module.KindNull {
		return nullText
	}
	return val.String()
}

// String returns the format as parsed, for diagnostics.
func (f *Format) String() string {
	if f.IsConst {
		return f.Const
	}
	var b strings.Builder
	for _, pt := range f.parts {
		b.WriteString(strings.ReplaceAll(pt.text, "$", "$$"))
		if pt.pv != nil {
			b.WriteString(pvText(pt.pv))
		}
	}
	return b.String()
}
