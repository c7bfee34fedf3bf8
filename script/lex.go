package script

import (
	"net/netip"
	"strconv"
	"strings"
)

// lexer turns the text of one file (or of one define value) into tokens,
// following Kamailio 5.6's cfg.lex (spec §1.1). It does not expand defines
// or follow includes: it reports directives as tDirective tokens and the
// preprocessor acts on them. Errors go to errf and lexing continues.
type lexer struct {
	file string
	src  string
	off  int
	line int
	bol  int // offset of the first byte of the current line

	// inMacro is set when lexing a define's value: directives are not
	// recognised there (a '#' starts a comment that ends with the value).
	inMacro bool
	// wantEventName asks for the next token to be read as an event route
	// name (mod:event), as Kamailio does right after "event_route [".
	wantEventName bool

	errf  func(Pos, string)
	warnf func(Pos, string)
	// onSwallow is called when an unterminated string or comment ran to
	// the end of the file: errors about the missing rest are noise.
	onSwallow func()
}

func (l *lexer) swallowed() {
	if l.onSwallow != nil {
		l.onSwallow()
	}
}

func newLexer(file, src string, errf, warnf func(Pos, string)) *lexer {
	return &lexer{file: file, src: src, line: 1, errf: errf, warnf: warnf}
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.off - l.bol + 1} }

func (l *lexer) posAt(off int) Pos {
	// Only valid for offsets on the current line or later on it.
	return Pos{File: l.file, Line: l.line, Col: off - l.bol + 1}
}

func (l *lexer) errorf(p Pos, msg string) {
	if l.errf != nil {
		l.errf(p, msg)
	}
}

// advance moves to offset end, keeping line and column right.
func (l *lexer) advance(end int) {
	if end > len(l.src) {
		end = len(l.src)
	}
	chunk := l.src[l.off:end]
	if n := strings.Count(chunk, "\n"); n > 0 {
		l.line += n
		l.bol = l.off + strings.LastIndexByte(chunk, '\n') + 1
	}
	l.off = end
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool  { return isLetter(c) || isDigit(c) }
func isHex(c byte) bool    { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isBlank(c byte) bool  { return c == ' ' || c == '\t' || c == '\r' || c == '\b' }

// skipSpace skips blanks, newlines, comments and escaped newlines. It stops
// before a directive. It reports whether anything was skipped.
func (l *lexer) skipSpace() bool {
	start := l.off
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case isBlank(c) || c == '\n':
			l.advance(l.off + 1)
		case c == '\\' && l.off+1 < len(l.src) && l.src[l.off+1] == '\n':
			l.advance(l.off + 2)
		case c == '#':
			if !l.inMacro {
				if _, _, ok := l.scanDirective(l.off); ok {
					return l.off > start
				}
				l.warnCommentedDirective(l.off)
			}
			l.skipLine()
		case c == '/' && l.off+1 < len(l.src) && l.src[l.off+1] == '/':
			if !l.inMacro && l.off+2 < len(l.src) && l.src[l.off+2] == '!' {
				if _, _, ok := l.scanDirective(l.off); ok {
					return l.off > start
				}
				l.warnCommentedDirective(l.off)
			}
			l.skipLine()
		case c == '/' && l.off+1 < len(l.src) && l.src[l.off+1] == '*':
			l.skipBlockComment()
		default:
			return l.off > start
		}
	}
	return l.off > start
}

func (l *lexer) skipLine() {
	if i := strings.IndexByte(l.src[l.off:], '\n'); i >= 0 {
		l.advance(l.off + i + 1)
	} else {
		l.advance(len(l.src))
	}
}

// skipBlockComment skips a /* */ comment; these nest in Kamailio.
func (l *lexer) skipBlockComment() {
	start := l.pos()
	depth := 0
	for l.off < len(l.src) {
		switch {
		case strings.HasPrefix(l.src[l.off:], "/*"):
			depth++
			l.advance(l.off + 2)
		case strings.HasPrefix(l.src[l.off:], "*/"):
			depth--
			l.advance(l.off + 2)
			if depth == 0 {
				return
			}
		default:
			// Jump to the next '*' or '/' that may open or close a comment.
			i := strings.IndexAny(l.src[l.off+1:], "*/")
			if i < 0 {
				l.advance(len(l.src))
			} else {
				l.advance(l.off + 1 + i)
			}
		}
	}
	l.errorf(start, "unterminated /* comment (comments nest: every /* needs its */)")
	l.swallowed()
}

