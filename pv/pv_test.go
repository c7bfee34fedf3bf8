package pv

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// The expected values below were checked against Kamailio 5.6 with the
// same message and an xlog per line (see README.md, "Testing").

const inviteText = `INVITE sip:alice:pw@example.com:5070;transport=tcp;lr;user=phone?X=1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1;rport
Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK2, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK3
From: "Bob B" <sip:bob@b.example.org>;tag=ft1
To: <sip:alice@example.com>
Call-ID: cid-123@host
CSeq: 10 INVITE
Contact: <sip:bob@10.0.0.2:5062>;expires=60
Max-Forwards: 70
User-Agent: test-ua/1.0
X-Multi: a, b
X-Multi: c
Authorization: Digest username="bob@dom.org", realm="b.example.org", nonce="n", uri="sip:x", response="r"
P-Asserted-Identity: "PAI" <sip:pai@example.net>
Content-Type: text/plain
Content-Length: 5

hello`

const optionsText = `OPTIONS sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1;rport
From: <sip:bob@b.example.org>;tag=ft1
To: <sip:alice@example.com>
Call-ID: cid-123@host
CSeq: 10 OPTIONS
Contact: "X" <sip:c@h:1>, <sip:d@h>
Content-Length: 0

`

const replyText = `SIP/2.0 486 Busy Here
Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1;rport=5999
From: "Bob B" <sip:bob@b.example.org>;tag=ft1
To: <sip:alice@example.com>;tag=tt9
Call-ID: cid-123@host
CSeq: 10 INVITE
Content-Length: 0

`

// newCtx parses text (LF line ends are turned into CRLF) into a message
// received over UDP from 192.0.2.1:34903 on 127.0.0.1:5060.
func newCtx(t testing.TB, text string) *module.Ctx {
	t.Helper()
	raw := strings.ReplaceAll(text, "\n", "\r\n")
	m := new(sip.Message)
	if err := m.Parse([]byte(raw), sip.Datagram); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return &module.Ctx{
		Msg: &core.Msg{
			Message: m,
			Proto:   transport.ProtoUDP,
			Remote:  netip.MustParseAddrPort("192.0.2.1:34903"),
			Local:   netip.MustParseAddrPort("127.0.0.1:5060"),
		},
		Vars:  map[string]module.Value{},
		AVPs:  map[string][]module.Value{},
		XAVPs: map[string][]map[string]module.Value{},
		Store: map[any]any{},
	}
}

// xlog expands format as xlog prints it.
func xlog(t testing.TB, c *module.Ctx, format string) string {
	t.Helper()
	f, err := ParseFormat(format, CoreLookup)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", format, err)
	}
	s, err := f.Eval(c)
	if err != nil {
		t.Fatalf("Eval(%q): %v", format, err)
	}
	return s
}

func mustParse(t testing.TB, text string) module.PV {
	t.Helper()
	v, err := Parse(text, CoreLookup)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return v
}

func set(t testing.TB, c *module.Ctx, text string, v module.Value) {
	t.Helper()
	p := mustParse(t, text)
	s, ok := p.(module.SettablePV)
	if !ok {
		t.Fatalf("%s is not settable", text)
	}
	if err := s.Set(c, v); err != nil {
		t.Fatalf("%s = %v: %v", text, v, err)
	}
}

type pvCase struct{ pv, want string }

func runCases(t *testing.T, c *module.Ctx, cases []pvCase) {
	t.Helper()
	for _, tc := range cases {
		if got := xlog(t, c, tc.pv); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.pv, got, tc.want)
		}
	}
}

