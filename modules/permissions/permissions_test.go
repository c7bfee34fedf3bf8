package permissions

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

// testRows is an address table with the cases of the Kamailio 101
// tutorial (a carrier in group 200, an office subnet) and the edges:
// port 0, IPv6, a name, several groups for one address.
var testRows = []addrRow{
	{at: "r1", id: 1, group: 200, ip: "10.0.1.102", mask: 32, port: 5060, tag: "Carrier IP address"},
	{at: "r2", id: 2, group: 200, ip: "192.168.1.0", mask: 24, port: 5060, tag: "OfficeSubnet"},
	{at: "r3", id: 3, group: 1, ip: "198.51.100.1", mask: 32, port: 0, tagNull: true},
	{at: "r4", id: 4, group: 250, ip: "198.51.100.1", mask: 0, port: 0, tag: "second group"},
	{at: "r5", id: 5, group: 300, ip: "2001:db8::1", mask: 128, port: 0, tag: "v6 host"},
	{at: "r6", id: 6, group: 300, ip: "[2001:db8:1::]", mask: 48, port: 0, tag: "v6 net"},
	{at: "r7", id: 7, group: 400, ip: "gw.example.net", mask: 32, port: 5060, tag: "by name"},
	{at: "r8", id: 8, group: 500, ip: "10.0.0.0", mask: 8, port: 0, tag: "wide"},
	{at: "r9", id: 9, group: 500, ip: "10.1.0.0", mask: 16, port: 0, tag: "narrow"},
}

func loaded(t testing.TB, rows []addrRow) *Instance {
	t.Helper()
	m := New()
	m.PeerTagAVP = "$avp(s:peer)"
	if err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	tab, err := newAddressTable(rows)
	if err != nil {
		t.Fatal(err)
	}
	m.addr.Store(tab)
	return m
}

func ctxFrom(t testing.TB, src string) *module.Ctx {
	t.Helper()
	c, _, _ := modtest.NewCtx(t, modtest.Request)
	c.Msg.Remote = netip.MustParseAddrPort(src)
	c.AVPs = map[string][]module.Value{}
	return c
}

func peerTag(c *module.Ctx) string {
	if s := c.AVPs["peer"]; len(s) > 0 {
		return s[0].Str
	}
	return "<none>"
}

func TestAllowSourceAddress(t *testing.T) {
	m := loaded(t, testRows)
	tests := []struct {
		src   string
		group any // nil: the default group (no argument)
		rc    int
		tag   string
	}{
		{"10.0.1.102:5060", 200, 1, "Carrier IP address"},
		{"10.0.1.102:5061", 200, -1, "<none>"}, // wrong port
		{"10.0.1.103:5060", 200, -1, "<none>"},
		{"192.168.1.77:5060", 200, 1, "OfficeSubnet"},
		{"192.168.2.77:5060", 200, -1, "<none>"},
		{"198.51.100.1:1234", nil, 1, "<none>"}, // group 1 by default, port 0 = any, NULL tag
		{"198.51.100.1:1234", 250, 1, "second group"},
		{"198.51.100.1:1234", 200, -1, "<none>"},
		{"[2001:db8::1]:5060", 300, 1, "v6 host"},
		{"[2001:db8:1:ffff::9]:7000", 300, 1, "v6 net"},
		{"[2001:db8:2::1]:5060", 300, -1, "<none>"},
		{"[::ffff:10.0.1.102]:5060", 200, 1, "Carrier IP address"}, // v4-mapped source
		{"10.1.2.3:5060", 500, 1, "wide"},                          // first match (subnet_match_mode 0)
	}
	for _, tt := range tests {
		c := ctxFrom(t, tt.src)
		var rc int
		if tt.group == nil {
			rc = modtest.Call(t, m, c, "allow_source_address")
		} else {
			rc = modtest.Call(t, m, c, "allow_source_address", tt.group)
		}
		if rc != tt.rc || peerTag(c) != tt.tag {
			t.Errorf("%s group %v: rc %d tag %q, want %d %q", tt.src, tt.group, rc, peerTag(c), tt.rc, tt.tag)
		}
	}
	// subnet_match_mode 1: the longest prefix decides the tag.
	m.SubnetMatchMode = 1
	c := ctxFrom(t, "10.1.2.3:5060")
	if rc := modtest.Call(t, m, c, "allow_source_address", 500); rc != 1 || peerTag(c) != "narrow" {
		t.Errorf("longest prefix: rc %d tag %q", rc, peerTag(c))
	}
}