// next returns the next token.
func (l *lexer) next() token {
	for {
		space := l.skipSpace()
		if l.off >= len(l.src) {
			return token{kind: tEOF, pos: l.pos(), space: space}
		}
		t, ok := l.lexToken()
		if !ok {
			// The problem was reported; hand the parser a token that makes
			// it abandon the statement without a second message.
			t = token{kind: tIllegal, pos: t.pos, text: t.text}
		}
		t.space = space
		return t
	}
}

func (l *lexer) lexToken() (token, bool) {
	start := l.off
	p := l.pos()
	c := l.src[start]

	if l.wantEventName {
		l.wantEventName = false
		if end := scanEventName(l.src, start); end > start {
			l.advance(end)
			return token{kind: tEventName, text: l.src[start:end], pos: p}, true
		}
	}

	switch {
	case c == '#' || c == '!' || c == '/':
		if !l.inMacro {
			if d, end, ok := l.scanDirective(start); ok {
				l.advance(end)
				return token{kind: tDirective, pos: p, dir: d}, true
			}
		}
	}

	switch {
	case isLetter(c):
		if isHex(c) {
			if end := scanIPv6(l.src, start); end > start {
				l.advance(end)
				return token{kind: tIPv6, text: l.src[start:end], pos: p}, true
			}
		}
		return l.lexWord(p), true
	case isDigit(c):
		return l.lexNumber(p), true
	case c == ':':
		if end := scanIPv6(l.src, start); end > start {
			l.advance(end)
			return token{kind: tIPv6, text: l.src[start:end], pos: p}, true
		}
		l.advance(start + 1)
		return token{kind: tColon, text: ":", pos: p}, true
	case c == '"':
		return l.lexString(p), true
	case c == '\'':
		return l.lexRawString(p), true
	case c == '$':
		return l.lexPV(p)
	case c == '@':
		return l.lexSelect(p)
	}
	return l.lexOperator(p)
}

// lexWord lexes an identifier, a keyword operator, a word number or one of
// the compound keywords msg:len, uri:host, uri:port.
func (l *lexer) lexWord(p Pos) token {
	start := l.off
	end := start
	for end < len(l.src) && isAlnum(l.src[end]) {
		end++
	}
	word := l.src[start:end]
	if word == "msg" || word == "uri" {
		for _, suffix := range [...]string{":len", ":host", ":port"} {
			if strings.HasPrefix(l.src[end:], suffix) && (end+len(suffix) == len(l.src) || !isAlnum(l.src[end+len(suffix)])) {
				compound := word + suffix
				if compound == "msg:len" || word == "uri" && suffix != ":len" {
					l.advance(end + len(suffix))
					return token{kind: tIdent, text: compound, pos: p}
				}
			}
		}
	}
	if (word == "include_file" || word == "import_file") && !l.inMacro {
		if d, dend, ok := l.scanInclude(word, end); ok {
			l.advance(dend)
			return token{kind: tDirective, pos: p, dir: d}
		}
	}
	l.advance(end)
	if k, ok := wordOperators[word]; ok {
		return token{kind: k, text: word, pos: p}
	}
	if n, ok := wordNumbers[word]; ok {
		return token{kind: tNumber, text: word, num: n, pos: p}
	}
	return token{kind: tIdent, text: word, pos: p}
}

