package module

import (
	"strings"
	"testing"
)

type paramsInst struct {
	Limit   int      `modparam:"limit"`
	Name    string   `modparam:"name"`
	On      bool     `modparam:"on"`
	Tables  []string `modparam:"table"`
	private int
}

func (*paramsInst) Funcs() []Func { return nil }

func TestSetParam(t *testing.T) {
	p := &paramsInst{}
	for _, set := range []struct {
		name  string
		value any
	}{{"limit", "42"}, {"name", int64(7)}, {"on", int64(1)}, {"table", "a"}, {"table", "b"}} {
		if err := SetParam(p, set.name, set.value); err != nil {
			t.Fatalf("SetParam(%s, %v): %v", set.name, set.value, err)
		}
	}
	if p.Limit != 42 || p.Name != "7" || !p.On || strings.Join(p.Tables, ",") != "a,b" {
		t.Fatalf("params %+v", p)
	}
	if err := SetParam(p, "limit", "x"); err == nil || !strings.Contains(err.Error(), "needs an integer") {
		t.Errorf("bad int: %v", err)
	}
	if err := SetParam(p, "nope", int64(1)); err == nil || !strings.Contains(err.Error(), `unknown parameter "nope"`) {
		t.Errorf("unknown: %v", err)
	}
	if got := len(Params(p)); got != 4 {
		t.Errorf("Params lists %d, want 4", got)
	}
}

func TestFuncAllowedIn(t *testing.T) {
	f := Func{Name: "x"}
	if !f.AllowedIn(RequestRoute) || !f.AllowedIn(EventRoute) || f.AllowedIn(OnReplyRoute) {
		t.Error("default route mask wrong")
	}
	g := Func{Name: "y", Routes: OnReplyRoute}
	if g.AllowedIn(RequestRoute) || !g.AllowedIn(OnReplyRoute) {
		t.Error("explicit route mask wrong")
	}
}
