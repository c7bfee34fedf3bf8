package script

import "strings"

// directive is a preprocessor directive as read by the lexer. The lexer
// only cuts the text; the preprocessor gives it meaning.
type directive struct {
	name     string // canonical name: define, trydef, redef, undef, ifdef, ...
	ident    string // the name argument (define, ifdef, defenv ...)
	value    string // define value, #!ifexp expression, env variable, compat mode, include path
	hasValue bool
	errMsg   string // set when the directive is malformed
}

// conditional reports whether the directive opens, flips or closes a
// conditional block; only these are seen while skipping a false branch.
func (d *directive) conditional() bool {
	switch d.name {
	case "ifdef", "ifndef", "ifexp", "else", "endif":
		return true
	}
	return false
}

var directiveNames = map[string]string{
	"define": "define", "def": "define",
	"trydef": "trydef", "trydefine": "trydef",
	"redef": "redef", "redefine": "redef",
	"undef": "undef", "tryundef": "tryundef",
	"ifdef": "ifdef", "ifndef": "ifndef", "ifexp": "ifexp",
	"else": "else", "endif": "endif",
	"subst": "subst", "substdef": "substdef", "substdefs": "substdefs",
	"include_file": "include", "import_file": "import",
	"defenv": "defenv", "defenvs": "defenvs", "trydefenv": "trydefenv", "trydefenvs": "trydefenvs",
	"defexp": "defexp", "defexps": "defexps",
	"KAMAILIO": "compat", "OPENSER": "compat", "SER": "compat", "MAXCOMPAT": "compat", "ALL": "compat",
}

// scanDirective recognises a directive starting at off ("#!word", "!!word"
// or the "//!KAMAILIO" header form). It has no side effects, so callers can
// use it to look ahead. ok is false when the text is not a directive: then
// "#..." is an ordinary comment and "!!" two negations.
func (l *lexer) scanDirective(off int) (d *directive, end int, ok bool) {
	s := l.src
	var i int
	slashes := false
	switch {
	case strings.HasPrefix(s[off:], "#!") || strings.HasPrefix(s[off:], "!!"):
		i = off + 2
	case strings.HasPrefix(s[off:], "//!"):
		i, slashes = off+3, true
	default:
		return nil, 0, false
	}
	j := i
	for j < len(s) && isAlnum(s[j]) {
		j++
	}
	word := s[i:j]
	name, known := directiveNames[word]
	if !known || slashes && name != "compat" {
		return nil, 0, false
	}
	d = &directive{name: name}
	switch name {
	case "compat":
		// "#!KAMAILIO" must be alone on its line; "!!" is not a comment
		// marker so it cannot introduce a header.
		if s[off] == '!' {
			return nil, 0, false
		}
		k := j
		if k < len(s) && s[k] == '\r' {
			k++
		}
		if k < len(s) && s[k] != '\n' {
			return nil, 0, false
		}
		d.value = word
		return d, lineEnd(s, k), true

	case "define", "trydef", "redef":
		k, ok := needBlank(s, j)
		if !ok {
			return nil, 0, false
		}
		idEnd := scanIdent(s, k)
		if idEnd == k {
			d.errMsg = "#!" + word + " needs a name"
			return d, lineEnd(s, k), true
		}
		d.ident = s[k:idEnd]
		if idEnd < len(s) && s[idEnd] == '-' {
			d.errMsg = "'-' is not allowed in a define name (" + d.ident + "-...)"
			return d, lineEnd(s, idEnd), true
		}
		k = idEnd
		for k < len(s) && isBlank(s[k]) {
			k++
		}
		if k >= len(s) || s[k] == '\n' {
			return d, lineEnd(s, k), true
		}
		d.value, end = restOfLine(s, k)
		d.hasValue = d.value != ""
		return d, end, true

	case "undef", "tryundef", "ifdef", "ifndef":
		k, ok := needBlank(s, j)
		if !ok {
			return nil, 0, false
		}
		idEnd := scanIdent(s, k)
		if idEnd == k {
			d.errMsg = "#!" + word + " needs a name"
		} else {
			d.ident = s[k:idEnd]
			if idEnd < len(s) && s[idEnd] == '-' {
				d.errMsg = "'-' is not allowed in a define name (" + d.ident + "-...)"
			}
		}
		// Kamailio ignores what follows the name on the line.
		return d, lineEnd(s, idEnd), true

	case "ifexp":
		k, ok := needBlank(s, j)
		if !ok {
			return nil, 0, false
		}
		d.value, end = restOfLine(s, k)
		if strings.TrimSpace(d.value) == "" {
			d.errMsg = "#!ifexp needs an expression"
		}
		return d, end, true

	case "defexp", "defexps":
		k, ok := needBlank(s, j)
		if !ok {
			return nil, 0, false
		}
		idEnd := scanIdent(s, k)
		if idEnd == k {
			d.errMsg = "#!" + word + " needs a name"
			return d, lineEnd(s, k), true
		}
		d.ident = s[k:idEnd]
		d.value, end = restOfLine(s, idEnd)
		if strings.TrimSpace(d.value) == "" {
			d.errMsg = "#!" + word + " needs an expression"
		}
		return d, end, true

	case "else", "endif":
		// Only blanks may follow; otherwise Kamailio reads the whole line
		// as a comment (see warnCommentedDirective).
		k := j
		for k < len(s) && isBlank(s[k]) {
			k++
		}
		if k < len(s) && s[k] != '\n' {
			return nil, 0, false
		}
		return d, lineEnd(s, k), true

	case "subst", "substdef", "substdefs":
		// The rule is the string token that follows.
		return d, j, true

	case "include", "import":
		return l.scanInclude(word, j)

	case "defenv", "defenvs", "trydefenv", "trydefenvs":
		k, ok := needBlank(s, j)
		if !ok {
			return nil, 0, false
		}
		e := k
		for e < len(s) && (isAlnum(s[e]) || s[e] == '=') {
			e++
		}
		arg := s[k:e]
		if arg == "" {
			d.errMsg = "#!" + word + " needs an environment variable name"
		} else if id, env, found := strings.Cut(arg, "="); found {
			d.ident, d.value = id, env
		} else {
			d.ident, d.value = arg, arg
		}
		return d, lineEnd(s, e), true
	}
	return nil, 0, false
}

