package dispatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

// twoGroups: set 1 .2 then .3 (priorities keep the order), set 2 .4
// then .5.
const twoGroups = "1 sip:127.0.0.2:5070 0 2\n1 sip:127.0.0.3:5070 0 1\n2 sip:127.0.0.4:5070 0 2\n2 sip:127.0.0.5:5070 0 1\n"

// xavpOrder renders the failover list as "grp:host ..." and the count.
func xavpOrder(c *module.Ctx) (string, int64) {
	var out []string
	for _, r := range c.XAVPs["_dsdst_"] {
		u := r["uri"].String()
		out = append(out, fmt.Sprintf("%d:%s", r["grp"].Int, u[strings.Index(u, ":")+1:strings.LastIndex(u, ":")]))
	}
	var cnt int64 = -1
	if x := c.XAVPs["_dsctx_"]; len(x) == 1 {
		cnt = x[0]["cnt"].Int
	}
	return strings.Join(out, " "), cnt
}

func TestSelectRoutes(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		rules   string
		mode    string
		limit   int
		params  map[string]any
		preDu   string
		wantRC  int
		wantDu  string // "" = not set
		wantRU  string // R-URI after ("" = unchanged)
		wantX   string
		wantCnt int64 // -1: no _dsctx_
	}{
		{name: "two groups, d sets $du from the first", list: twoGroups, rules: "1=8;2=8", mode: "d",
			wantRC: 1, wantDu: "sip:127.0.0.2:5070", wantX: "1:127.0.0.2 1:127.0.0.3 2:127.0.0.4 2:127.0.0.5", wantCnt: 4},
		{name: "mode 0 is d, digits are Kamailio's aliases", list: twoGroups, rules: "1=8;2=8", mode: "0",
			wantRC: 1, wantDu: "sip:127.0.0.2:5070", wantX: "1:127.0.0.2 1:127.0.0.3 2:127.0.0.4 2:127.0.0.5", wantCnt: 4},
		{name: "r rewrites the R-URI host", list: twoGroups, rules: "2=8;1=8", mode: "r",
			wantRC: 1, wantRU: "sip:bob@127.0.0.4:5070", wantX: "2:127.0.0.4 2:127.0.0.5 1:127.0.0.2 1:127.0.0.3", wantCnt: 4},
		{name: "x only fills the list", list: twoGroups, rules: "1=8;2=8", mode: "X",
			wantRC: 1, wantX: "1:127.0.0.2 1:127.0.0.3 2:127.0.0.4 2:127.0.0.5", wantCnt: 4},
		{name: "first group all inactive: the second sets $du",
			list:  "1 sip:127.0.0.2:5070 1 2\n1 sip:127.0.0.3:5070 1 1\n2 sip:127.0.0.4:5070 0 2\n2 sip:127.0.0.5:5070 0 1\n",
			rules: "1=8;2=8", mode: "d", wantRC: 1, wantDu: "sip:127.0.0.4:5070", wantX: "2:127.0.0.4 2:127.0.0.5", wantCnt: 2},
		{name: "missing group passed over", list: twoGroups, rules: "9=8;2=8", mode: "d",
			wantRC: 1, wantDu: "sip:127.0.0.4:5070", wantX: "2:127.0.0.4 2:127.0.0.5", wantCnt: 2},
		{name: "limit 1: each group still adds its chosen one", list: twoGroups, rules: "1=8;2=8", mode: "d", limit: 1,
			wantRC: 1, wantDu: "sip:127.0.0.2:5070", wantX: "1:127.0.0.2 2:127.0.0.4", wantCnt: 2},
		{name: "limit 3 cuts the second group", list: twoGroups, rules: "1=8;2=8", mode: "d", limit: 3,
			wantRC: 1, wantDu: "sip:127.0.0.2:5070", wantX: "1:127.0.0.2 1:127.0.0.3 2:127.0.0.4", wantCnt: 3},
		{name: "round robin in the second group", list: twoGroups, rules: "1=8;2=4", mode: "d",
			wantRC: 1, wantDu: "sip:127.0.0.2:5070", wantX: "1:127.0.0.2 1:127.0.0.3 2:127.0.0.4 2:127.0.0.5", wantCnt: 4},
		{name: "no group usable", list: "1 sip:127.0.0.2:5070 1\n", rules: "1=8;7=4", mode: "d", wantRC: -1, wantCnt: -1},
		{name: "empty rules", list: twoGroups, rules: "", mode: "d", wantRC: -1, wantCnt: -1},
		{name: "bad mode", list: twoGroups, rules: "1=8", mode: "h", wantRC: -1, wantCnt: -1},
		{name: "bad rule after a good one keeps what it selected", list: twoGroups, rules: "1=8;x=4", mode: "d",
			wantRC: -1, wantDu: "sip:127.0.0.2:5070", wantX: "1:127.0.0.2 1:127.0.0.3", wantCnt: -1},
		{name: "a set alone is algorithm 0", list: twoGroups, rules: "2", mode: "d",
			wantRC: 1, wantDu: "", wantX: "", wantCnt: 2}, // Call-ID hash: checked by count only
		{name: "force_dst 0 with $du set: every group fails in mode d", list: twoGroups,
			rules: "1=8;2=8", mode: "d", params: map[string]any{"force_dst": int64(0)}, preDu: "sip:10.0.0.1",
			wantRC: -1, wantDu: "sip:10.0.0.1", wantCnt: -1},
		{name: "without failover no list, a count of 0", list: twoGroups, rules: "1=8;2=8", mode: "d", params: map[string]any{"flags": int64(0)},
			wantRC: 1, wantDu: "sip:127.0.0.2:5070", wantCnt: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{"flags": int64(2)}
			for k, v := range tt.params {
				params[k] = v
			}
			m := newDS(t, tt.list, params)
			c, _, _ := modtest.NewCtx(t, modtest.Request)
			c.DstURI = tt.preDu
			args := []any{tt.rules, tt.mode}
			if tt.limit != 0 {
				args = append(args, tt.limit)
			}
			if rc := modtest.Call(t, m, c, "ds_select_routes", args...); rc != tt.wantRC {
				t.Errorf("rc %d, want %d", rc, tt.wantRC)
			}
			if tt.name == "a set alone is algorithm 0" {
				if _, cnt := xavpOrder(c); cnt != tt.wantCnt || c.DstURI == "" {
					t.Errorf("$du %q cnt %d", c.DstURI, cnt)
				}
				return
			}
			if c.DstURI != tt.wantDu {
				t.Errorf("$du %q, want %q", c.DstURI, tt.wantDu)
			}
			if c.NewURI != tt.wantRU {
				t.Errorf("R-URI %q, want %q", c.NewURI, tt.wantRU)
			}
			if x, cnt := xavpOrder(c); x != tt.wantX || cnt != tt.wantCnt {
				t.Errorf("xavp %q cnt %d, want %q cnt %d", x, cnt, tt.wantX, tt.wantCnt)
			}
		})
	}
}