func TestRequestClasses(t *testing.T) {
	c := newCtx(t, inviteText)
	c.RetCode = 1
	os.Setenv("OLELO_PV_TEST", "env-value")
	runCases(t, c, []pvCase{
		{"$ru", "sip:alice:pw@example.com:5070;transport=tcp;lr;user=phone?X=1"},
		{"$ruri", "sip:alice:pw@example.com:5070;transport=tcp;lr;user=phone?X=1"},
		{"$rU", "alice"},
		{"$rd", "example.com"},
		{"$rp", "5070"},
		{"$rP", "tcp"},
		{"$rz", "tel"}, // user=phone, as Kamailio
		{"$rv", "SIP/2.0"},
		{"$ou", "sip:alice:pw@example.com:5070;transport=tcp;lr;user=phone?X=1"},
		{"$oU", "alice"},
		{"$du", "<null>"},
		{"$fu", "sip:bob@b.example.org"},
		{"$from", "sip:bob@b.example.org"},
		{"$fU", "bob"},
		{"$fd", "b.example.org"},
		{"$fn", `"Bob B"`},
		{"$ft", "ft1"},
		{"$tu", "sip:alice@example.com"},
		{"$tU", "alice"},
		{"$td", "example.com"},
		{"$tn", "<null>"},
		{"$tt", "<null>"},
		{"$ci", "cid-123@host"},
		{"$cs", "10"},
		{"$csb", "10 INVITE"},
		{"$ct", "<sip:bob@10.0.0.2:5062>;expires=60"},
		{"$ctu", "sip:bob@10.0.0.2:5062"},
		{"$cT", "text/plain"},
		{"$cl", "5"},
		{"$ua", "test-ua/1.0"},
		{"$ai", "sip:pai@example.net"},
		{"$au", "bob"},
		{"$aU", "bob@dom.org"},
		{"$ad", "dom.org"},
		{"$ar", "b.example.org"},
		{"$adu", "sip:x"},
		{"$rm", "INVITE"},
		{"$rs", "<null>"},
		{"$rr", "<null>"},
		{"$mt", "1"},
		{"$rb", "hello"},
		{"$bs", "5"},
		{"$si", "192.0.2.1"},
		{"$siz", "192.0.2.1"},
		{"$sp", "34903"},
		{"$su", "sip:192.0.2.1:34903"},
		{"$sut", "sip:192.0.2.1:34903;transport=udp"},
		{"$Ri", "127.0.0.1"},
		{"$Rp", "5060"},
		{"$Ru", "sip:127.0.0.1:5060"},
		{"$pr", "udp"},
		{"$proto", "udp"},
		{"$prid", "1"},
		{"$af(name)", "IPv4"},
		{"$af(id)", "2"},
		{"$K(UDP)", "1"},
		{"$conid", "<null>"},
		{"$null", "<null>"},
		{"$rc", "1"},
		{"$retcode", "1"},
		{"$?", "1"},
		{"$env(OLELO_PV_TEST)", "env-value"},
		{"$env(OLELO_PV_NOPE)", "<null>"},
		{"$var(nope)", "0"},
		{"$vn(nope)", "<null>"},
		{"$avp(nope)", "<null>"},
		{"$xavp(a=>b)", "<null>"},
		{"$mf", "0"},
		{"$bf", "0"},
		{"$En$Et", "\n\t"},
		{"$hdr(X-Multi)", "a, b"},
		{"$hdr(x-multi)", "a, b"},
		{"$hdr(v)", "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1;rport"},
		{"$hdr(X-No)", "<null>"},
		{"$hdrc(X-Multi)", "2"},
		{"$hdrc(Via)", "2"},
		{"$hdrc(X-No)", "0"},
		{"$hflc(Via)", "3"},
		{"$(hfl(Via)[2])", "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK3"},
		{"$via0(host)", "127.0.0.1"},
		{"$via0(port)", "5999"},
		{"$via0(branch)", "z9hG4bK1"},
		{"$via0(rport)", ""},
		{"$via0(received)", "<null>"},
		{"$via1(host)", "10.0.0.1"},
		{"$via1(proto)", "TCP"},
		{"$viaZ(host)", "10.0.0.9"},
		{"$nh(d)", "example.com"},
		{"$msg(hdrc)", "15"},
		{"$msg(fline)", "INVITE sip:alice:pw@example.com:5070;transport=tcp;lr;user=phone?X=1 SIP/2.0\r\n"},
		{"$cnt($avp(nope))", "0"},
		{"$_s($rU@$rd)", "alice@example.com"},
	})
	if got, want := xlog(t, c, "$ml $msg(len)"), fmt.Sprintf("%d %d", c.Msg.Len(), c.Msg.Len()); got != want {
		t.Errorf("$ml $msg(len) = %s, want %s", got, want)
	}
	if got := xlog(t, c, "$mb"); got != string(c.Msg.Bytes()) {
		t.Errorf("$mb = %q", got)
	}
}

