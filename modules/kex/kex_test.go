package kex

import (
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

func TestBranchFlags(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	modtest.Call(t, m, c, "setbflag", 2)
	modtest.Call(t, m, c, "setbflag", 5, 0)
	if c.BranchFlags != 1<<2|1<<5 {
		t.Errorf("branch flags %b", c.BranchFlags)
	}
	if rc := modtest.Call(t, m, c, "isbflagset", 2); rc != 1 {
		t.Errorf("isbflagset 2: %d", rc)
	}
	modtest.Call(t, m, c, "resetbflag", 2, 0)
	if rc := modtest.Call(t, m, c, "isbflagset", 2, 0); rc != -1 {
		t.Errorf("isbflagset 2 after reset: %d", rc)
	}
	if rc := modtest.Call(t, m, c, "setbflag", 1, 1); rc != -1 {
		t.Errorf("setbflag on branch 1: %d", rc)
	}
	if _, err := modtest.Args(modtest.Find(t, m, "setbflag", 1), 32); err == nil {
		t.Error("flag 32 accepted")
	}
	if c.Flags != 0 {
		t.Error("message flags changed")
	}
}

func TestScriptFlags(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	if rc := modtest.Call(t, m, c, "issflagset", 3); rc != -1 {
		t.Errorf("before: %d", rc)
	}
	modtest.Call(t, m, c, "setsflag", 3)
	if rc := modtest.Call(t, m, c, "issflagset", 3); rc != 1 {
		t.Errorf("after set: %d", rc)
	}
	modtest.Call(t, m, c, "resetsflag", 3)
	if rc := modtest.Call(t, m, c, "issflagset", 3); rc != -1 {
		t.Errorf("after reset: %d", rc)
	}
	if c.Flags != 0 || c.BranchFlags != 0 {
		t.Error("other flags changed")
	}
}

func TestDstURI(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	if rc := modtest.Call(t, m, c, "isdsturiset"); rc != -1 {
		t.Errorf("unset: %d", rc)
	}
	modtest.Call(t, m, c, "setdsturi", "sip:192.0.2.99:5080")
	if rc := modtest.Call(t, m, c, "isdsturiset"); rc != 1 || c.DstURI != "sip:192.0.2.99:5080" {
		t.Errorf("set: %d %q", rc, c.DstURI)
	}
	modtest.Call(t, m, c, "resetdsturi")
	if c.DstURI != "" {
		t.Errorf("reset: %q", c.DstURI)
	}
}

func TestIsMyself(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	m := &Instance{}
	for uri, want := range map[string]int{
		"sip:alice@192.0.2.10":            1,
		"sip:proxy.example.com:5060":      1,
		"sip:proxy.example.com:5070":      -1,
		"sip:bob@example.org":             -1,
		"not a uri":                       -1,
		"sips:PROXY.example.com;lr;x=1":   1,
		"sip:192.0.2.10:5061;transport=t": 1,
	} {
		if rc := modtest.Call(t, m, c, "is_myself", uri); rc != want {
			t.Errorf("is_myself(%q) = %d, want %d", uri, rc, want)
		}
	}
}

type pvSink struct{ v module.Value }

func (p *pvSink) Get(*module.Ctx) (module.Value, error)   { return p.v, nil }
func (p *pvSink) Set(_ *module.Ctx, v module.Value) error { p.v = v; return nil }

func TestPVPrintf(t *testing.T) {
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	out := &pvSink{}
	f := modtest.Find(t, &Instance{}, "pv_printf", 2)
	rc := f.Run(c, []*module.Arg{{Kind: module.ArgPV, PV: out, Const: true}, modtest.Dyn(module.ArgStr, module.StrValue("bob@example.org"))})
	if rc != 1 || out.v.Str != "bob@example.org" {
		t.Errorf("rc %d, value %+v", rc, out.v)
	}
}