func TestNextRule(t *testing.T) {
	tests := []struct {
		in       string
		set, alg int
		rest     string
		ok       bool
	}{
		{"1=4;2=8", 1, 4, "2=8", true},
		{"12=10", 12, 10, "", true},
		{"3", 3, 0, "", true},
		{"=4;", 0, 4, "", true},
		{"1=4;;2=8", 1, 4, ";2=8", true}, // the next rule then fails
		{"1 =4", 0, 0, "", false},
		{"a=1", 0, 0, "", false},
		{"1=x", 0, 0, "", false},
	}
	for _, tt := range tests {
		set, alg, rest, ok := nextRule(tt.in)
		if set != tt.set || alg != tt.alg || rest != tt.rest || ok != tt.ok {
			t.Errorf("nextRule(%q) = %d %d %q %v, want %d %d %q %v", tt.in, set, alg, rest, ok, tt.set, tt.alg, tt.rest, tt.ok)
		}
	}
}

func TestOverloadAttrs(t *testing.T) {
	tests := []struct {
		attrs          string
		min, max, rate int
	}{
		{"", 0, 100, 0},
		{"ocrate=30", 0, 100, 30},
		{"ocmax=0;ocrate=50", 0, 100, 50},
		{"ocmax=150", 0, 100, 0},
		{"ocmin=120", 0, 100, 0},
		{"ocmin=60;ocmax=40;ocrate=50", 0, 40, 40},
		{"ocrate=101", 0, 100, 0},
		{"ocmin=20;ocrate=5", 20, 100, 20},
		{"ocmax=30;ocrate=80", 0, 30, 30},
		{"OCRATE=-5", 0, 100, 0},
	}
	for _, tt := range tests {
		a, _ := parseAttrs(tt.attrs)
		if a.ocmin != tt.min || a.ocmax != tt.max || a.ocrate != tt.rate {
			t.Errorf("%q: ocmin %d ocmax %d ocrate %d, want %d %d %d", tt.attrs, a.ocmin, a.ocmax, a.ocrate, tt.min, tt.max, tt.rate)
		}
	}
}

