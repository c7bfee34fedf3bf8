package script

import (
	"strconv"
	"strings"
	"testing"
)

// lexAll returns the tokens of src as "kind:text" strings, and the errors.
func lexAll(src string) (toks []string, errs []string) {
	l := newLexer("t.cfg", src, func(p Pos, m string) { errs = append(errs, p.String()+": "+m) }, nil)
	for {
		t := l.next()
		if t.kind == tEOF {
			return toks, errs
		}
		s := t.kind.String()
		switch t.kind {
		case tIdent, tNumber, tPV, tSelect, tIPv4, tIPv6, tEventName:
			s += ":" + t.text
		case tString:
			s += ":" + quoteString(t.text)
			if t.raw {
				s += "(raw)"
			}
		case tDirective:
			s = "#!" + t.dir.name + ":" + t.dir.ident + "=" + t.dir.value
		}
		if t.kind == tNumber {
			s += "=" + strconv.FormatInt(t.num, 10)
		}
		toks = append(toks, s)
	}
}

func TestLexer(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // tokens joined by " "
	}{
		{"line comments", "a # c\nb // d\nc", "identifier:a identifier:b identifier:c"},
		{"comment after statement", "exit; # done", "identifier:exit ;"},
		{"nested block comment", "a /* x /* y */ z */ b", "identifier:a identifier:b"},
		{"decimal", "0 7 1234", "number:0=0 number:7=7 number:1234=1234"},
		{"hex octal binary", "0x1F 017 101b", "number:0x1F=31 number:017=15 number:101b=5"},
		{"not numbers", "08 0x 1and1", "identifier:08 identifier:0x identifier:1and1"},
		{"boolean words", "yes true on enable no false off disable", "number:yes=1 number:true=1 number:on=1 number:enable=1 number:no=0 number:false=0 number:off=0 number:disable=0"},
		{"TRUE is a name", "TRUE", "identifier:TRUE"},
		{"address families", "inet ipv4 inet6 INET6", "number:inet=2 number:ipv4=2 number:inet6=10 number:INET6=10"},
		{"string escapes", `"a\tb\n\"q\"\\ \x41\101 \d \1"`, `string:"a\tb\n\"q\"\\ AA \\d \\1"`},
		{"string joined", "\"a\" \"b\"\n\t\"c\"", `string:"abc"`},
		{"raw string", `'a\n' 'b'`, `string:"a\\n"(raw) string:"b"(raw)`},
		{"comment breaks join", `"a" /* c */ "b"`, `string:"a" string:"b"`},
		{"escaped newline in string", "\"a\\\nb\"", `string:"ab"`},
		{"newline inside string", "\"a\nb\"", `string:"a\nb"`},
		{"identifiers", "t_relay _x a1", "identifier:t_relay identifier:_x identifier:a1"},
		{"ipv4", "10.0.0.1 1.2.3.4:5060", "IPv4 address:10.0.0.1 IPv4 address:1.2.3.4 : number:5060=5060"},
		{"dotted host is not ipv4", "10.0.0.1.nip", "number:10=10 . number:0=0 . number:0=0 . number:1=1 . identifier:nip"},
		{"ipv6", "::1 2001:db8::1 fe80::a:b dead::beef", "IPv6 address:::1 IPv6 address:2001:db8::1 IPv6 address:fe80::a:b IPv6 address:dead::beef"},
		{"ipv6 bracketed", "[::1]:5060", "[ IPv6 address:::1 ] : number:5060=5060"},
		{"not ipv6", "a:b case 1: xhttp:request", "identifier:a : identifier:b identifier:case number:1=1 : identifier:xhttp : identifier:request"},
		{"network", "10.0.0.0/8", "IPv4 address:10.0.0.0 / number:8=8"},
		{"pv simple", "$ru $rU $T_branch_idx", "pseudo-variable:$ru pseudo-variable:$rU pseudo-variable:$T_branch_idx"},
		{"pv parens", "$var(x) $hdr(From) $sht(a=>$si)", "pseudo-variable:$var(x) pseudo-variable:$hdr(From) pseudo-variable:$sht(a=>$si)"},
		{"pv nested parens", "$(avp(x)[0]{s.int}) $(hdr(X){re.subst,/(a)/b/})", "pseudo-variable:$(avp(x)[0]{s.int}) pseudo-variable:$(hdr(X){re.subst,/(a)/b/})"},
		{"pv retcode", "$? $rc $retcode", "pseudo-variable:$? pseudo-variable:$rc pseudo-variable:$retcode"},
		{"pv then index is separate", "$avp(x)[1]", "pseudo-variable:$avp(x) [ number:1=1 ]"},
		{"select", "@cfg_get.core.debug @via[1].host", "select:@cfg_get.core.debug select:@via[1].host"},
		{"operators", "= == != =~ < > <= >= ! && || & | ^ ~ << >> + - * / += , ; : . ( ) { } [ ]",
			"= == != =~ < > <= >= ! && || & | ^ ~ << >> + - * / += , ; : . ( ) { } [ ]"},
		{"word operators", "not and or mod eq ne ieq ine defined strlen strempty",
			"! && || mod eq ne ieq ine defined strlen strempty"},
		{"casts", "(int)$x (str)1 ( int )", "(int) pseudo-variable:$x (str) number:1=1 ( identifier:int )"},
		{"compound keywords", "msg:len uri:host uri:port uri:len", "identifier:msg:len identifier:uri:host identifier:uri:port identifier:uri : identifier:len"},
		{"escaped newline outside strings", "a \\\n b", "identifier:a identifier:b"},
		{"define", "#!define X 1 + \\\n 2\nY", "#!define:X=1 +  2 identifier:Y"},
		{"define no value", "#!define X\n", "#!define:X="},
		{"define keeps hash", "#!define X 1 # c\n", "#!define:X=1 # c"},
		{"bang bang define", "!!define X 1\n", "#!define:X=1"},
		{"bang bang is not", "!!x", "! ! identifier:x"},
		{"unknown directive is comment", "#!foo bar\na", "identifier:a"},
		{"endif with text is comment", "#!endif # x\na", "identifier:a"},
		{"ifdef", "#!ifdef A # c\n#!else\n#!endif", "#!ifdef:A= #!else:= #!endif:="},
		{"include", `include_file "a.cfg"` + "\n" + `#!import_file "b.cfg"`, `#!include:="a.cfg" #!import:="b.cfg"`},
		{"subst", `#!subst "/a/b/"`, `#!subst:= string:"/a/b/"`},
		{"compat header", "#!KAMAILIO\n", "#!compat:=KAMAILIO"},
		{"compat header needs own line", "#!KAMAILIO x\n", ""},
		{"defenv", "#!defenv ID=HOME\n#!defenv HOME\n", "#!defenv:ID=HOME #!defenv:HOME=HOME"},
		{"directive mid line", "exit; #!define X 1\n", "identifier:exit ; #!define:X=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks, errs := lexAll(tc.src)
			if len(errs) > 0 {
				t.Errorf("unexpected errors: %v", errs)
			}
			if got := strings.Join(toks, " "); got != tc.want {
				t.Errorf("lex %q\n got: %s\nwant: %s", tc.src, got, tc.want)
			}
		})
	}
}

func TestLexerErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{`"abc`, "t.cfg:1:1: unterminated string"},
		{`'abc`, "t.cfg:1:1: unterminated string"},
		{"a /* x", "t.cfg:1:3: unterminated /* comment"},
		{"$var(x\n", "t.cfg:1:1: unterminated pseudo-variable"},
		{"a % b", "t.cfg:1:3: '%' starts a SER-style AVP"},
		{"a\n  ` b", "t.cfg:2:3: unexpected character '`'"},
		{"$ x", "t.cfg:1:1: '$' must start a pseudo-variable"},
		{"300.1.1.1", "t.cfg:1:1: invalid IPv4 address 300.1.1.1"},
	}
	for _, tc := range tests {
		_, errs := lexAll(tc.src)
		if len(errs) == 0 || !strings.HasPrefix(errs[0], tc.want) {
			t.Errorf("lex %q: errors %v, want prefix %q", tc.src, errs, tc.want)
		}
	}
}

func TestLexerPositions(t *testing.T) {
	src := "a\n\tbb \"x\ny\" c\n/* 1\n2 */ d"
	l := newLexer("f.cfg", src, nil, nil)
	want := []string{"f.cfg:1:1", "f.cfg:2:2", "f.cfg:2:5", "f.cfg:3:4", "f.cfg:5:6"}
	for i, w := range want {
		tok := l.next()
		if got := tok.pos.String(); got != w {
			t.Errorf("token %d (%s): pos %s, want %s", i, tok.describe(), got, w)
		}
	}
	if tok := l.next(); tok.kind != tEOF {
		t.Errorf("extra token %s", tok.describe())
	}
}

func TestEventNameMode(t *testing.T) {
	l := newLexer("t", "tm:branch-failure:MY_ROUTE] dispatcher:dst-down", nil, nil)
	l.wantEventName = true
	if tok := l.next(); tok.kind != tEventName || tok.text != "tm:branch-failure:MY_ROUTE" {
		t.Fatalf("got %s", tok.describe())
	}
	if tok := l.next(); tok.kind != tRBrack {
		t.Fatalf("got %s", tok.describe())
	}
	// Without the mode the same text is ordinary tokens.
	if tok := l.next(); tok.kind != tIdent || tok.text != "dispatcher" {
		t.Fatalf("got %s", tok.describe())
	}
}