func TestRequestDefaults(t *testing.T) {
	c := newCtx(t, optionsText)
	runCases(t, c, []pvCase{
		{"$rp", "5060"},
		{"$rP", "UDP"},
		{"$rz", "sip"},
		{"$rb", ""},
		{"$bs", "0"},
		{"$cl", "0"},
		{"$fn", "<null>"},
		{"$au", "<null>"},
		{"$hflc(Contact)", "2"},
		{"$(hfl(Contact)[1])", "<sip:d@h>"},
		{"$(hfl(Contact)[0])", `"X" <sip:c@h:1>`},
		{"$ct", `"X" <sip:c@h:1>, <sip:d@h>`},
		{"$ctu", "sip:c@h:1"},
	})
}

func TestReplyClasses(t *testing.T) {
	c := newCtx(t, replyText)
	runCases(t, c, []pvCase{
		{"$rs", "486"},
		{"$rr", "Busy Here"},
		{"$rm", "INVITE"},
		{"$mt", "2"},
		{"$tt", "tt9"},
		{"$ru", "<null>"},
		{"$rU", "<null>"},
		{"$au", "<null>"},
		{"$via0(rport)", "5999"},
	})
	v, err := mustParse(t, "$rs").Get(c)
	if err != nil || v.Kind != module.KindInt || v.Int != 486 {
		t.Errorf("$rs = %+v, %v; want int 486", v, err)
	}
}

func TestTypes(t *testing.T) {
	c := newCtx(t, inviteText)
	for _, tc := range []struct {
		pv   string
		kind module.Kind
	}{
		{"$sp", module.KindInt}, {"$Rp", module.KindInt}, {"$ml", module.KindInt},
		{"$cl", module.KindInt}, {"$rc", module.KindInt}, {"$Ts", module.KindInt},
		{"$hdrc(Via)", module.KindInt}, {"$(rU{s.len})", module.KindInt},
		{"$rp", module.KindStr}, {"$cs", module.KindStr}, {"$rm", module.KindStr},
		{"$si", module.KindStr}, {"$var(x)", module.KindInt}, {"$null", module.KindNull},
	} {
		v, err := mustParse(t, tc.pv).Get(c)
		if err != nil || v.Kind != tc.kind {
			t.Errorf("%s: kind %d (%+v, %v), want %d", tc.pv, v.Kind, v, err, tc.kind)
		}
	}
}

func TestNoMessage(t *testing.T) {
	// Timer and event routes may run without a message: reads give null.
	c := &module.Ctx{}
	for _, name := range []string{"$ru", "$rU", "$fu", "$si", "$hdr(Via)", "$rm", "$rs", "$mb", "$pr", "$via0(host)", "$au"} {
		v, err := mustParse(t, name).Get(c)
		if err != nil || !v.IsNull() {
			t.Errorf("%s without a message = %+v, %v; want null", name, v, err)
		}
	}
	if got := xlog(t, c, "$hdrc(Via)"); got != "0" {
		t.Errorf("$hdrc without a message = %s", got)
	}
}

func TestHeaderIndex(t *testing.T) {
	c := newCtx(t, inviteText)
	runCases(t, c, []pvCase{
		{"$(hdr(X-Multi)[0])", "a, b"},
		{"$(hdr(X-Multi)[1])", "c"},
		{"$(hdr(X-Multi)[-1])", "c"},
		{"$(hdr(X-Multi)[-2])", "a, b"},
		{"$(hdr(X-Multi)[5])", "<null>"},
		{"$(hdr(X-Multi)[-3])", "<null>"},
		{"$(hdr(X-Multi)[*])", "a, b,c"},
		{"$(hdr(X-No)[*])", "<null>"},
		{"$(hdr(Via)[*])", "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1;rport,SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK2, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK3"},
		// A short form takes no index inside a format: "[1]" is text.
		{"$hdr(X-Multi)[1]", "a, b[1]"},
		// An index on a class without several values is ignored.
		{"$(ru[3])", "sip:alice:pw@example.com:5070;transport=tcp;lr;user=phone?X=1"},
	})
	set(t, c, "$var(i)", module.IntValue(1))
	runCases(t, c, []pvCase{{"$(hdr(X-Multi)[$var(i)])", "c"}})
	// A whole PV may use the short form with an index.
	v, err := mustParse(t, "$hdr(X-Multi)[1]").Get(c)
	if err != nil || v.Str != "c" {
		t.Errorf("$hdr(X-Multi)[1] = %+v, %v", v, err)
	}
}

