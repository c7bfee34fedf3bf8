package sl

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/sip"
)

func TestSendReply(t *testing.T) {
	for _, name := range []string{"sl_send_reply", "sl_reply", "send_reply"} {
		c, h, _ := modtest.NewCtx(t, modtest.Request)
		if rc := modtest.Call(t, &Instance{}, c, name, "501", "Not Implemented"); rc != 1 {
			t.Fatalf("%s: rc %d", name, rc)
		}
		s := h.Last(t)
		if s.Target.Addr.String() != "198.51.100.1:5060" {
			t.Errorf("%s: sent to %v", name, s.Target.Addr)
		}
		var r sip.Message
		if err := r.Parse([]byte(s.Data), sip.Datagram); err != nil {
			t.Fatal(err)
		}
		if r.StatusCode() != 501 || string(r.Reason()) != "Not Implemented" {
			t.Errorf("%s: status line of\n%s", name, s.Data)
		}
		tag := string(r.ToTag())
		if len(tag) != 41 || tag[32] != '.' {
			t.Errorf("%s: To-tag %q", name, tag)
		}
		for _, want := range []string{"\r\nServer: olelo\r\n", "\r\nContent-Length: 0\r\n\r\n", "\r\nCSeq: 314159 INVITE\r\n", "\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds\r\n"} {
			if !strings.Contains(s.Data, want) {
				t.Errorf("%s: reply lacks %q:\n%s", name, want, s.Data)
			}
		}
	}
}

func TestToTagStable(t *testing.T) {
	tag := func(raw string) string {
		c, h, _ := modtest.NewCtx(t, raw)
		modtest.Call(t, &Instance{}, c, "sl_send_reply", 404, "Not Found")
		var r sip.Message
		r.Parse([]byte(h.Last(t).Data), sip.Datagram)
		return string(r.ToTag())
	}
	a, b := tag(modtest.Request), tag(modtest.Request)
	other := tag(strings.Replace(modtest.Request, "z9hG4bK776asdhds", "z9hG4bKnew", 1))
	if a != b || a == other || a[:33] != other[:33] {
		t.Errorf("tags %q %q %q", a, b, other)
	}
	// The ACK for that reply is recognised.
	ack := strings.NewReplacer("INVITE sip:", "ACK sip:", "314159 INVITE", "314159 ACK", "To: Bob <sip:bob@example.org>", "To: Bob <sip:bob@example.org>;tag="+a).Replace(modtest.Request)
	c, _, _ := modtest.NewCtx(t, ack)
	if !IsLocalACK(c.Msg.Message) {
		t.Error("IsLocalACK false for our tag")
	}
	c2, _, _ := modtest.NewCtx(t, strings.Replace(ack, ";tag="+a, ";tag=abc", 1))
	if IsLocalACK(c2.Msg.Message) {
		t.Error("IsLocalACK true for a foreign tag")
	}
}

func TestNoReplyToACK(t *testing.T) {
	ack := strings.NewReplacer("INVITE sip:", "ACK sip:", "314159 INVITE", "314159 ACK").Replace(modtest.Request)
	c, h, _ := modtest.NewCtx(t, ack)
	if rc := modtest.Call(t, &Instance{}, c, "sl_send_reply", 404, "Not Found"); rc != -1 {
		t.Errorf("rc %d", rc)
	}
	if h.Count() != 0 {
		t.Error("ACK answered")
	}
}

func TestReplyDetails(t *testing.T) {
	// 3xx with a new Request-URI: Contact; force_rport: the source port;
	// append_to_reply headers; a reason from a pseudo-variable.
	raw := strings.Replace(modtest.Request, "198.51.100.1:5060;branch", "198.51.100.1:5099;branch", 1)
	c, h, _ := modtest.NewCtx(t, raw)
	c.NewURI = "sip:new@x.example"
	c.ForceRPort = true
	AppendToReply(c, "X-A: 1\r\n")
	f := modtest.Find(t, &Instance{}, "sl_send_reply", 2)
	args := []*module.Arg{{Kind: module.ArgInt, Const: true, Int: 302}, modtest.Dyn(module.ArgStr, module.StrValue("Moved bob"))}
	if rc := f.Run(c, args); rc != 1 {
		t.Fatalf("rc %d", rc)
	}
	s := h.Last(t)
	if s.Target.Addr.String() != "198.51.100.1:5060" {
		t.Errorf("force_rport: sent to %v", s.Target.Addr)
	}
	for _, want := range []string{"SIP/2.0 302 Moved bob\r\n", "\r\nContact: <sip:new@x.example>\r\n", "\r\nX-A: 1\r\n"} {
		if !strings.Contains(s.Data, want) {
			t.Errorf("reply lacks %q:\n%s", want, s.Data)
		}
	}
	// Without force_rport the sent-by port is used.
	c.ForceRPort = false
	f.Run(c, args)
	if a := h.Last(t).Target.Addr.String(); a != "198.51.100.1:5099" {
		t.Errorf("sent to %v", a)
	}
	// No Contact for a 3xx when the Request-URI is unchanged.
	c.NewURI = ""
	f.Run(c, args)
	if strings.Contains(h.Last(t).Data, "Contact") {
		t.Error("Contact without a new Request-URI")
	}
}

func TestReplyError(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, modtest.Request)
	if rc := modtest.Call(t, &Instance{}, c, "sl_reply_error"); rc != 1 {
		t.Fatalf("rc %d", rc)
	}
	if d := h.Last(t).Data; !strings.HasPrefix(d, "SIP/2.0 500 I'm terribly sorry, server error occurred (1/SL)\r\n") {
		t.Errorf("reply:\n%s", d)
	}
}

func TestCheckCode(t *testing.T) {
	f := modtest.Find(t, &Instance{}, "sl_send_reply", 2)
	for _, code := range []int{99, 700} {
		if _, err := modtest.Args(f, code, "x"); err == nil {
			t.Errorf("code %d accepted", code)
		}
	}
	c, h, _ := modtest.NewCtx(t, modtest.Request)
	args := []*module.Arg{modtest.Dyn(module.ArgInt, module.StrValue("abc")), {Kind: module.ArgStr, Const: true, Str: "x"}}
	if rc := f.Run(c, args); rc != -1 || h.Count() != 0 {
		t.Errorf("bad run-time code: rc %d", rc)
	}
}
