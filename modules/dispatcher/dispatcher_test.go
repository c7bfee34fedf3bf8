package dispatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

// newDS returns an instance loaded from list, with modparams set by
// params (name → value).
func newDS(t testing.TB, list string, params map[string]any) *Instance {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dispatcher.list")
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newInstance()
	if err := module.SetParam(m, "list_file", path); err != nil {
		t.Fatal(err)
	}
	for k, v := range params {
		if err := module.SetParam(m, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Link(func(string) module.Instance { return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

const twoGateways = `# two gateways
1 sip:127.0.0.2:5070 0 0 weight=25
1 sip:127.0.0.3:5070 0 0 weight=75
`

func uris(m *Instance, set int) []string {
	var out []string
	for _, d := range m.data.Load().byID[set].dests {
		out = append(out, d.uri)
	}
	return out
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		wantErr string // substring; "" = no error
		set     int
		want    []string // URIs in set order
	}{
		{name: "priority first, equal ones reversed",
			list: "1 sip:127.0.0.2:5070 0 0\n1 sip:127.0.0.3:5070 0 5\n1 sip:127.0.0.4:5070 0 5\n",
			set:  1, want: []string{"sip:127.0.0.4:5070", "sip:127.0.0.3:5070", "sip:127.0.0.2:5070"}},
		{name: "scheme added, comments, blanks, leading space",
			list: "# c\n\n  3 127.0.0.6:5090\n", set: 3, want: []string{"sip:127.0.0.6:5090"}},
		{name: "hex flags and description",
			list: "2 sip:127.0.0.5:5080;transport=tcp 0x8 1 weight=75 my gateway two\n", set: 2, want: []string{"sip:127.0.0.5:5080;transport=tcp"}},
		{name: "bad set id names the line", list: "1 sip:127.0.0.2\nproxies\n", wantErr: "dispatcher.list:2"},
		{name: "bad flags", list: "1 sip:127.0.0.2 zz\n", wantErr: "bad flags"},
		{name: "bad URI", list: "1 sip:\n", wantErr: "dispatcher.list:1: bad destination URI"},
		{name: "unresolvable host", list: "1 sip:no-such-host.invalid\n", wantErr: "cannot resolve"},
		{name: "no DNS flag skips the lookup", list: "1 sip:no-such-host.invalid 16\n", set: 1, want: []string{"sip:no-such-host.invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dispatcher.list")
			os.WriteFile(path, []byte(tt.list), 0o644)
			m := newInstance()
			m.ListFile = path
			err := m.Link(func(string) module.Instance { return nil })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := uris(m, tt.set); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("set %d = %v, want %v", tt.set, got, tt.want)
			}
		})
	}
}

func TestAttrs(t *testing.T) {
	a, _ := parseAttrs("DUID=gw1;maxload=5;weight=250;rweight=30;socket=udp:127.0.0.1:5060;foo=bar")
	if a.duid != "gw1" || a.maxload != 5 || a.weight != 0 || a.rweight != 30 || a.socket != "udp:127.0.0.1:5060" {
		t.Errorf("attrs = %+v", a)
	}
}

// TestHash pins Kamailio's hash on values computed by Kamailio 5.6
// (kamcmd dispatcher.hash 0 VALUE).
func TestHash(t *testing.T) {
	tests := []struct {
		k1, k2 string
		want   uint32
	}{
		{"a84b4c76e66710@pc33.example.com", "", uint32(0x100000000 - 1731507716)},
		{"alice", "example.com", 1442294598},
		{"é@x\\x80", "", 855350819}, // bytes above 0x7f are signed chars in C
		{"", "", 1},
	}
	for _, tt := range tests {
		var k2 []byte
		if tt.k2 != "" {
			k2 = []byte(tt.k2)
		}
		if got := dsHash([]byte(tt.k1), k2); got != tt.want {
			t.Errorf("dsHash(%q, %q) = %d, want %d", tt.k1, tt.k2, got, tt.want)
		}
	}
}

func selectN(t *testing.T, m *Instance, n int, alg int, mk func(i int) string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := 0; i < n; i++ {
		c, _, _ := modtest.NewCtx(t, mk(i))
		if rc := m.selectDst(c, 1, alg, 0, modeDst); rc != 1 {
			t.Fatalf("selectDst = %d", rc)
		}
		got[c.DstURI]++
	}
	return got
}

func withCallID(i int) string {
	return strings.Replace(modtest.Request, "a84b4c76e66710@pc33.example.com", fmt.Sprintf("call-%d@x", i), 1)
}

func TestAlgorithms(t *testing.T) {
	same := func(int) string { return modtest.Request }
	tests := []struct {
		name string
		list string
		alg  int
		n    int
		mk   func(int) string
		// check returns a problem with the counts per URI, or ""
		check func(got map[string]int) string
	}{
		{"round robin alternates", twoGateways, 4, 10, same, func(g map[string]int) string {
			if g["sip:127.0.0.2:5070"] != 5 || g["sip:127.0.0.3:5070"] != 5 {
				return "not 5/5"
			}
			return ""
		}},
		{"call-id hash sticks", twoGateways, 0, 20, same, oneGateway},
		{"from hash sticks", twoGateways, 1, 20, withCallID, oneGateway},
		{"to hash sticks", twoGateways, 2, 20, withCallID, oneGateway},
		{"ruri hash sticks", twoGateways, 3, 20, withCallID, oneGateway},
		{"auth user without credentials is round robin", twoGateways, 5, 10, same, func(g map[string]int) string {
			if g["sip:127.0.0.2:5070"] != 5 {
				return "not alternating"
			}
			return ""
		}},
		{"serial takes the highest priority", "1 sip:127.0.0.2:5070 0 1\n1 sip:127.0.0.3:5070 0 9\n", 8, 5, withCallID, func(g map[string]int) string {
			if g["sip:127.0.0.3:5070"] != 5 {
				return "not the priority 9 one"
			}
			return ""
		}},
		{"weights 25/75", twoGateways, 9, 1000, withCallID, func(g map[string]int) string {
			if g["sip:127.0.0.2:5070"] != 250 || g["sip:127.0.0.3:5070"] != 750 {
				return "not 250/750 over 10 rounds of 100 slots"
			}
			return ""
		}},
		{"relative weights 30/70", "1 sip:127.0.0.2:5070 0 0 rweight=30\n1 sip:127.0.0.3:5070 0 0 rweight=70\n", 11, 1000, withCallID, func(g map[string]int) string {
			if g["sip:127.0.0.2:5070"] != 300 {
				return "not 300/700"
			}
			return ""
		}},
		{"unknown algorithm is the first", twoGateways, 99, 5, withCallID, func(g map[string]int) string {
			if g["sip:127.0.0.3:5070"] != 5 {
				return "not the first entry"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newDS(t, tt.list, nil)
			got := selectN(t, m, tt.n, tt.alg, tt.mk)
			if msg := tt.check(got); msg != "" {
				t.Errorf("%s: %v", msg, got)
			}
		})
	}
}

func oneGateway(g map[string]int) string {
	if len(g) != 1 {
		return "spread over several gateways"
	}
	return ""
}

func TestInactiveSkippedAndNone(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.2:5070 1\n1 sip:127.0.0.3:5070 0\n", nil)
	got := selectN(t, m, 4, 4, withCallID)
	if got["sip:127.0.0.3:5070"] != 4 {
		t.Errorf("inactive destination chosen: %v", got)
	}
	m.updateState(1, "sip:127.0.0.3:5070", flagDisabled, stateRPC, 0, "")
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := m.selectDst(c, 1, 4, 0, modeDst); rc != -1 {
		t.Errorf("all down: rc %d, want -1", rc)
	}
	if rc := m.selectDst(c, 7, 4, 0, modeDst); rc != -1 {
		t.Errorf("missing set: rc %d, want -1", rc)
	}
}

func TestUseDefault(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.9:5070 0 0\n1 sip:127.0.0.2:5070 0 1\n1 sip:127.0.0.3:5070 0 1\n", map[string]any{"use_default": int64(1)})
	// Order: .3, .2 (priority 1, reversed), then the default .9.
	got := selectN(t, m, 6, 4, withCallID)
	if got["sip:127.0.0.9:5070"] != 0 {
		t.Errorf("default used while others are up: %v", got)
	}
	m.updateState(1, "all", flagInactive, stateRPC, 0, "")
	m.updateState(1, "sip:127.0.0.9:5070", 0, stateRPC, 0, "")
	got = selectN(t, m, 2, 4, withCallID)
	if got["sip:127.0.0.9:5070"] != 2 {
		t.Errorf("default not used when the others are down: %v", got)
	}
}

func TestFailover(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.2:5070\n1 sip:127.0.0.3:5070\n1 sip:127.0.0.4:5070 1\n1 sip:127.0.0.5:5070\n", map[string]any{"flags": int64(2)})
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := m.selectDst(c, 1, 8, 0, modeDst); rc != 1 {
		t.Fatal(rc)
	}
	// Order .5 .4(inactive) .3 .2
	var seen []string
	seen = append(seen, c.DstURI)
	for m.nextDst(c, modeDst) == 1 {
		seen = append(seen, c.DstURI)
	}
	want := "sip:127.0.0.5:5070 sip:127.0.0.3:5070 sip:127.0.0.2:5070"
	if strings.Join(seen, " ") != want {
		t.Errorf("failover order %v, want %s", seen, want)
	}
	if cnt := c.XAVPs["_dsctx_"]; len(cnt) != 1 || cnt[0]["cnt"].Int != 3 {
		t.Errorf("_dsctx_ = %v", cnt)
	}

	// limit
	c, _, _ = modtest.NewCtx(t, modtest.Request)
	m.selectDst(c, 1, 8, 2, modeDst)
	if n := len(c.XAVPs["_dsdst_"]); n != 2 {
		t.Errorf("limit 2: %d records", n)
	}
	// ds_mark_dst marks the current one inactive.
	if rc := m.markDst(c, "ip"); rc != 1 {
		t.Fatal(rc)
	}
	if f := m.data.Load().byID[1].dests[0].flags; stateText(f) != "IP" {
		t.Errorf("marked %s, want IP", stateText(f))
	}
	// From the script, disabling drops probing, as in Kamailio; the RPC
	// keeps it.
	if rc := m.markDst(c, "dp"); rc != 1 || stateText(m.data.Load().byID[1].dests[0].flags) != "DX" {
		t.Errorf("ds_mark_dst(\"dp\") = %d, state %s, want DX", rc, stateText(m.data.Load().byID[1].dests[0].flags))
	}
	if !m.updateState(1, m.data.Load().byID[1].dests[0].uri, flagDisabled|flagProbing, stateRPC, 0, "") ||
		stateText(m.data.Load().byID[1].dests[0].flags) != "DP" {
		t.Errorf("RPC dp: state %s, want DP", stateText(m.data.Load().byID[1].dests[0].flags))
	}
	// Without failover flag, next and mark fail.
	m2 := newDS(t, twoGateways, nil)
	c, _, _ = modtest.NewCtx(t, modtest.Request)
	m2.selectDst(c, 1, 4, 0, modeDst)
	if m2.nextDst(c, modeDst) != -1 || m2.markDst(c, "i") != -1 {
		t.Error("ds_next_dst/ds_mark_dst work without flags 2")
	}
}

func TestSelectDomainAndForceDst(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.2:5070\n", map[string]any{"force_dst": int64(0)})
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := m.selectDst(c, 1, 0, 0, modeDomain); rc != 1 || c.NewURI != "sip:bob@127.0.0.2:5070" {
		t.Errorf("domain: rc %d, R-URI %q", rc, c.NewURI)
	}
	c.DstURI = "sip:10.0.0.1"
	if rc := m.selectDst(c, 1, 0, 0, modeDst); rc != -1 {
		t.Errorf("force_dst 0 with $du set: rc %d, want -1", rc)
	}
}

func TestParallel(t *testing.T) {
	m := newDS(t, "1 sip:127.0.0.2:5070\n1 sip:127.0.0.3:5070\n1 sip:127.0.0.4:5070\n", nil)
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	if rc := m.selectDst(c, 1, 12, 0, modeDst); rc != 1 {
		t.Fatal(rc)
	}
	if c.DstURI != "sip:127.0.0.4:5070" || len(c.Branches) != 2 {
		t.Errorf("$du %s, branches %v", c.DstURI, c.Branches)
	}
}

func TestCallLoad(t *testing.T) {
	list := "1 sip:127.0.0.2:5070 0 0 duid=a;maxload=2\n1 sip:127.0.0.3:5070 0 0 duid=b;maxload=1\n"
	m := newDS(t, list, map[string]any{"ds_hash_size": int64(8), "flags": int64(2)})
	var got []string
	for i := 0; i < 4; i++ {
		c, _, _ := modtest.NewCtx(t, withCallID(i))
		rc := m.selectDst(c, 1, 10, 0, modeDst)
		got = append(got, fmt.Sprintf("%d %s", rc, c.DstURI))
	}
	want := "1 sip:127.0.0.3:5070|1 sip:127.0.0.2:5070|1 sip:127.0.0.2:5070|-1 "
	if strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
	// A BYE releases the call.
	bye := strings.Replace(strings.Replace(withCallID(0), "INVITE sip", "BYE sip", 1), "314159 INVITE", "314160 BYE", 1)
	c, _, _ := modtest.NewCtx(t, bye)
	if rc := m.runLoadUpdate(c, nil); rc != 1 {
		t.Fatal(rc)
	}
	c, _, _ = modtest.NewCtx(t, withCallID(9))
	if rc := m.selectDst(c, 1, 10, 0, modeDst); rc != 1 || c.DstURI != "sip:127.0.0.3:5070" {
		t.Errorf("after BYE: rc %d, $du %s", rc, c.DstURI)
	}
	if rc := m.runLoadUnset(c, nil); rc != 1 {
		t.Errorf("ds_load_unset = %d", rc)
	}
	if rc := m.runLoadUnset(c, nil); rc != -1 {
		t.Errorf("second ds_load_unset = %d, want -1", rc)
	}
}

type recorder struct {
	mu   sync.Mutex
	runs []string
}

func (r *recorder) RunEvent(ctx context.Context, name string, msg *core.Msg) (int64, bool, bool) {
	e := ctx.Value(dsvKey{}).(stateEvent)
	r.mu.Lock()
	r.runs = append(r.runs, name+" "+e.uri)
	r.mu.Unlock()
	return 1, false, true
}

// TestProbingStates drives the keepalive outcomes through the state
// machine: thresholds, probing modes, events, disabled untouched.
func TestProbingStates(t *testing.T) {
	tests := []struct {
		name     string
		mode     int
		flags    int // initial
		outcomes []int
		want     string
		events   int
	}{
		{"mode 1: good reply gives AP", 1, 0, []int{200}, "AP", 0},
		{"mode 1: failures below threshold give TP", 1, 0, []int{408, 408}, "TP", 0},
		{"mode 1: threshold reached gives IP and dst-down", 1, 0, []int{408, 408, 408}, "IP", 1},
		{"mode 1: back after inactive threshold, dst-up", 1, 0, []int{408, 408, 408, 200, 200}, "IP", 1},
		{"mode 1: back after inactive threshold, dst-up", 1, 0, []int{408, 408, 408, 200, 200, 200}, "AP", 2},
		{"mode 0: probing flag cleared by a good reply", 0, flagProbing, []int{200}, "AX", 0},
		{"reply code whitelisted", 1, 0, []int{403}, "AP", 0},
		{"404 is a failure", 1, 0, []int{404, 404, 404}, "IP", 1},
		{"disabled is never changed", 1, flagDisabled, []int{408, 408, 408, 200}, "DX", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := fmt.Sprintf("1 sip:127.0.0.2:5070 %d\n", tt.flags)
			m := newDS(t, list, map[string]any{"ds_probing_mode": int64(tt.mode), "ds_probing_threshold": int64(3), "ds_inactive_threshold": int64(3), "ds_ping_reply_codes": "code=403", "ds_ping_latency_stats": int64(1)})
			rec := &recorder{}
			m.SetEventRunner(rec)
			d := m.data.Load().byID[1].dests[0]
			for _, code := range tt.outcomes {
				m.pingDone(1, d, code, "x", 0)
			}
			if got := stateText(d.flags); got != tt.want {
				t.Errorf("state %s, want %s", got, tt.want)
			}
			if len(rec.runs) != tt.events {
				t.Errorf("events %v, want %d", rec.runs, tt.events)
			}
		})
	}
}

func TestIsFromList(t *testing.T) {
	m := newDS(t, "1 sip:198.51.100.1:5060 0 0 k=v\n2 sip:198.51.100.1:5070;transport=tcp\n", nil)
	tests := []struct {
		args []any
		want int
	}{
		{nil, 1},
		{[]any{1}, 1},
		{[]any{2}, -1},
		{[]any{2, 1}, -1}, // port ignored, proto tcp differs
		{[]any{2, 3}, 1},  // port and proto ignored
		{[]any{-1, 0}, 1}, // udp 5060 matches set 1
		{[]any{3}, -1},    // no set 3
		{[]any{2, 0, "sip:198.51.100.1:5070;transport=tcp"}, 1},
	}
	for _, tt := range tests {
		c, _, _ := modtest.NewCtx(t, modtest.Request)
		f := modtest.Find(t, m, "ds_is_from_list", len(tt.args))
		args, err := modtest.Args(f, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Run(c, args); got != tt.want {
			t.Errorf("ds_is_from_list%v = %d, want %d", tt.args, got, tt.want)
		}
	}
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	c.Msg.Remote = netip.MustParseAddrPort("192.0.2.99:5060")
	if modtest.Call(t, m, c, "ds_is_from_list") != -1 {
		t.Error("unknown source matched")
	}
	if modtest.Call(t, m, c, "ds_list_exists", 2) != 1 || modtest.Call(t, m, c, "ds_list_exists", 5) != -1 {
		t.Error("ds_list_exists")
	}
}

// TestRPCList checks the shape of dispatcher.list against what
// Kamailio 5.6 prints for the same list (see the README).
func TestRPCList(t *testing.T) {
	list := "1 sip:127.0.0.2:5070 0 0 duid=gw1;maxload=5;weight=25\n1 sip:127.0.0.3:5070 0 5\n2 sip:127.0.0.5:5080 8 1\n3 127.0.0.6:5090\n"
	m := newDS(t, list, map[string]any{"ds_ping_latency_stats": int64(1), "ds_hash_size": int64(8)})
	res, err := m.rpcList(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	got := string(b)
	for _, want := range []string{
		`"NRSETS":3`,
		`{"SET":{"ID":1,"TARGETS":[{"DEST":{"FLAGS":"AX","LATENCY":{"AVG":0,"EST":0,"MAX":0,"STD":0,"TIMEOUT":0},"PRIORITY":5,"RUNTIME":{"DLGLOAD":0},"URI":"sip:127.0.0.3:5070"}}`,
		`"ATTRS":{"BODY":"duid=gw1;maxload=5;weight=25","DUID":"gw1","MAXLOAD":5,"OBPROXY":null,"RWEIGHT":0,"SOCKET":null,"SOCKNAME":null,"WEIGHT":25}`,
		`"FLAGS":"AP"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("dispatcher.list lacks %s\n%s", want, got)
		}
	}
	// Kamailio lists sets 1, 2, 3 loaded in that order as 1, 3, 2.
	if i1, i3, i2 := strings.Index(got, `"ID":1`), strings.Index(got, `"ID":3`), strings.Index(got, `"ID":2`); !(i1 < i3 && i3 < i2) {
		t.Errorf("set order not 1, 3, 2: %s", got)
	}
}

func TestRPCStateReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.list")
	os.WriteFile(path, []byte(twoGateways), 0o644)
	m := newInstance()
	m.ListFile = path
	if err := m.Link(func(string) module.Instance { return nil }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.rpcSetState(ctx, module.RPCParams{"dx", "1", "sip:127.0.0.2:5070"}); err != nil {
		t.Fatal(err)
	}
	got := selectN(t, m, 4, 4, withCallID)
	if got["sip:127.0.0.2:5070"] != 0 {
		t.Errorf("drained gateway chosen: %v", got)
	}
	if _, err := m.rpcSetState(ctx, module.RPCParams{"zz", "1", "all"}); err == nil {
		t.Error("bad state accepted")
	}
	// A failing reload keeps the old sets and says why.
	os.WriteFile(path, []byte("1 sip:no-such-host.invalid\n"), 0o644)
	_, err := m.rpcReload(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot resolve") {
		t.Errorf("reload error %v", err)
	}
	if len(uris(m, 1)) != 2 {
		t.Error("old sets lost")
	}
	// A good reload resets the states.
	os.WriteFile(path, []byte(twoGateways), 0o644)
	if _, err := m.rpcReload(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := selectN(t, m, 4, 4, withCallID); got["sip:127.0.0.2:5070"] != 2 {
		t.Errorf("after reload: %v", got)
	}
	if _, err := m.rpcAdd(ctx, module.RPCParams{"1", "sip:127.0.0.4:5070"}); err != nil || len(uris(m, 1)) != 3 {
		t.Errorf("add: %v %v", err, uris(m, 1))
	}
	if _, err := m.rpcRemove(ctx, module.RPCParams{"1", "sip:127.0.0.4:5070"}); err != nil || len(uris(m, 1)) != 2 {
		t.Errorf("remove: %v %v", err, uris(m, 1))
	}
	res, _ := m.rpcPingActive(ctx, module.RPCParams{"0"})
	if fmt.Sprint(res) != "map[NewPingState:0 OldPingState:1]" {
		t.Errorf("ping_active = %v", res)
	}
}

func BenchmarkSelectDst(b *testing.B) {
	m := newDS(b, twoGateways, map[string]any{"flags": int64(2)})
	c, _, _ := modtest.NewCtx(b, modtest.Request)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.DstURI = ""
		if m.selectDst(c, 1, 4, 0, modeDst) != 1 {
			b.Fatal("no destination")
		}
	}
}

func BenchmarkSelectDstNoFailover(b *testing.B) {
	m := newDS(b, twoGateways, nil)
	c, _, _ := modtest.NewCtx(b, modtest.Request)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m.selectDst(c, 1, 0, 0, modeDst) != 1 {
			b.Fatal("no destination")
		}
	}
}

func FuzzParseList(f *testing.F) {
	f.Add(twoGateways)
	f.Add("1 sip:127.0.0.2:5070 0x8 5 duid=a;weight=25 desc here\n# c\n\n")
	f.Add("2 127.0.0.1 16\n")
	f.Fuzz(func(t *testing.T, s string) {
		es, err := parseList("fuzz", strings.NewReader(s))
		if err != nil {
			return
		}
		for _, e := range es {
			e.flags |= flagNoDNS // no DNS from a fuzzer
			if d, err := newDest(context.Background(), e, nil); err == nil && d.uri == "" {
				t.Errorf("empty URI accepted from %q", s)
			}
		}
	})
}