// TestOverloadSelect drives algorithm 64 over two gateways on a clock the
// test steps.
func TestOverloadSelect(t *testing.T) {
	const a, b = "sip:127.0.0.2:5070", "sip:127.0.0.3:5070"
	// An ocrate attribute alone has no effect: no deadline yet.
	m := newDS(t, "1 "+a+" 0 2 ocrate=100\n1 "+b+" 0 1\n", nil)
	now := time.Unix(1700000000, 0)
	m.now = func() time.Time { return now }
	count := func(n int) map[string]int {
		t.Helper()
		return selectN(t, m, n, algOverload, withCallID)
	}
	if got := count(10); got[a] != 5 || got[b] != 5 {
		t.Fatalf("no control: %v, want 5/5 (round robin)", got)
	}
	steps := []struct {
		name          string
		set, rate, ms int
		seq           int
		uri           string
		want          int
		advance       time.Duration
		calls, wantA  int
	}{
		{"rate 100 drains A", 1, 100, 2000, 1, a, 1, 0, 10, 0},
		{"still in force after 1.9 s", 1, 100, 2000, 1, "", 0, 1900 * time.Millisecond, 10, 0},
		{"a lower seq is ignored", 1, 0, 2000, 0, a, -2, 0, 10, 0},
		{"the same seq is ignored", 1, 0, 2000, 1, strings.ToUpper(a), -2, 0, 10, 0},
		{"an unknown URI changes nothing", 1, 0, 2000, 5, "sip:127.0.0.9:5070", -2, 0, 10, 0},
		{"a missing set is -1", 7, 0, 2000, 5, a, -1, 0, 10, 0},
		{"expired: round robin again", 1, 0, 0, 0, "", 0, 200 * time.Millisecond, 10, 5},
		{"rate 50: A gets 50 of 150 calls", 1, 50, 60000, 2, a, 1, 0, 150, 50},
		{"no interval is 500 ms", 1, 100, 0, 3, a, 1, 0, 4, 0},
		{"over after 500 ms", 1, 0, 0, 0, "", 0, 501 * time.Millisecond, 10, 5},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if s.uri != "" {
			if rc := m.ocSetAttrs(s.set, s.uri, s.rate, s.ms, s.seq); rc != s.want {
				t.Errorf("%s: ds_oc_set_attrs = %d, want %d", s.name, rc, s.want)
			}
		}
		// Start each round at A so that the counts are exact.
		m.data.Load().byID[1].last = 0
		if got := count(s.calls); got[a] != s.wantA || got[a]+got[b] != s.calls {
			t.Errorf("%s: %v, want %d to A of %d", s.name, got, s.wantA, s.calls)
		}
	}
	// The rate is bounded by ocmin/ocmax, and both gateways controlled
	// at 100 % leave nothing (then the default would be tried).
	m = newDS(t, "1 "+a+" 0 2 ocmax=40\n1 "+b+" 0 1 ocmin=100\n", nil)
	m.ocSetAttrs(1, a, 90, 1000, 1)
	m.ocSetAttrs(1, b, 0, 1000, 1)
	s := m.data.Load().byID[1]
	if s.dests[0].oc.rate != 40 || s.dests[1].oc.rate != 100 {
		t.Errorf("clamped rates %d %d, want 40 100", s.dests[0].oc.rate, s.dests[1].oc.rate)
	}
	m.ocSetAttrs(1, a, 100, 1000, 2) // still 40: ocmax
	// B always skipped, A 40 of every 100 times: 60 selections of 100
	// find A, the others nothing.
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	ok := 0
	for range 100 {
		c.DstURI = ""
		if rc := m.selectDst(c, 1, algOverload, 0, modeDst); rc == 1 {
			if c.DstURI != a {
				t.Fatalf("B chosen under a 100 %% control")
			}
			ok++
		}
	}
	if ok != 60 {
		t.Errorf("A at rate 40 (capped by ocmax) found %d times of 100, want 60", ok)
	}
	m = newDS(t, "1 "+a+" 0 2\n1 "+b+" 0 1\n", nil)
	m.ocSetAttrs(1, a, 100, 1000, 1)
	m.ocSetAttrs(1, b, 100, 1000, 1)
	if rc := m.selectDst(c, 1, algOverload, 0, modeDst); rc != -1 {
		t.Errorf("both controlled at 100 %%: rc %d, want -1", rc)
	}
	// Other algorithms ignore the control.
	if got := selectN(t, m, 10, algRoundRobin, withCallID); got[a] != 5 {
		t.Errorf("round robin under control: %v", got)
	}
}