func TestAllowAddressAndGroups(t *testing.T) {
	m := loaded(t, testRows)
	tests := []struct {
		fn    string
		args  []any
		rc    int
		group int // allow_address_group for the same address and port
	}{
		{"allow_address", []any{200, "10.0.1.102", 5060}, 1, 200},
		{"allow_address", []any{200, "10.0.1.102", 0}, -1, 500}, // a port of 0 asked only matches entries with port 0 (10.0.0.0/8 has)
		{"allow_address", []any{1, "198.51.100.1", 9}, 1, 1},    // lowest group first
		{"allow_address", []any{300, "[2001:db8::1]", 5060}, 1, 300},
		{"allow_address", []any{300, "2001:DB8:1::5", 1}, 1, 300},
		{"allow_address", []any{400, "gw.example.net", 5060}, 1, 400},
		{"allow_address", []any{400, "GW.example.NET", 5060}, 1, 400},
		{"allow_address", []any{400, "gw.example.net", 5070}, -1, -1},
		{"allow_address", []any{200, "192.168.1.1", 5060}, 1, 200},
		{"allow_address", []any{200, "not an address", 5060}, -1, -1},
		{"allow_address", []any{200, "10.0.1.102", 70000}, -1, -1},
	}
	for _, tt := range tests {
		c := ctxFrom(t, "203.0.113.9:5060")
		if rc := modtest.Call(t, m, c, tt.fn, tt.args...); rc != tt.rc {
			t.Errorf("%s%v = %d, want %d", tt.fn, tt.args, rc, tt.rc)
		}
		if g := modtest.Call(t, m, c, "allow_address_group", tt.args[1], tt.args[2]); g != tt.group {
			t.Errorf("allow_address_group(%v, %v) = %d, want %d", tt.args[1], tt.args[2], g, tt.group)
		}
	}
	for src, want := range map[string]int{
		"10.0.1.102:5060":     200,
		"192.168.1.9:5060":    200,
		"192.168.1.9:5061":    -1,
		"198.51.100.1:5":      1,
		"[2001:db8::1]:5":     300,
		"203.0.113.9:5060":    -1,
		"[2001:db8:1::1]:999": 300,
	} {
		if g := modtest.Call(t, m, ctxFrom(t, src), "allow_source_address_group"); g != want {
			t.Errorf("allow_source_address_group from %s = %d, want %d", src, g, want)
		}
	}
}

func TestNoTableMatchesNothing(t *testing.T) {
	m := New()
	if err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	c := ctxFrom(t, "10.0.1.102:5060")
	for _, call := range [][]any{{"allow_source_address"}, {"allow_source_address_group"}, {"allow_trusted"}} {
		if rc := modtest.Call(t, m, c, call[0].(string)); rc != -1 {
			t.Errorf("%s without tables = %d", call[0], rc)
		}
	}
}

func TestBadAddressRows(t *testing.T) {
	for _, tt := range []struct {
		row  addrRow
		want string
	}{
		{addrRow{at: "row id 1", group: 0, ip: "10.0.0.1", mask: 32}, "row id 1: group 0"},
		{addrRow{at: "row id 2", group: 1, ip: "10.0.0.1", mask: 33}, "row id 2: mask 33 is out of range"},
		{addrRow{at: "row id 3", group: 1, ip: "::1", mask: 129}, "mask 129"},
		{addrRow{at: "row id 4", group: 1, ip: "10.0.0.1", mask: 32, port: 70000}, "port 70000"},
		{addrRow{at: "row id 5", group: 1, ip: " ", mask: 32}, "empty ip_addr"},
		{addrRow{at: "row id 6", group: 1, ip: "10.0.0.1", mask: -1}, "mask -1"},
	} {
		_, err := newAddressTable([]addrRow{tt.row})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.row, err, tt.want)
		}
	}
}

func TestAddressFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "address.list")
	os.WriteFile(path, []byte("# carriers\n200 10.0.1.102 32 5060 Carrier IP\n200 192.168.1.0 24\n300 2001:db8::1\n"), 0o644)
	m := New()
	m.AddressFile = path
	m.ReloadDelta = 0
	if err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]int{"10.0.1.102:5060": 1, "10.0.1.102:5061": -1, "192.168.1.4:9": 1} {
		if rc := modtest.Call(t, m, ctxFrom(t, src), "allow_source_address", 200); rc != want {
			t.Errorf("%s: %d, want %d", src, rc, want)
		}
	}
	dump, err := m.rpcAddressDump(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	item := dump.([]any)[0].(map[string]any)["item"].(map[string]any)
	if item["ip"] != "10.0.1.102" || item["tag"] != "Carrier IP" || item["port"] != uint16(5060) {
		t.Errorf("addressDump: %v", dump)
	}

	// A reload that fails keeps the old table and says why, with the
	// file and line.
	os.WriteFile(path, []byte("200 10.0.1.102 32 5060\nbad line\n"), 0o644)
	_, err = m.rpcAddressReload(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "address.list:2") {
		t.Fatalf("reload of a bad file: %v", err)
	}
	if rc := modtest.Call(t, m, ctxFrom(t, "192.168.1.4:9"), "allow_source_address", 200); rc != 1 {
		t.Error("the old table was not kept after a failed reload")
	}
	// A good reload replaces the table.
	os.WriteFile(path, []byte("200 10.9.9.9\n"), 0o644)
	if res, err := m.rpcAddressReload(context.Background(), nil); err != nil || res != "Reload OK" {
		t.Fatalf("reload: %v %v", res, err)
	}
	if rc := modtest.Call(t, m, ctxFrom(t, "192.168.1.4:9"), "allow_source_address", 200); rc != -1 {
		t.Error("reload did not replace the table")
	}
	if rc := modtest.Call(t, m, ctxFrom(t, "10.9.9.9:1"), "allow_source_address", 200); rc != 1 {
		t.Error("reload did not load the new entry")
	}
	// reload_delta refuses a second reload too soon.
	m.ReloadDelta = 60
	if _, err := m.rpcAddressReload(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "ongoing reload") {
		t.Errorf("reload within reload_delta: %v", err)
	}
}

