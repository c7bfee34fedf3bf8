package core

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/transport"
)

type fakeResolver map[string]string

func (r fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr(a)}, nil
	}
	return nil, errors.New("no such host")
}

func init() {
	Resolver = fakeResolver{"example.org": "203.0.113.5", "next.example.net": "203.0.113.7"}
}

func TestForwardToRequestURI(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	if rc := modtest.Call(t, m, c, "forward"); rc != 1 {
		t.Fatalf("forward() = %d", rc)
	}
	s := h.Last(t)
	if s.Target.Proto != transport.ProtoUDP || s.Target.Addr.String() != "203.0.113.5:5060" {
		t.Fatalf("target %+v", s.Target)
	}
	if s.Target.Local != c.Msg.Local {
		t.Errorf("local %v, want the receiving socket %v", s.Target.Local, c.Msg.Local)
	}
	lines := strings.Split(s.Data, "\r\n")
	if lines[0] != "INVITE sip:bob@example.org SIP/2.0" {
		t.Errorf("request line %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK") {
		t.Errorf("first header %q, want our Via", lines[1])
	}
	if lines[2] != "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds" {
		t.Errorf("second header %q", lines[2])
	}
	// Max-Forwards is not touched, the body is kept.
	if !strings.Contains(s.Data, "\r\nMax-Forwards: 70\r\n") || !strings.HasSuffix(s.Data, "\r\n\r\nv=0\n") {
		t.Errorf("forwarded:\n%s", s.Data)
	}
	// The message itself is unchanged: a second forward gives the same bytes.
	if modtest.Out(c) != modtest.Request {
		t.Errorf("forward changed the message:\n%s", modtest.Out(c))
	}
	modtest.Call(t, m, c, "forward")
	if h.Sent[1].Data != s.Data {
		t.Errorf("second forward differs:\n%s\n---\n%s", h.Sent[1].Data, s.Data)
	}
}

func TestForwardBranch(t *testing.T) {
	branch := func(raw string) string {
		c, h, _ := modtest.NewCtx(t, raw)
		modtest.Call(t, &Instance{}, c, "forward")
		d := h.Last(t).Data
		i := strings.Index(d, "branch=")
		return d[i+7 : i+7+strings.IndexAny(d[i+7:], ";\r")]
	}
	inv := branch(modtest.Request)
	if !strings.HasPrefix(inv, "z9hG4bK") || inv == "z9hG4bK776asdhds" {
		t.Fatalf("branch %q", inv)
	}
	if again := branch(modtest.Request); again != inv {
		t.Errorf("retransmission got branch %q, first %q", again, inv)
	}
	ack := strings.Replace(strings.Replace(modtest.Request, "INVITE sip", "ACK sip", 1), "314159 INVITE", "314159 ACK", 1)
	if b := branch(ack); b != inv {
		t.Errorf("ACK for a non-2xx got branch %q, INVITE %q", b, inv)
	}
	other := strings.Replace(modtest.Request, "z9hG4bK776asdhds", "z9hG4bKother", 1)
	if b := branch(other); b == inv {
		t.Error("a different transaction got the same branch")
	}
	rfc2543 := strings.Replace(modtest.Request, ";branch=z9hG4bK776asdhds", "", 1)
	b1 := branch(rfc2543)
	b2 := branch(strings.Replace(rfc2543, "314159 INVITE", "314160 INVITE", 1))
	if b1 == b2 || !strings.HasPrefix(b1, "z9hG4bK") {
		t.Errorf("RFC 2543 branches %q %q", b1, b2)
	}
}

func TestForwardDestinations(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c *module.Ctx)
		fn    string
		args  []any
		proto transport.Proto
		addr  string
		via   string
	}{
		{"du", func(c *module.Ctx) { c.DstURI = "sip:198.51.100.9:5080;transport=tcp" }, "forward", nil, transport.ProtoTCP, "198.51.100.9:5080", "SIP/2.0/TCP 192.0.2.10:5060"},
		{"new uri", func(c *module.Ctx) { c.NewURI = "sips:carol@next.example.net" }, "forward", nil, transport.ProtoTLS, "203.0.113.7:5061", "SIP/2.0/TLS 192.0.2.10:5061"},
		{"host", nil, "forward", []any{"198.51.100.20"}, transport.ProtoUDP, "198.51.100.20:5060", "SIP/2.0/UDP"},
		{"host port", nil, "forward", []any{"next.example.net", 5090}, transport.ProtoUDP, "203.0.113.7:5090", "SIP/2.0/UDP"},
		{"forced tcp", nil, "forward_tcp", []any{"198.51.100.20", 5070}, transport.ProtoTCP, "198.51.100.20:5070", "SIP/2.0/TCP"},
		{"forced tls", nil, "forward_tls", []any{"[2001:db8::5]"}, transport.ProtoTLS, "[2001:db8::5]:5061", "SIP/2.0/TLS"},
		{"forced udp on du", func(c *module.Ctx) { c.DstURI = "sip:198.51.100.9;transport=tcp" }, "forward_udp", nil, transport.ProtoUDP, "198.51.100.9:5060", "SIP/2.0/UDP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, h, _ := modtest.NewCtx(t, modtest.Request)
			if tt.setup != nil {
				tt.setup(c)
			}
			if rc := modtest.Call(t, &Instance{}, c, tt.fn, tt.args...); rc != 1 {
				t.Fatalf("rc %d", rc)
			}
			s := h.Last(t)
			if s.Target.Proto != tt.proto || s.Target.Addr.String() != tt.addr {
				t.Errorf("target %v %v, want %v %v", s.Target.Proto, s.Target.Addr, tt.proto, tt.addr)
			}
			if !strings.Contains(s.Data, "\r\nVia: "+tt.via) {
				t.Errorf("no Via %q in\n%s", tt.via, s.Data)
			}
			if c.NewURI != "" && !strings.HasPrefix(s.Data, "INVITE "+c.NewURI+" SIP/2.0\r\n") {
				t.Errorf("request line not rewritten:\n%s", s.Data)
			}
		})
	}
}