// scanInclude reads the file name after include_file/import_file: blanks,
// then everything up to the next blank or newline (it must be quoted).
func (l *lexer) scanInclude(word string, j int) (*directive, int, bool) {
	s := l.src
	d := &directive{name: directiveNames[word]}
	k := j
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	e := k
	for e < len(s) && s[e] != ' ' && s[e] != '\t' && s[e] != '\r' && s[e] != '\n' {
		e++
	}
	d.value = s[k:e]
	if d.value == "" {
		d.errMsg = word + " needs a file name in double quotes"
	}
	return d, e, true
}

// warnCommentedDirective warns about "#!else"/"#!endif" followed by other
// text: Kamailio does not see a directive there but a comment, which
// silently unbalances the conditional blocks.
func (l *lexer) warnCommentedDirective(off int) {
	if l.warnf == nil || !strings.HasPrefix(l.src[off:], "#!") {
		return
	}
	rest := l.src[off+2:]
	for _, w := range [...]string{"else", "endif"} {
		if strings.HasPrefix(rest, w) && len(rest) > len(w) && isBlank(rest[len(w)]) {
			l.warnf(l.posAt(off), "#!"+w+" followed by text is read as a comment, not as #!"+w+" (Kamailio does the same)")
		}
	}
}

func needBlank(s string, j int) (int, bool) {
	if j >= len(s) || !isBlank(s[j]) {
		return j, false
	}
	for j < len(s) && isBlank(s[j]) {
		j++
	}
	return j, true
}

func scanIdent(s string, k int) int {
	if k >= len(s) || !isLetter(s[k]) {
		return k
	}
	for k < len(s) && isAlnum(s[k]) {
		k++
	}
	return k
}

// lineEnd returns the offset after the newline that ends the line at k.
func lineEnd(s string, k int) int {
	if i := strings.IndexByte(s[k:], '\n'); i >= 0 {
		return k + i + 1
	}
	return len(s)
}

// restOfLine returns the text from k to the end of the line, joining lines
// that end with a backslash (the backslash and newline are dropped), and the
// offset after the final newline. Trailing blanks are trimmed.
func restOfLine(s string, k int) (string, int) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s[k:], '\n')
		if i < 0 {
			b.WriteString(s[k:])
			return strings.TrimRight(b.String(), " \t\r\b"), len(s)
		}
		seg := s[k : k+i]
		if strings.HasSuffix(seg, "\\") || strings.HasSuffix(seg, "\\\r") {
			b.WriteString(seg[:strings.LastIndexByte(seg, '\\')])
			k += i + 1
			continue
		}
		b.WriteString(seg)
		return strings.TrimRight(b.String(), " \t\r\b"), k + i + 1
	}
}

// nextConditional skips text in a false conditional branch up to the next
// #!ifdef, #!ifndef, #!ifexp, #!else or #!endif, which it returns. Like
// Kamailio, it does not look at strings or comments while skipping.
func (l *lexer) nextConditional() token {
	for l.off < len(l.src) {
		i := strings.IndexAny(l.src[l.off:], "#!")
		if i < 0 {
			break
		}
		at := l.off + i
		l.advance(at)
		if d, end, ok := l.scanDirective(at); ok && d.conditional() {
			p := l.pos()
			l.advance(end)
			return token{kind: tDirective, pos: p, dir: d}
		}
		l.warnCommentedDirective(at)
		l.advance(at + 1)
	}
	l.advance(len(l.src))
	return token{kind: tEOF, pos: l.pos()}
}
