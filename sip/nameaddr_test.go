package sip

import (
	"strings"
	"testing"
)

// Valid name-addr / addr-spec values. Most are header values of the RFC
// 4475 and RFC 5118 torture messages (file named in the comment).
var nameAddrGood = []struct {
	in      string
	display string // "-" for nil
	uri     string
	angle   bool
	params  string
	tag     string
}{
	{`"Alice" <sip:alice@atlanta.example.com>;tag=1928301774`, `"Alice"`, "sip:alice@atlanta.example.com", true, ";tag=1928301774", "1928301774"},
	{`Bob <sips:bob@biloxi.example.com>`, "Bob", "sips:bob@biloxi.example.com", true, "", ""},
	{`<sip:carol@chicago.example.com>`, "-", "sip:carol@chicago.example.com", true, "", ""},
	{`sip:alice@atlanta.example.com;tag=88sja8x`, "-", "sip:alice@atlanta.example.com", false, ";tag=88sja8x", "88sja8x"},
	// wsinv.dat: LWS and line folding everywhere, escaped quotes
	{"sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", "-", "sip:vivekg@chair-dnrc.example.com", false, ";   tag    = 1918181833n", "1918181833n"},
	{"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8", `"J Rosenberg \\\""`, "sip:jdrosen@example.com", true, ";\r\n  tag = 98asjd8", "98asjd8"},
	{"\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33", `"Quoted string \"\""`, "sip:jdrosen@example.com", true, "; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33", ""},
	{"\r\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>", "-", "sip:services.example.com;lr;unknownwith=value;unknown-no-value", true, "", ""},
	// esc01.dat
	{"sip:%75se%72@example.com", "-", "sip:%75se%72@example.com", false, "", ""},
	{"<sip:I%20have%20spaces@example.net>;tag=938", "-", "sip:I%20have%20spaces@example.net", true, ";tag=938", "938"},
	{"\r\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>", "-", "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", true, "", ""},
	// escnull.dat
	{"sip:null-%00-null@example.com;tag=839923423", "-", "sip:null-%00-null@example.com", false, ";tag=839923423", "839923423"},
	{"<sip:%00@host5.example.com>", "-", "sip:%00@host5.example.com", true, "", ""},
	// lwsdisp.dat: no LWS before '<'
	{"caller<sip:caller@example.com>;tag=323", "caller", "sip:caller@example.com", true, ";tag=323", "323"},
	// intmeth.dat
	{"token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.", "token1~` token2'+_ token3*%!.-", "sip:mundane@example.com", true, ";fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.", "_token~1'+`*%!-."},
	{"\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>", "\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\"", "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", true, "", ""},
	// longreq.dat (shortened)
	{`"I have a user name of extremeextremeextreme proportion"<sip:user@example.com:6000;unknownparam1=verylonglongvalue;verylongParameterNameWithNoValue>`, `"I have a user name of extremeextremeextreme proportion"`, "sip:user@example.com:6000;unknownparam1=verylonglongvalue;verylongParameterNameWithNoValue", true, "", ""},
	// cparam01.dat: without <> the parameter is a header parameter
	{"sip:+19725552222@gw1.example.net;unknownparam", "-", "sip:+19725552222@gw1.example.net", false, ";unknownparam", ""},
	// cparam02.dat: inside <> it is a URI parameter
	{"<sip:+19725552222@gw1.example.net;unknownparam>", "-", "sip:+19725552222@gw1.example.net;unknownparam", true, "", ""},
	// regescrt.dat
	{"<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", "-", "sip:user@example.com?Route=%3Csip:sip.example.com%3E", true, "", ""},
	{`"Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423`, `"Bell, Alexander"`, "sip:a.g.bell@example.com", true, ";tag=433423", "433423"},
	// unksm2.dat: unknown schemes
	{"isbn:2983792873", "-", "isbn:2983792873", false, "", ""},
	{"<http://www.example.com>;tag=3234233", "-", "http://www.example.com", true, ";tag=3234233", "3234233"},
	{"<name:John_Smith>", "-", "name:John_Smith", true, "", ""},
	// RFC 5118
	{`"T. desk phone" <sip:ted@[::ffff:192.0.2.2]>`, `"T. desk phone"`, "sip:ted@[::ffff:192.0.2.2]", true, "", ""},
	{"sip:user@[2001:db8::10]", "-", "sip:user@[2001:db8::10]", false, "", ""},
	{"sip:user@[2001:db8::10]:5070;tag=x", "-", "sip:user@[2001:db8::10]:5070", false, ";tag=x", "x"},
	{`"Caller" <sip:caller@[2001:db8::1]>`, `"Caller"`, "sip:caller@[2001:db8::1]", true, "", ""},
	// Contact parameters seen in the field
	{`<sip:a@192.0.2.1:5060;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1;expires=3600`, "-", "sip:a@192.0.2.1:5060;ob", true, `;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1;expires=3600`, ""},
	{`<sip:a@b>;received=sip:192.0.2.1:5060;q=0.5`, "-", "sip:a@b", true, ";received=sip:192.0.2.1:5060;q=0.5", ""},
	{`"" <sip:a@b>`, `""`, "sip:a@b", true, "", ""},
	{`<tel:+1-201-555-0123>`, "-", "tel:+1-201-555-0123", true, "", ""},
	{`tel:+12015550123;tag=abc`, "-", "tel:+12015550123", false, ";tag=abc", "abc"},
	{"  <sip:a@b> \t", "-", "sip:a@b", true, "", ""},
	{`<sip:a@b>;tag=""`, "-", "sip:a@b", true, `;tag=""`, `""`},
}

