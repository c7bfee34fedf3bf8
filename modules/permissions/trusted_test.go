package permissions

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/transport"
)

var trustedRows = []trustedRow{
	{at: "1", srcIP: "198.51.100.1", proto: "udp", fromNull: true, ruriNull: true, tag: "carrier-a", priority: 0},
	{at: "2", srcIP: "198.51.100.2", proto: "any", from: "^sip:.*@pbx\\.example$", ruriNull: true, tag: "pbx", priority: 1},
	{at: "3", srcIP: "198.51.100.2", proto: "tcp", fromNull: true, ruri: "^sip:00", tag: "intl", priority: 5},
	{at: "4", srcIP: "198.51.100.3", proto: "none", fromNull: true, ruriNull: true, tag: "never"},
	{at: "5", srcIP: "2001:db8::7", proto: "ANY", fromNull: true, ruriNull: true, tagNull: true},
}

func trustedInstance(t *testing.T, mode int) *Instance {
	t.Helper()
	m := New()
	m.PeerTagAVP = "$avp(peer)"
	m.PeerTagMode = mode
	m.DBMode = 1
	if err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	tab, err := newTrustedTable(trustedRows)
	if err != nil {
		t.Fatal(err)
	}
	m.trusted.Store(tab)
	return m
}

func TestAllowTrusted(t *testing.T) {
	tests := []struct {
		src   string
		proto transport.Proto
		from  string
		ruri  string
		mode  int
		rc    int
		tags  string // the peer AVP stack, newest first
	}{
		{"198.51.100.1:5060", transport.ProtoUDP, "sip:a@x", "sip:1@y", 0, 1, "carrier-a"},
		{"198.51.100.1:5060", transport.ProtoTCP, "sip:a@x", "sip:1@y", 0, -1, ""},
		{"198.51.100.9:5060", transport.ProtoUDP, "sip:a@x", "sip:1@y", 0, -1, ""},
		{"198.51.100.2:5060", transport.ProtoUDP, "sip:a@pbx.example", "sip:1@y", 0, 1, "pbx"},
		{"198.51.100.2:5060", transport.ProtoUDP, "sip:a@PBX.example", "sip:1@y", 0, -1, ""},       // patterns are case-sensitive
		{"198.51.100.2:5060", transport.ProtoTCP, "sip:a@pbx.example", "sip:0044@y", 0, 1, "intl"}, // priority 5 first
		{"198.51.100.2:5060", transport.ProtoTCP, "sip:a@pbx.example", "sip:0044@y", 1, 2, "pbx,intl"},
		{"198.51.100.3:5060", transport.ProtoUDP, "sip:a@x", "sip:1@y", 0, -1, ""}, // proto none never matches
		{"[2001:db8::7]:5060", transport.ProtoTLS, "sip:a@x", "sip:1@y", 0, 1, ""},
	}
	for _, tt := range tests {
		m := trustedInstance(t, tt.mode)
		c, _, _ := modtest.NewCtx(t, request(tt.from, tt.ruri))
		c.Msg.Remote = mustAddrPort(tt.src)
		c.Msg.Proto = tt.proto
		rc := modtest.Call(t, m, c, "allow_trusted")
		var tags []string
		for _, v := range c.AVPs["peer"] {
			tags = append(tags, v.Str)
		}
		if rc != tt.rc || strings.Join(tags, ",") != tt.tags {
			t.Errorf("%s %s from %s to %s mode %d: rc %d tags %q, want %d %q", tt.src, tt.proto, tt.from, tt.ruri, tt.mode, rc, tags, tt.rc, tt.tags)
		}
	}
}

func TestAllowTrustedArgs(t *testing.T) {
	m := trustedInstance(t, 0)
	c, _, _ := modtest.NewCtx(t, request("sip:a@x", "sip:1@y"))
	for _, tt := range []struct {
		args []any
		want int
	}{
		{[]any{"198.51.100.1", "udp"}, 1},
		{[]any{"198.51.100.1", "UDP"}, 1},
		{[]any{"198.51.100.1", "any"}, 1},
		{[]any{"198.51.100.1", "tcp"}, -1},
		{[]any{"198.51.100.1", "bogus"}, -1},
		{[]any{"198.51.100.1", "none"}, -1},
		{[]any{"198.51.100.2", "udp", "sip:z@pbx.example"}, 1}, // the URI replaces the From URI
		{[]any{"198.51.100.2", "udp", "sip:z@other"}, -1},
	} {
		if rc := modtest.Call(t, m, c, "allow_trusted", tt.args...); rc != tt.want {
			t.Errorf("allow_trusted%v = %d, want %d", tt.args, rc, tt.want)
		}
	}
	dump, err := m.rpcTrustedDump(context.Background(), nil)
	if err != nil || len(dump.([]any)) != 4 {
		t.Errorf("trustedDump: %v %v", dump, err)
	}
}

func TestBadTrustedRows(t *testing.T) {
	for _, tt := range []struct {
		row  trustedRow
		want string
	}{
		{trustedRow{at: "row 1", srcIP: "1.2.3.4", proto: "smtp", fromNull: true, ruriNull: true}, "unknown proto"},
		{trustedRow{at: "row 2", srcIP: "1.2.3.4", proto: "udp", from: "(", ruriNull: true}, "bad from_pattern"},
		{trustedRow{at: "row 3", srcIP: "1.2.3.4", proto: "udp", fromNull: true, ruri: "["}, "bad ruri_pattern"},
		{trustedRow{at: "row 4", srcIP: "", proto: "udp", fromNull: true, ruriNull: true}, "empty src_ip"},
	} {
		_, err := newTrustedTable([]trustedRow{tt.row})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.row.at) {
			t.Errorf("%+v: %v, want %q", tt.row, err, tt.want)
		}
	}
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