// lexNumber lexes what starts with a digit: an IPv6 or IPv4 address, a
// number (decimal, 0x hex, 0 octal, 101b binary) or, when the alphanumeric
// run is none of these, a NUM_ID such as "1and1" (an identifier).
func (l *lexer) lexNumber(p Pos) token {
	start := l.off
	if end := scanIPv6(l.src, start); end > start {
		l.advance(end)
		return token{kind: tIPv6, text: l.src[start:end], pos: p}
	}
	if end := scanIPv4(l.src, start); end > start {
		text := l.src[start:end]
		if _, err := netip.ParseAddr(text); err != nil {
			l.errorf(p, "invalid IPv4 address "+text)
		}
		l.advance(end)
		return token{kind: tIPv4, text: text, pos: p}
	}
	end := start
	for end < len(l.src) && isAlnum(l.src[end]) {
		end++
	}
	text := l.src[start:end]
	l.advance(end)
	if n, ok, overflow := parseNumberWord(text); ok {
		if overflow {
			l.errorf(p, "number "+text+" is too large")
		}
		return token{kind: tNumber, text: text, num: n, pos: p}
	}
	return token{kind: tIdent, text: text, pos: p}
}

// parseNumberWord parses a whole alphanumeric run as a Kamailio number.
func parseNumberWord(s string) (n int64, ok, overflow bool) {
	var base int
	digits := s
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") && allOf(s[2:], isHex):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[len(s)-1] == 'b' && allOf(s[:len(s)-1], func(c byte) bool { return c == '0' || c == '1' }):
		base, digits = 2, s[:len(s)-1]
	case len(s) > 1 && s[0] == '0' && allOf(s[1:], func(c byte) bool { return c >= '0' && c <= '7' }):
		base, digits = 8, s[1:]
	case s == "0" || len(s) > 0 && s[0] != '0' && allOf(s, isDigit):
		base = 10
	default:
		return 0, false, false
	}
	v, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return 0, true, true
	}
	return v, true, false
}

