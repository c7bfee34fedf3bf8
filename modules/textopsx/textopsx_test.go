package textopsx

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/sip"
)

func TestApplyChanges(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	c.Msg.AppendHeaderString("X-New", "1")
	c.Msg.RemoveHeader(c.Msg.HeaderIndex("Contact"))
	if c.Msg.HeaderIndex("X-New") >= 0 {
		t.Fatal("edit seen before apply")
	}
	if rc := modtest.Call(t, &Instance{}, c, "msg_apply_changes"); rc != 1 {
		t.Fatalf("rc %d", rc)
	}
	if c.Msg.HeaderIndex("X-New") < 0 || c.Msg.HeaderIndex("Contact") >= 0 || c.Msg.HasEdits() {
		t.Errorf("after apply:\n%s", modtest.Out(c))
	}
	// Nothing to apply: still 1.
	if rc := modtest.Call(t, &Instance{}, c, "msg_apply_changes"); rc != 1 {
		t.Errorf("second apply: %d", rc)
	}
	// An edit that breaks the message stops the script.
	c.Msg.AppendHeaderString("Bad Name", "x")
	if rc := modtest.Call(t, &Instance{}, c, "msg_apply_changes"); rc != 0 {
		t.Errorf("broken message: rc %d", rc)
	}
}

func TestRemoveBody(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := modtest.Call(t, &Instance{}, c, "remove_body"); rc != 1 {
		t.Fatalf("rc %d", rc)
	}
	out := modtest.Out(c)
	if !strings.HasSuffix(out, "Content-Length: 0\r\n\r\n") {
		t.Errorf("after remove_body:\n%q", out)
	}
	c, _, _ = modtest.NewCtx(t, strings.Replace(modtest.Request, "Content-Length: 4\r\n\r\nv=0\n", "Content-Length: 0\r\n\r\n", 1))
	if rc := modtest.Call(t, &Instance{}, c, "remove_body"); rc != -1 {
		t.Errorf("no body: rc %d", rc)
	}
}

func TestChangeReplyStatus(t *testing.T) {
	reply := "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	c, _, _ := modtest.NewCtx(t, reply)
	c.Route = module.OnReplyRoute
	if rc := modtest.Call(t, &Instance{}, c, "change_reply_status", 404, "Not Here"); rc != 1 {
		t.Fatalf("rc %d", rc)
	}
	if c.Msg.StatusCode() != 404 || string(c.Msg.Reason()) != "Not Here" {
		t.Errorf("status %d %q", c.Msg.StatusCode(), c.Msg.Reason())
	}
	if rc := modtest.Call(t, &Instance{}, c, "change_reply_status", 200, "OK"); rc != -1 {
		t.Errorf("class change: rc %d", rc)
	}
	var m sip.Message
	if err := m.Parse([]byte(modtest.Out(c)), sip.Stream); err != nil {
		t.Error(err)
	}
}
