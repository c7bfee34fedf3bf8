package xlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

func newInst() *Instance { return &Instance{Prefix: DefaultPrefix} }

func TestLevels(t *testing.T) {
	c, _, logs := modtest.NewCtx(t, modtest.Request)
	m := newInst()
	modtest.Call(t, m, c, "xlog", "I got a message")
	modtest.Call(t, m, c, "xlog", "L_INFO", "info line\n")
	modtest.Call(t, m, c, "xlog", "LOG_LOCAL0", "L_WARN", "with facility\n")
	modtest.Call(t, m, c, "xlogl", "L_NOTICE", "xlogl line\n")
	for _, f := range fixedLevels {
		modtest.Call(t, m, c, f.name, f.name+" text\n")
	}
	modtest.Call(t, m, c, "xlog", "two\nlines\n\n")
	out := logs.String()
	for _, want := range []string{
		`level=ERROR msg="<script>: I got a message"`,
		`level=INFO msg="<script>: info line"`,
		`level=WARN msg="<script>: with facility"`,
		`level=INFO+2 msg="<script>: xlogl line"`,
		`level=DEBUG msg="<script>: xdbg text"`,
		`level=INFO msg="<script>: xinfo text"`,
		`level=INFO+2 msg="<script>: xnotice text"`,
		`level=WARN msg="<script>: xwarn text"`,
		`level=ERROR msg="<script>: xerr text"`,
		`level=ERROR+3 msg="<script>: xbug text"`,
		`level=ERROR+2 msg="<script>: xcrit text"`,
		`level=ERROR+4 msg="<script>: xalert text"`,
		`msg="<script>: two\nlines\n"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestDynamicLevel(t *testing.T) {
	c, _, logs := modtest.NewCtx(t, modtest.Request)
	f := modtest.Find(t, newInst(), "xlog", 2)
	text := &module.Arg{Kind: module.ArgStr, Const: true, Str: "pv level"}
	for _, v := range []module.Value{module.IntValue(2), module.StrValue("L_DBG"), module.StrValue("junk")} {
		if rc := f.Run(c, []*module.Arg{modtest.Dyn(module.ArgStr, v), text}); rc != 1 {
			t.Errorf("rc %d", rc)
		}
	}
	out := logs.String()
	for _, want := range []string{"level=INFO msg=", "level=DEBUG msg=", "level=ERROR msg="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestFiltered(t *testing.T) {
	var buf bytes.Buffer
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	// debug=2: L_DBG is not printed, and the format is not evaluated.
	c.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: SlogLevel(LInfo)}))
	evaluated := false
	f := modtest.Find(t, newInst(), "xdbg", 1)
	rc := f.Run(c, []*module.Arg{{Kind: module.ArgStr, Expr: func(*module.Ctx) (module.Value, error) {
		evaluated = true
		return module.StrValue("x"), nil
	}}})
	if rc != 1 || evaluated || buf.Len() != 0 {
		t.Errorf("rc %d, evaluated %v, log %q", rc, evaluated, buf.String())
	}
	modtest.Call(t, newInst(), c, "xinfo", "shown")
	if !strings.Contains(buf.String(), "shown") {
		t.Errorf("log %q", buf.String())
	}
}

func TestCheckLevel(t *testing.T) {
	f := modtest.Find(t, newInst(), "xlog", 2)
	for _, bad := range []string{"L_FOO", "3", "INFO"} {
		if _, err := modtest.Args(f, bad, "x"); err == nil {
			t.Errorf("level %q accepted", bad)
		}
	}
	if _, err := modtest.Args(f, "L_CRIT", "x"); err != nil {
		t.Error(err)
	}
}

func TestSlogLevelOrder(t *testing.T) {
	prev := SlogLevel(LAlert)
	for k := LAlert + 1; k <= 5; k++ {
		if l := SlogLevel(k); l >= prev {
			t.Errorf("SlogLevel(%d) = %v, not below SlogLevel(%d) = %v", k, l, k-1, prev)
		}
		prev = SlogLevel(k)
	}
	// debug=3 prints L_DBG but not log()'s default level 4.
	h := slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: SlogLevel(3)})
	if !h.Enabled(context.Background(), SlogLevel(LDbg)) || h.Enabled(context.Background(), SlogLevel(4)) {
		t.Error("debug=3 filter")
	}
}

func TestPrefix(t *testing.T) {
	c, _, logs := modtest.NewCtx(t, modtest.Request)
	m := &Instance{Prefix: ""}
	if err := module.SetParam(m, "prefix", "[cfg] "); err != nil {
		t.Fatal(err)
	}
	modtest.Call(t, m, c, "xinfo", "hello")
	if !strings.Contains(logs.String(), `msg="[cfg] hello"`) {
		t.Errorf("log %q", logs.String())
	}
}
