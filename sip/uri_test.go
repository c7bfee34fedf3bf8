package sip

import (
	"bytes"
	"strings"
	"testing"
)

// uriWant lists the fields a test expects; "-" marks a nil slice where the
// difference between nil and empty matters.
type uriWant struct {
	scheme                                   Scheme
	user, password, host                     string
	port                                     uint16 // 0: HasPort false
	params, headers, opaque                  string
	transport, maddr, userParam, method, ttl string
	lr                                       bool
}

// Valid URIs. Many come from the RFC 4475 and RFC 5118 torture messages
// (file named in the comment); the rest cover RFC 3261 19.1 and the
// leniencies documented on ParseURI.
var uriGood = []struct {
	in   string
	want uriWant
}{
	{"sip:alice@example.com:5060;transport=tcp;lr", uriWant{scheme: SchemeSIP, user: "alice", host: "example.com", port: 5060, params: ";transport=tcp;lr", transport: "tcp", lr: true}},
	{"SIP:ALICE@AtLanTa.CoM;Transport=udp", uriWant{scheme: SchemeSIP, user: "ALICE", host: "AtLanTa.CoM", params: ";Transport=udp", transport: "udp"}},
	{"sips:bob@biloxi.com", uriWant{scheme: SchemeSIPS, user: "bob", host: "biloxi.com"}},
	{"sip:example.com", uriWant{scheme: SchemeSIP, host: "example.com"}},
	{"sip:example.com.", uriWant{scheme: SchemeSIP, host: "example.com."}},
	{"sip:alice:secret@host", uriWant{scheme: SchemeSIP, user: "alice", password: "secret", host: "host"}},
	{"sip:alice@192.0.2.4", uriWant{scheme: SchemeSIP, user: "alice", host: "192.0.2.4"}},
	{"sip:+1-212-555-1212:1234@gateway.com;user=phone", uriWant{scheme: SchemeSIP, user: "+1-212-555-1212", password: "1234", host: "gateway.com", params: ";user=phone", userParam: "phone"}},
	{"sip:host;maddr=239.255.255.1;ttl=15;method=REGISTER;user=ip", uriWant{scheme: SchemeSIP, host: "host", params: ";maddr=239.255.255.1;ttl=15;method=REGISTER;user=ip", maddr: "239.255.255.1", ttl: "15", method: "REGISTER", userParam: "ip"}},
	{"sip:h;transport=udp;transport=tcp", uriWant{scheme: SchemeSIP, host: "h", params: ";transport=udp;transport=tcp", transport: "udp"}},
	{"sip:h;transport", uriWant{scheme: SchemeSIP, host: "h", params: ";transport"}}, // transport empty, checked below
	{"sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", uriWant{scheme: SchemeSIP, host: "atlanta.com", params: ";method=REGISTER", method: "REGISTER", headers: "to=alice%40atlanta.com"}},
	{"sips:alice@atlanta.com?subject=project%20x&priority=urgent", uriWant{scheme: SchemeSIPS, user: "alice", host: "atlanta.com", headers: "subject=project%20x&priority=urgent"}},
	{"sip:h:65535", uriWant{scheme: SchemeSIP, host: "h", port: 65535}},
	{"sip:h:1", uriWant{scheme: SchemeSIP, host: "h", port: 1}},
	// esc01.dat
	{"sip:sips%3Auser%40example.com@example.net", uriWant{scheme: SchemeSIP, user: "sips%3Auser%40example.com", host: "example.net"}},
	{"sip:%75se%72@example.com", uriWant{scheme: SchemeSIP, user: "%75se%72", host: "example.com"}},
	{"sip:I%20have%20spaces@example.net", uriWant{scheme: SchemeSIP, user: "I%20have%20spaces", host: "example.net"}},
	{"sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", uriWant{scheme: SchemeSIP, user: "cal%6Cer", host: "host5.example.net", params: ";%6C%72;n%61me=v%61lue%25%34%31", lr: true}},
	// escnull.dat
	{"sip:null-%00-null@example.com", uriWant{scheme: SchemeSIP, user: "null-%00-null", host: "example.com"}},
	{"sip:%00@host5.example.com", uriWant{scheme: SchemeSIP, user: "%00", host: "host5.example.com"}},
	{"sip:%00%00@host5.example.com", uriWant{scheme: SchemeSIP, user: "%00%00", host: "host5.example.com"}},
	// semiuri.dat: the ';' before '@' belongs to the user part
	{"sip:user;par=u%40example.net@example.com", uriWant{scheme: SchemeSIP, user: "user;par=u%40example.net", host: "example.com"}},
	// intmeth.dat: '?' ',' ';' in the user part, marks in the password
	{"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com", uriWant{scheme: SchemeSIP, user: "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", password: "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", host: "example.com"}},
	{"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", uriWant{scheme: SchemeSIP, user: "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", host: "example.com"}},
	// wsinv.dat
	{"sip:vivekg@chair-dnrc.example.com;unknownparam", uriWant{scheme: SchemeSIP, user: "vivekg", host: "chair-dnrc.example.com", params: ";unknownparam"}},
	{"sip:services.example.com;lr;unknownwith=value;unknown-no-value", uriWant{scheme: SchemeSIP, host: "services.example.com", params: ";lr;unknownwith=value;unknown-no-value", lr: true}},
	// escruri.dat (headers are legal in a URI; the Request-URI rule is the message layer's)
	{"sip:user@example.com?Route=%3Csip:example.com%3E", uriWant{scheme: SchemeSIP, user: "user", host: "example.com", headers: "Route=%3Csip:example.com%3E"}},
	// longreq.dat (shortened)
	{"sip:user@example.com:6000;unknownparam1=verylonglonglongvalue;longparamnamenamename=shortvalue;verylongParameterNameWithNoValue", uriWant{scheme: SchemeSIP, user: "user", host: "example.com", port: 6000, params: ";unknownparam1=verylonglonglongvalue;longparamnamenamename=shortvalue;verylongParameterNameWithNoValue"}},
	// cparam01.dat
	{"sip:+19725552222@gw1.example.net;unknownparam", uriWant{scheme: SchemeSIP, user: "+19725552222", host: "gw1.example.net", params: ";unknownparam"}},
	// RFC 5118
	{"sip:[2001:db8::10]", uriWant{scheme: SchemeSIP, host: "[2001:db8::10]"}},                                    // ipv6-good
	{"sip:caller@[2001:db8::1]", uriWant{scheme: SchemeSIP, user: "caller", host: "[2001:db8::1]"}},               // ipv6-good
	{"sip:[2001:db8::10:5070]", uriWant{scheme: SchemeSIP, host: "[2001:db8::10:5070]"}},                          // port-ambiguous
	{"sip:[2001:db8::10]:5070", uriWant{scheme: SchemeSIP, host: "[2001:db8::10]", port: 5070}},                   // port-unambiguous
	{"sip:ted@[::ffff:192.0.2.2]", uriWant{scheme: SchemeSIP, user: "ted", host: "[::ffff:192.0.2.2]"}},           // ipv4-mapped-ipv6
	{"sip:user@[2001:db8::192.0.2.1]", uriWant{scheme: SchemeSIP, user: "user", host: "[2001:db8::192.0.2.1]"}},   // 4.10, 2 colons
	{"sip:user@[2001:db8:::192.0.2.1]", uriWant{scheme: SchemeSIP, user: "user", host: "[2001:db8:::192.0.2.1]"}}, // 4.10, 3 colons: tolerated
	{"sip:[::1]", uriWant{scheme: SchemeSIP, host: "[::1]"}},
	{"sip:[::]:5060", uriWant{scheme: SchemeSIP, host: "[::]", port: 5060}},
	{"sip:[1:2:3:4:5:6:7:8]", uriWant{scheme: SchemeSIP, host: "[1:2:3:4:5:6:7:8]"}},
	{"sip:[1:2:3:4:5:6:1.2.3.4]", uriWant{scheme: SchemeSIP, host: "[1:2:3:4:5:6:1.2.3.4]"}},
	{"sip:[FE80::1]:5061;transport=tls", uriWant{scheme: SchemeSIP, host: "[FE80::1]", port: 5061, params: ";transport=tls", transport: "tls"}},
	// lenient: '#' in user, '_' in host
	{"sip:*21#@pbx", uriWant{scheme: SchemeSIP, user: "*21#", host: "pbx"}},
	{"sip:asterisk_1.docker", uriWant{scheme: SchemeSIP, host: "asterisk_1.docker"}},
	// tel: (RFC 3966)
	{"tel:+1-201-555-0123", uriWant{scheme: SchemeTel, user: "+1-201-555-0123"}},
	{"tel:7042;phone-context=example.com", uriWant{scheme: SchemeTel, user: "7042", params: ";phone-context=example.com"}},
	{"tel:863-1234;phone-context=+1-914-555", uriWant{scheme: SchemeTel, user: "863-1234", params: ";phone-context=+1-914-555"}},
	{"TEL:*21#", uriWant{scheme: SchemeTel, user: "*21#"}},
	{"tel:(0)30.1234", uriWant{scheme: SchemeTel, user: "(0)30.1234"}},
	// other schemes (unkscm.dat, novelsc.dat, unksm2.dat)
	{"nobodyKnowsThisScheme:totallyopaquecontent", uriWant{opaque: "totallyopaquecontent"}},
	{"soap.beep://192.0.2.103:3002", uriWant{opaque: "//192.0.2.103:3002"}},
	{"isbn:2983792873", uriWant{opaque: "2983792873"}},
	{"http://www.example.com", uriWant{opaque: "//www.example.com"}},
	{"name:John_Smith", uriWant{opaque: "John_Smith"}},
	{"urn:service:sos", uriWant{opaque: "service:sos"}},
}

