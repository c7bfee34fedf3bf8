package script

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// This file provides what the engine tests run against: a fake module
// ("testmod") whose functions record their calls, a core module with a
// $nul pseudo-variable (always null), a module the tests do not load, and
// a fake Host. The other pseudo-variables come from package pv.

func TestMain(m *testing.M) {
	module.Register(module.Module{Name: "testmod", Doc: "test functions", New: func() module.Instance { return &testInst{Prefix: "p"} }})
	module.Register(module.Module{Name: "testcore", Core: true, Doc: "test PVs", New: func() module.Instance { return &testPVs{} }})
	module.Register(module.Module{Name: "other", Doc: "a module the tests do not load", New: func() module.Instance { return &otherInst{} }})
	os.Exit(m.Run())
}

// ---- a pseudo-variable that is always null ----

type testPVs struct{}

func (*testPVs) Funcs() []module.Func { return nil }

func (*testPVs) PVs() []module.PVClass {
	return []module.PVClass{
		{Name: "nul", New: func(string) (module.PV, error) {
			return getPV(func(*module.Ctx) module.Value { return module.Null }), nil
		}},
	}
}

type getPV func(c *module.Ctx) module.Value

func (g getPV) Get(c *module.Ctx) (module.Value, error) { return g(c), nil }

// ---- the fake module ----

type testInst struct {
	Prefix string   `modparam:"prefix"`
	Count  int      `modparam:"count"`
	List   []string `modparam:"list"`

	mu      sync.Mutex
	records []string
	started bool
}

func (t *testInst) record(s string) {
	t.mu.Lock()
	t.records = append(t.records, s)
	t.mu.Unlock()
}

func (t *testInst) got() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.records, "\n")
}

func (t *testInst) Start(context.Context, module.Host) error { t.started = true; return nil }

func (t *testInst) Funcs() []module.Func {
	str := func(c *module.Ctx, a *module.Arg) string {
		s, err := a.GetStr(c)
		if err != nil {
			return "ERR(" + err.Error() + ")"
		}
		return s
	}
	return []module.Func{
		{Name: "rec", Args: []module.ArgKind{module.ArgStr}, Routes: module.AnyRoute, Run: func(c *module.Ctx, a []*module.Arg) int {
			t.record(str(c, a[0]))
			return 1
		}},
		{Name: "rec", Args: []module.ArgKind{module.ArgStr, module.ArgStr}, Routes: module.AnyRoute, Run: func(c *module.Ctx, a []*module.Arg) int {
			t.record(str(c, a[0]) + " " + str(c, a[1]))
			return 1
		}},
		{Name: "ret", Args: []module.ArgKind{module.ArgInt}, Routes: module.AnyRoute, Run: func(c *module.Ctx, a []*module.Arg) int {
			n, err := a[0].GetInt(c)
			if err != nil {
				t.record("ret error: " + err.Error())
				return -1
			}
			t.record(fmt.Sprintf("ret(%d)", n))
			return int(n)
		}},
		{Name: "sl_send_reply", Args: []module.ArgKind{module.ArgInt, module.ArgStr},
			Check: func(a []*module.Arg) error {
				if a[0].Const && (a[0].Int < 100 || a[0].Int > 699) {
					return fmt.Errorf("status code %d is not in 100-699", a[0].Int)
				}
				return nil
			},
			Run: func(c *module.Ctx, a []*module.Arg) int {
				n, _ := a[0].GetInt(c)
				t.record(fmt.Sprintf("reply %d %s", n, str(c, a[1])))
				return 1
			}},
		{Name: "is_present_hf", Args: []module.ArgKind{module.ArgStr}, Run: func(c *module.Ctx, a []*module.Arg) int {
			if c.Msg.HeaderByName(str(c, a[0])) != nil {
				return 1
			}
			return -1
		}},
		{Name: "match", Args: []module.ArgKind{module.ArgRegex, module.ArgStr}, Run: func(c *module.Ctx, a []*module.Arg) int {
			if a[0].Regex.MatchString(str(c, a[1])) {
				return 1
			}
			return -1
		}},
		{Name: "setpv", Args: []module.ArgKind{module.ArgPV, module.ArgStr}, Run: func(c *module.Ctx, a []*module.Arg) int {
			if err := a[0].PV.Set(c, module.StrValue(str(c, a[1]))); err != nil {
				return -1
			}
			return 1
		}},
		{Name: "t_on_failure", Args: []module.ArgKind{module.ArgRoute}, Run: func(c *module.Ctx, a []*module.Arg) int {
			t.record("on_failure " + a[0].Str)
			return 1
		}},
		{Name: "ok", Routes: module.AnyRoute, Run: func(*module.Ctx, []*module.Arg) int { return 1 }},
		{Name: "retq", Args: []module.ArgKind{module.ArgInt}, Routes: module.AnyRoute, Run: func(c *module.Ctx, a []*module.Arg) int {
			n, _ := a[0].GetInt(c)
			return int(n)
		}},
		{Name: "failonly", Routes: module.FailureRoute, Run: func(*module.Ctx, []*module.Arg) int { return 1 }},
	}
}

