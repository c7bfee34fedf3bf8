package sanity

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

const base = "OPTIONS sip:bob@127.0.0.1:5090 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-X\r\n" +
	"From: <sip:alice@a.example>;tag=ft1\r\n" +
	"To: <sip:bob@b.example>\r\n" +
	"Call-ID: call-1\r\n" +
	"CSeq: 1 OPTIONS\r\n" +
	"Content-Length: 0\r\n" +
	"\r\n"

func sub(old, new string) string { return strings.Replace(base, old, new, 1) }
func add(h string) string        { return sub("Call-ID: call-1\r\n", "Call-ID: call-1\r\n"+h+"\r\n") }

func newInst() *Instance {
	return &Instance{DefaultChecks: DefaultChecks, URIChecks: DefaultURIChecks, ProxyRequire: "ok1,ok2", AutoDrop: 1}
}

// The replies of Kamailio 5.6 to sanity_check("32767", "15") with
// proxy_require "ok1,ok2" and autodrop=0 ("" = passes; "-" = fails
// without a reply).
func TestKamailioReplies(t *testing.T) {
	tests := []struct {
		name, msg, reply string
	}{
		{"ok", base, ""},
		{"proxy-require unsupported", add("Proxy-Require: ok1, foo, bar"), "420 Bad Proxy Require Extension"},
		{"proxy-require supported", add("Proxy-Require: ok2"), ""},
		{"expires", add("Expires: abc"), "400 Expires value is illegal"},
		{"expires empty", add("Expires: "), "400 Missing number in Expires header"},
		{"expires 2^32", add("Expires: 4294967296"), ""},
		{"cseq method", sub("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"), "400 CSeq method does not match request method"},
		{"cseq number", sub("CSeq: 1 OPTIONS", "CSeq: abc OPTIONS"), "400 CSeq number is illegal"},
		{"no call-id", sub("Call-ID: call-1\r\n", ""), "-"},
		{"two call-ids", add("Call-ID: again"), "-"},
		{"http uri", sub("OPTIONS sip:", "OPTIONS http:"), "400 Bad Request URI"},
		{"bad from", sub("From: <sip:alice@a.example>", "From: <sip:@>"), "400 Invalid From Header"},
		{"bad to", sub("To: <sip:bob@b.example>", "To: <sip:@b.example>"), "400 Ivalid To Header"},
		{"digest incomplete", add(`Authorization: Digest username="a"`), "400 Bad Auth Credentials"},
		{"basic", add("Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l"), "-"},
		{"digest complete", add(`Authorization: Digest username="a", realm="r", nonce="n", uri="sip:x", response="0123456789abcdef0123456789abcdef"`), ""},
		{"digest empty nonce", add(`Authorization: Digest username="a", realm="r", nonce="", uri="sip:x", response="0123"`), "400 Auth Empty Nonce"},
		{"proxy-auth incomplete", add(`Proxy-Authorization: Digest realm="r"`), "400 Bad Auth Credentials"},
		{"from tags", sub(";tag=ft1", ";tag=ft1;tag=x"), "400 Many From Tag Params"},
		{"to tags", sub("To: <sip:bob@b.example>", "To: <sip:bob@b.example>;tag=1;tag=2"), "400 Many To Tag Params"},
		{"branch without cookie", sub("branch=z9hG4bK-X", "branch=abc"), ""},
		{"no branch", sub(";branch=z9hG4bK-X", ""), ""},
		{"content-length short", sub("Content-Length: 0\r\n\r\n", "Content-Length: 2\r\n\r\nabcdef"), "400 Content-Length mis-match"},
		{"bad contact", add("Contact: <sip:@@>"), "400 Bad Contact URI"},
		{"contact star", add("Contact: *"), ""},
		{"tel uri", sub("OPTIONS sip:bob@127.0.0.1:5090", "OPTIONS tel:+12345"), ""},
		{"sips uri", sub("OPTIONS sip:", "OPTIONS sips:"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, h, _ := modtest.NewCtx(t, tt.msg)
			m := newInst()
			rc := modtest.Call(t, m, c, "sanity_check", 32767, 15)
			wantRC := -1
			if tt.reply == "" {
				wantRC = 1
			}
			if rc != 0 && rc != wantRC || rc == 0 && wantRC != -1 {
				t.Errorf("rc %d, want %d (autodrop) or 0", rc, wantRC)
			}
			switch tt.reply {
			case "", "-":
				if h.Count() != 0 {
					t.Errorf("unexpected reply:\n%s", h.Last(t).Data)
				}
			default:
				d := h.Last(t).Data
				if !strings.HasPrefix(d, "SIP/2.0 "+tt.reply+"\r\n") {
					t.Errorf("reply:\n%s\nwant %s", d, tt.reply)
				}
			}
		})
	}
}