func TestDynamicName(t *testing.T) {
	c := newCtx(t, inviteText)
	set(t, c, "$var(h)", module.StrValue("User-Agent"))
	runCases(t, c, []pvCase{{"$hdr($var(h))", "test-ua/1.0"}})
	set(t, c, "$var(h)", module.StrValue("Call-ID"))
	runCases(t, c, []pvCase{{"$hdr($var(h))", "cid-123@host"}, {"$hdrc($var(h))", "1"}})
	set(t, c, "$var(n)", module.StrValue("dyn"))
	set(t, c, "$avp($var(n))", module.StrValue("v1"))
	runCases(t, c, []pvCase{{"$avp(dyn)", "v1"}, {"$(avp($var(n))[0])", "v1"}})
}

func TestRURIWrites(t *testing.T) {
	c := newCtx(t, optionsText)
	set(t, c, "$rU", module.StrValue("newuser"))
	set(t, c, "$rp", module.IntValue(6000))
	set(t, c, "$rd", module.StrValue("new.example.org"))
	runCases(t, c, []pvCase{
		{"$ru", "sip:newuser@new.example.org:6000"},
		{"$rU", "newuser"},
		{"$rp", "6000"},
		{"$ou", "sip:bob@example.com"},
	})
	if c.NewURI != "sip:newuser@new.example.org:6000" {
		t.Errorf("NewURI = %q", c.NewURI)
	}
	set(t, c, "$rp", module.Null)
	set(t, c, "$rU", module.Null)
	runCases(t, c, []pvCase{{"$ru", "sip:new.example.org"}, {"$rU", "<null>"}, {"$rp", "5060"}})
	set(t, c, "$ru", module.StrValue("sip:x@y;transport=tcp"))
	runCases(t, c, []pvCase{{"$rd", "y"}, {"$rP", "tcp"}, {"$(ru{uri.user})", "x"}})
	// Setting the received URI back clears the rewrite.
	set(t, c, "$ru", module.StrValue("sip:bob@example.com"))
	if c.NewURI != "" {
		t.Errorf("NewURI after restoring = %q", c.NewURI)
	}
	s := mustParse(t, "$ru").(module.SettablePV)
	for _, bad := range []module.Value{module.Null, module.StrValue(""), module.StrValue("not a uri")} {
		if err := s.Set(c, bad); err == nil {
			t.Errorf("$ru = %+v: no error", bad)
		}
	}
	if err := mustParse(t, "$rp").(module.SettablePV).Set(c, module.StrValue("99999")); err == nil {
		t.Error("$rp = 99999: no error")
	}
	if err := mustParse(t, "$rd").(module.SettablePV).Set(c, module.StrValue("")); err == nil {
		t.Error(`$rd = "": no error`)
	}
	// A reply has no Request-URI to change.
	r := newCtx(t, replyText)
	if err := mustParse(t, "$rU").(module.SettablePV).Set(r, module.StrValue("x")); err == nil {
		t.Error("$rU = x on a reply: no error")
	}
}

func TestDstURI(t *testing.T) {
	c := newCtx(t, optionsText)
	set(t, c, "$du", module.StrValue("sip:proxy.example.com:5080;transport=tcp"))
	runCases(t, c, []pvCase{
		{"$du", "sip:proxy.example.com:5080;transport=tcp"},
		{"$dd", "proxy.example.com"},
		{"$dp", "5080"},
		{"$dP", "tcp"},
		{"$nh(u)", "sip:proxy.example.com:5080;transport=tcp"},
		{"$nh(d)", "proxy.example.com"},
	})
	set(t, c, "$du", module.Null)
	runCases(t, c, []pvCase{{"$du", "<null>"}, {"$dd", "<null>"}, {"$nh(d)", "example.com"}})
	if err := mustParse(t, "$du").(module.SettablePV).Set(c, module.StrValue("bad uri")); err == nil {
		t.Error("$du = bad uri: no error")
	}
}