type otherInst struct{}

func (*otherInst) Funcs() []module.Func {
	return []module.Func{{Name: "other_func", Run: func(*module.Ctx, []*module.Arg) int { return 1 }}}
}

// ---- host and messages ----

type fakeHost struct{}

func (fakeHost) Send(context.Context, transport.Target, []byte) error { return nil }
func (fakeHost) ViaAddress(transport.Proto, netip.AddrPort) (string, uint16) {
	return "127.0.0.1", 5060
}
func (fakeHost) IsMyself(host string, port uint16) bool {
	return (host == "127.0.0.1" || strings.EqualFold(host, "example.com")) && (port == 0 || port == 5060)
}

const testInvite = "INVITE sip:bob@example.com SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK776asdhds\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: Bob <sip:bob@example.com>\r\n" +
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n" +
	"CSeq: 314159 INVITE\r\n" +
	"Contact: <sip:alice@pc33.atlanta.com>\r\n" +
	"User-Agent: friendly-scanner\r\n" +
	"Content-Length: 0\r\n\r\n"

const testReply = "SIP/2.0 180 Ringing\r\n" +
	"Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK776asdhds\r\n" +
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n" +
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n" +
	"CSeq: 314159 INVITE\r\n" +
	"Content-Length: 0\r\n\r\n"

func parseMsg(t testing.TB, raw string) *core.Msg {
	t.Helper()
	m := new(sip.Message)
	if err := m.Parse([]byte(raw), sip.Datagram); err != nil {
		t.Fatalf("parse message: %v", err)
	}
	return &core.Msg{
		Message: m,
		Proto:   transport.ProtoUDP,
		Remote:  netip.MustParseAddrPort("10.1.2.3:5060"),
		Local:   netip.MustParseAddrPort("127.0.0.1:5060"),
	}
}

// compileSrc parses and compiles a configuration held in a string.
func compileSrc(t testing.TB, src string, opt CompileOptions) (*Engine, error) {
	t.Helper()
	cfg, err := ParseBytes("test.cfg", []byte(src), Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if opt.Host == nil {
		opt.Host = fakeHost{}
	}
	return Compile(cfg, opt)
}

// logBuffer collects the engine's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runScript compiles "loadmodule testmod" + src, runs request_route on
// msg, and returns what the test functions recorded and the log.
func runScript(t testing.TB, src, msg string) (string, string) {
	t.Helper()
	var lb logBuffer
	log := slog.New(slog.NewTextHandler(&lb, nil))
	e, err := compileSrc(t, "loadmodule \"testmod.so\"\n"+src, CompileOptions{Log: log})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	e.HandleRequest(context.Background(), parseMsg(t, msg))
	return e.Instance("testmod").(*testInst).got(), lb.String()
}