func TestForwardStreamAddsContentLength(t *testing.T) {
	raw := strings.Replace(modtest.Request, "Content-Length: 4\r\n", "", 1)
	c, h, _ := modtest.NewCtx(t, raw)
	modtest.Call(t, &Instance{}, c, "forward_tcp", "198.51.100.20")
	if d := h.Last(t).Data; !strings.Contains(d, "\r\nContent-Length: 4\r\n") {
		t.Errorf("no Content-Length:\n%s", d)
	}
	// UDP keeps the message as it is.
	modtest.Call(t, &Instance{}, c, "forward_udp", "198.51.100.20")
	if d := h.Last(t).Data; strings.Contains(d, "Content-Length") {
		t.Errorf("Content-Length added on UDP:\n%s", d)
	}
}

func TestForwardErrors(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, modtest.Request)
	c.DstURI = "sip:unknown.invalid"
	if rc := modtest.Call(t, &Instance{}, c, "forward"); rc != -1 {
		t.Errorf("unresolvable: rc %d", rc)
	}
	c.DstURI = "tel:+123"
	if rc := modtest.Call(t, &Instance{}, c, "forward"); rc != -1 {
		t.Errorf("tel: rc %d", rc)
	}
	c.DstURI = ""
	h.SendErr = errors.New("boom")
	if rc := modtest.Call(t, &Instance{}, c, "forward"); rc != -1 {
		t.Errorf("send error: rc %d", rc)
	}
	f := modtest.Find(t, &Instance{}, "forward", 2)
	if _, err := modtest.Args(f, "h", 70000); err == nil {
		t.Error("port 70000 accepted")
	}
}

func TestForwardLocalRPortAndEdits(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	modtest.Call(t, m, c, "add_local_rport")
	c.Msg.AppendHeaderString("X-Edit", "1")
	modtest.Call(t, m, c, "forward")
	d := h.Last(t).Data
	if !strings.Contains(d, ";rport\r\n") || !strings.Contains(d, "\r\nX-Edit: 1\r\n") {
		t.Errorf("forwarded:\n%s", d)
	}
}