// TestOverloadFailoverList: the failover list of algorithm 64 skips by
// state only, like the other algorithms.
func TestOverloadFailoverList(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.2:5070 0 2\n1 sip:127.0.0.3:5070 0 1\n", map[string]any{"flags": int64(2)})
	m.ocSetAttrs(1, "sip:127.0.0.2:5070", 100, 5000, 1)
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := m.selectDst(c, 1, algOverload, 0, modeDst); rc != 1 {
		t.Fatal(rc)
	}
	if x, cnt := xavpOrder(c); x != "1:127.0.0.3 1:127.0.0.2" || cnt != 2 {
		t.Errorf("xavp %q cnt %d", x, cnt)
	}
}

func TestRPCSetDUIDState(t *testing.T) {
	list := "1 sip:127.0.0.2:5070 0 5 duid=gw1\n1 sip:127.0.0.3:5070 0 4 duid=GW1\n1 sip:127.0.0.4:5070 0 3\n"
	tests := []struct {
		params  module.RPCParams
		wantErr string
		want    string // FLAGS of .2 .3 .4 after
	}{
		{module.RPCParams{"ip", "1", "gw1"}, "", "IP AX AX"},
		{module.RPCParams{"d", "1", "GW1"}, "", "DX AX AX"}, // the first match, any case
		{module.RPCParams{"tp", "1", "all"}, "", "TP TP TP"},
		{module.RPCParams{"1", "1", "all"}, "", "AX AX AX"},
		{module.RPCParams{"2", "1", "nosuch"}, "State Update Failed", "AX AX AX"},
		{module.RPCParams{"a", "9", "gw1"}, "State Update Failed", "AX AX AX"},
		{module.RPCParams{"i", "9", "all"}, "", "AX AX AX"}, // Kamailio says Ok
		{module.RPCParams{"zz", "1", "all"}, "Unknown State Value", "AX AX AX"},
		{module.RPCParams{"", "1", "all"}, "Invalid State Parameter", "AX AX AX"},
		{module.RPCParams{"ix", "1", "gw1"}, "", "IX AX AX"},
	}
	for _, tt := range tests {
		m := newDS(t, list, nil)
		_, err := m.rpcSetDUIDState(context.Background(), tt.params)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%v: error %v, want %q", tt.params, err, tt.wantErr)
		}
		var got []string
		for _, d := range m.data.Load().byID[1].dests {
			got = append(got, stateText(d.flags))
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%v: states %v, want %s", tt.params, got, tt.want)
		}
	}
}