// Invalid URIs and a fragment of the expected error text.
var uriBad = []struct {
	in, err string
}{
	{"", "empty URI"},
	{"sip", "missing scheme"},
	{"<sip:user@example.com>", "must not be enclosed in <>"}, // ltgtruri.dat
	{"sip:user@example.com ", "invalid character ' ' after host"},
	{"sip:user@ex ample.com", "invalid character ' ' after host"},
	{"sip:user name@host", "invalid character ' ' in user part"},
	{"sip:user@host>", "invalid character '>' after host"},
	{"sip:user@exa<mple.com", "invalid character '<' after host"},
	{"1sip:host", "scheme must start with a letter"},
	{"s p:host", "invalid character ' ' in scheme"},
	{"sip:[::1", "unterminated IPv6 reference"},
	{"sip:2001:db8::10", "IPv6 address must be enclosed in []"}, // ipv6-bad
	{"sip:user@2001:db8::1", "IPv6 address must be enclosed in []"},
	{"sip:fe80::1", "IPv6 address must be enclosed in []"},
	{"sip:[]", "empty address"},
	{"sip:[2001:db8::1::2]", "'::' appears more than once"},
	{"sip:[1:2:3:4:5:6:7:8:9]", "too many groups"},
	{"sip:[2001:db8:1]", "too few groups"},
	{"sip:[1:2:3:4:5:6:7:8::]", "'::' stands for no group"},
	{"sip:[12345::1]", "longer than 4 hex digits"},
	{"sip:[::g]", "invalid character 'g'"},
	{"sip:[:1::2]", "starts with a single ':'"},
	{"sip:[1::2:]", "ends with a single ':'"},
	{"sip:[1:::2]", "':::'"},
	{"sip:[::ffff:300.1.1.1]", "bad embedded IPv4 address"},
	{"sip:[1:2:3:4:5:6:7:1.2.3.4]", "too many groups before the IPv4 part"},
	{"sip:[2001:db8::1]x", "invalid character 'x' after host"},
	{"sip:[2001:db8::1%25eth0]", "invalid character '%'"},
	{"sip:host:0", "port out of range"},
	{"sip:host:65536", "port out of range"},
	{"sip:host:99999999999999999999", "port out of range"},
	{"sip:host:", "empty port"},
	{"sip:host:;lr", "empty port"},
	{"sip:host:12a", "invalid character 'a' in port"},
	{"sip:host:5060:5061", "invalid character ':' in port"},
	{"sip:@host", "empty user part before '@'"},
	{"sip::pw@host", "empty user part before ':'"},
	{"sip:user:pa:ss@host", "invalid character ':' in password"},
	{"sip:user@", "missing host"},
	{"sip:user@:5060", "missing host"},
	{"sip:;lr", "missing host"},
	{"sip:user@ho/st", "invalid character '/' after host"},
	{"sip:a..b", "empty label"},
	{"sip:.a", "starts with '.'"},
	{"sip:user@host;;lr", "empty parameter name"},
	{"sip:user@host;lr;", "empty parameter name"},
	{"sip:user@host;=x", "empty parameter name"},
	{"sip:host;a=b c", "invalid character ' ' in parameter value"},
	{"sip:host;a=\"b\"", "invalid character '\"' in parameter value"},
	{"sip:host;a=%", "bad %-escape in parameter value"},
	{"sip:u@host;a@b=c", "invalid character '@' in parameter name"},
	{"sip:host?", "empty header part"},
	{"sip:host?a=b c", "invalid character ' ' in headers"},
	{"sip:host?a=%2", "bad %-escape in headers"},
	{"sip:%zz@host", "bad %-escape in user part"},
	{"sip:user%2@host", "bad %-escape in user part"},
	{"sip:us\x00er@host", "invalid character byte 0x00 in user part"},
	{"sip:us\xc3\xa9r@host", "invalid character byte 0xc3 in user part"},
	{"sip:us[er@host", "invalid character '[' in user part"},
	{"tel:", "no digits"},
	{"tel:;phone-context=x", "no digits"},
	{"tel:+1a23", "only hold decimal digits"},
	{"tel:12 34", "invalid character ' ' in telephone number"},
	{"tel:1+2", "invalid character '+' in telephone number"},
	{"tel:1234?x=y", "invalid character '?' in telephone number"},
	{"tel:1234;;a=b", "empty parameter name"},
	{"foo:", "empty URI after scheme"},
	{"foo:a b", "invalid character ' '"},
	{"foo:<a>", "invalid character '<'"},
}

