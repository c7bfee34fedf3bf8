package siputils

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

const options = "OPTIONS sip:192.0.2.10;transport=udp;lr SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-1\r\n" +
	"From: <sip:alice@a.example>;tag=ft1\r\n" +
	"To: <sip:bob@b.example>\r\n" +
	"Call-ID: c1\r\n" +
	"CSeq: 1 OPTIONS\r\n" +
	"Supported: path, foo\r\n" +
	"Content-Length: 0\r\n\r\n"

func TestTests(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, options)
	m := &Instance{E164MaxLen: 16}
	tests := []struct {
		fn   string
		args []any
		want int
	}{
		{"has_totag", nil, -1},
		{"is_request", nil, 1},
		{"is_reply", nil, -1},
		{"is_first_hop", nil, 1},
		{"is_supported", []any{"path"}, 1},
		{"is_supported", []any{"timer"}, -1},
		{"uri_param", []any{"transport"}, -1},
		{"uri_param", []any{"lr"}, 1},
		{"uri_param", []any{"transport", "udp"}, 1},
		{"uri_param", []any{"transport", "UDP"}, -1},
		{"uri_param_any", []any{"transport"}, 1},
		{"uri_param_any", []any{"maddr"}, -1},
		{"is_e164", []any{"+1"}, -1},
		{"is_e164", []any{"+12"}, 1},
		{"is_e164", []any{"+123456789012345"}, 1},
		{"is_e164", []any{"+1234567890123456"}, -1},
		{"is_e164", []any{"123"}, -1},
		{"is_uri_user_e164", []any{"sip:+4912345@x"}, 1},
		{"is_uri_user_e164", []any{"sip:4912345@x"}, -1},
		{"cmp_uri", []any{"sip:a@B.example;transport=udp", "sip:a@b.example;transport=UDP"}, 1},
		{"cmp_uri", []any{"sip:a@b", "sip:A@b"}, -1},
		{"cmp_aor", []any{"sip:a@b:5060;x=y", "sip:a@B"}, 1},
		{"cmp_aor", []any{"sip:a@b:5070", "sip:a@b"}, -1},
		{"is_user", []any{"alice"}, -1},
	}
	for _, tt := range tests {
		if rc := modtest.Call(t, m, c, tt.fn, tt.args...); rc != tt.want {
			t.Errorf("%s(%v) = %d, want %d", tt.fn, tt.args, rc, tt.want)
		}
	}
	SetAuthorizedUser(c, "alice")
	if rc := modtest.Call(t, m, c, "is_user", "alice"); rc != 1 {
		t.Errorf("is_user after auth: %d", rc)
	}
	c3, _, _ := modtest.NewCtx(t, strings.Replace(modtest.Request, "To: Bob <sip:bob@example.org>", "To: Bob <sip:bob@example.org>;tag=x", 1))
	if rc := modtest.Call(t, m, c3, "has_totag"); rc != 1 {
		t.Errorf("has_totag with a tag: %d", rc)
	}
}

func TestURIParamEdits(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, options)
	m := &Instance{}
	if rc := modtest.Call(t, m, c, "add_uri_param", "nat=yes"); rc != 1 || c.NewURI != "sip:192.0.2.10;transport=udp;lr;nat=yes" {
		t.Errorf("add_uri_param: %d %q", rc, c.NewURI)
	}
	if rc := modtest.Call(t, m, c, "uri_param_rm", "transport"); rc != 1 || c.NewURI != "sip:192.0.2.10;lr;nat=yes" {
		t.Errorf("uri_param_rm: %d %q", rc, c.NewURI)
	}
	if rc := modtest.Call(t, m, c, "uri_param_rm", "transport"); rc != -1 {
		t.Errorf("uri_param_rm absent: %d", rc)
	}
	if rc := modtest.Call(t, m, c, "uri_param", "nat", "yes"); rc != 1 {
		t.Errorf("uri_param on the new URI: %d", rc)
	}
}

type pvSink struct{ v module.Value }

func (p *pvSink) Get(*module.Ctx) (module.Value, error)   { return p.v, nil }
func (p *pvSink) Set(_ *module.Ctx, v module.Value) error { p.v = v; return nil }

func TestTel2SIP(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, options)
	f := modtest.Find(t, &Instance{}, "tel2sip", 3)
	run := func(uri string) (int, string) {
		out := &pvSink{}
		args := []*module.Arg{{Kind: module.ArgStr, Const: true, Str: uri}, {Kind: module.ArgStr, Const: true, Str: "gw.example"}, {Kind: module.ArgPV, PV: out}}
		return f.Run(c, args), out.v.Str
	}
	if rc, out := run("tel:+1-555-0100;ext=7"); rc != 1 || out != "sip:+15550100;ext=7@gw.example;user=phone" {
		t.Errorf("tel: %d %q", rc, out)
	}
	if rc, out := run("sip:a@b"); rc != 2 || out != "sip:a@b" {
		t.Errorf("sip: %d %q", rc, out)
	}
}

func TestOptionsReply(t *testing.T) {
	c, h, _ := modtest.NewCtx(t, options)
	m := &Instance{OptionsAccept: "*/*", OptionsAcceptLanguage: "en"}
	if rc := modtest.Call(t, m, c, "options_reply"); rc != 1 {
		t.Fatalf("rc %d", rc)
	}
	d := h.Last(t).Data
	want := "CSeq: 1 OPTIONS\r\nAccept: */*\r\nAccept-Encoding: \r\nAccept-Language: en\r\nSupported: \r\nServer: olelo\r\nContent-Length: 0\r\n\r\n"
	if !strings.HasPrefix(d, "SIP/2.0 200 OK\r\n") || !strings.HasSuffix(d, want) {
		t.Errorf("reply:\n%q", d)
	}
	// A Request-URI with a user, or another method: -1.
	c, h, _ = modtest.NewCtx(t, strings.Replace(options, "sip:192.0.2.10", "sip:bob@192.0.2.10", 1))
	if rc := modtest.Call(t, m, c, "options_reply"); rc != -1 || h.Count() != 0 {
		t.Errorf("with a user: rc %d", rc)
	}
	c, _, _ = modtest.NewCtx(t, modtest.Request)
	if rc := modtest.Call(t, m, c, "options_reply"); rc != -1 {
		t.Errorf("INVITE: rc %d", rc)
	}
}
