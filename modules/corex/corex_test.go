package corex

import (
	"fmt"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/transport"
)

func TestSend(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	c.DstURI = "sip:198.51.100.7:5070"
	if rc := modtest.Call(t, m, c, "send_udp"); rc != 1 {
		t.Fatalf("send_udp: %d", rc)
	}
	s := h.Last(t)
	if s.Target.Proto != transport.ProtoUDP || s.Target.Addr.String() != "198.51.100.7:5070" {
		t.Errorf("target %+v", s.Target)
	}
	if s.Data != modtest.Request {
		t.Errorf("not sent as it is:\n%s", s.Data)
	}
	c.NewURI = "sip:carol@198.51.100.8"
	if rc := modtest.Call(t, m, c, "send_tcp", "sip:198.51.100.9"); rc != 1 {
		t.Fatalf("send_tcp: %d", rc)
	}
	s = h.Last(t)
	if s.Target.Proto != transport.ProtoTCP || s.Target.Addr.String() != "198.51.100.9:5060" {
		t.Errorf("target %+v", s.Target)
	}
	if !strings.HasPrefix(s.Data, "INVITE sip:carol@198.51.100.8 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;") {
		t.Errorf("sent:\n%s", s.Data)
	}
	if rc := modtest.Call(t, m, c, "send_udp", "tel:+1"); rc != -1 {
		t.Errorf("tel: rc %d", rc)
	}
}

func TestSendData(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, modtest.Request)
	if rc := modtest.Call(t, &Instance{}, c, "send_data", "sip:198.51.100.7:5070;transport=tcp", "hello"); rc != 1 {
		t.Fatalf("rc %d", rc)
	}
	s := h.Last(t)
	if s.Data != "hello" || s.Target.Proto != transport.ProtoTCP || s.Target.Addr.String() != "198.51.100.7:5070" {
		t.Errorf("sent %+v", s)
	}
}

func TestAppendBranch(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	inst := &Instance{}
	if rc := modtest.Call(t, inst, c, "append_branch", "sip:carol@192.0.2.3"); rc != 1 {
		t.Fatal(rc)
	}
	if rc := modtest.Call(t, inst, c, "append_branch", "sip:dave@192.0.2.4", "0.5"); rc != 1 {
		t.Fatal(rc)
	}
	if rc := modtest.Call(t, inst, c, "append_branch", "sip:x@192.0.2.4", "two"); rc != -1 {
		t.Fatal(rc)
	}
	if URIConsumed(c) {
		t.Fatal("consumed without append_branch()")
	}
	c.DstURI = "sip:192.0.2.9"
	if rc := modtest.Call(t, inst, c, "append_branch"); rc != 1 {
		t.Fatal(rc)
	}
	if !URIConsumed(c) {
		t.Fatal("append_branch() did not consume the Request-URI")
	}
	want := []module.Branch{{URI: "sip:carol@192.0.2.3", Q: -1}, {URI: "sip:dave@192.0.2.4", Q: 500}, {URI: "sip:bob@example.org", DstURI: "sip:192.0.2.9", Q: -1}}
	if fmt.Sprint(c.Branches) != fmt.Sprint(want) {
		t.Fatalf("branches %v", c.Branches)
	}
	c.NewURI = "sip:other@example.org"
	if URIConsumed(c) {
		t.Fatal("a new Request-URI is not consumed")
	}
}