func checkURI(t *testing.T, in string, u *URI, w uriWant) {
	t.Helper()
	str := func(name, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%q: %s = %q, want %q", in, name, got, want)
		}
	}
	if u.Scheme != w.scheme {
		t.Errorf("%q: Scheme = %v, want %v", in, u.Scheme, w.scheme)
	}
	str("User", string(u.User), w.user)
	str("Password", string(u.Password), w.password)
	str("Host", string(u.Host), w.host)
	str("Params", string(u.Params), w.params)
	str("Headers", string(u.Headers), w.headers)
	str("Opaque", string(u.Opaque), w.opaque)
	str("Transport", string(u.Transport), w.transport)
	str("MAddr", string(u.MAddr), w.maddr)
	str("UserParam", string(u.UserParam), w.userParam)
	str("Method", string(u.Method), w.method)
	str("TTL", string(u.TTL), w.ttl)
	if u.Port != w.port || u.HasPort != (w.port != 0) {
		t.Errorf("%q: Port = %d/%v, want %d", in, u.Port, u.HasPort, w.port)
	}
	if u.LR != w.lr {
		t.Errorf("%q: LR = %v, want %v", in, u.LR, w.lr)
	}
	wantHasUser := w.user != "" || w.scheme == SchemeTel
	if u.HasUser != wantHasUser {
		t.Errorf("%q: HasUser = %v, want %v", in, u.HasUser, wantHasUser)
	}
	if w.scheme == SchemeUnknown {
		scheme, _, _ := strings.Cut(in, ":")
		str("SchemeRaw", string(u.SchemeRaw), scheme)
	}
}

