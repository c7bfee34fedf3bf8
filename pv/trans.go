package pv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

// A transformation ({s.len}, {uri.user}, {param.value,name}) is looked up
// in transforms by its full name when the PV is parsed; its parameters
// are prepared then (constants converted once) and evaluated per message.

// paramKind is the kind of one transformation parameter.
type paramKind uint8

const (
	// paramStr is raw text up to the next ',' or '}', or a PV.
	paramStr paramKind = iota
	// paramInt is an integer, or a PV holding one.
	paramInt
	// paramSep is one separator character, which may itself be ',' (as in
	// {s.select,1,,}); "\t", "\n", "\r", "\\", "\s" (any white space) and
	// "\w" (a space) are escapes.
	paramSep
)

// trDef defines a transformation.
type trDef struct {
	// params are the kinds of the parameters; the first min are required.
	params []paramKind
	min    int
	// nullOK says the transformation accepts a null input (val.n0, val.ne);
	// the others fail on null, as in Kamailio.
	nullOK bool
	fn     func(in module.Value, args []module.Value) (module.Value, error)
}

// trParam is one prepared parameter.
type trParam struct {
	kind paramKind
	val  module.Value // the constant
	pv   module.PV    // or the PV to read per message
}

// transform is one prepared transformation of a PV.
type transform struct {
	text   string // as written, without braces, for messages
	def    *trDef
	params []trParam
}

// maxTrParams is the largest number of parameters a transformation has;
// apply evaluates them into a fixed array so a call does not allocate.
const maxTrParams = 3

// errNull is the failure of a transformation applied to a null value.
var errNull = errors.New("the value is null")

func (t *transform) apply(c *module.Ctx, in module.Value) (module.Value, error) {
	if in.Kind == module.KindNull && !t.def.nullOK {
		return module.Null, errNull
	}
	var argv [maxTrParams]module.Value
	args := argv[:len(t.params)]
	for i := range t.params {
		p := &t.params[i]
		if p.pv == nil {
			args[i] = p.val
			continue
		}
		v, err := p.pv.Get(c)
		if err != nil {
			return module.Null, fmt.Errorf("parameter %d: %w", i+1, err)
		}
		if p.kind == paramInt {
			n, ok := v.AsInt()
			if !ok {
				return module.Null, fmt.Errorf("parameter %d: %q is not an integer", i+1, v.Str)
			}
			v = module.IntValue(n)
		} else {
			v = module.StrValue(v.String())
		}
		args[i] = v
	}
	return t.def.fn(in, args)
}

// parseTransform parses "{name,params}" at src[i] == '{' and returns the
// offset after the '}'.
func (p *parser) parseTransform(i int) (transform, int, error) {
	s := p.src
	var t transform
	start := i
	i++
	nameStart := i
	for i < len(s) && s[i] != ',' && s[i] != '}' {
		i++
	}
	if i >= len(s) {
		return t, i, fmt.Errorf("missing '}' after transformation %q", s[nameStart:])
	}
	name := strings.TrimSpace(s[nameStart:i])
	def, ok := transforms[name]
	if !ok {
		return t, i, fmt.Errorf("unknown transformation {%s}", name)
	}
	t.def = def
	for s[i] == ',' {
		i++
		if len(t.params) == len(def.params) {
			return t, i, fmt.Errorf("transformation {%s} takes at most %d parameters", name, len(def.params))
		}
		kind := def.params[len(t.params)]
		prm, end, err := p.parseTrParam(i, kind)
		if err != nil {
			return t, end, fmt.Errorf("transformation {%s}: parameter %d: %w", name, len(t.params)+1, err)
		}
		t.params = append(t.params, prm)
		i = end
		if i >= len(s) {
			return t, i, fmt.Errorf("missing '}' after transformation {%s", s[nameStart:])
		}
		if s[i] != ',' && s[i] != '}' {
			return t, i, fmt.Errorf("transformation {%s}: unexpected %q after parameter %d", name, s[i:i+1], len(t.params))
		}
	}
	if len(t.params) < def.min {
		return t, i, fmt.Errorf("transformation {%s} needs %d parameter(s), got %d", name, def.min, len(t.params))
	}
	t.text = s[start+1 : i]
	return t, i + 1, nil
}

func (p *parser) parseTrParam(i int, kind paramKind) (trParam, int, error) {
	s := p.src
	prm := trParam{kind: kind}
	if kind == paramSep {
		if i >= len(s) {
			return prm, i, errors.New("missing separator character")
		}
		if s[i] == '\\' && i+1 < len(s) {
			var sep string
			switch s[i+1] {
			case 't':
				sep = "\t"
			case 'n':
				sep = "\n"
			case 'r':
				sep = "\r"
			case '\\':
				sep = "\\"
			case 's':
				sep = sepWhite
			case 'w':
				sep = " "
			default:
				return prm, i, fmt.Errorf("unknown separator escape \\%c", s[i+1])
			}
			prm.val = module.StrValue(sep)
			return prm, i + 2, nil
		}
		if s[i] == '}' {
			return prm, i, errors.New("missing separator character")
		}
		prm.val = module.StrValue(s[i : i+1])
		return prm, i + 1, nil
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && s[i] == '$' {
		v, end, err := p.parsePV(i)
		if err != nil {
			return prm, end, err
		}
		prm.pv = v
		return prm, end, nil
	}
	j := i
	for j < len(s) && s[j] != ',' && s[j] != '}' {
		j++
	}
	text := s[i:j]
	if kind == paramInt {
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return prm, j, fmt.Errorf("%q is not an integer", text)
		}
		prm.val = module.IntValue(n)
	} else {
		prm.val = module.StrValue(text)
	}
	return prm, j, nil
}

// sepWhite is the internal marker of the "\s" separator (any white
// space); it cannot be a real one-character separator.
const sepWhite = "\\s"

// transforms maps each transformation name to its definition. It is
// filled by the init functions of the trans_*.go files.
var transforms = map[string]*trDef{}

func defTr(name string, min int, fn func(module.Value, []module.Value) (module.Value, error), params ...paramKind) {
	if len(params) > maxTrParams {
		panic("pv: too many transformation parameters for " + name)
	}
	transforms[name] = &trDef{params: params, min: min, fn: fn}
}

// TransformationNames lists the supported transformations, sorted, for
// documentation checks.
func TransformationNames() []string {
	names := make([]string, 0, len(transforms))
	for n := range transforms {
		names = append(names, n)
	}
	sortStrings(names)
	return names
}
