package rr

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/transport"
)

func newInst() *Instance { return module.Instance(mustNew()).(*Instance) }

func mustNew() module.Instance {
	m, ok := module.Lookup("rr")
	if !ok {
		panic("rr not registered")
	}
	return m.New()
}

// bye returns an in-dialog (toTag != "") or initial request with Route
// lines; fromTag is the From tag.
func req(ruri, toTag, fromTag string, routes ...string) string {
	var b strings.Builder
	b.WriteString("BYE " + ruri + " SIP/2.0\n")
	b.WriteString("Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK1\n")
	b.WriteString("Max-Forwards: 70\n")
	b.WriteString("From: <sip:alice@example.com>;tag=" + fromTag + "\n")
	if toTag != "" {
		b.WriteString("To: <sip:bob@example.org>;tag=" + toTag + "\n")
	} else {
		b.WriteString("To: <sip:bob@example.org>\n")
	}
	b.WriteString("Call-ID: c1\nCSeq: 2 BYE\n")
	for _, r := range routes {
		b.WriteString("Route: " + r + "\n")
	}
	b.WriteString("Content-Length: 0\n\n")
	return b.String()
}

func routeLines(out string) []string {
	var rs []string
	for _, l := range strings.Split(out, "\r\n") {
		if strings.HasPrefix(l, "Route: ") {
			rs = append(rs, strings.TrimPrefix(l, "Route: "))
		}
	}
	return rs
}

// The cases were checked against Kamailio 5.6 (rr module, append_fromtag
// 1, enable_double_rr 1) with the same Route sets.
func TestLooseRoute(t *testing.T) {
	const me = "192.0.2.10"
	tests := []struct {
		name           string
		msg            string
		code           int
		du, ru         string
		routes         []string
		down, natParam bool
	}{
		{"own entry then a loose hop", req("sip:bob@203.0.113.2", "tt", "ft1", "<sip:"+me+";lr;ftag=ft1;nat=yes>, <sip:203.0.113.9;lr>"),
			1, "sip:203.0.113.9;lr", "sip:bob@203.0.113.2", []string{"<sip:203.0.113.9;lr>"}, true, true},
		{"initial, only our entry", req("sip:bob@203.0.113.2", "", "ft1", "<sip:"+me+":5060;lr>"),
			-3, "", "sip:bob@203.0.113.2", nil, true, false},
		{"initial, pre-loaded set", req("sip:bob@203.0.113.2", "", "ft1", "<sip:"+me+";lr>", "<sip:203.0.113.9;lr>"),
			1, "sip:203.0.113.9;lr", "sip:bob@203.0.113.2", []string{"<sip:203.0.113.9;lr>"}, true, false},
		{"no Route", req("sip:bob@203.0.113.2", "tt", "ft1"), -1, "", "sip:bob@203.0.113.2", nil, true, false},
		{"strict router before us", req("sip:"+me, "tt", "ft1", "<sip:203.0.113.9;lr>", "<sip:bob@203.0.113.4>"),
			1, "sip:203.0.113.9;lr", "sip:bob@203.0.113.4", []string{"<sip:203.0.113.9;lr>"}, true, false},
		{"strict router before us, strict next hop", req("sip:"+me+";ftag=ft1", "tt", "ft1", "<sip:203.0.113.9>"),
			1, "", "sip:203.0.113.9", nil, true, false},
		{"upstream", req("sip:alice@203.0.113.2", "tt", "ft2", "<sip:"+me+";lr;ftag=ft1>"),
			1, "", "sip:alice@203.0.113.2", nil, false, false},
		{"strict next hop", req("sip:bob@203.0.113.2", "tt", "ft1", "<sip:"+me+";lr>", "<sip:203.0.113.9>"),
			1, "", "sip:203.0.113.9", []string{"<sip:bob@203.0.113.2>"}, true, false},
		{"double record-route", req("sip:bob@203.0.113.2", "tt", "ft1", "<sip:"+me+";transport=tcp;r2=on;lr>,<sip:"+me+";r2=on;lr>,<sip:203.0.113.9;lr>"),
			1, "sip:203.0.113.9;lr", "sip:bob@203.0.113.2", []string{"<sip:203.0.113.9;lr>"}, true, false},
		{"not ours", req("sip:bob@203.0.113.2", "tt", "ft1", "<sip:203.0.113.3;lr>"),
			1, "sip:203.0.113.3;lr", "sip:bob@203.0.113.2", []string{"<sip:203.0.113.3;lr>"}, true, false},
		{"our address, other port", req("sip:bob@203.0.113.2", "tt", "ft1", "<sip:"+me+":5080;lr>"),
			1, "sip:" + me + ":5080;lr", "sip:bob@203.0.113.2", []string{"<sip:" + me + ":5080;lr>"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst := newInst()
			c, _, _ := modtest.NewCtx(t, tc.msg)
			if got := modtest.Call(t, inst, c, "loose_route"); got != tc.code {
				t.Fatalf("loose_route = %d, want %d", got, tc.code)
			}
			if c.DstURI != tc.du {
				t.Errorf("$du = %q, want %q", c.DstURI, tc.du)
			}
			if got := c.RequestURI(); got != tc.ru {
				t.Errorf("$ru = %q, want %q", got, tc.ru)
			}
			out := modtest.Out(c)
			if got := routeLines(out); strings.Join(got, "|") != strings.Join(tc.routes, "|") {
				t.Errorf("Route headers %q, want %q\n%s", got, tc.routes, out)
			}
			down := modtest.Call(t, inst, c, "is_direction", "downstream") == 1
			up := modtest.Call(t, inst, c, "is_direction", "upstream") == 1
			if down != tc.down || up == tc.down {
				t.Errorf("downstream %v upstream %v, want downstream %v", down, up, tc.down)
			}
			if nat := modtest.Call(t, inst, c, "check_route_param", "nat=yes") == 1; nat != tc.natParam {
				t.Errorf("check_route_param(nat=yes) = %v, want %v", nat, tc.natParam)
			}
		})
	}
}

