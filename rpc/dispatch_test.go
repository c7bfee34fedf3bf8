package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testDispatcher has deterministic methods: the test ones, and core's
// system.* and stats.* over fixed counters.
func testDispatcher(t testing.TB) *Dispatcher {
	t.Helper()
	stats := &Stats{baseline: map[string]uint64{}}
	stats.Add(func() map[string]uint64 {
		return map[string]uint64{"core:rcv_requests": 12, "core:rcv_replies": 3}
	})
	stats.Add(func() map[string]uint64 {
		return map[string]uint64{"sl:200_replies": 5, "sl:404_replies": 1}
	})
	testMethods := []module.RPC{
		{Name: "test.echo", Doc: "Returns its parameters.", Run: func(_ context.Context, p module.RPCParams) (any, error) {
			return []any(p), nil
		}},
		{Name: "test.fail", Doc: "Fails with 404.", Run: func(context.Context, module.RPCParams) (any, error) {
			return nil, module.RPCErrorf(404, "no such thing")
		}},
		{Name: "test.plainfail", Doc: "Fails with a plain error.", Run: func(context.Context, module.RPCParams) (any, error) {
			return nil, errors.New("database is down")
		}},
		{Name: "test.panic", Doc: "Panics.", Run: func(context.Context, module.RPCParams) (any, error) {
			panic("boom")
		}},
		{Name: "test.nothing", Doc: "Returns no result.", Run: func(context.Context, module.RPCParams) (any, error) {
			return nil, nil
		}},
		{Name: "test.int", Doc: "Returns its integer parameter plus one.", Run: func(_ context.Context, p module.RPCParams) (any, error) {
			n, err := p.Int(0)
			if err != nil {
				return nil, err
			}
			return n + 1, nil
		}},
		// A module method with a core name is shadowed by the core one.
		{Name: "core.version", Doc: "shadowed", Run: func(context.Context, module.RPCParams) (any, error) { return "module", nil }},
	}
	var d *Dispatcher
	core := CoreMethods(CoreConfig{Name: "olelo", Version: "test", Stats: stats,
		Methods: func() []module.RPC { return d.Methods() },
		Reload:  func(context.Context) error { return nil }})
	d = NewDispatcher(nil, func() []module.RPC { return core }, func() []module.RPC { return testMethods })
	return d
}

// TestDispatchGolden runs each testdata/dispatch/NAME.req and compares
// the response with NAME.resp (go test -update rewrites them).
func TestDispatchGolden(t *testing.T) {
	d := testDispatcher(t)
	reqs, err := filepath.Glob("testdata/dispatch/*.req")
	if err != nil || len(reqs) == 0 {
		t.Fatalf("no golden requests: %v", err)
	}
	for _, req := range reqs {
		name := strings.TrimSuffix(filepath.Base(req), ".req")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(req)
			if err != nil {
				t.Fatal(err)
			}
			got := append(d.Handle(context.Background(), in, Options{}), '\n')
			golden := strings.TrimSuffix(req, ".req") + ".resp"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("request %s\n got: %s\nwant: %s", in, got, want)
			}
		})
	}
}

// TestResetStatistics: a reset counter starts again from 0 while the
// source keeps counting.
func TestResetStatistics(t *testing.T) {
	var n uint64 = 10
	stats := &Stats{baseline: map[string]uint64{}}
	stats.Add(func() map[string]uint64 { return map[string]uint64{"core:rcv_requests": n, "core:rcv_replies": 4} })
	d := NewDispatcher(nil, func() []module.RPC { return stats.Methods() })
	ctx := context.Background()
	steps := []struct {
		method string
		params module.RPCParams
		add    uint64
		want   string
	}{
		{"stats.get_statistics", module.RPCParams{"core:"}, 0, `["core:rcv_replies = 4","core:rcv_requests = 10"]`},
		{"stats.reset_statistics", module.RPCParams{"rcv_requests"}, 0, `{}`},
		{"stats.get_statistics", module.RPCParams{"all"}, 3, `["core:rcv_replies = 4","core:rcv_requests = 3"]`},
		{"stats.reset_statistics", module.RPCParams{"all"}, 0, `{}`},
		{"stats.get_statistics", module.RPCParams{"core:rcv_requests", "rcv_replies"}, 2, `["core:rcv_replies = 0","core:rcv_requests = 2"]`},
	}
	for i, s := range steps {
		n += s.add
		got, err := d.Call(ctx, s.method, s.params)
		if err != nil {
			t.Fatalf("step %d %s: %v", i, s.method, err)
		}
		if string(got) != s.want {
			t.Errorf("step %d %s %v = %s, want %s", i, s.method, s.params, got, s.want)
		}
	}
}

// TestMethodsFollowTheSource: methods are resolved on every call, so a
// source that changes (a reloaded configuration) is seen at once.
func TestMethodsFollowTheSource(t *testing.T) {
	current := []module.RPC{{Name: "a.one", Run: func(context.Context, module.RPCParams) (any, error) { return 1, nil }}}
	d := NewDispatcher(nil, func() []module.RPC { return current })
	if _, err := d.Call(context.Background(), "a.one", nil); err != nil {
		t.Fatalf("a.one before the swap: %v", err)
	}
	current = []module.RPC{{Name: "b.two", Run: func(context.Context, module.RPCParams) (any, error) { return 2, nil }}}
	_, err := d.Call(context.Background(), "a.one", nil)
	var re *module.RPCError
	if !errors.As(err, &re) || re.Code != 500 || re.Message != "Method Not Found" {
		t.Errorf("a.one after the swap: %v, want 500 Method Not Found", err)
	}
	if got, err := d.Call(context.Background(), "b.two", nil); err != nil || string(got) != "2" {
		t.Errorf("b.two after the swap = %s, %v", got, err)
	}
}

// FuzzDecodeRequest: no input panics the decoder or the dispatcher, and
// every answer is valid JSON.
func FuzzDecodeRequest(f *testing.F) {
	reqs, _ := filepath.Glob("testdata/dispatch/*.req")
	for _, r := range reqs {
		b, _ := os.ReadFile(r)
		f.Add(b)
	}
	d := testDispatcher(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeRequest(b)
		out := d.Handle(context.Background(), b, Options{})
		if !json.Valid(out) {
			t.Fatalf("invalid JSON answer %q for %q", out, b)
		}
	})
}