func TestVar(t *testing.T) {
	c := newCtx(t, optionsText)
	set(t, c, "$var(x)", module.StrValue("abc"))
	set(t, c, "$var(n)", module.IntValue(5))
	runCases(t, c, []pvCase{{"$var(x)", "abc"}, {"$var(n)", "5"}, {"$vz(x)", "abc"}})
	set(t, c, "$var(x)", module.Null)
	v, _ := mustParse(t, "$var(x)").Get(c)
	if v.Kind != module.KindInt || v.Int != 0 {
		t.Errorf("$var(x) after $null = %+v, want int 0", v)
	}
	set(t, c, "$vn(y)", module.StrValue("s"))
	set(t, c, "$vn(y)", module.Null)
	runCases(t, c, []pvCase{{"$vn(y)", "<null>"}, {"$var(y)", "0"}})
	// A Ctx without maps (built by hand) still accepts writes.
	bare := &module.Ctx{}
	set(t, bare, "$var(z)", module.IntValue(1))
	set(t, bare, "$avp(z)", module.IntValue(1))
	set(t, bare, "$xavp(z=>k)", module.IntValue(1))
	runCases(t, bare, []pvCase{{"$var(z)$avp(z)$xavp(z=>k)", "111"}})
}

func TestAVP(t *testing.T) {
	c := newCtx(t, optionsText)
	set(t, c, "$avp(x)", module.IntValue(1))
	set(t, c, "$avp(s:x)", module.StrValue("two"))
	set(t, c, "$avp(x)", module.IntValue(3))
	runCases(t, c, []pvCase{
		{"$avp(x)", "3"},
		{"$(avp(x)[0])", "3"},
		{"$(avp(x)[1])", "two"},
		{"$(avp(x)[2])", "1"},
		{"$(avp(x)[3])", "<null>"},
		{"$(avp(x)[-1])", "<null>"},
		{"$(avp(x)[*])", "3, two, 1"},
		{"$cnt($avp(x))", "3"},
	})
	if got := c.AVPs["x"][0]; got != module.IntValue(3) {
		t.Errorf("Ctx.AVPs index 0 = %+v, want the newest", got)
	}
	set(t, c, "$avp(x)", module.Null) // removes the newest only
	runCases(t, c, []pvCase{{"$avp(x)", "two"}, {"$(avp(x)[*])", "two, 1"}})
	set(t, c, "$(avp(x)[1])", module.StrValue("one"))
	runCases(t, c, []pvCase{{"$(avp(x)[*])", "two, one"}})
	set(t, c, "$(avp(x)[0])", module.Null)
	runCases(t, c, []pvCase{{"$(avp(x)[*])", "one"}})
	set(t, c, "$avp(x)", module.StrValue("n"))
	set(t, c, "$(avp(x)[*])", module.StrValue("z")) // replaces all
	runCases(t, c, []pvCase{{"$(avp(x)[*])", "z"}})
	set(t, c, "$(avp(x)[*])", module.Null) // deletes all
	runCases(t, c, []pvCase{{"$avp(x)", "<null>"}, {"$(avp(x)[*])", "<null>"}})
	if _, ok := c.AVPs["x"]; ok {
		t.Error("AVP x still in Ctx.AVPs")
	}
	if err := mustParse(t, "$(avp(x)[4])").(module.SettablePV).Set(c, module.IntValue(1)); err == nil {
		t.Error("$(avp(x)[4]) = 1 on an empty AVP: no error")
	}
}

func TestXAVP(t *testing.T) {
	c := newCtx(t, optionsText)
	set(t, c, "$xavp(r=>a)", module.StrValue("1"))
	set(t, c, "$xavp(r=>b)", module.StrValue("2"))
	set(t, c, "$xavp(r=>a)", module.StrValue("3"))
	// Each assignment without an index starts a new record (Kamailio).
	runCases(t, c, []pvCase{
		{"$xavp(r=>a)", "3"},
		{"$xavp(r=>b)", "<null>"},
		{"$xavp(r[1]=>b)", "2"},
		{"$xavp(r[-1]=>a)", "1"},
		{"$xavp(r=>a[1])", "<null>"},
		{"$xavp(r)", "<<xavp:r>>"},
		{"$xavp(q)", "<null>"},
		{"$cnt($xavp(r))", "3"},
	})
	set(t, c, "$xavp(r[0]=>c)", module.StrValue("4"))
	runCases(t, c, []pvCase{{"$xavp(r=>c)", "4"}, {"$xavp(r[0]=>a)", "3"}})
	set(t, c, "$xavp(r[0]=>c)", module.Null)
	runCases(t, c, []pvCase{{"$xavp(r=>c)", "<null>"}})
	set(t, c, "$xavp(r)", module.Null) // removes record 0
	runCases(t, c, []pvCase{{"$xavp(r=>a)", "<null>"}, {"$xavp(r=>b)", "2"}})
	set(t, c, "$xavp(r[*])", module.Null)
	runCases(t, c, []pvCase{{"$xavp(r)", "<null>"}})
	set(t, c, "$xavp(n[0]=>k)", module.StrValue("v")) // creates record 0
	runCases(t, c, []pvCase{{"$xavp(n=>k)", "v"}})
	if err := mustParse(t, "$xavp(n)").(module.SettablePV).Set(c, module.StrValue("v")); err == nil {
		t.Error("$xavp(n) = v: no error")
	}
	if err := mustParse(t, "$xavp(n[5]=>k)").(module.SettablePV).Set(c, module.StrValue("v")); err == nil {
		t.Error("$xavp(n[5]=>k) = v: no error")
	}
}