var nameAddrBad = []struct{ in, err string }{
	{"", "empty value"},
	{"   ", "empty value"},
	{"*", "no URI"},
	{"Alice", "no URI"},
	{`"Mr. J. User <sip:j.user@example.com>`, "unterminated quoted display name"},                  // quotbal.dat
	{`Bell, Alexander <sip:a.g.bell@example.com>;tag=43`, "invalid character ',' in display name"}, // baddn.dat
	{`Watson, Thomas <sip:t.watson@example.org>`, "invalid character ',' in display name"},         // baddn.dat
	{`J@ne <sip:a@b>`, "invalid character '@' in display name"},
	{`foo bar:baz`, "invalid character ':' in display name"},
	{`"Joe" sip:joe@example.org`, "expected '<' after quoted display name"},
	{`"Joe"`, "expected '<' after quoted display name"},
	{"<sip:a@b", "missing '>'"},
	{"Bob <sip:a@b", "missing '>'"},
	{"<>", "empty URI in <>"},
	{"< \t>", "empty URI in <>"},
	{`"Watson, Thomas" < sip:t.watson@example.org >`, "whitespace between '<' and the URI"}, // badaspec.dat
	{`<sip:t.watson@example.org >`, "whitespace between the URI and '>'"},
	{"<\r\n sip:a@b>", "whitespace between '<' and the URI"},
	{"<sip:a@b> x", "unexpected 'x' after '>'"},
	{"<sip:a@b>x", "unexpected 'x' after '>'"},
	{"<sip:a@b><sip:c@d>", "unexpected '<' after '>'"},
	{"sip:a@b c", "unexpected 'c' after URI"},
	// regbadct.dat: '?' in a URI not enclosed in <>
	{"sip:user@example.com?Route=%3Csip:sip.example.com%3E", "URI containing '?' must be enclosed in <>"},
	{"sip:a@b,sip:c@d", "URI containing ',' must be enclosed in <>"},
	// semiuri.dat's URI without <>: its ';' ends the URI, the rest is not a parameter
	{"sip:user;par=u%40example.net@example.com", "must be enclosed in <>"},
	{"sip:a@b;maddr=x?y", "must be enclosed in <>"},
	// badinv01.dat
	{`"Joe" <sip:joe@example.org>;;;;`, "empty parameter"},
	{"<sip:a@b>;", "empty parameter"},
	{"<sip:a@b>;tag=1;", "empty parameter"},
	{"<sip:a@b>;=x", "invalid character '=' in parameter name"},
	{`<sip:a@b>;tag="abc`, "unterminated quoted parameter value"},
	{"<sip:a@b>;tag=", "empty parameter value"},
	{"<sip:a@b>;tag=a,b", "invalid character ',' in parameter value"},
	{"<sip:a@b>;tag=a b", "unexpected 'b' in parameters"},
	{"<sip:a b@c>", "in URI: invalid character ' ' in user part"},
	{"<sip:[::1>", "in URI: unterminated IPv6 reference"},
	{"<sip:user@example.com <sip:x@y>>", "in URI"},
	{"sip:2001:db8::10", "IPv6 address must be enclosed in []"}, // ipv6-bad.dat
}