func allOf(s string, f func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !f(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// scanIPv4 matches four dot-separated decimal groups that are not part of a
// longer dotted name (10.0.0.1.example is a host name, not an address).
func scanIPv4(s string, i int) int {
	end := i
	for g := 0; g < 4; g++ {
		if g > 0 {
			if end >= len(s) || s[end] != '.' {
				return i
			}
			end++
		}
		n := 0
		for end < len(s) && isDigit(s[end]) {
			end++
			n++
		}
		if n == 0 || n > 3 {
			return i
		}
	}
	if end < len(s) && (isAlnum(s[end]) || s[end] == '.' && end+1 < len(s) && isAlnum(s[end+1])) {
		return i
	}
	return end
}

// scanIPv6 matches an IPv6 address the way Kamailio's IPV6ADDR pattern
// does: eight full groups, or a form with "::". It returns i on no match.
func scanIPv6(s string, i int) int {
	end := i
	colons := 0
	// The longest IPv6 text without an embedded IPv4 part is 39 bytes; a
	// port glued to it adds up to 6. Looking further is never useful and
	// keeps pathological input linear.
	for end < len(s) && end-i < 46 && (isHex(s[end]) || s[end] == ':') {
		if s[end] == ':' {
			colons++
		}
		end++
	}
	if colons < 2 {
		return i
	}
	// Take the longest valid prefix: "::1:5060" is an address in Kamailio
	// too, so a port glued to an unbracketed address is not split off.
	for ; end > i+1; end-- {
		cand := s[i:end]
		if !strings.Contains(cand, "::") && strings.Count(cand, ":") != 7 {
			continue
		}
		if cand[len(cand)-1] == ':' && !strings.HasSuffix(cand, "::") {
			continue
		}
		if a, err := netip.ParseAddr(cand); err == nil && a.Is6() {
			return end
		}
	}
	return i
}

// scanEventName matches Kamailio's EVENT_RT_NAME:
// [a-zA-Z][0-9a-zA-Z-]*(:[a-zA-Z][0-9a-zA-Z_-]*)+
func scanEventName(s string, i int) int {
	end := i
	if end >= len(s) || !(s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z') {
		return i
	}
	end++
	for end < len(s) && (isAlnum(s[end]) && s[end] != '_' || s[end] == '-') {
		end++
	}
	parts := 0
	for end+1 < len(s) && s[end] == ':' && (s[end+1] >= 'a' && s[end+1] <= 'z' || s[end+1] >= 'A' && s[end+1] <= 'Z') {
		end += 2
		for end < len(s) && (isAlnum(s[end]) || s[end] == '-') {
			end++
		}
		parts++
	}
	if parts == 0 {
		return i
	}
	return end
}

// lexString lexes a double-quoted string with Kamailio's escapes, joining
// strings that follow it with only whitespace between ("a" "b" is "ab").
func (l *lexer) lexString(p Pos) token {
	var b strings.Builder
	for {
		l.advance(l.off + 1) // opening quote
		if !l.lexStringBody(&b, p) {
			break
		}
		// STR_BETWEEN: whitespace and newlines, then maybe another string.
		i := l.off
		for i < len(l.src) && (isBlank(l.src[i]) || l.src[i] == '\n') {
			i++
		}
		if i >= len(l.src) || l.src[i] != '"' {
			break
		}
		l.advance(i)
	}
	return token{kind: tString, text: b.String(), pos: p}
}

// lexStringBody reads up to and including the closing quote. It reports
// false when the file ends first.
func (l *lexer) lexStringBody(b *strings.Builder, p Pos) bool {
	s := l.src
	i := l.off
	for i < len(s) {
		c := s[i]
		if c == '"' {
			l.advance(i + 1)
			return true
		}
		if c != '\\' || i+1 >= len(s) {
			// Copy the run up to the next quote or backslash in one go.
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\\' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		e := s[i+1]
		switch e {
		case 'n':
			b.WriteByte('\n')
			i += 2
		case 'r':
			b.WriteByte('\r')
			i += 2
		case 'a':
			b.WriteByte('\a')
			i += 2
		case 't':
			b.WriteByte('\t')
			i += 2
		case '"':
			b.WriteByte('"')
			i += 2
		case '\\':
			b.WriteByte('\\')
			i += 2
		case '\n':
			i += 2 // escaped newline: line continuation
		case 'x':
			j := i + 2
			for j < len(s) && j < i+4 && isHex(s[j]) {
				j++
			}
			if j == i+2 {
				b.WriteString(`\x`)
				i += 2
				break
			}
			v, _ := strconv.ParseUint(s[i+2:j], 16, 8)
			b.WriteByte(byte(v))
			i = j
		default:
			// \ooo with 2 or 3 octal digits; a single digit stays as it is
			// so that \1 back-references in subst patterns survive.
			j := i + 1
			for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			if j-i-1 >= 2 {
				v, _ := strconv.ParseUint(s[i+1:j], 8, 16)
				b.WriteByte(byte(v))
				i = j
				break
			}
			// Unknown escape: Kamailio keeps the backslash ("\d" stays \d).
			b.WriteByte('\\')
			i++
		}
	}
	l.advance(len(s))
	l.errorf(p, "unterminated string: missing closing \"")
	l.swallowed()
	return false
}

// lexRawString lexes a single-quoted string: no escapes, no joining.
func (l *lexer) lexRawString(p Pos) token {
	start := l.off + 1
	i := strings.IndexByte(l.src[start:], '\'')
	if i < 0 {
		l.advance(len(l.src))
		l.errorf(p, "unterminated string: missing closing '")
		l.swallowed()
		return token{kind: tString, text: l.src[start:], raw: true, pos: p}
	}
	l.advance(start + i + 1)
	return token{kind: tString, text: l.src[start : start+i], raw: true, pos: p}
}

// lexPV lexes a pseudo-variable: $name, $name(...), $(...), $?.
// Parentheses nest; the text inside is kept verbatim (the pv package parses
// it later). Like Kamailio, a PV cannot span lines.
func (l *lexer) lexPV(p Pos) (token, bool) {
	s := l.src
	start := l.off
	i := start + 1
	switch {
	case i < len(s) && s[i] == '?':
		l.advance(i + 1)
		return token{kind: tPV, text: "$?", pos: p}, true
	case i < len(s) && s[i] == '(':
		// balanced below
	case i < len(s) && isLetter(s[i]):
		for i < len(s) && isAlnum(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '(' {
			l.advance(i)
			return token{kind: tPV, text: s[start:i], pos: p}, true
		}
	default:
		l.advance(i)
		l.errorf(p, "'$' must start a pseudo-variable such as $var(x) or $(ru{s.len})")
		return token{pos: p, text: "$"}, false
	}
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.advance(i + 1)
				return token{kind: tPV, text: s[start : i+1], pos: p}, true
			}
		case '\n':
			l.advance(i)
			l.errorf(p, "unterminated pseudo-variable "+s[start:i]+": missing ')' before end of line")
			return token{kind: tPV, text: s[start:i], pos: p}, true
		}
	}
	l.advance(len(s))
	l.errorf(p, "unterminated pseudo-variable: missing ')'")
	return token{kind: tPV, text: s[start:], pos: p}, true
}

// lexSelect lexes a legacy select such as @cfg_get.group.var or
// @via[1].host: identifiers, dots, brackets, numbers and quoted strings,
// with no whitespace.
func (l *lexer) lexSelect(p Pos) (token, bool) {
	s := l.src
	start := l.off
	i := start + 1
	if i >= len(s) || !isLetter(s[i]) {
		l.advance(i)
		l.errorf(p, "'@' must start a select such as @cfg_get.group.var")
		return token{pos: p, text: "@"}, false
	}
	for i < len(s) {
		c := s[i]
		if isAlnum(c) || c == '.' || c == '[' || c == ']' || c == '-' && i > start && s[i-1] == '[' {
			i++
			continue
		}
		if c == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				break
			}
			i += j + 2
			continue
		}
		break
	}
	l.advance(i)
	return token{kind: tSelect, text: s[start:i], pos: p}, true
}

