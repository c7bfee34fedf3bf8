package script

import (
	"fmt"
	"strconv"
)

// Pos is a position in a configuration file. Line and Col are 1-based; Col
// counts bytes (a tab is one column, as in Kamailio's own messages).
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col, the form editors jump to.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether the position was set.
func (p Pos) IsValid() bool { return p.Line > 0 }

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tPV        // pseudo-variable: $name, $name(...), $(...), $?
	tSelect    // legacy select: @a.b[1].c
	tIPv4      // 10.0.0.1
	tIPv6      // 2001:db8::1, ::1
	tEventName // module:event, only right after "event_route ["
	tDirective // preprocessor directive; never reaches the parser
	tIllegal   // a character the lexer rejected (already reported)

	tLParen
	tRParen
	tLBrace
	tRBrace
	tLBrack
	tRBrack
	tComma
	tSemi
	tColon
	tDot

	tAssign     // =
	tPlusAssign // += (lexed so that we can say it is not supported)
	tEq         // ==
	tNe         // !=
	tMatch      // =~
	tLt
	tGt
	tLe
	tGe
	tNot    // ! not
	tAndAnd // && and
	tOrOr   // || or
	tBitAnd
	tBitOr
	tBitXor
	tBitNot
	tShl
	tShr
	tPlus
	tMinus
	tStar
	tSlash
	tMod     // mod
	tStrEq   // eq
	tStrNe   // ne
	tIntEq   // ieq
	tIntNe   // ine
	tIntCast // (int)
	tStrCast // (str)
	tDefined
	tStrlen
	tStrempty
)

var tokNames = [...]string{
	tEOF: "end of file", tIdent: "identifier", tNumber: "number", tString: "string",
	tPV: "pseudo-variable", tSelect: "select", tIPv4: "IPv4 address", tIPv6: "IPv6 address",
	tEventName: "event route name", tDirective: "directive", tIllegal: "illegal character",
	tLParen: "(", tRParen: ")", tLBrace: "{", tRBrace: "}", tLBrack: "[", tRBrack: "]",
	tComma: ",", tSemi: ";", tColon: ":", tDot: ".",
	tAssign: "=", tPlusAssign: "+=", tEq: "==", tNe: "!=", tMatch: "=~",
	tLt: "<", tGt: ">", tLe: "<=", tGe: ">=", tNot: "!", tAndAnd: "&&", tOrOr: "||",
	tBitAnd: "&", tBitOr: "|", tBitXor: "^", tBitNot: "~", tShl: "<<", tShr: ">>",
	tPlus: "+", tMinus: "-", tStar: "*", tSlash: "/", tMod: "mod",
	tStrEq: "eq", tStrNe: "ne", tIntEq: "ieq", tIntNe: "ine",
	tIntCast: "(int)", tStrCast: "(str)", tDefined: "defined", tStrlen: "strlen", tStrempty: "strempty",
}

func (k tokKind) String() string {
	if int(k) < len(tokNames) && tokNames[k] != "" {
		return tokNames[k]
	}
	return "token(" + strconv.Itoa(int(k)) + ")"
}

// token is one lexical token. Tokens produced by a define expansion carry
// the position of the identifier that was expanded (the use site) and the
// name of the define in macro, so errors point at what the user wrote.
type token struct {
	kind  tokKind
	text  string // source text; for strings the decoded value
	num   int64  // value of a tNumber
	pos   Pos
	space bool   // whitespace or a comment came before the token
	raw   bool   // single-quoted string (no escapes processed)
	macro string // outermost define this token was expanded from
	dir   *directive
}

// kindPhrase names what is expected: a string, a number, '('.
func kindPhrase(k tokKind) string {
	switch k {
	case tIdent:
		return "a name"
	case tNumber:
		return "a number"
	case tString:
		return "a string"
	case tPV:
		return "a pseudo-variable"
	case tEOF:
		return "end of file"
	}
	return "'" + k.String() + "'"
}

// describe renders a token for error messages: 'if', '}', string "abc".
func (t token) describe() string {
	s := ""
	switch t.kind {
	case tEOF:
		return "end of file"
	case tString:
		s = "string " + quoteString(t.text)
	case tNumber:
		s = "number " + t.text
	case tPV:
		s = "pseudo-variable " + t.text
	case tSelect:
		s = "select " + t.text
	case tIPv4, tIPv6:
		s = "address " + t.text
	case tEventName:
		s = "event name " + t.text
	case tIdent:
		s = "'" + t.text + "'"
	default:
		s = "'" + t.kind.String() + "'"
		if t.text != "" && t.text != t.kind.String() {
			s = "'" + t.text + "'"
		}
	}
	if t.macro != "" {
		s += " (from define " + t.macro + ")"
	}
	return s
}