func TestAddressFileErrors(t *testing.T) {
	for text, want := range map[string]string{
		"x 1.2.3.4\n":          "f:1: group \"x\"",
		"\n\n1\n":              "f:3: want",
		"1 1.2.3.4 40\n":       "f:1: mask 40",
		"1 1.2.3.4 32 port\n":  "f:1: port \"port\"",
		"0 1.2.3.4\n":          "f:1: group 0",
		"1 1.2.3.4 x 5060\n":   "f:1: mask \"x\"",
		"1 1.2.3.4 32 99999\n": "f:1: port 99999",
	} {
		_, err := parseAddressFile("f", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

func TestDumps(t *testing.T) {
	m := loaded(t, testRows)
	ctx := context.Background()
	sub, _ := m.rpcSubnetDump(ctx, nil)
	if n := len(sub.([]any)); n != 4 {
		t.Errorf("subnetDump has %d items, want 4: %v", n, sub)
	}
	first := sub.([]any)[0].(map[string]any)
	if first["group"] != int64(200) || first["item"].(map[string]any)["ip"] != "192.168.1.0" || first["item"].(map[string]any)["mask"] != 24 {
		t.Errorf("subnetDump[0] = %v", first)
	}
	dom, _ := m.rpcDomainDump(ctx, nil)
	if d := dom.([]any); len(d) != 1 || d[0].(map[string]any)["item"].(map[string]any)["domain_name"] != "gw.example.net" {
		t.Errorf("domainDump = %v", dom)
	}
	addr, _ := m.rpcAddressDump(ctx, nil)
	if n := len(addr.([]any)); n != 4 {
		t.Errorf("addressDump has %d items, want 4: %v", n, addr)
	}
	if _, err := m.rpcTrustedDump(ctx, nil); err == nil {
		t.Error("trustedDump with db_mode 0 should fail")
	}
	if _, err := m.rpcTrustedReload(ctx, nil); err == nil {
		t.Error("trustedReload without db_url should fail")
	}
	if _, err := New().rpcAddressReload(ctx, nil); err == nil {
		t.Error("addressReload without db_url should fail")
	}
}

func TestModparams(t *testing.T) {
	for _, set := range []func(m *Instance){
		func(m *Instance) { m.DBMode = 2 },
		func(m *Instance) { m.PeerTagMode = 3 },
		func(m *Instance) { m.SubnetMatchMode = 2 },
		func(m *Instance) { m.PeerTagAVP = "$var(x)" },
		func(m *Instance) { m.DBURL = "nosuch://x" },
		func(m *Instance) { m.AddressFile = "/nonexistent/address.list" },
	} {
		m := New()
		set(m)
		if err := m.Start(context.Background(), nil); err == nil {
			t.Errorf("%+v accepted", m)
			m.Stop()
		}
	}
}

// BenchmarkAllowSourceAddress measures the lookup of a request's source
// in a table of 10000 exact addresses and 100 subnets.
func BenchmarkAllowSourceAddress(b *testing.B) {
	var rows []addrRow
	for i := range 10000 {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		rows = append(rows, addrRow{at: "b", group: int64(i%5 + 1), ip: ip.String(), mask: 32, tag: "host"})
	}
	for i := range 100 {
		rows = append(rows, addrRow{at: "b", group: 200, ip: netip.AddrFrom4([4]byte{172, 16, byte(i), 0}).String(), mask: 24, tag: "subnet"})
	}
	m := loaded(b, rows)
	f := modtest.Find(b, m, "allow_source_address", 1)
	args, err := modtest.Args(f, 200)
	if err != nil {
		b.Fatal(err)
	}
	group5, _ := modtest.Args(f, 5)
	for _, bc := range []struct {
		name, src string
		args      []*module.Arg
		tag       bool // set peer_tag_avp (one AVP value per match)
	}{
		{"subnet-hit", "172.16.99.7:5060", args, false},
		{"exact-hit", "10.0.0.4:5060", group5, false},
		{"exact-hit-tag-avp", "10.0.0.4:5060", group5, true},
		{"miss-100-subnets", "192.0.2.1:5060", args, false},
		{"miss-no-subnets", "192.0.2.1:5060", group5, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := ctxFrom(b, bc.src)
			m.tagAVP = ""
			if bc.tag {
				m.tagAVP = "peer"
			}
			b.ReportAllocs()
			for b.Loop() {
				if f.Run(c, bc.args) == 0 {
					b.Fatal("0")
				}
				if bc.tag {
					delete(c.AVPs, "peer")
				}
			}
		})
	}
}