func TestFlagsAndRetCode(t *testing.T) {
	c := newCtx(t, optionsText)
	set(t, c, "$mf", module.IntValue(5))
	set(t, c, "$bf", module.StrValue("2"))
	if c.Flags != 5 || c.BranchFlags != 2 {
		t.Errorf("flags %d %d", c.Flags, c.BranchFlags)
	}
	c.RetCode = -2
	runCases(t, c, []pvCase{{"$mf $bf $rc", "5 2 -2"}})
	if _, ok := mustParse(t, "$rc").(module.SettablePV); ok {
		t.Error("$rc is settable")
	}
}

func TestTime(t *testing.T) {
	c := newCtx(t, optionsText)
	ts := xlog(t, c, "$Ts")
	if ts2 := xlog(t, c, "$TV(s)"); ts2 != ts {
		t.Errorf("$TV(s) %s != $Ts %s", ts2, ts)
	}
	for _, f := range []string{"$TS", "$Tf", "$TF", "$Tb", "$TV(u)", "$TV(sn)", "$TV(un)", "$TV(Sn)",
		"$time(sec)", "$time(min)", "$time(hour)", "$time(mday)", "$time(mon)", "$time(year)",
		"$time(wday)", "$time(yday)", "$time(isdst)", "$utime(hour)", "$timef(%Y-%m-%d)", "$utimef(%H:%M)"} {
		if got := xlog(t, c, f); got == "" || got == "<null>" {
			t.Errorf("%s = %q", f, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"$foo", "unknown pseudo-variable $foo"},
		{"$rU.", "unknown pseudo-variable $rU."},
		{"$", "must start a pseudo-variable"},
		{"$ (", "does not start a pseudo-variable"},
		{"$hdr(X", "missing ')'"},
		{"$(hdr(X)", "expected ')'"},
		{"$(hdr(X)[x])", "index [x] is not an integer"},
		{"$(hdr(X)[1)", "missing ']'"},
		{"$(ru{s.nope})", "unknown transformation {s.nope}"},
		{"$(ru{s.substr,1})", "needs 2 parameter(s)"},
		{"$(ru{s.substr,a,1})", `"a" is not an integer`},
		{"$(ru{s.len,1})", "takes at most 0 parameters"},
		{"$(ru{s.len", "missing '}'"},
		{"$hdr()", "needs a name"},
		{"$hdr(a b)", "bad header name"},
		{"$ru(x)", "takes no name"},
		{"$TV(zz)", "unknown name"},
		{"$ru x", "unexpected"},
		{"$xavp(=>k)", "missing name"},
		{"$hdr($var(a)b)", "single pseudo-variable"},
		{"$cnt(x)", "want $avp(name)"},
	} {
		_, err := Parse(tc.text, CoreLookup)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tc.text, err, tc.want)
		}
	}
	if _, err := Parse("$ru", nil); err == nil {
		t.Error("Parse with a nil lookup: no error")
	}
}

func TestSettable(t *testing.T) {
	for _, tc := range []struct {
		text     string
		settable bool
	}{
		{"$ru", true}, {"$rU", true}, {"$rd", true}, {"$rp", true}, {"$du", true},
		{"$var(x)", true}, {"$avp(x)", true}, {"$xavp(x=>y)", true}, {"$mf", true},
		{"$(avp(x)[*])", true},
		{"$(ru{s.len})", false}, {"$(var(x){s.len})", false},
		{"$si", false}, {"$hdr(X)", false}, {"$fu", false}, {"$rc", false},
	} {
		_, ok := mustParse(t, tc.text).(module.SettablePV)
		if ok != tc.settable {
			t.Errorf("%s settable = %v, want %v", tc.text, ok, tc.settable)
		}
	}
}

