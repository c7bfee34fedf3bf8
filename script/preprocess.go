package script

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The Kamailio release whose predefined names we provide (KAMAILIO_5,
// KAMAILIO_5_6, KAMAILIO_5_6_3), checked against the Debian kamailio 5.6.3
// binary.
const (
	emulatedMajor = 5
	emulatedMinor = 6
	emulatedPatch = 3
)

// maxIncludeDepth is Kamailio's limit on nested include_file/import_file.
const maxIncludeDepth = 10

// maxExpansionDepth stops a define that (directly or not) expands to
// itself; Kamailio would loop for ever.
const maxExpansionDepth = 64

// define is one #!define entry.
type define struct {
	value    string
	hasValue bool
	pos      Pos // where it was defined; zero for predefined and -A names

	tokens []token // the value, lexed on first use
	lexed  bool
}

// ppSource is one entry of the preprocessor's input stack: a file being
// read, or the tokens of a define being expanded.
type ppSource struct {
	lx *lexer // a file; nil for a define expansion

	toks  []token // a define expansion
	i     int
	name  string // the define being expanded (innermost)
	macro string // the define the user wrote (outermost), for messages
	use   Pos    // where the define was used
	space bool   // whether whitespace preceded the use

	condDepth int // open conditional blocks when the file was entered
}

// condFrame is one open #!ifdef/#!ifndef/#!ifexp block.
type condFrame struct {
	pos    Pos
	what   string // "#!ifdef WITH_X", for messages
	parent bool   // the enclosing branch is taken
	cond   bool   // the condition held
	inElse bool
	elseAt Pos
}

func (f *condFrame) active() bool { return f.parent && f.cond != f.inElse }

// preprocessor sits between the lexer and the parser, as Kamailio's lexer
// does: it runs directives, skips false branches, follows includes,
// replaces defined identifiers by their value and applies #!subst rules.
// The parser pulls tokens from it one at a time, so a definition made by
// the parser (MOD_x after loadmodule "x") is visible to the directives that
// follow in the text.
type preprocessor struct {
	diag    *diagnostics
	opts    Options
	stack   []*ppSource
	defines map[string]*define
	conds   []condFrame
	substs  []*substRule
	files   []string
	compat  string
	eofPos  Pos

	prev1, prev2 token // the last two tokens handed out
}

func newPreprocessor(diag *diagnostics, opts Options) *preprocessor {
	pp := &preprocessor{diag: diag, opts: opts, defines: make(map[string]*define)}
	ver := "KAMAILIO_" + strconv.Itoa(emulatedMajor)
	pp.defines[ver] = &define{}
	ver += "_" + strconv.Itoa(emulatedMinor)
	pp.defines[ver] = &define{}
	pp.defines[ver+"_"+strconv.Itoa(emulatedPatch)] = &define{}
	// Newer Kamailio releases also define KAMAILIO_VERSION; it costs
	// nothing and lets a config test for a minimum version with #!ifexp.
	pp.defines["KAMAILIO_VERSION"] = &define{
		value:    strconv.Itoa(emulatedMajor*1000000 + emulatedMinor*1000 + emulatedPatch),
		hasValue: true,
	}
	pp.defines["OLELO"] = &define{}
	for name, value := range opts.Defines {
		pp.defines[name] = &define{value: value, hasValue: value != ""}
	}
	return pp
}

// pushFile starts reading a file.
func (pp *preprocessor) pushFile(path string, data []byte) {
	lx := newLexer(path, string(data),
		func(p Pos, msg string) { pp.diag.errorf(p, "%s", msg) },
		func(p Pos, msg string) { pp.diag.warnf(p, "%s", msg) })
	lx.onSwallow = func() { pp.diag.eofSwallowed = true }
	pp.stack = append(pp.stack, &ppSource{lx: lx, condDepth: len(pp.conds)})
	pp.files = append(pp.files, path)
}

func (pp *preprocessor) skipping() bool {
	return len(pp.conds) > 0 && !pp.conds[len(pp.conds)-1].active()
}

func (pp *preprocessor) includeDepth() int {
	n := -1
	for _, s := range pp.stack {
		if s.lx != nil {
			n++
		}
	}
	return n
}

// next returns the next token for the parser.
func (pp *preprocessor) next() token {
	for {
		n := len(pp.stack)
		if n == 0 {
			return token{kind: tEOF, pos: pp.eofPos}
		}
		src := pp.stack[n-1]
		var t token
		if src.lx != nil {
			if pp.skipping() {
				t = src.lx.nextConditional()
			} else {
				if pp.prev1.kind == tLBrack && pp.prev2.kind == tIdent && pp.prev2.text == "event_route" && pp.prev1.macro == "" {
					src.lx.wantEventName = true
				}
				t = src.lx.next()
			}
		} else if src.i < len(src.toks) {
			t = src.toks[src.i]
			t.pos, t.macro = src.use, src.macro
			if src.i == 0 {
				t.space = src.space
			}
			src.i++
		} else {
			t = token{kind: tEOF}
		}

		if t.kind == tEOF {
			pp.pop(t.pos)
			if len(pp.stack) == 0 {
				pp.finish(t.pos)
				pp.eofPos = t.pos
				return token{kind: tEOF, pos: t.pos}
			}
			continue
		}
		switch t.kind {
		case tDirective:
			pp.directive(src, t)
			continue
		case tIdent:
			if d, ok := pp.defines[t.text]; ok && defineCandidate(t) {
				if pp.expand(t, d) {
					continue
				}
			}
		case tString, tPV:
			if len(pp.substs) > 0 {
				t.text = pp.applySubsts(t.text)
			}
		}
		pp.prev2, pp.prev1 = pp.prev1, t
		return t
	}
}

// pop ends the innermost source.
func (pp *preprocessor) pop(at Pos) {
	n := len(pp.stack)
	src := pp.stack[n-1]
	pp.stack = pp.stack[:n-1]
	if src.lx != nil && n > 1 && len(pp.conds) > src.condDepth {
		f := pp.conds[len(pp.conds)-1]
		pp.diag.warnf(f.pos, "%s is still open at the end of %s; Kamailio carries it on into the including file", f.what, src.lx.file)
	}
}

// finish checks that every conditional block was closed.
func (pp *preprocessor) finish(at Pos) {
	for _, f := range pp.conds {
		pp.diag.errorf(f.pos, "%s has no matching #!endif", f.what)
	}
	pp.conds = nil
}

// expand replaces identifier t by the value of define d. It reports false
// when the expansion is refused (recursion), in which case t stays.
func (pp *preprocessor) expand(t token, d *define) bool {
	depth := 0
	for _, s := range pp.stack {
		if s.lx == nil {
			depth++
			if s.name == t.text {
				pp.diag.errorf(t.pos, "define %s expands to itself", t.text)
				return false
			}
		}
	}
	if depth >= maxExpansionDepth {
		pp.diag.errorf(t.pos, "defines nested more than %d deep while expanding %s", maxExpansionDepth, t.text)
		return false
	}
	if !d.hasValue {
		return true // a define without value expands to nothing
	}
	if !d.lexed {
		name := t.text
		use := t.pos
		errf := func(_ Pos, msg string) { pp.diag.errorf(use, "%s (in the value of define %s)", msg, name) }
		lx := newLexer(use.File, d.value, errf, nil)
		lx.inMacro = true
		for {
			vt := lx.next()
			if vt.kind == tEOF {
				break
			}
			d.tokens = append(d.tokens, vt)
		}
		d.lexed = true
	}
	macro := t.macro
	if macro == "" {
		macro = t.text
	}
	pp.stack = append(pp.stack, &ppSource{toks: d.tokens, name: t.text, macro: macro, use: t.pos, space: t.space})
	return true
}

// directive carries out one preprocessor directive.
func (pp *preprocessor) directive(src *ppSource, t token) {
	d := t.dir
	skipping := pp.skipping()
	switch d.name {
	case "ifdef", "ifndef", "ifexp":
		f := condFrame{pos: t.pos, parent: !skipping}
		switch d.name {
		case "ifexp":
			f.what = "#!ifexp " + strings.TrimSpace(d.value)
		default:
			f.what = "#!" + d.name + " " + d.ident
		}
		if d.errMsg != "" {
			pp.diag.errorf(t.pos, "%s", d.errMsg)
		} else if f.parent {
			switch d.name {
			case "ifdef":
				_, f.cond = pp.defines[d.ident]
			case "ifndef":
				_, def := pp.defines[d.ident]
				f.cond = !def
			case "ifexp":
				f.cond = pp.evalIfexp(d.value, t.pos)
			}
		}
		pp.conds = append(pp.conds, f)
		return
	case "else":
		if len(pp.conds) == 0 {
			pp.diag.errorf(t.pos, "#!else without #!ifdef, #!ifndef or #!ifexp")
			return
		}
		f := &pp.conds[len(pp.conds)-1]
		if f.inElse {
			pp.diag.warnf(t.pos, "second #!else for %s (at %s) flips the branch back", f.what, f.pos)
		}
		f.inElse = !f.inElse
		f.elseAt = t.pos
		return
	case "endif":
		if len(pp.conds) == 0 {
			pp.diag.errorf(t.pos, "#!endif without #!ifdef, #!ifndef or #!ifexp")
			return
		}
		pp.conds = pp.conds[:len(pp.conds)-1]
		return
	}
	if skipping {
		return
	}
	if d.errMsg != "" {
		pp.diag.errorf(t.pos, "%s", d.errMsg)
		return
	}
	switch d.name {
	case "define", "trydef", "redef":
		pp.setDefine(d.name, d.ident, d.value, d.hasValue, t.pos)
	case "undef", "tryundef":
		// Kamailio 5.6 accepts #!undef of a name that is not defined.
		delete(pp.defines, d.ident)
	case "subst", "substdef", "substdefs":
		pp.substDirective(src, t)
	case "include", "import":
		pp.include(src, t)
	case "defenv", "defenvs", "trydefenv", "trydefenvs":
		lookup := pp.opts.LookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		val, ok := lookup(d.value)
		if !ok {
			if !strings.HasPrefix(d.name, "try") {
				pp.diag.errorf(t.pos, "environment variable %s is not set (#!%s)", d.value, d.name)
			}
			return
		}
		if strings.HasSuffix(d.name, "s") {
			val = `"` + val + `"`
		}
		pp.setDefine("define", d.ident, val, true, t.pos)
	case "defexp", "defexps":
		v, err := evalPPExpr(d.value, pp.ppLookup)
		if err != nil {
			pp.diag.errorf(t.pos, "#!%s %s: %v", d.name, d.ident, err)
			return
		}
		val := v.String()
		if d.name == "defexps" {
			val = `"` + val + `"`
		}
		pp.setDefine("define", d.ident, val, true, t.pos)
	case "compat":
		pp.compat = d.value
		if d.value == "SER" {
			pp.diag.errorf(t.pos, "#!SER compatibility mode (SER-style AVPs) is not supported; use #!KAMAILIO")
		}
	}
}

func (pp *preprocessor) setDefine(kind, name, value string, hasValue bool, p Pos) {
	if old, exists := pp.defines[name]; exists {
		switch kind {
		case "trydef":
			return
		case "define":
			where := "predefined or given with -A"
			if old.pos.IsValid() {
				where = "defined at " + old.pos.String()
			}
			pp.diag.errorf(p, "%s is already defined (%s); use #!redefine to change it or #!trydef to keep it", name, where)
			return
		}
	}
	pp.defines[name] = &define{value: value, hasValue: hasValue, pos: p}
}

// defineModule records MOD_name once "loadmodule" has been parsed, so that
// "#!ifdef MOD_name" later in the text sees it, as in Kamailio.
func (pp *preprocessor) defineModule(name string) {
	if name == "" {
		return
	}
	if _, ok := pp.defines["MOD_"+name]; !ok {
		pp.defines["MOD_"+name] = &define{}
	}
}

// finalDefines returns the define table as it stands: name to value, "" for
// a define without value.
func (pp *preprocessor) finalDefines() map[string]string {
	m := make(map[string]string, len(pp.defines))
	for k, d := range pp.defines {
		m[k] = d.value
	}
	return m
}

func (pp *preprocessor) ppLookup(name string) (value string, hasValue, defined bool) {
	d, ok := pp.defines[name]
	if !ok {
		return "", false, false
	}
	return d.value, d.hasValue, true
}

func (pp *preprocessor) evalIfexp(expr string, p Pos) bool {
	v, err := evalPPExpr(expr, pp.ppLookup)
	if err != nil {
		pp.diag.errorf(p, "#!ifexp %s: %v", strings.TrimSpace(expr), err)
		return false
	}
	return v.truth()
}

// substDirective reads the rule string that follows #!subst, #!substdef or
// #!substdefs and registers it.
func (pp *preprocessor) substDirective(src *ppSource, t token) {
	d := t.dir
	st := src.lx.next()
	if st.kind != tString {
		pp.diag.errorf(st.pos, "#!%s needs a rule in double quotes, like \"/regex/replacement/flags\"; found %s", d.name, st.describe())
		return
	}
	rule := st.text
	if len(pp.substs) > 0 {
		rule = pp.applySubsts(rule) // Kamailio runs earlier rules on every string
	}
	r, err := parseSubst(rule)
	if err != nil {
		pp.diag.errorf(st.pos, "#!%s %s: %v", d.name, quoteString(rule), err)
		return
	}
	if r.hasPV {
		pp.diag.warnf(st.pos, "#!%s %s: pseudo-variables in the replacement are not evaluated by olelo; the text is used as it is", d.name, quoteString(rule))
	}
	pp.substs = append(pp.substs, r)
	if d.name == "subst" {
		return
	}
	name, value := r.pattern, r.replText
	if name == "" {
		pp.diag.errorf(st.pos, "#!%s: the define name (the regex part) is empty", d.name)
		return
	}
	if d.name == "substdefs" {
		value = `"` + value + `"`
	}
	pp.setDefine("define", name, value, value != "", t.pos)
}

func (pp *preprocessor) applySubsts(s string) string {
	for _, r := range pp.substs {
		if out, ok := r.apply(s); ok {
			s = out
		}
	}
	return s
}

// include handles include_file and import_file. The name is tried as
// given (relative to the working directory), then relative to the
// directory of the file that includes it, as Kamailio does, then in each of
// Options.IncludeDirs.
func (pp *preprocessor) include(src *ppSource, t token) {
	d := t.dir
	word := "include_file"
	if d.name == "import" {
		word = "import_file"
	}
	raw := d.value
	if len(pp.substs) > 0 {
		raw = pp.applySubsts(raw)
	}
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		pp.diag.errorf(t.pos, "%s: the file name must be in double quotes, found %s", word, raw)
		return
	}
	name := unescapeIncludeName(raw[1 : len(raw)-1])
	if name == "" {
		pp.diag.errorf(t.pos, "%s: empty file name", word)
		return
	}
	if pp.includeDepth() >= maxIncludeDepth {
		pp.diag.errorf(t.pos, "%s %q: includes nested more than %d deep (is a file including itself?)", word, name, maxIncludeDepth)
		return
	}
	readFile := pp.opts.ReadFile
	if readFile == nil {
		readFile = os.ReadFile
	}
	cands := []string{name}
	if !filepath.IsAbs(name) {
		if dir := filepath.Dir(src.lx.file); dir != "." {
			cands = append(cands, filepath.Join(dir, name))
		}
		for _, dir := range pp.opts.IncludeDirs {
			cands = append(cands, filepath.Join(dir, name))
		}
	}
	for _, c := range cands {
		data, err := readFile(c)
		if err == nil {
			pp.pushFile(c, data)
			return
		}
	}
	if d.name == "include" {
		pp.diag.errorf(t.pos, "include_file: cannot open %q (tried %s)", name, strings.Join(cands, ", "))
	}
}