func TestRewrites(t *testing.T) {
	tests := []struct {
		start string
		fn    string
		arg   []any
		want  string
	}{
		{"sip:bob@example.org", "sethost", []any{"h.example"}, "sip:bob@h.example"},
		{"sip:x:pw@h:1;a=b", "rewritehost", []any{"nh"}, "sip:x:pw@nh:1;a=b"},
		{"sip:x:pw@h:1;a=b", "sethostport", []any{"h2"}, "sip:x:pw@h2;a=b"},
		{"sip:x@h", "sethp", []any{"h2:5070"}, "sip:x@h2:5070"},
		{"sip:x@h", "sethostport", []any{"[2001:db8::1]:5070"}, "sip:x@[2001:db8::1]:5070"},
		{"sip:x:pw@h:1;a=b", "setuser", []any{"zz"}, "sip:zz:pw@h:1;a=b"},
		{"sip:x:pw@h", "setuser", []any{""}, "sip:h"},
		{"sip:h", "setu", []any{"new"}, "sip:new@h"},
		{"sip:x@h", "setuserpass", []any{"u:p"}, "sip:u:p@h"},
		{"sip:x@h:1", "setport", []any{"77"}, "sip:x@h:77"},
		{"sip:x@h:1", "setp", []any{""}, "sip:x@h"},
		{"sip:123@h", "prefix", []any{"00"}, "sip:00123@h"},
		{"sip:h", "prefix", []any{"00"}, "sip:00@h"},
		{"sip:00123@h", "strip", []any{2}, "sip:123@h"},
		{"sip:strip@h", "strip", []any{10}, "sip:h"},
		{"sip:12345@h", "strip_tail", []any{2}, "sip:123@h"},
		{"sip:1@h;a=b", "userphone", nil, "sip:1@h;a=b;user=phone"},
		{"tel:+123", "prefix", []any{"9"}, "tel:9+123"},
		{"sip:x@h", "seturi", []any{"sip:y@z"}, "sip:y@z"},
	}
	for _, tt := range tests {
		c, _, _ := modtest.NewCtx(t, modtest.Request)
		c.NewURI = tt.start
		if rc := modtest.Call(t, &Instance{}, c, tt.fn, tt.arg...); rc != 1 || c.NewURI != tt.want {
			t.Errorf("%s(%v) on %s: rc %d, uri %q, want %q", tt.fn, tt.arg, tt.start, rc, c.NewURI, tt.want)
		}
	}
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	modtest.Call(t, &Instance{}, c, "rewritehost", "other.example")
	if c.NewURI != "sip:bob@other.example" || c.RequestURI() != c.NewURI {
		t.Errorf("rewritehost on the received URI: %q", c.NewURI)
	}
	modtest.Call(t, &Instance{}, c, "revert_uri")
	if c.NewURI != "" || c.RequestURI() != "sip:bob@example.org" {
		t.Errorf("revert_uri: %q", c.NewURI)
	}
	c.NewURI = "tel:+1"
	if rc := modtest.Call(t, &Instance{}, c, "sethost", "x"); rc != -1 {
		t.Errorf("sethost on tel: rc %d", rc)
	}
	if rc := modtest.Call(t, &Instance{}, c, "setport", "x"); rc != -1 {
		t.Errorf("setport(x): rc %d", rc)
	}
}

func TestFlags(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	if rc := modtest.Call(t, m, c, "isflagset", 3); rc != -1 {
		t.Errorf("isflagset before set: %d", rc)
	}
	modtest.Call(t, m, c, "setflag", 3)
	modtest.Call(t, m, c, "setflag", 31)
	if c.Flags != 1<<3|1<<31 {
		t.Errorf("flags %b", c.Flags)
	}
	if rc := modtest.Call(t, m, c, "isflagset", 3); rc != 1 {
		t.Errorf("isflagset after set: %d", rc)
	}
	modtest.Call(t, m, c, "resetflag", 3)
	if rc := modtest.Call(t, m, c, "isflagset", 3); rc != -1 {
		t.Errorf("isflagset after reset: %d", rc)
	}
	if _, err := modtest.Args(modtest.Find(t, m, "setflag", 1), 32); err == nil {
		t.Error("flag 32 accepted")
	}
	f := modtest.Find(t, m, "isflagset", 1)
	if rc := f.Run(c, []*module.Arg{modtest.Dyn(module.ArgInt, module.IntValue(40))}); rc != -1 {
		t.Errorf("run-time flag 40: %d", rc)
	}
}

func TestForceRPort(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	modtest.Call(t, &Instance{}, c, "force_rport")
	modtest.Call(t, &Instance{}, c, "add_rport")
	if !c.ForceRPort {
		t.Error("ForceRPort not set")
	}
	if out := modtest.Out(c); !strings.Contains(out, "branch=z9hG4bK776asdhds;rport=5060\r\n") {
		t.Errorf("Via:\n%s", out)
	}
}

func TestLog(t *testing.T) {
	c, _, logs := modtest.NewCtx(t, modtest.Request)
	modtest.Call(t, &Instance{}, c, "log", "default level\n")
	modtest.Call(t, &Instance{}, c, "log", 1, "notice level")
	modtest.Call(t, &Instance{}, c, "error", "a", "b")
	out := logs.String()
	for _, want := range []string{`level=DEBUG-1 msg="<script>: default level"`, `level=INFO+2 msg="<script>: notice level"`, "not implemented"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestConnFlags(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	for _, name := range []string{"set_forward_no_connect", "set_reply_no_connect", "set_forward_close", "set_reply_close"} {
		if rc := modtest.Call(t, m, c, name); rc != 1 {
			t.Errorf("%s: %d", name, rc)
		}
	}
	if f := ConnFlags(c); f != ForwardNoConnect|ReplyNoConnect|ForwardClose|ReplyClose {
		t.Errorf("flags %b", f)
	}
}