func rrLines(out string) []string {
	var rs []string
	for _, l := range strings.Split(out, "\r\n") {
		if strings.HasPrefix(l, "Record-Route: ") {
			rs = append(rs, strings.TrimPrefix(l, "Record-Route: "))
		}
	}
	return rs
}

// The header shapes are Kamailio 5.6's: ftag, then the record_route
// parameters, then those of add_rr_param; transport only when not UDP;
// r2=on on both headers of a double Record-Route, the outbound one first.
func TestRecordRoute(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c *module.Ctx)
		calls [][]any
		want  []string
	}{
		{"udp to udp", nil, [][]any{{"add_rr_param", ";p1=a"}, {"record_route", ";x=bob"}},
			[]string{"<sip:192.0.2.10:5060;lr;ftag=1928301774;x=bob;p1=a>"}},
		{"no params", nil, [][]any{{"record_route"}},
			[]string{"<sip:192.0.2.10:5060;lr;ftag=1928301774>"}},
		{"udp to tcp", func(c *module.Ctx) { c.DstURI = "sip:203.0.113.9:5080;transport=tcp" }, [][]any{{"record_route"}},
			[]string{"<sip:192.0.2.10:5060;transport=tcp;r2=on;lr;ftag=1928301774>", "<sip:192.0.2.10:5060;r2=on;lr;ftag=1928301774>"}},
		{"tcp in, new uri udp", func(c *module.Ctx) {
			c.Msg.Proto = transport.ProtoTCP
			c.NewURI = "sip:carol@203.0.113.9"
		}, [][]any{{"record_route"}},
			[]string{"<sip:192.0.2.10:5060;r2=on;lr;ftag=1928301774>", "<sip:192.0.2.10:5060;transport=tcp;r2=on;lr;ftag=1928301774>"}},
		{"preset", nil, [][]any{{"add_rr_param", ";p1=a"}, {"record_route_preset", "192.0.2.99:5070;x=1"}},
			[]string{"<sip:192.0.2.99:5070;x=1;ftag=1928301774;p1=a;lr>"}},
		{"preset two", nil, [][]any{{"record_route_preset", "192.0.2.99;r2=on", "192.0.2.98;r2=on"}},
			[]string{"<sip:192.0.2.99;r2=on;ftag=1928301774;lr>", "<sip:192.0.2.98;r2=on;ftag=1928301774;lr>"}},
		{"advertised", nil, [][]any{{"add_rr_param", ";p1=a"}, {"record_route_advertised_address", "pbx.example.com:5062"}},
			[]string{"<sip:pbx.example.com:5062;ftag=1928301774;lr;p1=a>"}},
		{"advertised, udp to tcp", func(c *module.Ctx) { c.DstURI = "sip:203.0.113.9;transport=tcp" }, [][]any{{"record_route_advertised_address", "pbx.example.com:5062"}},
			[]string{"<sip:pbx.example.com:5062;transport=tcp;r2=on;ftag=1928301774;lr>", "<sip:pbx.example.com:5062;transport=udp;r2=on;ftag=1928301774;lr>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst := newInst()
			c, _, _ := modtest.NewCtx(t, modtest.Request)
			if tc.setup != nil {
				tc.setup(c)
			}
			for _, call := range tc.calls {
				if got := modtest.Call(t, inst, c, call[0].(string), call[1:]...); got != 1 {
					t.Fatalf("%v = %d", call, got)
				}
			}
			out := modtest.Out(c)
			if got := rrLines(out); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Record-Route %q\nwant %q", got, tc.want)
			}
			if !strings.HasPrefix(out, "INVITE sip:bob@example.org SIP/2.0\r\nRecord-Route: ") {
				t.Errorf("Record-Route is not the first header:\n%s", out)
			}
		})
	}
}