// unescapeIncludeName applies the escapes Kamailio allows in an include
// file name: \t, \n, \r, and \c for any other c.
func unescapeIncludeName(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 't':
				c = '\t'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			default:
				c = s[i]
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// substRule is a compiled "#!subst" rule: /regex/replacement/flags. The
// first character is the separator. Flags: i (ignore case), g (replace
// all), s (let . match newlines).
type substRule struct {
	re       *regexp.Regexp
	parts    []replPart
	global   bool
	hasPV    bool
	pattern  string // the regex text (for #!substdef, the define name)
	replText string // the replacement text (for #!substdef, the value)
}

// replPart is a piece of a replacement: literal text, or a group (\0-\9).
type replPart struct {
	lit   string
	group int // -1 for literal text
}

func parseSubst(rule string) (*substRule, error) {
	if len(rule) < 3 {
		return nil, errorString("rule is too short; the form is /regex/replacement/flags")
	}
	sep := rule[0]
	if sep == '\\' {
		return nil, errorString("a backslash cannot be the separator")
	}
	reEnd := -1
	for i := 1; i < len(rule); i++ {
		if rule[i] == sep && rule[i-1] != '\\' {
			reEnd = i
			break
		}
	}
	if reEnd < 0 {
		return nil, errorString("missing separator after the regex")
	}
	r := &substRule{pattern: rule[1:reEnd]}
	// Parse the replacement up to the next unescaped separator.
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			r.parts = append(r.parts, replPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	i := reEnd + 1
	replStart := i
	for ; i < len(rule); i++ {
		c := rule[i]
		if c == sep {
			break
		}
		if c == '$' {
			r.hasPV = true
		}
		if c != '\\' || i+1 >= len(rule) {
			lit.WriteByte(c)
			continue
		}
		i++
		switch e := rule[i]; {
		case e >= '0' && e <= '9':
			flush()
			r.parts = append(r.parts, replPart{group: int(e - '0')})
		case e == 'n':
			lit.WriteByte('\n')
		case e == 'r':
			lit.WriteByte('\r')
		case e == 't':
			lit.WriteByte('\t')
		case e == 'u':
			// \u is the request URI of the message: there is none here.
		default:
			lit.WriteByte(e)
		}
	}
	if i >= len(rule) {
		return nil, errorString("missing separator after the replacement")
	}
	flush()
	r.replText = rule[replStart:i]
	flags := "m"
	for _, f := range rule[i+1:] {
		switch f {
		case 'i':
			flags += "i"
		case 'g':
			r.global = true
		case 's':
			flags = strings.Replace(flags, "m", "", 1) + "s"
		default:
			return nil, errorString("unknown flag " + strconv.QuoteRune(f) + " (allowed: i, g, s)")
		}
	}
	pat := r.pattern
	if isAlnum(sep) {
		pat = strings.ReplaceAll(pat, `\`+string(sep), string(sep))
	}
	re, err := regexp.Compile("(?" + flags + ")" + pat)
	if err != nil {
		return nil, errorString("bad regular expression: " + err.Error())
	}
	r.re = re
	return r, nil
}

// apply runs the rule on s; ok is false when nothing matched.
func (r *substRule) apply(s string) (string, bool) {
	n := 1
	if r.global {
		n = -1
	}
	ms := r.re.FindAllStringSubmatchIndex(s, n)
	if len(ms) == 0 {
		return s, false
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		if m[0] == m[1] {
			continue // Kamailio refuses empty matches
		}
		b.WriteString(s[last:m[0]])
		for _, p := range r.parts {
			if p.group < 0 {
				b.WriteString(p.lit)
			} else if 2*p.group+1 < len(m) && m[2*p.group] >= 0 {
				b.WriteString(s[m[2*p.group]:m[2*p.group+1]])
			}
		}
		last = m[1]
	}
	if last == 0 {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

type errorString string

func (e errorString) Error() string { return string(e) }