func TestParseURI(t *testing.T) {
	for _, tc := range uriGood {
		u, err := ParseURI([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tc.in, err)
			continue
		}
		checkURI(t, tc.in, &u, tc.want)
	}
}

func TestParseURIErrors(t *testing.T) {
	for _, tc := range uriBad {
		u, err := ParseURI([]byte(tc.in))
		if err == nil {
			t.Errorf("ParseURI(%q) = %+v, want error containing %q", tc.in, u, tc.err)
			continue
		}
		if !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseURI(%q) error = %q, want it to contain %q", tc.in, err, tc.err)
		}
		if !strings.HasPrefix(err.Error(), "sip: bad URI ") {
			t.Errorf("ParseURI(%q) error = %q, want the \"sip: bad URI\" prefix", tc.in, err)
		}
	}
}

func TestParseURIErrorText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sip:[::1", `sip: bad URI "sip:[::1": unterminated IPv6 reference (at offset 4)`},
		{"sip:alice@host:70000", `sip: bad URI "sip:alice@host:70000": port out of range (1-65535) (at offset 15)`},
		{"", `sip: bad URI "": empty URI`},
		{"sip:" + strings.Repeat("a", 200) + " ", `sip: bad URI "sip:` + strings.Repeat("a", 116) + `...": invalid character ' ' after host (at offset 204)`},
	}
	for _, tc := range tests {
		_, err := ParseURI([]byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseURI(%q) error = %v, want %s", tc.in, err, tc.want)
		}
	}
}