func TestParseNameAddr(t *testing.T) {
	for _, tc := range nameAddrGood {
		n, err := ParseNameAddr([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseNameAddr(%q): %v", tc.in, err)
			continue
		}
		if tc.display == "-" {
			if n.Display != nil {
				t.Errorf("%q: Display = %q, want nil", tc.in, n.Display)
			}
		} else if string(n.Display) != tc.display {
			t.Errorf("%q: Display = %q, want %q", tc.in, n.Display, tc.display)
		}
		if string(n.URIRaw) != tc.uri {
			t.Errorf("%q: URIRaw = %q, want %q", tc.in, n.URIRaw, tc.uri)
		}
		if n.Angle != tc.angle {
			t.Errorf("%q: Angle = %v, want %v", tc.in, n.Angle, tc.angle)
		}
		if string(n.Params) != tc.params {
			t.Errorf("%q: Params = %q, want %q", tc.in, n.Params, tc.params)
		}
		if string(n.Tag()) != tc.tag {
			t.Errorf("%q: Tag() = %q, want %q", tc.in, n.Tag(), tc.tag)
		}
		u, err := ParseURI(n.URIRaw)
		if err != nil || !u.Equal(&n.URI) || string(n.URI.AppendTo(nil)) != tc.uri {
			t.Errorf("%q: URI field %+v does not match URIRaw", tc.in, n.URI)
		}
	}
}

func TestParseNameAddrErrors(t *testing.T) {
	for _, tc := range nameAddrBad {
		n, err := ParseNameAddr([]byte(tc.in))
		if err == nil {
			t.Errorf("ParseNameAddr(%q) = %+v, want error containing %q", tc.in, n, tc.err)
			continue
		}
		if !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "sip: bad name-addr ") {
			t.Errorf("ParseNameAddr(%q) error = %q, want it to contain %q", tc.in, err, tc.err)
		}
	}
}

func TestParseNameAddrErrorText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"Mr. J. User <sip:j.user@example.com>`, `sip: bad name-addr "\"Mr. J. User <sip:j.user@example.com>": unterminated quoted display name (at offset 0)`},
		{"Bell, Alexander <sip:a@b>", `sip: bad name-addr "Bell, Alexander <sip:a@b>": invalid character ',' in display name (it must be quoted) (at offset 4)`},
		// the offset of a URI error is translated to the header value
		{"Bob <sip:[::1>", `sip: bad name-addr "Bob <sip:[::1>": in URI: unterminated IPv6 reference (at offset 9)`},
	}
	for _, tc := range tests {
		_, err := ParseNameAddr([]byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseNameAddr(%q) error = %v, want %s", tc.in, err, tc.want)
		}
	}
}

func TestNameAddrTag(t *testing.T) {
	tests := []struct {
		in  string
		tag string
		nil bool
	}{
		{"<sip:a@b>", "", true},
		{"<sip:a@b;tag=uri>", "", true}, // a URI parameter is not the header's tag
		{"<sip:a@b>;TAG=x", "x", false},
		{"<sip:a@b>;tag", "", true},
		{"<sip:a@b>;foo=1;tag=2;tag=3", "2", false},
	}
	for _, tc := range tests {
		n, err := ParseNameAddr([]byte(tc.in))
		if err != nil {
			t.Fatalf("ParseNameAddr(%q): %v", tc.in, err)
		}
		tag := n.Tag()
		if string(tag) != tc.tag || (tag == nil) != tc.nil {
			t.Errorf("%q: Tag() = %#v, want %q", tc.in, tag, tc.tag)
		}
	}
}

func TestUnquoteDisplay(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, ``},
		{`Alice`, `Alice`},
		{`token1~` + "`" + ` token2`, `token1~` + "`" + ` token2`},
		{`"Alice"`, `Alice`},
		{`""`, ``},
		{`"J Rosenberg \\\""`, `J Rosenberg \"`},
		{`"Quoted string \"\""`, `Quoted string ""`},
		{`"a\b"`, `ab`},
		{`"`, `"`},
		{`"trailing\"`, `trailing\`},
	}
	for _, tc := range tests {
		if got := string(UnquoteDisplay([]byte(">"), []byte(tc.in))); got != ">"+tc.want {
			t.Errorf("UnquoteDisplay(%q) = %q, want %q", tc.in, got[1:], tc.want)
		}
	}
}

func TestNameAddrNoAlloc(t *testing.T) {
	ins := [][]byte{
		[]byte(`"Alice" <sip:alice@atlanta.example.com>;tag=1928301774`),
		[]byte("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"),
		[]byte(`<sip:a@192.0.2.1:5060;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1`),
	}
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		for _, in := range ins {
			n, err := ParseNameAddr(in)
			if err != nil {
				t.Fatal(err)
			}
			_ = n.Tag()
			buf = UnquoteDisplay(buf[:0], n.Display)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkParseNameAddr(b *testing.B) {
	in := []byte(`"Alice" <sip:alice@atlanta.example.com>;tag=1928301774`)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseNameAddr(in); err != nil {
			b.Fatal(err)
		}
	}
}
