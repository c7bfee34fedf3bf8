package textops

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	_ "github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/sip"
)

const msg = "INVITE sip:bob@127.0.0.1:15090;transport=udp;lr SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:15070;branch=z9hG4bK-1\r\n" +
	"v: SIP/2.0/UDP 127.0.0.2:15070;branch=z9hG4bK-2\r\n" +
	"From: <sip:alice@a.example>;tag=ft1\r\n" +
	"To: <sip:bob@b.example>\r\n" +
	"Call-ID: c1\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"X-Rm: a\r\n" +
	"x-rm: b\r\n" +
	"Subject: hello\r\n" +
	"Contact: <sip:alice@127.0.0.1:15070>\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length: 32\r\n" +
	"\r\n" +
	"v=0\r\no=alice 1 1 IN IP4 x\r\ns=-\r\n"

func ctx(t *testing.T) (*module.Ctx, *Instance) {
	c, _, _ := modtest.NewCtx(t, msg)
	return c, &Instance{}
}

func call(t *testing.T, m *Instance, c *module.Ctx, name string, args ...any) int {
	t.Helper()
	return modtest.Call(t, m, c, name, args...)
}

// Placement as Kamailio 5.6 does it.
func TestHeaderEdits(t *testing.T) {
	c, m := ctx(t)
	call(t, m, c, "append_hf", "X-A1: one\r\n")
	call(t, m, c, "append_hf", "X-A2: after-last-via\r\n", "Via")
	call(t, m, c, "insert_hf", "X-I1: top\r\n")
	call(t, m, c, "insert_hf", "X-I2: before-contact\r\n", "Contact")
	call(t, m, c, "append_hf", "X-A3: none\r\nX-A4: two lines\r\n", "X-Nope")
	if rc := call(t, m, c, "remove_hf", "X-Rm"); rc != 1 {
		t.Errorf("remove_hf X-Rm: %d", rc)
	}
	if rc := call(t, m, c, "remove_hf", "X-None"); rc != -1 {
		t.Errorf("remove_hf X-None: %d", rc)
	}
	if rc := call(t, m, c, "remove_hf", "m"); rc != 1 {
		t.Errorf("remove_hf m: %d", rc)
	}
	want := "INVITE sip:bob@127.0.0.1:15090;transport=udp;lr SIP/2.0\r\n" +
		"X-I1: top\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:15070;branch=z9hG4bK-1\r\n" +
		"v: SIP/2.0/UDP 127.0.0.2:15070;branch=z9hG4bK-2\r\n" +
		"X-A2: after-last-via\r\n" +
		"From: <sip:alice@a.example>;tag=ft1\r\n" +
		"To: <sip:bob@b.example>\r\n" +
		"Call-ID: c1\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Subject: hello\r\n" +
		"X-I2: before-contact\r\n" +
		"Content-Type: application/sdp\r\n" +
		"Content-Length: 32\r\n" +
		"X-A1: one\r\n" +
		"X-A3: none\r\n" +
		"X-A4: two lines\r\n" +
		"\r\n" +
		"v=0\r\no=alice 1 1 IN IP4 x\r\ns=-\r\n"
	if got := modtest.Out(c); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Edits are not seen by reads.
	if rc := call(t, m, c, "is_present_hf", "X-Rm"); rc != 1 {
		t.Errorf("is_present_hf X-Rm after remove: %d", rc)
	}
	if rc := call(t, m, c, "is_present_hf", "X-A1"); rc != -1 {
		t.Errorf("is_present_hf X-A1 (appended): %d", rc)
	}
	if rc := call(t, m, c, "search", "X-A1"); rc != -1 {
		t.Errorf("search appended: %d", rc)
	}
	f := modtest.Find(t, m, "append_hf", 1)
	if rc := f.Run(c, []*module.Arg{{Kind: module.ArgStr, Const: true, Str: "no colon"}}); rc != -1 {
		t.Errorf("append_hf without a colon: %d", rc)
	}
}