func TestUnsupportedHeader(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, add("Proxy-Require: ok1, foo, bar"))
	m := newInst()
	m.AutoDrop = 0
	if rc := modtest.Call(t, m, c, "sanity_check", CheckProxyRequire); rc != -1 {
		t.Errorf("rc %d", rc)
	}
	if d := h.Last(t).Data; !strings.Contains(d, "\r\nUnsupported: foo\r\n") {
		t.Errorf("reply:\n%s", d)
	}
}

func TestDefaultsAndAutodrop(t *testing.T) {
	// Defaults include the Proxy-Require check; autodrop stops the script.
	c, h, _ := modtest.NewCtx(t, add("Proxy-Require: foo"))
	m := newInst()
	if rc := modtest.Call(t, m, c, "sanity_check"); rc != 0 {
		t.Errorf("autodrop: rc %d, want 0", rc)
	}
	if h.Count() != 1 {
		t.Errorf("%d replies", h.Count())
	}
	// Checks not asked for are not made; the stock REQINIT masks pass.
	c, h, _ = modtest.NewCtx(t, add("Proxy-Require: foo"))
	if rc := modtest.Call(t, m, c, "sanity_check", 17895, 7); rc != 1 || h.Count() != 0 {
		t.Errorf("17895: rc %d", rc)
	}
	c, _, _ = modtest.NewCtx(t, modtest.Request)
	if rc := modtest.Call(t, m, c, "sanity_check", "17895", "7"); rc != 1 {
		t.Errorf("stock request: rc %d", rc)
	}
}

func TestNoReplyAndSanityReply(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, add("Expires: abc"))
	m := newInst()
	m.NoReply = 1
	if rc := modtest.Call(t, m, c, "sanity_check"); rc != 0 {
		t.Errorf("rc %d", rc)
	}
	if h.Count() != 0 {
		t.Fatal("replied with noreply=1")
	}
	if rc := modtest.Call(t, m, c, "sanity_reply"); rc != 1 {
		t.Errorf("sanity_reply rc %d", rc)
	}
	if d := h.Last(t).Data; !strings.HasPrefix(d, "SIP/2.0 400 Expires value is illegal\r\n") {
		t.Errorf("reply:\n%s", d)
	}
	// Without a failure for this message: 500.
	c, h, _ = modtest.NewCtx(t, base)
	modtest.Call(t, m, c, "sanity_reply")
	if d := h.Last(t).Data; !strings.HasPrefix(d, "SIP/2.0 500 Server Sanity Failure\r\n") {
		t.Errorf("reply:\n%s", d)
	}
	// noreply=0: sanity_reply does nothing.
	m.NoReply = 0
	c, h, _ = modtest.NewCtx(t, base)
	if rc := modtest.Call(t, m, c, "sanity_reply"); rc != 1 || h.Count() != 0 {
		t.Errorf("rc %d, %d replies", rc, h.Count())
	}
}

func TestNoReplyToACK(t *testing.T) {
	ack := strings.NewReplacer("OPTIONS sip:", "ACK sip:", "1 OPTIONS", "1 ACK").Replace(add("Proxy-Require: foo"))
	c, h, _ := modtest.NewCtx(t, ack)
	m := newInst()
	if rc := modtest.Call(t, m, c, "sanity_check"); rc != 0 || h.Count() != 0 {
		t.Errorf("rc %d, %d replies", rc, h.Count())
	}
}

func TestRanges(t *testing.T) {
	m := newInst()
	f := modtest.Find(t, m, "sanity_check", 2)
	for _, a := range [][2]int{{0, 1}, {32768, 1}, {1, 0}, {1, 16}} {
		if _, err := modtest.Args(f, a[0], a[1]); err == nil {
			t.Errorf("%v accepted", a)
		}
	}
	c, _, _ := modtest.NewCtx(t, base)
	dyn := []*module.Arg{modtest.Dyn(module.ArgInt, module.IntValue(65535)), modtest.Dyn(module.ArgInt, module.IntValue(7))}
	if rc := f.Run(c, dyn); rc != -1 {
		t.Errorf("run-time 65535: rc %d", rc)
	}
}
