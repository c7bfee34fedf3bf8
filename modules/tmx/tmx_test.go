package tmx

import (
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

func TestRouteChecks(t *testing.T) {
	inst := &Instance{}
	for _, tc := range []struct {
		rt   module.RouteType
		name string
		want int
	}{
		{module.FailureRoute, "t_is_failure_route", 1},
		{module.RequestRoute, "t_is_failure_route", -1},
		{module.BranchRoute, "t_is_branch_route", 1},
		{module.FailureRoute, "t_is_branch_route", -1},
		{module.OnReplyRoute, "t_is_reply_route", 1},
		{module.CoreReplyRoute, "t_is_reply_route", 1},
		{module.RequestRoute, "t_is_reply_route", -1},
	} {
		c, _, _ := modtest.NewCtx(t, modtest.Request)
		c.Route = tc.rt
		if rc := modtest.Call(t, inst, c, tc.name); rc != tc.want {
			t.Errorf("%s in route %d: %d, want %d", tc.name, tc.rt, rc, tc.want)
		}
	}
}

func TestWithoutTransaction(t *testing.T) {
	inst := &Instance{}
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := modtest.Call(t, inst, c, "t_precheck_trans"); rc != -1 {
		t.Errorf("t_precheck_trans: %d", rc)
	}
	if rc := modtest.Call(t, inst, c, "t_flush_flags"); rc != -1 {
		t.Errorf("t_flush_flags: %d", rc)
	}
	pvs := map[string]module.PVClass{}
	for _, p := range inst.PVs() {
		pvs[p.Name] = p
	}
	for name, want := range map[string]string{"T_reply_code": "0", "T_branch_idx": "0", "T_reply_reason": ""} {
		pv, err := pvs[name].New("")
		if err != nil {
			t.Fatal(err)
		}
		v, _ := pv.Get(c)
		if v.String() != want {
			t.Errorf("$%s = %q, want %q", name, v.String(), want)
		}
	}
	if _, err := pvs["T_reply_code"].New("x"); err == nil {
		t.Error("argument accepted")
	}
}