func TestRecordRouteTwiceFails(t *testing.T) {
	inst := newInst()
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if modtest.Call(t, inst, c, "record_route") != 1 || modtest.Call(t, inst, c, "record_route") != -1 {
		t.Fatal("second record_route should return -1, as in Kamailio")
	}
	if n := len(rrLines(modtest.Out(c))); n != 1 {
		t.Fatalf("%d Record-Route headers", n)
	}
}

func TestModparams(t *testing.T) {
	inst := newInst()
	module.SetParam(inst, "append_fromtag", int64(0))
	module.SetParam(inst, "enable_full_lr", int64(1))
	module.SetParam(inst, "enable_double_rr", int64(2))
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	modtest.Call(t, inst, c, "record_route")
	want := []string{"<sip:192.0.2.10:5060;transport=udp;r2=on;lr=on>", "<sip:192.0.2.10:5060;transport=udp;r2=on;lr=on>"}
	if got := rrLines(modtest.Out(c)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Record-Route %q, want %q", got, want)
	}
}

// After loose_route found the request upstream, the ftag of a new
// Record-Route is still the caller's tag (the To tag).
func TestRecordRouteUpstreamFtag(t *testing.T) {
	inst := newInst()
	c, _, _ := modtest.NewCtx(t, req("sip:alice@203.0.113.2", "callee", "caller2", "<sip:192.0.2.10;lr;ftag=caller>"))
	modtest.Call(t, inst, c, "loose_route")
	modtest.Call(t, inst, c, "record_route")
	if got := rrLines(modtest.Out(c)); len(got) != 1 || !strings.Contains(got[0], ";ftag=callee>") {
		t.Errorf("Record-Route %q, want the To tag as ftag", got)
	}
}

func TestIsDirectionCheck(t *testing.T) {
	f := modtest.Find(t, newInst(), "is_direction", 1)
	if _, err := modtest.Args(f, "sideways"); err == nil {
		t.Fatal("is_direction(\"sideways\") accepted")
	}
}

func TestRouteURIPV(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, req("sip:bob@203.0.113.2", "tt", "ft1", "\"x\" <sip:203.0.113.3;lr>, <sip:a@b>"))
	pv, err := newRouteURIPV("")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := pv.Get(c); v.String() != "sip:203.0.113.3;lr" {
		t.Fatalf("$route_uri = %q", v.String())
	}
	c2, _, _ := modtest.NewCtx(t, modtest.Request)
	if v, _ := pv.Get(c2); !v.IsNull() {
		t.Fatalf("$route_uri without Route = %q", v.String())
	}
}

// Kamailio 5.6's loose_route_preloaded: 1 only when the only Route
// entry of an initial request was ours; a longer pre-loaded set is
// routed but gives -1.
func TestLooseRoutePreloaded(t *testing.T) {
	inst := newInst()
	c, _, _ := modtest.NewCtx(t, req("sip:bob@203.0.113.2", "", "ft1", "<sip:192.0.2.10;lr>", "<sip:203.0.113.9;lr>"))
	if got := modtest.Call(t, inst, c, "loose_route_preloaded"); got != -1 || c.DstURI != "sip:203.0.113.9;lr" {
		t.Fatalf("loose_route_preloaded = %d, $du %q", got, c.DstURI)
	}
	c2, _, _ := modtest.NewCtx(t, req("sip:bob@203.0.113.2", "", "ft1", "<sip:192.0.2.10;lr>"))
	if got := modtest.Call(t, inst, c2, "loose_route_preloaded"); got != 1 || c2.DstURI != "" {
		t.Fatalf("loose_route_preloaded with only our Route = %d, $du %q", got, c2.DstURI)
	}
}