func (l *lexer) lexOperator(p Pos) (token, bool) {
	s := l.src[l.off:]
	two := ""
	if len(s) >= 2 {
		two = s[:2]
	}
	emit := func(k tokKind, n int) (token, bool) {
		text := s[:n]
		l.advance(l.off + n)
		return token{kind: k, text: text, pos: p}, true
	}
	if strings.HasPrefix(s, "(int)") {
		return emit(tIntCast, 5)
	}
	if strings.HasPrefix(s, "(str)") {
		return emit(tStrCast, 5)
	}
	switch two {
	case "==":
		return emit(tEq, 2)
	case "=~":
		return emit(tMatch, 2)
	case "!=":
		return emit(tNe, 2)
	case ">=":
		return emit(tGe, 2)
	case "<=":
		return emit(tLe, 2)
	case "<<":
		return emit(tShl, 2)
	case ">>":
		return emit(tShr, 2)
	case "&&":
		return emit(tAndAnd, 2)
	case "||":
		return emit(tOrOr, 2)
	case "+=":
		return emit(tPlusAssign, 2)
	}
	switch s[0] {
	case '=':
		return emit(tAssign, 1)
	case '!':
		return emit(tNot, 1)
	case '<':
		return emit(tLt, 1)
	case '>':
		return emit(tGt, 1)
	case '&':
		return emit(tBitAnd, 1)
	case '|':
		return emit(tBitOr, 1)
	case '^':
		return emit(tBitXor, 1)
	case '~':
		return emit(tBitNot, 1)
	case '+':
		return emit(tPlus, 1)
	case '-':
		return emit(tMinus, 1)
	case '*':
		return emit(tStar, 1)
	case '/':
		return emit(tSlash, 1)
	case '(':
		return emit(tLParen, 1)
	case ')':
		return emit(tRParen, 1)
	case '{':
		return emit(tLBrace, 1)
	case '}':
		return emit(tRBrace, 1)
	case '[':
		return emit(tLBrack, 1)
	case ']':
		return emit(tRBrack, 1)
	case ',':
		return emit(tComma, 1)
	case ';':
		return emit(tSemi, 1)
	case '.':
		return emit(tDot, 1)
	case '%':
		l.advance(l.off + 1)
		l.errorf(p, "'%' starts a SER-style AVP, which olelo does not support; use $avp(name), and 'mod' for modulo")
		return token{pos: p, text: "%"}, false
	}
	r := s[0]
	l.advance(l.off + 1)
	if r < 0x20 || r >= 0x7f {
		l.errorf(p, "unexpected byte 0x"+strconv.FormatUint(uint64(r), 16))
	} else {
		l.errorf(p, "unexpected character '"+string(r)+"'")
	}
	return token{pos: p, text: string(r)}, false
}