func TestPresenceAndSearch(t *testing.T) {
	c, m := ctx(t)
	tests := []struct {
		fn   string
		args []any
		want int
	}{
		{"is_present_hf", []any{"v"}, 1},
		{"is_present_hf", []any{"x-rm"}, 1},
		{"is_present_hf", []any{"X-None"}, -1},
		{"is_present_hf_re", []any{"^x-r"}, 1},
		{"is_present_hf_re", []any{"^y-"}, -1},
		{"search", []any{"^call-id: c1"}, 1},
		{"search", []any{"HELLO"}, 1},
		{"search", []any{"^v=0"}, 1},
		{"search_body", []any{"^v=0"}, 1},
		{"search_body", []any{"Call-ID"}, -1},
		{"search_hf", []any{"Via", "127.0.0.2", "a"}, 1},
		{"search_hf", []any{"Via", "127.0.0.2", "f"}, -1},
		{"search_hf", []any{"Via", "127.0.0.2", "l"}, 1},
		{"has_body", nil, 1},
		{"has_body", []any{"application/sdp"}, 1},
		{"has_body", []any{"text/plain"}, -1},
		{"is_method", []any{"INVITE|BYE"}, 1},
		{"is_method", []any{"invite"}, 1},
		{"is_method", []any{"OPTIONS"}, -1},
		{"starts_with", []any{"+49123", "+49"}, 1},
		{"starts_with", []any{"0049123", "+49"}, -1},
		{"cmp_str", []any{"abc", "abc"}, 1},
		{"cmp_str", []any{"abc", "ABC"}, -1},
		{"cmp_istr", []any{"abc", "ABC"}, 1},
	}
	for _, tt := range tests {
		if rc := call(t, m, c, tt.fn, tt.args...); rc != tt.want {
			t.Errorf("%s(%v) = %d, want %d", tt.fn, tt.args, rc, tt.want)
		}
	}
	if _, err := modtest.Args(modtest.Find(t, m, "is_method", 1), "FOO|INVITE"); err == nil {
		t.Error("is_method accepted an unknown method")
	}
	// A reply is matched by its CSeq method.
	r, _, _ := modtest.NewCtx(t, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n")
	if rc := call(t, m, r, "is_method", "BYE"); rc != 1 {
		t.Errorf("is_method on a reply: %d", rc)
	}
	if rc := call(t, m, r, "has_body"); rc != -1 {
		t.Errorf("has_body without body: %d", rc)
	}
}

func TestSubst(t *testing.T) {
	c, m := ctx(t)
	if rc := call(t, m, c, "subst", `/^Subject: (.*)$/Subject: [\1] x/`); rc != 1 {
		t.Fatalf("subst: %d", rc)
	}
	if rc := call(t, m, c, "subst", "/nomatch-zzz/x/"); rc != -1 {
		t.Errorf("subst without match: %d", rc)
	}
	if rc := call(t, m, c, "subst", "/HELLO/bye/"); rc != -1 {
		t.Errorf("subst is case-sensitive without i: %d", rc)
	}
	if rc := call(t, m, c, "subst", "/o=alice/o=ALICE/ig"); rc != 1 {
		t.Errorf("subst body: %d", rc)
	}
	if rc := call(t, m, c, "subst_body", "/s=.*/s=changed/"); rc != 1 {
		t.Errorf("subst_body: %d", rc)
	}
	if rc := call(t, m, c, "subst_uri", `/^sip:bob@(.*)$/sip:carol@\1/`); rc != 1 || c.NewURI != "sip:carol@127.0.0.1:15090;transport=udp;lr" {
		t.Errorf("subst_uri: %d %q", rc, c.NewURI)
	}
	if rc := call(t, m, c, "subst_user", "/carol/dave/"); rc != 1 || c.NewURI != "sip:dave@127.0.0.1:15090;transport=udp;lr" {
		t.Errorf("subst_user: %d %q", rc, c.NewURI)
	}
	out := modtest.Out(c)
	for _, want := range []string{"\r\nSubject: [hello\r] x\nContact", "\r\no=ALICE 1 1", "\r\ns=changed\n", "\r\nContent-Length: 37\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%q", want, out)
		}
	}
	// The result is seen at once.
	if rc := call(t, m, c, "search_body", "s=changed"); rc != 1 {
		t.Errorf("search after subst: %d", rc)
	}
	if string(c.Msg.Body()) != "v=0\r\no=ALICE 1 1 IN IP4 x\r\ns=changed\n" {
		t.Errorf("body %q", c.Msg.Body())
	}
	// s: the expression may cross lines.
	if rc := call(t, m, c, "subst", "/Via.*From/Z/s"); rc != 1 || strings.Contains(modtest.Out(c), "127.0.0.2") {
		t.Errorf("subst s: %d\n%s", rc, modtest.Out(c))
	}
	for _, bad := range []string{"/x/", "/(/x/", "/x/y/q", "ab"} {
		if _, err := modtest.Args(modtest.Find(t, m, "subst", 1), bad); err == nil {
			t.Errorf("subst %q accepted", bad)
		}
	}
}