// TestParseURINilVersusEmpty checks the cases where a present but empty
// part must not read as absent.
func TestParseURINilVersusEmpty(t *testing.T) {
	u, err := ParseURI([]byte("sip:alice:@host;transport;lr"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Password == nil || len(u.Password) != 0 {
		t.Errorf("Password = %#v, want empty non-nil", u.Password)
	}
	if u.Transport == nil || len(u.Transport) != 0 {
		t.Errorf("Transport = %#v, want empty non-nil", u.Transport)
	}
	if u.MAddr != nil || u.Headers != nil {
		t.Errorf("MAddr = %#v, Headers = %#v, want nil", u.MAddr, u.Headers)
	}
	u, err = ParseURI([]byte("sip:alice@host"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Password != nil {
		t.Errorf("Password = %#v, want nil", u.Password)
	}
}

func TestURIAliasesInput(t *testing.T) {
	in := []byte("sip:alice@example.com;transport=tcp?h=v")
	u, err := ParseURI(in)
	if err != nil {
		t.Fatal(err)
	}
	in[4] = 'A'
	in[len(in)-1] = 'W'
	if string(u.User) != "Alice" || string(u.Headers) != "h=W" {
		t.Errorf("User %q, Headers %q: the URI does not alias its input", u.User, u.Headers)
	}
}

func TestURIAppendTo(t *testing.T) {
	for _, tc := range uriGood {
		u, err := ParseURI([]byte(tc.in))
		if err != nil {
			continue // reported by TestParseURI
		}
		if got := string(u.AppendTo(nil)); got != tc.in {
			t.Errorf("AppendTo(ParseURI(%q)) = %q", tc.in, got)
		}
	}
	// A port with leading zeros is normalised.
	u, _ := ParseURI([]byte("sip:h:05060"))
	if got := u.String(); got != "sip:h:5060" {
		t.Errorf("String() = %q, want sip:h:5060", got)
	}
	// URIs built by hand.
	built := []struct {
		u    URI
		want string
	}{
		{URI{Scheme: SchemeSIP, User: []byte("bob"), HasUser: true, Host: []byte("h"), Port: 5070, HasPort: true, Params: Params("transport=tcp")}, "sip:bob@h:5070;transport=tcp"},
		{URI{Scheme: SchemeSIPS, Host: []byte("[::1]"), Headers: []byte("a=b")}, "sips:[::1]?a=b"},
		{URI{Scheme: SchemeSIP, User: []byte("u"), Password: []byte("p"), Host: []byte("h")}, "sip:u:p@h"},
		{URI{Scheme: SchemeTel, User: []byte("+123"), Params: Params(";ext=1")}, "tel:+123;ext=1"},
		{URI{SchemeRaw: []byte("urn"), Opaque: []byte("service:sos")}, "urn:service:sos"},
	}
	for _, tc := range built {
		if got := tc.u.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestURIHostIsIPv6(t *testing.T) {
	for in, want := range map[string]bool{
		"sip:[::1]:5060": true, "sip:u@[2001:db8::1]": true, "sip:192.0.2.1": false, "sip:h": false, "tel:123": false,
	} {
		u, err := ParseURI([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if u.HostIsIPv6() != want {
			t.Errorf("%q: HostIsIPv6() = %v", in, !want)
		}
	}
}

func TestURIParam(t *testing.T) {
	u, err := ParseURI([]byte("sip:h;%6C%72;n%61me=v%61lue;Foo=Bar;empty=;flag"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, val string
		ok        bool
	}{
		{"lr", "", true},
		{"LR", "", true},
		{"name", "v%61lue", true},
		{"foo", "Bar", true},
		{"empty", "", true},
		{"flag", "", true},
		{"transport", "", false},
		{"n", "", false},
	}
	for _, tc := range tests {
		v, ok := u.Param(tc.name)
		if ok != tc.ok || string(v) != tc.val || (ok && v == nil) {
			t.Errorf("Param(%q) = %q, %v; want %q, %v", tc.name, v, ok, tc.val, tc.ok)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"%75se%72", "user"},
		{"sips%3Auser%40example.com", "sips:user@example.com"},
		{"null-%00-null", "null-\x00-null"},
		{"v%61lue%25%34%31", "value%41"},
		{"bad%zz%4", "bad%zz%4"},
		{"%e4%B8%AD", "\xe4\xb8\xad"},
	}
	for _, tc := range tests {
		if got := string(Unescape([]byte("x"), []byte(tc.in))); got != "x"+tc.want {
			t.Errorf("Unescape(%q) = %q, want %q", tc.in, got[1:], tc.want)
		}
	}
}

func TestURIEqual(t *testing.T) {
	tests := []struct {
		a, b string
		eq   bool
	}{
		// RFC 3261 19.1.4, equivalent URIs
		{"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true},
		{"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true},
		{"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true},
		{"sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true},
		// RFC 3261 19.1.4, non-equivalent URIs
		{"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false}, // different usernames
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},                              // different ports
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false},                     // different transports
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false},
		{"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false}, // different header component
		{"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
		// more
		{"sip:alice@atlanta.com", "sips:alice@atlanta.com", false},
		{"sip:Alice@h", "sip:alice@h", false},
		{"sip:alice:pw@h", "sip:alice@h", false},
		{"sip:alice:@h", "sip:alice@h", false},
		{"sip:alice:PW@h", "sip:alice:pw@h", false},
		{"sip:alice:p%77@h", "sip:alice:pw@h", true},
		{"sip:a%3Bb@h", "sip:a;b@h", false}, // an escaped reserved character is not the character
		{"sip:a%3bb@h", "sip:a%3Bb@h", true},
		{"sip:h", "sip:u@h", false},
		{"sip:h:5060", "sip:h:5060", true},
		{"sip:h:5060", "sip:h:05060", true},
		{"sip:h:5060", "sip:h:5061", false},
		{"sip:h;maddr=x", "sip:h", false},
		{"sip:h;ttl=1", "sip:h", false},
		{"sip:h;user=phone", "sip:h", false},
		{"sip:h;method=INVITE", "sip:h;method=invite", true},
		{"sip:h;maddr=X.example", "sip:h;maddr=x.example", true},
		{"sip:h;lr", "sip:h", true},
		{"sip:h;lr", "sip:h;lr=on", false},
		{"sip:h;foo=a", "sip:h;foo=b", false},
		{"sip:h;foo=a", "sip:h;FOO=A", true},
		{"sip:h;%6C%72=x", "sip:h;lr=x", true},
		{"sip:h;foo=a;foo=b", "sip:h;foo=a", true}, // the first of a repeated parameter counts
		{"sip:h;tra%6Esport=tcp", "sip:h", false},
		{"sip:h?a=b", "sip:h?A=B", true},
		{"sip:h?a=b", "sip:h?a=b&c=d", false},
		{"sip:h?a=b&c=d", "sip:h?c=d&a=b", true},
		{"sip:[2001:db8::1]", "sip:[2001:DB8:0:0::1]", true},
		{"sip:[::ffff:192.0.2.1]", "sip:[::ffff:c000:201]", true},
		{"sip:[2001:db8:::192.0.2.1]", "sip:[2001:db8::c000:201]", true},
		{"sip:[2001:db8::1]", "sip:[2001:db8::2]", false},
		// tel: RFC 3966 4
		{"tel:+1-201-555-0123", "tel:+12015550123", true},
		{"tel:+1-201-555-0123", "tel:+1-201-555-0124", false},
		{"tel:7042;phone-context=example.com", "tel:7042;phone-context=EXAMPLE.com", true},
		{"tel:7042;phone-context=example.com", "tel:7042", false},
		{"tel:7042;a=1;b=2", "tel:7042;b=2;a=1", true},
		{"tel:12ab", "tel:12AB", true},
		{"tel:123", "sip:123@h", false},
		// other schemes
		{"urn:service:sos", "URN:service:sos", true},
		{"urn:service:sos", "urn:service:SOS", false},
		{"urn:service:sos", "name:service:sos", false},
	}
	for _, tc := range tests {
		a, err := ParseURI([]byte(tc.a))
		if err != nil {
			t.Fatalf("ParseURI(%q): %v", tc.a, err)
		}
		b, err := ParseURI([]byte(tc.b))
		if err != nil {
			t.Fatalf("ParseURI(%q): %v", tc.b, err)
		}
		if got := a.Equal(&b); got != tc.eq {
			t.Errorf("%q.Equal(%q) = %v, want %v", tc.a, tc.b, got, tc.eq)
		}
		if got := b.Equal(&a); got != tc.eq {
			t.Errorf("%q.Equal(%q) = %v, want %v", tc.b, tc.a, got, tc.eq)
		}
		if !a.Equal(&a) || !b.Equal(&b) {
			t.Errorf("Equal is not reflexive for %q or %q", tc.a, tc.b)
		}
	}
}

func TestParseIPv6Value(t *testing.T) {
	tests := []struct {
		in   string
		want [16]byte
	}{
		{"::", [16]byte{}},
		{"::1", [16]byte{15: 1}},
		{"1::", [16]byte{1: 1}},
		{"2001:db8::10:5070", [16]byte{0x20, 0x01, 0x0d, 0xb8, 12: 0x00, 13: 0x10, 14: 0x50, 15: 0x70}},
		{"::ffff:192.0.2.2", [16]byte{10: 0xff, 11: 0xff, 12: 192, 13: 0, 14: 2, 15: 2}},
		{"2001:db8:::192.0.2.1", [16]byte{0x20, 0x01, 0x0d, 0xb8, 12: 192, 13: 0, 14: 2, 15: 1}},
		{":::1.2.3.4", [16]byte{12: 1, 13: 2, 14: 3, 15: 4}},
		{"1:2:3:4:5:6:7:8", [16]byte{0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
	}
	for _, tc := range tests {
		got, reason := parseIPv6([]byte(tc.in))
		if reason != "" || got != tc.want {
			t.Errorf("parseIPv6(%q) = %v, %q; want %v", tc.in, got, reason, tc.want)
		}
	}
}

func TestURINoAlloc(t *testing.T) {
	in := []byte("sip:alice:pw@example.com:5060;transport=tcp;lr;maddr=x;%6C%72?h=v")
	v6 := []byte("sip:user@[2001:db8:::192.0.2.1]:5070;method=INVITE;ttl=3;user=phone")
	tel := []byte("tel:+1-201-555-0123;phone-context=x")
	other := []byte("urn:service:sos")
	a, _ := ParseURI(in)
	b, _ := ParseURI(in)
	c, _ := ParseURI(v6)
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		for _, x := range [][]byte{in, v6, tel, other} {
			if _, err := ParseURI(x); err != nil {
				t.Fatal(err)
			}
		}
		if !a.Equal(&b) || !c.Equal(&c) {
			t.Fatal("not equal")
		}
		buf = a.AppendTo(buf[:0])
		if _, ok := a.Param("maddr"); !ok {
			t.Fatal("no maddr")
		}
		buf = Unescape(buf[:0], a.User)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkParseURI(b *testing.B) {
	in := []byte("sip:alice@example.com:5060;transport=tcp;lr")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseURI(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkURIEqual(b *testing.B) {
	x, _ := ParseURI([]byte("sip:%61lice@atlanta.com;transport=TCP;lr"))
	y, _ := ParseURI([]byte("sip:alice@AtLanTa.CoM;Transport=tcp;lr"))
	b.ReportAllocs()
	for b.Loop() {
		if !x.Equal(&y) {
			b.Fatal("not equal")
		}
	}
}

func BenchmarkURIAppendTo(b *testing.B) {
	u, _ := ParseURI([]byte("sip:alice@example.com:5060;transport=tcp;lr"))
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = u.AppendTo(buf[:0])
	}
	if !bytes.Equal(buf, []byte("sip:alice@example.com:5060;transport=tcp;lr")) {
		b.Fatal(string(buf))
	}
}

// TestURIEqualManyParams: a URI with a huge parameter list must not make
// Equal quadratic.
func TestURIEqualManyParams(t *testing.T) {
	many := "sip:h" + strings.Repeat(";a", 30000)
	a, err := ParseURI([]byte(many))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParseURI([]byte(strings.ToUpper(many[:5]) + many[5:]))
	c, _ := ParseURI([]byte(many + ";b"))
	if !a.Equal(&b) || a.Equal(&c) {
		t.Error("large parameter lists compare wrongly")
	}
	hdrs := "sip:h?" + strings.Repeat("a=b&", 30000) + "c=d"
	d, err := ParseURI([]byte(hdrs))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Equal(&d) {
		t.Error("large header list not equal to itself")
	}
	small := []struct{ a, b string }{
		{"sip:h" + strings.Repeat(";x", 32), "sip:h" + strings.Repeat(";x", 32)},
		{"sip:h;a;b;c", "sip:h;c;b;a"},
	}
	for _, tc := range small {
		x, _ := ParseURI([]byte(tc.a))
		y, _ := ParseURI([]byte(tc.b))
		if !x.Equal(&y) {
			t.Errorf("%q != %q", tc.a, tc.b)
		}
	}
}