func TestRPCOCListAndFullList(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.2:5070 0 2 ocmin=10;ocmax=90;ocrate=30\n1 sip:host.invalid:5080;transport=tcp 16 1\n", nil)
	now := time.Unix(1700000000, 250000000)
	m.now = func() time.Time { return now }
	if rc := m.ocSetAttrs(1, "sip:127.0.0.2:5070", 70, 1500, 4); rc != 1 {
		t.Fatal(rc)
	}
	res, err := m.rpcOCList(context.Background(), module.RPCParams{"1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	want := `[{"flags":0,"group":1,"ocidx":0,"ocmax":90,"ocmin":10,"ocrate":70,"ocseq":4,"octime_sec":1700000001,"octime_usec":750000,"priority":2,"uri":"sip:127.0.0.2:5070"},` +
		`{"flags":16,"group":1,"ocidx":0,"ocmax":100,"ocmin":0,"ocrate":0,"ocseq":0,"octime_sec":0,"octime_usec":0,"priority":1,"uri":"sip:host.invalid:5080;transport=tcp"}]`
	if string(b) != want {
		t.Errorf("oclist\n got %s\nwant %s", b, want)
	}
	if _, err := m.rpcOCList(context.Background(), module.RPCParams{"5"}); err == nil || !strings.Contains(err.Error(), "404 Destination Group Not Found") {
		t.Errorf("missing group: %v", err)
	}
	for _, tt := range []struct {
		mode      string
		want, not []string
	}{
		{"full", []string{`"HOST":"127.0.0.2"`, `"IPADDR":"127.0.0.2"`, `"PORT":5070`, `"PROTOID":0`, `"OCRATE":70`, `"OCSEQ":4`,
			`"OCTIME_SEC":1700000001`, `"OCTIME_USEC":750000`, `"OCMIN":10`, `"PROBING_COUNT":0`, `"PROTOID":2`, `"IPADDR":""`,
			`"ATTRS":{"BODY":"","DUID":null`}, nil},
		{"", []string{`"ATTRS":{"BODY":"ocmin=10;ocmax=90;ocrate=30"`}, []string{"OCRATE", "HOST", "OCMIN"}},
		{"short", nil, []string{"ATTRS", "OCRATE"}},
	} {
		res, err := m.rpcList(context.Background(), module.RPCParams{tt.mode})
		if tt.mode == "" {
			res, err = m.rpcList(context.Background(), nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		for _, w := range tt.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("list %q lacks %s:\n%s", tt.mode, w, b)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(string(b), n) {
				t.Errorf("list %q has %s:\n%s", tt.mode, n, b)
			}
		}
	}
	// dispatcher.add keeps the control of the destinations that stay.
	if _, err := m.rpcAdd(context.Background(), module.RPCParams{"1", "sip:127.0.0.4:5070"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range m.data.Load().byID[1].dests {
		if d.uri == "sip:127.0.0.2:5070" && (d.oc.rate != 70 || d.oc.seq != 4) {
			t.Errorf("overload control lost by dispatcher.add: %+v", d.oc)
		}
	}
}

// TestParallelXAVPMode: ds_select with algorithm 12 leaves $du alone and
// makes every usable destination a branch, the chosen one too.
func TestParallelXAVPMode(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.2:5070 0 3\n1 sip:127.0.0.3:5070 1 2\n1 sip:127.0.0.4:5070 0 1\n", nil)
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := m.selectDst(c, 1, algParallel, 0, modeXAVP); rc != 1 {
		t.Fatal(rc)
	}
	var got []string
	for _, b := range c.Branches {
		got = append(got, b.DstURI)
	}
	if c.DstURI != "" || strings.Join(got, " ") != "sip:127.0.0.2:5070 sip:127.0.0.4:5070" {
		t.Errorf("$du %q branches %v", c.DstURI, got)
	}
}
