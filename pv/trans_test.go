package pv

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
)

func TestTransformations(t *testing.T) {
	c := newCtx(t, inviteText)
	vars := map[string]string{
		"s":   "abc.def.ghi",
		"u":   "sip:u@h",
		"p":   `a=1;b="q v";C=3`,
		"l":   "l1\r\nl2\nl3\n",
		"q":   `it's "x" \ y`,
		"ws":  "  a b\tc  ",
		"hex": "414243",
		"tb":  `"Bob B" <sip:bob@b.example.org:5070;transport=tcp>;tag=ft1;x=y`,
		"num": "-42",
		"sel": "a b  c",
		"pct": "a%20b",
		"t":   "0",
		"pc":  "a=1,b=2",
	}
	for k, v := range vars {
		set(t, c, "$var("+k+")", module.StrValue(v))
	}
	set(t, c, "$var(two)", module.IntValue(2))
	runCases(t, c, []pvCase{
		// s.*
		{"$(rU{s.len})", "5"},
		{"$(var(two){s.len})", "1"},
		{"$(cs{s.int})", "10"},
		{"$(var(num){s.int})", "-42"},
		{"$(rU{s.int})", ""}, // fails: not a number
		{"$(rU{s.md5})", "6384e2b2184bcbf58eccf10ca7a6563c"},
		{"$(rU{s.sha1})", "522b276a356bdf39013dfabea2cd43e141ecc9e8"},
		{"$(rU{s.sha256})", "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90"},
		{"$(rU{s.crc32})", "663665735"},
		{"$(rU{s.substr,1,2})", "li"},
		{"$(rU{s.substr,-2,0})", "ce"},
		{"$(rU{s.substr,1,0})", "lice"},
		{"$(rU{s.substr,3,10})", "ce"},
		{"$(rU{s.substr,10,1})", ""}, // out of range: fails
		{"$(rU{s.substr,-10,1})", ""},
		{"$(rU{s.substr,0,-1})", ""},
		{"$(var(s){s.select,1,.})", "def"},
		{"$(var(s){s.select,-1,.})", "ghi"},
		{"$(var(s){s.select,5,.})", ""},
		{"$(hdr(X-Multi){s.select,1,,})", " b"},
		{`$(var(sel){s.select,2,\s})`, "c"},
		{`$(var(sel){s.select,2,\w})`, ""},
		{"$(rU{s.encode.hexa})", "616c696365"},
		{"$(var(hex){s.decode.hexa})", "ABC"},
		{"$(rU{s.decode.hexa})", ""},
		{"$(var(u){s.encode.base64})", "c2lwOnVAaA=="},
		{"$(var(u){s.encode.base64}{s.decode.base64})", "sip:u@h"},
		{"$(var(q){s.escape.common})", `it\'s \"x\" \\ y`},
		{"$(var(q){s.escape.common}{s.unescape.common})", `it's "x" \ y`},
		{"$(fn{s.escape.common})", `\"Bob B\"`},
		{"$(var(sel){s.escape.user})", "a%20b%20%20c"},
		{"$(var(pct){s.unescape.user})", "a b"},
		{"$(var(u){s.escape.param})", "sip:u%40h"},
		{"$(rm{s.tolower})", "invite"},
		{"$(rU{s.toupper})", "ALICE"},
		{"$(var(s){s.strip,4})", "def.ghi"},
		{"$(var(s){s.strip,20})", ""},
		{"$(var(s){s.striptail,3})", "abc.def."},
		{"$(var(s){s.stripto,.})", ".def.ghi"},
		{"$(var(s){s.before,.})", "abc"},
		{"$(var(s){s.after,.})", "def.ghi"},
		{"$(var(s){s.rbefore,.})", "abc.def"},
		{"$(var(s){s.rafter,.})", "ghi"},
		{"$(var(s){s.before,x})", "abc.def.ghi"},
		{"$(var(s){s.count,.})", "2"},
		{"$(var(s){s.prefixes,3})", "a,ab,abc"},
		{"$(rU{s.prefixes})", "a,al,ali,alic,alice"},
		{"$(rU{s.prefixes.quoted,2})", "'a','al'"},
		{"$(var(s){s.replace,.,-})", "abc-def-ghi"},
		{"$(var(ws){s.trim})", "a b\tc"},
		{"$(var(ws){s.ltrim})", "a b\tc  "},
		{"$(var(ws){s.rtrim})", "  a b\tc"},
		{"$(var(ws){s.rmws})", "abc"},
		{"$(ci{s.numeric})", "123"},
		{"$(fn{s.unquote})", "Bob B"},
		{"$(ct{s.select,0,;}{s.unbracket})", "sip:bob@10.0.0.2:5062"},
		{"$(rU{s.charat,1})", "l"},
		{"$(rU{s.byteat,0})", "97"},
		{"$(rU{s.charat,9})", ""},
		{"$(var(t){s.ftime,%Y})", "1970"},
		{"$(rU{s.len}{s.int})", "5"},
		// uri.*
		{"$(ru{uri.user})", "alice"},
		{"$(ru{uri.host})", "example.com"},
		{"$(ru{uri.domain})", "example.com"},
		{"$(ru{uri.passwd})", "pw"},
		{"$(ru{uri.pwd})", "pw"},
		{"$(ru{uri.port})", "5070"},
		{"$(fu{uri.port})", ""},
		{"$(ru{uri.params})", "transport=tcp;lr;user=phone"},
		{"$(ru{uri.param,user})", "phone"},
		{"$(ru{uri.param,nope})", ""},
		{"$(ru{uri.headers})", "X=1"},
		{"$(ru{uri.transport})", "tcp"},
		{"$(ru{uri.lr})", ""},
		{"$(ru{uri.uparam})", "phone"},
		{"$(ru{uri.scheme})", "sip"},
		{"$(ru{uri.saor})", "alice@example.com"},
		{"$(ru{uri.suri})", "sip:alice:pw@example.com:5070"},
		{"$(ru{uri.rmparam,lr})", "sip:alice:pw@example.com:5070;transport=tcp;user=phone?X=1"},
		{"$(var(u){uri.ttl}{s.len})", "0"},
		{"$(var(u){uri.maddr})", ""},
		{"$(var(u){uri.method})", ""},
		{"$(var(u){uri.r2})", ""},
		{"$(var(s){uri.user})", ""}, // not a URI: fails
		{"$(ct{s.select,0,;}{uri.host})", "10.0.0.2"},
		// param.*
		{"$(var(p){param.value,b})", "q v"},
		{"$(var(p){param.value,c})", "3"},
		{"$(var(p){param.value,zz})", ""},
		{"$(var(p){param.name,1})", "b"},
		{"$(var(p){param.valueat,-1})", "3"},
		{"$(var(p){param.count})", "3"},
		{"$(var(p){param.in,zz})", "0"},
		{"$(var(p){param.in,A})", "1"},
		{"$(var(pc){param.count,,})", "2"},
		{"$(var(pc){param.name,1,,})", "b"},
		{"$(var(pc){param.value,b,,})", "2"},
		// nameaddr.*
		{"$(hdr(From){nameaddr.name})", `"Bob B" `},
		{"$(hdr(From){nameaddr.uri})", "sip:bob@b.example.org"},
		{"$(hdr(From){nameaddr.len})", "31"},
		{"$(var(u){nameaddr.uri})", "sip:u@h"},
		// tobody.*
		{"$(hdr(From){tobody.uri})", "sip:bob@b.example.org"},
		{"$(hdr(From){tobody.display})", `"Bob B"`},
		{"$(hdr(From){tobody.tag})", "ft1"},
		{"$(hdr(From){tobody.user})", "bob"},
		{"$(hdr(From){tobody.host})", "b.example.org"},
		{"$(hdr(From){tobody.params})", "tag=ft1"},
		{"$(var(tb){tobody.params})", "tag=ft1;x=y"},
		{"$(var(s){tobody.uri})", ""},
		// line.*
		{"$(var(l){line.count})", "3"},
		{"$(var(l){line.at,1})", "l2"},
		{"$(var(l){line.at,-1})", "l3"},
		{"$(var(l){line.at,5})", ""},
		{"$(var(l){line.sw,l3})", "l3"},
		{"$(var(l){line.sw,zz})", ""},
		// val.*, num.*
		{"$(hdr(X-No){val.n0})", "0"},
		{"$(hdr(X-No){val.ne})", ""},
		{"$(rU{val.n0})", "alice"},
		{"$(var(q){val.json})", `it's \"x\" \\ y`},
		{"$(var(num){num.fdigit})", "4"},
		{"$(var(num){num.ldigit})", "2"},
		// Parameters from PVs.
		{"$(rU{s.substr,$var(two),2})", "ic"},
		{"$(var(s){s.select,$(var(two){s.int}),.})", "ghi"},
		{"$(var(p){param.value,$(rm{s.substr,0,0}{s.len}{s.len})})", ""},
		// Chains and indexes together.
		{"$(hdr(X-Multi)[1]{s.toupper})", "C"},
		{"$(hdr(X-Multi)[*]{s.len})", "6"},
		// Null fails every transformation but val.*.
		{"$(hdr(X-No){s.len})", ""},
	})
}

func TestTransformationErrors(t *testing.T) {
	c := newCtx(t, inviteText)
	_, err := mustParse(t, "$(rU{s.int})").Get(c)
	if err == nil || !strings.Contains(err.Error(), `"alice" is not an integer`) || !strings.Contains(err.Error(), "$(rU{s.int})") {
		t.Errorf("s.int error = %v", err)
	}
	_, err = mustParse(t, "$(hdr(X-No){s.len})").Get(c)
	if err == nil || !strings.Contains(err.Error(), "null") {
		t.Errorf("s.len on null error = %v", err)
	}
	set(t, c, "$var(i)", module.StrValue("x"))
	_, err = mustParse(t, "$(rU{s.substr,$var(i),1})").Get(c)
	if err == nil || !strings.Contains(err.Error(), "not an integer") {
		t.Errorf("PV parameter error = %v", err)
	}
}

func TestTransformationNames(t *testing.T) {
	names := TransformationNames()
	if len(names) < 60 {
		t.Errorf("only %d transformations", len(names))
	}
	for _, n := range names {
		if !strings.Contains(n, ".") {
			t.Errorf("odd transformation name %q", n)
		}
	}
}