func TestFormat(t *testing.T) {
	c := newCtx(t, inviteText)
	f, err := ParseFormat("no pvs here: $$5", CoreLookup)
	if err != nil || !f.IsConst || f.Const != "no pvs here: $5" {
		t.Fatalf("constant format: %+v, %v", f, err)
	}
	empty, err := ParseFormat("", CoreLookup)
	if err != nil || !empty.IsConst || empty.Const != "" {
		t.Fatalf("empty format: %+v, %v", empty, err)
	}
	runCases(t, c, []pvCase{
		{"$rm from $fu to $ru ($si:$sp)", "INVITE from sip:bob@b.example.org to sip:alice:pw@example.com:5070;transport=tcp;lr;user=phone?X=1 (192.0.2.1:34903)"},
		{"$rU@$rd", "alice@example.com"},
		{"$var(a)b", "0b"},
		{"[$hdr(X-No)]", "[<null>]"},
		// A failing PV prints nothing, the rest is printed.
		{"[$(hdr(X-No){s.len})][$(rU{s.int})][$rU]", "[][][alice]"},
		{"$$rU", "$rU"},
		{"cost: 5$$", "cost: 5$"},
		{"$(rU{s.len})", "5"},
		{"\n", "\n"},
	})
	for _, bad := range []string{"trailing $", "$ alone", "$foo", "a $(ru{s.x}) b"} {
		if _, err := ParseFormat(bad, CoreLookup); err == nil {
			t.Errorf("ParseFormat(%q): no error", bad)
		}
	}
	f, _ = ParseFormat("a$ru b$$", CoreLookup)
	if f.String() != "a$ru b$$" {
		t.Errorf("Format.String = %q", f.String())
	}
}

func TestModuleRegistration(t *testing.T) {
	m, ok := module.Lookup("pv")
	if !ok || !m.Core {
		t.Fatalf("pv module: %+v, %v", m, ok)
	}
	inst := m.New()
	prov, ok := inst.(module.PVProvider)
	if !ok {
		t.Fatal("pv instance is not a PVProvider")
	}
	names := map[string]bool{}
	for _, cl := range prov.PVs() {
		if cl.Doc == "" {
			t.Errorf("class %s has no Doc", cl.Name)
		}
		names[cl.Name] = true
	}
	for _, n := range []string{"ru", "rU", "hdr", "var", "avp", "xavp", "si", "rc", "retcode", "?", "null"} {
		if !names[n] {
			t.Errorf("class %s missing", n)
		}
	}
	if len(inst.Funcs()) == 0 {
		t.Error("no functions")
	}
}

func TestFuncs(t *testing.T) {
	c := newCtx(t, optionsText)
	funcs := map[string]module.Func{}
	for _, f := range pvFuncs() {
		funcs[f.Name] = f
	}
	arg := func(text string) []*module.Arg {
		return []*module.Arg{{Kind: module.ArgPV, PV: mustParse(t, text).(module.SettablePV)}}
	}
	if r := funcs["pv_isset"].Run(c, arg("$avp(x)")); r != -1 {
		t.Errorf("pv_isset on unset = %d", r)
	}
	set(t, c, "$avp(x)", module.IntValue(3))
	if r := funcs["pv_isset"].Run(c, arg("$avp(x)")); r != 1 {
		t.Errorf("pv_isset on set = %d", r)
	}
	if r := funcs["is_int"].Run(c, arg("$avp(x)")); r != 1 {
		t.Errorf("is_int = %d", r)
	}
	if r := funcs["pv_unset"].Run(c, arg("$avp(x)")); r != 1 {
		t.Errorf("pv_unset = %d", r)
	}
	if r := funcs["pv_isset"].Run(c, arg("$avp(x)")); r != -1 {
		t.Errorf("pv_isset after unset = %d", r)
	}
	set(t, c, "$var(s)", module.StrValue("x"))
	if r := funcs["is_int"].Run(c, arg("$var(s)")); r != -1 {
		t.Errorf("is_int on a string = %d", r)
	}
}
