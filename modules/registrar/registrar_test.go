package registrar

import (
	"fmt"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/modules/usrloc"
)

// setup returns a linked registrar and its usrloc, with modparams, and
// a table name of its own (tables are shared by name in a process).
func setup(t *testing.T, regParams, ulParams map[string]any) (*Instance, *usrloc.Instance, string) {
	t.Helper()
	um, _ := module.Lookup("usrloc")
	ul := um.New().(*usrloc.Instance)
	for k, v := range ulParams {
		if err := module.SetParam(ul, k, v); err != nil {
			t.Fatal(err)
		}
	}
	rm, _ := module.Lookup("registrar")
	reg := rm.New().(*Instance)
	for k, v := range regParams {
		if err := module.SetParam(reg, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Link(func(name string) module.Instance {
		if name == "usrloc" {
			return ul
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ul.Stop() })
	return reg, ul, "loc_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
}

// register builds a REGISTER for alice with the given extra header lines.
func register(callID string, cseq int, lines ...string) string {
	return "REGISTER sip:example.org SIP/2.0\n" +
		"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK" + callID + fmt.Sprint(cseq) + "\n" +
		"Max-Forwards: 70\n" +
		"To: <sip:alice@example.org>\n" +
		"From: <sip:alice@example.org>;tag=456248\n" +
		"Call-ID: " + callID + "\n" +
		fmt.Sprintf("CSeq: %d REGISTER\n", cseq) +
		strings.Join(lines, "\n") + "\n" +
		"Content-Length: 0\n\n"
}

// save runs save(table) on raw and returns the code and the reply.
func save(t *testing.T, reg *Instance, table, raw string, extra ...any) (int, string) {
	t.Helper()
	c, h, _ := modtest.NewCtx(t, raw)
	rc := modtest.Call(t, reg, c, "save", append([]any{table}, extra...)...)
	if h.Count() == 0 {
		return rc, ""
	}
	return rc, h.Last(t).Data
}

func statusLine(reply string) string {
	line, _, _ := strings.Cut(reply, "\r\n")
	return line
}

func header(reply, name string) string {
	for _, l := range strings.Split(reply, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	return ""
}

func TestSave(t *testing.T) {
	cases := []struct {
		name        string
		regParams   map[string]any
		lines       []string
		wantRC      int
		wantStatus  string
		wantContact string
		wantHeader  [2]string
	}{
		{"expires header", nil, []string{"Contact: <sip:alice@192.0.2.1>", "Expires: 300"}, 1, "SIP/2.0 200 OK", "<sip:alice@192.0.2.1>;expires=300", [2]string{}},
		{"contact param wins", nil, []string{"Contact: <sip:alice@192.0.2.1>;expires=120", "Expires: 300"}, 1, "SIP/2.0 200 OK", "<sip:alice@192.0.2.1>;expires=120", [2]string{}},
		{"default expires", nil, []string{"Contact: <sip:alice@192.0.2.1>"}, 1, "SIP/2.0 200 OK", "<sip:alice@192.0.2.1>;expires=3600", [2]string{}},
		{"min expires raises", nil, []string{"Contact: <sip:alice@192.0.2.1>", "Expires: 10"}, 1, "SIP/2.0 200 OK", "<sip:alice@192.0.2.1>;expires=60", [2]string{}},
		{"min expires mode 1: 423", map[string]any{"min_expires_mode": int64(1)}, []string{"Contact: <sip:alice@192.0.2.1>", "Expires: 10"}, -1, "SIP/2.0 423 Interval Too Brief", "", [2]string{"Min-Expires", "60"}},
		{"max expires caps", map[string]any{"max_expires": int64(600)}, []string{"Contact: <sip:alice@192.0.2.1>", "Expires: 7200"}, 1, "SIP/2.0 200 OK", "<sip:alice@192.0.2.1>;expires=600", [2]string{}},
		{"q ordering", nil, []string{"Contact: <sip:a@192.0.2.1>;q=0.1, <sip:b@192.0.2.2>;q=0.9, <sip:c@192.0.2.3>", "Expires: 300"}, 1, "SIP/2.0 200 OK",
			"<sip:b@192.0.2.2>;q=0.9;expires=300, <sip:a@192.0.2.1>;q=0.1;expires=300, <sip:c@192.0.2.3>;expires=300", [2]string{}},
		{"star with expires 0", nil, []string{"Contact: *", "Expires: 0"}, 3, "SIP/2.0 200 OK", "", [2]string{}},
		{"star without expires 0", nil, []string{"Contact: *", "Expires: 30"}, -1, "SIP/2.0 400 Bad Request", "", [2]string{"P-Registrar-Error", "* used in contact and expires is not zero"}},
		{"star with another contact", nil, []string{"Contact: *, <sip:a@192.0.2.1>", "Expires: 0"}, -1, "SIP/2.0 400 Bad Request", "", [2]string{}},
		{"bad q", nil, []string{"Contact: <sip:a@192.0.2.1>;q=2"}, -1, "SIP/2.0 400 Bad Request", "", [2]string{}},
		{"bad contact", nil, []string{"Contact: <sip:a@192.0.2.1"}, -1, "SIP/2.0 400 Bad Request", "", [2]string{}},
		{"query only", nil, nil, 4, "SIP/2.0 200 OK", "", [2]string{}},
		{"too many contacts", map[string]any{"max_contacts": int64(1), "retry_after": int64(30)}, []string{"Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>"}, -2, "SIP/2.0 503 Service Unavailable", "", [2]string{"Retry-After", "30"}},
		{"path required", map[string]any{"use_path": int64(1)}, []string{"Contact: <sip:a@192.0.2.1>", "Path: <sip:edge.example.org;lr>"}, -1, "SIP/2.0 420 Bad Extension", "", [2]string{"Unsupported", "path"}},
		{"path echoed", map[string]any{"use_path": int64(1)}, []string{"Contact: <sip:a@192.0.2.1>", "Path: <sip:edge.example.org;lr>", "Supported: path"}, 1, "SIP/2.0 200 OK", "<sip:a@192.0.2.1>;expires=3600", [2]string{"Path", "<sip:edge.example.org;lr>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, _, table := setup(t, tc.regParams, nil)
			rc, reply := save(t, reg, table, register("c1", 1, tc.lines...))
			if rc != tc.wantRC {
				t.Errorf("save returned %d, want %d", rc, tc.wantRC)
			}
			if got := statusLine(reply); got != tc.wantStatus {
				t.Errorf("reply %q, want %q\n%s", got, tc.wantStatus, reply)
			}
			if got := header(reply, "Contact"); got != tc.wantContact {
				t.Errorf("Contact %q, want %q", got, tc.wantContact)
			}
			if tc.wantHeader[0] != "" && header(reply, tc.wantHeader[0]) != tc.wantHeader[1] {
				t.Errorf("%s %q, want %q\n%s", tc.wantHeader[0], header(reply, tc.wantHeader[0]), tc.wantHeader[1], reply)
			}
		})
	}
}

// TestSaveSequence checks updates, CSeq ordering, removal and the
// one-contact flag over several REGISTERs.
func TestSaveSequence(t *testing.T) {
	type step struct {
		callID  string
		cseq    int
		lines   []string
		flags   []any
		wantRC  int
		contact string
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"refresh updates", []step{
			{"c1", 1, []string{"Contact: <sip:a@192.0.2.1>", "Expires: 300"}, nil, 1, "<sip:a@192.0.2.1>;expires=300"},
			{"c1", 2, []string{"Contact: <sip:a@192.0.2.1>", "Expires: 600"}, nil, 2, "<sip:a@192.0.2.1>;expires=600"},
		}},
		{"old cseq not applied", []step{
			{"c1", 5, []string{"Contact: <sip:a@192.0.2.1>", "Expires: 300"}, nil, 1, "<sip:a@192.0.2.1>;expires=300"},
			{"c1", 4, []string{"Contact: <sip:a@192.0.2.1>", "Expires: 0"}, nil, 2, "<sip:a@192.0.2.1>;expires=300"},
		}},
		{"expires 0 removes", []step{
			{"c1", 1, []string{"Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>", "Expires: 300"}, nil, 1, "<sip:b@192.0.2.2>;expires=300, <sip:a@192.0.2.1>;expires=300"}, // Kamailio's order for equal q in one header
			{"c1", 2, []string{"Contact: <sip:a@192.0.2.1>;expires=0"}, nil, 3, "<sip:b@192.0.2.2>;expires=300"},
		}},
		{"star removes all", []step{
			{"c1", 1, []string{"Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>", "Expires: 300"}, nil, 1, "<sip:b@192.0.2.2>;expires=300, <sip:a@192.0.2.1>;expires=300"}, // Kamailio's order for equal q in one header
			{"c2", 1, []string{"Contact: *", "Expires: 0"}, nil, 3, ""},
			{"c3", 1, nil, nil, 4, ""},
		}},
		{"one contact flag", []step{
			{"c1", 1, []string{"Contact: <sip:a@192.0.2.1>", "Expires: 300"}, nil, 1, "<sip:a@192.0.2.1>;expires=300"},
			{"c2", 1, []string{"Contact: <sip:b@192.0.2.2>", "Expires: 300"}, []any{4}, 1, "<sip:b@192.0.2.2>;expires=300"},
		}},
		{"no reply flag", []step{
			{"c1", 1, []string{"Contact: <sip:a@192.0.2.1>", "Expires: 300"}, []any{2}, 1, ""},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, _, table := setup(t, nil, nil)
			for i, s := range tc.steps {
				rc, reply := save(t, reg, table, register(s.callID, s.cseq, s.lines...), s.flags...)
				if rc != s.wantRC {
					t.Errorf("step %d: save returned %d, want %d", i+1, rc, s.wantRC)
				}
				if got := header(reply, "Contact"); got != s.contact {
					t.Errorf("step %d: Contact %q, want %q", i+1, got, s.contact)
				}
			}
		})
	}
}

const invite = "INVITE sip:alice@example.org SIP/2.0\n" +
	"Via: SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bKinv\n" +
	"Max-Forwards: 70\n" +
	"To: <sip:alice@example.org>\n" +
	"From: <sip:bob@example.org>;tag=1\n" +
	"Call-ID: inv1\n" +
	"CSeq: 1 INVITE\n" +
	"Content-Length: 0\n\n"

func TestLookup(t *testing.T) {
	cases := []struct {
		name         string
		regParams    map[string]any
		registerWith []string
		avpReceived  string
		wantRC       int
		wantRURI     string
		wantDU       string
		wantBranches []string
	}{
		{"not registered", nil, nil, "", -1, "", "", nil},
		{"one contact", nil, []string{"Contact: <sip:alice@192.0.2.1:5070>"}, "", 1, "sip:alice@192.0.2.1:5070", "", nil},
		{"q order with branches", nil, []string{"Contact: <sip:a@192.0.2.1>;q=0.2, <sip:b@192.0.2.2>;q=0.8, <sip:c@192.0.2.3>;q=0.5"}, "", 1,
			"sip:b@192.0.2.2", "", []string{"sip:c@192.0.2.3", "sip:a@192.0.2.1"}},
		{"append_branches 0", map[string]any{"append_branches": int64(0)}, []string{"Contact: <sip:a@192.0.2.1>;q=0.2, <sip:b@192.0.2.2>;q=0.8"}, "", 1,
			"sip:b@192.0.2.2", "", nil},
		{"received becomes du", map[string]any{"received_avp": "$avp(RECEIVED)"}, []string{"Contact: <sip:alice@10.0.0.5:5060>"}, "sip:203.0.113.7:40000", 1,
			"sip:alice@10.0.0.5:5060", "sip:203.0.113.7:40000", nil},
		{"path first hop becomes du", map[string]any{"use_path": int64(1), "path_mode": int64(0)}, []string{"Contact: <sip:alice@10.0.0.5>", "Path: <sip:edge.example.org:5080;lr>"}, "", 1,
			"sip:alice@10.0.0.5", "sip:edge.example.org:5080;lr", nil},
		{"method filtered", map[string]any{"method_filtering": int64(1)}, []string{"Contact: <sip:alice@10.0.0.5>", "Allow: MESSAGE, OPTIONS"}, "", -2, "", "", nil},
		{"method allowed", map[string]any{"method_filtering": int64(1)}, []string{"Contact: <sip:alice@10.0.0.5>", "Allow: INVITE, ACK, BYE"}, "", 1, "sip:alice@10.0.0.5", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, _, table := setup(t, tc.regParams, nil)
			if tc.registerWith != nil {
				c, _, _ := modtest.NewCtx(t, register("r1", 1, tc.registerWith...))
				if tc.avpReceived != "" {
					c.AVPs = map[string][]module.Value{"RECEIVED": {module.StrValue(tc.avpReceived)}}
				}
				if rc := modtest.Call(t, reg, c, "save", table); rc <= 0 {
					t.Fatalf("save returned %d", rc)
				}
			}
			c, _, _ := modtest.NewCtx(t, invite)
			rc := modtest.Call(t, reg, c, "lookup", table)
			if rc != tc.wantRC {
				t.Fatalf("lookup returned %d, want %d", rc, tc.wantRC)
			}
			if c.NewURI != tc.wantRURI || c.DstURI != tc.wantDU {
				t.Errorf("R-URI %q $du %q, want %q and %q", c.NewURI, c.DstURI, tc.wantRURI, tc.wantDU)
			}
			var branches []string
			for _, b := range c.Branches {
				branches = append(branches, b.URI)
			}
			if strings.Join(branches, " ") != strings.Join(tc.wantBranches, " ") {
				t.Errorf("branches %v, want %v", branches, tc.wantBranches)
			}
		})
	}
}

func TestRegisteredUnregisterFetch(t *testing.T) {
	reg, ul, table := setup(t, nil, nil)
	if rc, _ := save(t, reg, table, register("c1", 1, "Contact: <sip:a@192.0.2.1>;q=0.5, <sip:b@192.0.2.2>", "User-Agent: phone/1.0")); rc != 1 {
		t.Fatalf("save returned %d", rc)
	}
	c, _, _ := modtest.NewCtx(t, invite)
	if rc := modtest.Call(t, reg, c, "registered", table); rc != 1 {
		t.Errorf("registered returned %d", rc)
	}
	if rc := modtest.Call(t, reg, c, "registered", table, "sip:nobody@example.org"); rc != -1 {
		t.Errorf("registered for nobody returned %d", rc)
	}
	// match_option 1: the INVITE's Call-ID is not the REGISTER's.
	if rc := modtest.Call(t, reg, c, "registered", table, "sip:alice@example.org", 1); rc != -1 {
		t.Errorf("registered with a Call-ID match returned %d", rc)
	}

	if rc := modtest.Call(t, reg, c, "reg_fetch_contacts", table, "sip:alice@example.org", "p"); rc != 1 {
		t.Fatalf("reg_fetch_contacts returned %d", rc)
	}
	get := func(arg string, idx int) module.Value {
		pv, err := newULCPV(arg)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := pv.(*ulcPV).GetAt(c, idx)
		return v
	}
	if v := get("p=>count", 0); v.Int != 2 {
		t.Errorf("count %v", v)
	}
	if v := get("p=>addr", 1); v.Str != "sip:b@192.0.2.2" {
		t.Errorf("addr[1] %v", v)
	}
	if v := get("p=>q", 0); v.Int != 500 {
		t.Errorf("q %v", v)
	}
	if v := get("p=>user_agent", 0); v.Str != "phone/1.0" {
		t.Errorf("user_agent %v", v)
	}
	ruid := get("p=>ruid", 0).Str
	if _, err := newULCPV("p=>nonsense"); err == nil {
		t.Error("an unknown $ulc attribute should be refused")
	}
	modtest.Call(t, reg, c, "reg_free_contacts", "p")
	if v := get("p=>count", 0); !v.IsNull() {
		t.Errorf("count after free %v", v)
	}

	if rc := modtest.Call(t, reg, c, "unregister", table, "sip:alice@example.org", "no-such-ruid"); rc != -3 {
		t.Errorf("unregister of an unknown ruid returned %d", rc)
	}
	if rc := modtest.Call(t, reg, c, "unregister", table, "sip:alice@example.org", ruid); rc != 1 {
		t.Errorf("unregister by ruid returned %d", rc)
	}
	tb, _ := ul.Table(table)
	if n := len(tb.Get("alice")); n != 1 {
		t.Errorf("%d contacts after unregister by ruid", n)
	}
	if rc := modtest.Call(t, reg, c, "unregister", table, "sip:alice@example.org"); rc != 1 {
		t.Errorf("unregister returned %d", rc)
	}
	if tb.Get("alice") != nil {
		t.Error("contacts left after unregister")
	}
}

func TestLink(t *testing.T) {
	rm, _ := module.Lookup("registrar")
	reg := rm.New().(*Instance)
	err := reg.Link(func(string) module.Instance { return nil })
	if err == nil || !strings.Contains(err.Error(), "usrloc") {
		t.Errorf("Link without usrloc: %v", err)
	}
	bad := rm.New().(*Instance)
	module.SetParam(bad, "path_mode", int64(5))
	um, _ := module.Lookup("usrloc")
	if err := bad.Link(func(string) module.Instance { return um.New() }); err == nil {
		t.Error("path_mode 5 should be refused")
	}
}

func TestUseDomainAndCase(t *testing.T) {
	reg, ul, table := setup(t, map[string]any{"case_sensitive": int64(0)}, map[string]any{"use_domain": int64(1)})
	raw := strings.Replace(register("c1", 1, "Contact: <sip:a@192.0.2.1>"), "To: <sip:alice@example.org>", "To: <sip:Alice@Example.ORG>", 1)
	if rc, _ := save(t, reg, table, raw); rc != 1 {
		t.Fatalf("save returned %d", rc)
	}
	tb, _ := ul.Table(table)
	if len(tb.Get("alice@example.org")) != 1 {
		t.Error("the AoR should be alice@example.org")
	}
}