func TestReplace(t *testing.T) {
	c, m := ctx(t)
	c.Msg.AppendHeaderString("X-Before", "kept")
	if rc := call(t, m, c, "replace", "HELLO", "world $1"); rc != 1 {
		t.Fatalf("replace: %d", rc)
	}
	if rc := call(t, m, c, "replace_all", "127\\.0\\.0\\.", "10.0.0."); rc != 1 {
		t.Fatalf("replace_all: %d", rc)
	}
	if rc := call(t, m, c, "replace_body", "IN IP4", "IN IP6"); rc != 1 {
		t.Fatalf("replace_body: %d", rc)
	}
	if rc := call(t, m, c, "replace_body_all", "nomatch", "x"); rc != -1 {
		t.Fatalf("replace_body_all without match: %d", rc)
	}
	out := modtest.Out(c)
	for _, want := range []string{"Subject: world $1\r\n", "sip:bob@10.0.0.1:15090", "UDP 10.0.0.2:15070", "IN IP6 x", "X-Before: kept\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}

func TestSetBodyAndAppendToReply(t *testing.T) {
	c, m := ctx(t)
	call(t, m, c, "set_body", "hello", "text/plain")
	call(t, m, c, "set_body", "hello again", "text/plain")
	out := modtest.Out(c)
	if !strings.HasSuffix(out, "\r\n\r\nhello again") || !strings.Contains(out, "Content-Length: 11\r\n") || !strings.Contains(out, "Content-Type: text/plain\r\n") {
		t.Errorf("set_body:\n%q", out)
	}
	var r sip.Message
	if err := r.Parse([]byte(out), sip.Stream); err != nil {
		t.Fatal(err)
	}
	c, h, _ := modtest.NewCtx(t, msg)
	call(t, m, c, "append_to_reply", "X-R: 1")
	modtest.Call(t, sl_(), c, "sl_send_reply", 404, "Not Found")
	if !strings.Contains(h.Last(t).Data, "\r\nX-R: 1\r\n") {
		t.Errorf("reply:\n%s", h.Last(t).Data)
	}
}

func TestApplyChanges(t *testing.T) {
	c, m := ctx(t)
	call(t, m, c, "append_hf", "X-New: 1\r\n")
	call(t, m, c, "remove_hf", "Subject")
	if err := ApplyChanges(c); err != nil {
		t.Fatal(err)
	}
	if c.Msg.HeaderIndex("X-New") < 0 || c.Msg.HeaderIndex("Subject") >= 0 || c.Msg.HasEdits() {
		t.Errorf("after apply:\n%s", modtest.Out(c))
	}
	if rc := call(t, m, c, "is_present_hf", "X-New"); rc != 1 {
		t.Errorf("is_present_hf after apply: %d", rc)
	}
}

func sl_() module.Instance {
	m, _ := module.Lookup("sl")
	return m.New()
}
