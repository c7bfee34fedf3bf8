package usrloc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/module"
)

// newInstance returns a usrloc instance with the modparams set, stopped
// when the test ends. Every test uses its own table name, since tables
// are shared by the instances of successive configurations.
func newInstance(t *testing.T, params map[string]any) *Instance {
	t.Helper()
	m, _ := module.Lookup("usrloc")
	inst := m.New().(*Instance)
	for k, v := range params {
		if err := module.SetParam(inst, k, v); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { inst.Stop() })
	return inst
}

func tableName(t *testing.T) string {
	return "loc_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
}

func add(t *testing.T, tb *Table, aor string, c Contact) {
	t.Helper()
	if err := tb.Update(aor, func(r *Record) error {
		if i := r.Find(c.Address, c.CallID, c.Path); i >= 0 {
			r.Update(i, c)
		} else {
			r.Insert(c)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func addresses(cs []Contact) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Address)
	}
	return out
}

func TestOrdering(t *testing.T) {
	later := time.Now().Unix() + 3600
	cases := []struct {
		name      string
		descTime  int
		contacts  []Contact
		wantOrder []string
	}{
		{"q descending, unset last", 0, []Contact{
			{Address: "sip:a@x", Q: QUnset}, {Address: "sip:b@x", Q: 500}, {Address: "sip:c@x", Q: 1000},
		}, []string{"sip:c@x", "sip:b@x", "sip:a@x"}},
		{"equal q oldest first", 0, []Contact{
			{Address: "sip:a@x", Q: 500}, {Address: "sip:b@x", Q: 500}, {Address: "sip:c@x", Q: 500},
		}, []string{"sip:a@x", "sip:b@x", "sip:c@x"}},
		{"equal q newest first with desc_time_order", 1, []Contact{
			{Address: "sip:a@x", Q: 500}, {Address: "sip:b@x", Q: 500},
		}, []string{"sip:b@x", "sip:a@x"}},
		{"q change moves a contact", 0, []Contact{
			{Address: "sip:a@x", Q: 100}, {Address: "sip:b@x", Q: 500}, {Address: "sip:a@x", Q: 900},
		}, []string{"sip:a@x", "sip:b@x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inst := newInstance(t, map[string]any{"desc_time_order": int64(tc.descTime)})
			tb, err := inst.Table(tableName(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.contacts {
				c.Expires = later
				add(t, tb, "alice", c)
			}
			if got := addresses(tb.Get("alice")); strings.Join(got, " ") != strings.Join(tc.wantOrder, " ") {
				t.Errorf("order %v, want %v", got, tc.wantOrder)
			}
		})
	}
}

func TestMatchingMode(t *testing.T) {
	cases := []struct {
		mode int
		// second contact differs from the first in address/callid/path
		second    Contact
		wantCount int
	}{
		{0, Contact{Address: "sip:a@x", CallID: "other"}, 1},
		{0, Contact{Address: "sip:b@x", CallID: "c1"}, 2},
		{1, Contact{Address: "sip:a@x", CallID: "other"}, 2},
		{1, Contact{Address: "sip:a@x", CallID: "c1"}, 1},
		{2, Contact{Address: "sip:a@x", CallID: "c1", Path: "<sip:edge>"}, 2},
		{3, Contact{Address: "sip:b@x", CallID: "c1"}, 1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("mode%d_%s_%s", tc.mode, tc.second.Address, tc.second.CallID), func(t *testing.T) {
			inst := newInstance(t, map[string]any{"matching_mode": int64(tc.mode)})
			tb, _ := inst.Table(tableName(t))
			exp := time.Now().Unix() + 100
			add(t, tb, "alice", Contact{Address: "sip:a@x", CallID: "c1", Expires: exp})
			tc.second.Expires = exp
			add(t, tb, "alice", tc.second)
			if got := len(tb.Get("alice")); got != tc.wantCount {
				t.Errorf("%d contacts, want %d", got, tc.wantCount)
			}
		})
	}
}

func TestExpire(t *testing.T) {
	inst := newInstance(t, nil)
	tb, _ := inst.Table(tableName(t))
	now := time.Now().Unix()
	add(t, tb, "alice", Contact{Address: "sip:old@x", Expires: now - 1})
	add(t, tb, "alice", Contact{Address: "sip:live@x", Expires: now + 100})
	add(t, tb, "bob", Contact{Address: "sip:old@y", Expires: now - 5})
	add(t, tb, "carol", Contact{Address: "sip:perm@z", Expires: 0})
	if n := tb.Expire(now); n != 2 {
		t.Errorf("expired %d contacts, want 2", n)
	}
	if got := addresses(tb.Get("alice")); len(got) != 1 || got[0] != "sip:live@x" {
		t.Errorf("alice has %v after expiry", got)
	}
	if tb.Get("bob") != nil {
		t.Error("bob's record should be gone with its last contact")
	}
	if len(tb.Get("carol")) != 1 {
		t.Error("a permanent contact must not expire")
	}
	if aors, contacts := tb.Count(); aors != 2 || contacts != 2 {
		t.Errorf("count %d aors %d contacts, want 2 and 2", aors, contacts)
	}
}

func TestBadParams(t *testing.T) {
	cases := []map[string]any{
		{"db_mode": int64(7)},
		{"db_mode": int64(1)}, // no db_url
		{"timer_interval": int64(0)},
		{"matching_mode": int64(9)},
		{"hash_size": int64(40)},
	}
	for _, params := range cases {
		inst := newInstance(t, params)
		if _, err := inst.Table("location"); err == nil {
			t.Errorf("%v: no error", params)
		}
	}
}

func rpcCall(t *testing.T, inst *Instance, name string, params ...any) (any, error) {
	t.Helper()
	for _, r := range inst.RPCs() {
		if r.Name == name {
			return r.Run(context.Background(), module.RPCParams(params))
		}
	}
	t.Fatalf("no RPC %s", name)
	return nil, nil
}

func TestRPC(t *testing.T) {
	inst := newInstance(t, nil)
	name := tableName(t)
	tb, _ := inst.Table(name)
	if _, err := rpcCall(t, inst, "ul.add", name, "alice@example.org", "sip:alice@192.0.2.1:5060", "300", "0.5", ".", "0", "0", "-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := rpcCall(t, inst, "ul.add", name, "alice", "sip:alice@192.0.2.2:5060", "0", "-1", "<sip:edge.example.org;lr>", "0", "64", "-1"); err != nil {
		t.Fatal(err)
	}
	got := tb.Get("alice")
	if len(got) != 2 || got[0].Q != 500 || got[1].Expires != 0 || got[1].Path != "<sip:edge.example.org;lr>" || got[1].CFlags != 64 {
		t.Fatalf("after ul.add: %+v", got)
	}

	res, err := rpcCall(t, inst, "ul.dump")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	var dump struct {
		Domains []struct {
			Domain struct {
				Domain string
				Size   int
				AoRs   []struct {
					Info struct {
						AoR      string
						HashID   uint32
						Contacts []struct {
							Contact map[string]any
						}
					}
				}
				Stats struct {
					Records  int
					MaxSlots int `json:"Max-Slots"`
				}
			}
		}
	}
	if err := json.Unmarshal(b, &dump); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	d := dump.Domains[0].Domain
	if d.Domain != name || d.Size != 1024 || d.Stats.Records != 1 || d.Stats.MaxSlots != 1 || len(d.AoRs) != 1 {
		t.Fatalf("ul.dump: %s", b)
	}
	c0 := d.AoRs[0].Info.Contacts[0].Contact
	for _, k := range []string{"Address", "Expires", "Q", "Call-ID", "CSeq", "User-Agent", "Received", "Path", "State",
		"Flags", "CFlags", "Socket", "Methods", "Ruid", "Instance", "Reg-Id", "Server-Id", "Tcpconn-Id", "Keepalive",
		"Last-Keepalive", "KA-Roundtrip", "Last-Modified"} {
		if _, ok := c0[k]; !ok {
			t.Errorf("ul.dump contact lacks %q", k)
		}
	}
	if c0["Q"] != 0.5 || c0["Received"] != "[not set]" || c0["State"] != "CS_NEW" {
		t.Errorf("ul.dump contact: %v", c0)
	}
	if c1 := d.AoRs[0].Info.Contacts[1].Contact; c1["Expires"] != "permanent" || c1["Q"] != float64(-1) {
		t.Errorf("permanent contact: %v", c1)
	}

	if _, err := rpcCall(t, inst, "ul.lookup", name, "alice"); err != nil {
		t.Errorf("ul.lookup: %v", err)
	}
	if _, err := rpcCall(t, inst, "ul.lookup", name, "nobody"); err == nil {
		t.Error("ul.lookup of an unknown AoR should fail")
	}
	if _, err := rpcCall(t, inst, "ul.rm_contact", name, "alice", "sip:nope@x"); err == nil {
		t.Error("ul.rm_contact of an unknown contact should fail")
	}
	if _, err := rpcCall(t, inst, "ul.rm_contact", name, "alice", "sip:alice@192.0.2.1:5060"); err != nil {
		t.Error(err)
	}
	if len(tb.Get("alice")) != 1 {
		t.Error("ul.rm_contact did not remove the contact")
	}
	if _, err := rpcCall(t, inst, "ul.rm", name, "alice"); err != nil {
		t.Error(err)
	}
	if tb.Get("alice") != nil {
		t.Error("ul.rm did not remove the AoR")
	}
	if _, err := rpcCall(t, inst, "ul.add", "nosuchtable", "a", "sip:a@x", "1", "1", ".", "0", "0", "-1"); err == nil {
		t.Error("ul.add to an unknown table should fail")
	}
	if _, err := rpcCall(t, inst, "ul.add", name, "a", "sip:a@x", "1", "7", ".", "0", "0", "-1"); err == nil {
		t.Error("ul.add with q 7 should fail")
	}
	if _, err := rpcCall(t, inst, "ul.flush"); err != nil {
		t.Error(err)
	}
}

// TestPersistence saves contacts with each db_mode on SQLite, stops, and
// checks what a new instance loads.
func TestPersistence(t *testing.T) {
	cases := []struct {
		mode      int64
		flush     bool // run the timer before stopping
		stop      bool // stop (graceful) rather than abandon the instance
		wantAfter int
	}{
		{mode: 1, wantAfter: 2},              // write-through: written at once
		{mode: 2, flush: true, wantAfter: 2}, // write-back after a timer run
		{mode: 2, stop: true, wantAfter: 2},  // write-back at a graceful stop
		{mode: 2, wantAfter: 0},              // nothing written without a timer run or stop
		{mode: 3, wantAfter: 2},              // the database is the store
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("mode%d_flush%v_stop%v", tc.mode, tc.flush, tc.stop), func(t *testing.T) {
			url := "sqlite://" + filepath.Join(t.TempDir(), "loc.db")
			params := map[string]any{"db_mode": tc.mode, "db_url": url, "timer_interval": int64(3600)}
			name := "location" // shared by name and db_url: each case has its own file
			inst := newInstance(t, params)
			tb, err := inst.Table(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := inst.Start(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			exp := time.Now().Unix() + 600
			add(t, tb, "alice", Contact{Address: "sip:alice@192.0.2.1", CallID: "c1", CSeq: 1, Q: 500, Expires: exp, Received: "sip:198.51.100.1:5060", Methods: MethodsAll})
			add(t, tb, "alice", Contact{Address: "sip:alice@192.0.2.2", CallID: "c2", CSeq: 7, Q: QUnset, Expires: exp, Path: "<sip:p1;lr>", Methods: 5})
			add(t, tb, "bob", Contact{Address: "sip:bob@192.0.2.3", CallID: "c3", Expires: time.Now().Unix() + 60})
			if err := tb.Update("bob", func(r *Record) error { r.RemoveAll(); return nil }); err != nil {
				t.Fatal(err)
			}
			if tc.flush {
				inst.RunTimer()
			}
			if tc.stop {
				inst.Stop()
			} else {
				// A crash: the instance's memory is lost, its table too.
				inst.mu.Lock()
				inst.stop()
				<-inst.done
				inst.stop = nil
				for _, t := range inst.tables {
					releaseTable(t)
				}
				inst.tables = nil
				inst.mu.Unlock()
			}

			again := newInstance(t, params)
			tb2, err := again.Table(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := again.Start(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			got := tb2.Get("alice")
			if len(got) != tc.wantAfter {
				t.Fatalf("after restart alice has %d contacts, want %d: %+v", len(got), tc.wantAfter, got)
			}
			if tc.wantAfter == 0 {
				return
			}
			c := got[0]
			if c.Address != "sip:alice@192.0.2.1" || c.Q != 500 || c.Received != "sip:198.51.100.1:5060" || c.CallID != "c1" || c.Expires != exp || c.Methods != MethodsAll {
				t.Errorf("first contact after restart: %+v", c)
			}
			if c := got[1]; c.Q != QUnset || c.Path != "<sip:p1;lr>" || c.CSeq != 7 || c.Methods != 5 {
				t.Errorf("second contact after restart: %+v", c)
			}
			if tb2.Get("bob") != nil {
				t.Error("bob was removed before the restart")
			}
		})
	}
}

// TestDatabaseOutage: with the database unreachable, registrations stay
// in memory, the outage is logged once, and they are written when it is
// back.
func TestDatabaseOutage(t *testing.T) {
	dir := t.TempDir()
	// A directory that does not exist yet: sqlite cannot open the file.
	url := "sqlite://" + filepath.Join(dir, "missing", "loc.db")
	inst := newInstance(t, map[string]any{"db_mode": int64(1), "db_url": url})
	name := "location"
	tb, err := inst.Table(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	add(t, tb, "alice", Contact{Address: "sip:alice@192.0.2.1", CallID: "c1", Expires: time.Now().Unix() + 600})
	if got := tb.Get("alice"); len(got) != 1 || got[0].State == StateSync {
		t.Fatalf("during the outage: %+v", got)
	}
	if !tb.persist.down.Load() {
		t.Fatal("the outage was not noticed")
	}
	if err := mkdir(filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
	inst.RunTimer()
	if got := tb.Get("alice"); len(got) != 1 || got[0].State != StateSync {
		t.Fatalf("after the database came back: %+v", got)
	}
	if tb.persist.down.Load() {
		t.Error("still marked down")
	}
}

func mkdir(p string) error { return os.MkdirAll(p, 0o755) }
