// Package modtest helps module tests: a parsed request in a module.Ctx, a
// Host that records what is sent, and calls of a module's functions with
// constant arguments prepared as the compiler would.
package modtest

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// Sent is one message given to Host.Send.
type Sent struct {
	Target transport.Target
	Data   string
}

// Host is a module.Host that records sends. Its address is
// 192.0.2.10:5060 (5061 for TLS), and "proxy.example.com" is an alias.
type Host struct {
	mu      sync.Mutex
	Sent    []Sent
	SendErr error
}

// Send records the message.
func (h *Host) Send(ctx context.Context, t transport.Target, data []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.SendErr != nil {
		return h.SendErr
	}
	h.Sent = append(h.Sent, Sent{Target: t, Data: string(data)})
	return nil
}

// ViaAddress returns 192.0.2.10 and the protocol's default port.
func (h *Host) ViaAddress(proto transport.Proto, local netip.AddrPort) (string, uint16) {
	return "192.0.2.10", proto.DefaultPort()
}

// IsMyself matches 192.0.2.10 and proxy.example.com on ports 5060/5061.
func (h *Host) IsMyself(host string, port uint16) bool {
	host = strings.ToLower(host)
	if host != "192.0.2.10" && host != "proxy.example.com" {
		return false
	}
	return port == 0 || port == 5060 || port == 5061
}

// Last returns the last message sent, failing the test when there is none.
func (h *Host) Last(t testing.TB) Sent {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.Sent) == 0 {
		t.Fatal("nothing was sent")
	}
	return h.Sent[len(h.Sent)-1]
}

// Count returns the number of messages sent.
func (h *Host) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.Sent)
}

// LogBuffer collects log records as text, one line per record.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Request is a request most tests can start from.
const Request = "INVITE sip:bob@example.org SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: Bob <sip:bob@example.org>\r\n" +
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n" +
	"CSeq: 314159 INVITE\r\n" +
	"Contact: <sip:alice@198.51.100.1>\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length: 4\r\n" +
	"\r\n" +
	"v=0\n"

// NewCtx parses raw (LF line ends are turned into CRLF when raw has no
// CR) as received over UDP from 198.51.100.1:5060 on 192.0.2.10:5060, and
// returns a request-route Ctx with a recording Host and a debug-level
// logger writing to the returned buffer.
func NewCtx(t testing.TB, raw string) (*module.Ctx, *Host, *LogBuffer) {
	t.Helper()
	if !strings.Contains(raw, "\r") {
		raw = strings.ReplaceAll(raw, "\n", "\r\n")
	}
	m := new(sip.Message)
	if err := m.Parse([]byte(raw), sip.Datagram); err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	h := &Host{}
	logs := &LogBuffer{}
	c := &module.Ctx{
		Context: context.Background(),
		Msg: &core.Msg{
			Message: m, Proto: transport.ProtoUDP,
			Remote: netip.MustParseAddrPort("198.51.100.1:5060"),
			Local:  netip.MustParseAddrPort("192.0.2.10:5060"),
		},
		Route: module.RequestRoute,
		Host:  h,
		Log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.Level(-100)})),
		Vars:  map[string]module.Value{},
		Store: map[any]any{},
	}
	return c, h, logs
}

// Find returns the function name with n arguments of inst.
func Find(t testing.TB, inst module.Instance, name string, n int) module.Func {
	t.Helper()
	for _, f := range inst.Funcs() {
		if f.Name == name && len(f.Args) == n {
			return f
		}
	}
	t.Fatalf("no function %s with %d arguments", name, n)
	return module.Func{}
}

// Args prepares constant arguments for f as the compiler does: strings
// for ArgStr, integers (given as int or numeric string) for ArgInt,
// compiled case-insensitive expressions for ArgRegex. The Check of f runs
// on them; its error is returned.
func Args(f module.Func, vals ...any) ([]*module.Arg, error) {
	if len(vals) != len(f.Args) {
		return nil, fmt.Errorf("%s takes %d arguments, got %d", f.Name, len(f.Args), len(vals))
	}
	args := make([]*module.Arg, len(vals))
	for i, v := range vals {
		a := &module.Arg{Kind: f.Args[i], Const: true, Str: fmt.Sprint(v)}
		switch f.Args[i] {
		case module.ArgInt:
			n, err := strconv.ParseInt(a.Str, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("argument %d: %q is not an integer", i+1, a.Str)
			}
			a.Int = n
		case module.ArgRegex:
			re, err := regexp.Compile(a.Str)
			if err != nil {
				return nil, err
			}
			a.Regex = re
		}
		args[i] = a
	}
	if f.Check != nil {
		if err := f.Check(args); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// Call runs the function name of inst with constant arguments and returns
// its code. It fails the test when the function or its arguments are
// refused.
func Call(t testing.TB, inst module.Instance, c *module.Ctx, name string, vals ...any) int {
	t.Helper()
	f := Find(t, inst, name, len(vals))
	args, err := Args(f, vals...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !f.AllowedIn(c.Route) {
		t.Fatalf("%s is not allowed in route type %d", name, c.Route)
	}
	return f.Run(c, args)
}

// Dyn returns an argument evaluated per message to v, as a pseudo-variable
// argument would be.
func Dyn(kind module.ArgKind, v module.Value) *module.Arg {
	return &module.Arg{Kind: kind, Expr: func(*module.Ctx) (module.Value, error) { return v, nil }}
}

// Out returns the message with its recorded edits applied.
func Out(c *module.Ctx) string { return string(c.Msg.AppendTo(nil)) }
