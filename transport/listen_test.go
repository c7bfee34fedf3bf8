package transport

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseListen(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		in   string
		want ListenSpec
	}{
		{"udp:127.0.0.1:5060", ListenSpec{Proto: ProtoUDP, Addr: ap("127.0.0.1:5060")}},
		{"tcp:[::1]:5061", ListenSpec{Proto: ProtoTCP, Addr: ap("[::1]:5061")}},
		{"127.0.0.1", ListenSpec{Proto: ProtoUDP, Addr: ap("127.0.0.1:5060"), AnyProto: true}},
		{"127.0.0.1:5070", ListenSpec{Proto: ProtoUDP, Addr: ap("127.0.0.1:5070"), AnyProto: true}},
		{"[::1]", ListenSpec{Proto: ProtoUDP, Addr: ap("[::1]:5060"), AnyProto: true}},
		{"::1", ListenSpec{Proto: ProtoUDP, Addr: ap("[::1]:5060"), AnyProto: true}},
		{"udp:::1", ListenSpec{Proto: ProtoUDP, Addr: ap("[::1]:5060")}},
		{"UDP:127.0.0.1:5060 advertise 203.0.113.1:5080", ListenSpec{Proto: ProtoUDP, Addr: ap("127.0.0.1:5060"), AdvertiseHost: "203.0.113.1", AdvertisePort: 5080}},
		{"udp:127.0.0.1 advertise sip.example.com", ListenSpec{Proto: ProtoUDP, Addr: ap("127.0.0.1:5060"), AdvertiseHost: "sip.example.com"}},
		{"tcp:[::1]:5060 advertise [2001:db8::1]:5062", ListenSpec{Proto: ProtoTCP, Addr: ap("[::1]:5060"), AdvertiseHost: "2001:db8::1", AdvertisePort: 5062}},
		{"tls:0.0.0.0:5061", ListenSpec{Proto: ProtoTLS, Addr: ap("0.0.0.0:5061")}},
		{"tls:0.0.0.0", ListenSpec{Proto: ProtoTLS, Addr: ap("0.0.0.0:5061")}},
		{"ws:127.0.0.1:8080", ListenSpec{Proto: ProtoWS, Addr: ap("127.0.0.1:8080")}},
		{"wss:127.0.0.1", ListenSpec{Proto: ProtoWSS, Addr: ap("127.0.0.1:5061")}},
		{"ws:127.0.0.1", ListenSpec{Proto: ProtoWS, Addr: ap("127.0.0.1:5060")}},
		{"sctp:0.0.0.0:5060", ListenSpec{Proto: ProtoSCTP, Addr: ap("0.0.0.0:5060")}},
		{"udp:127.0.0.1:0", ListenSpec{Proto: ProtoUDP, Addr: ap("127.0.0.1:0")}},
		{"udp:*:5060", ListenSpec{Proto: ProtoUDP, Addr: ap("0.0.0.0:5060")}},
		{"udp:eth0:5060", ListenSpec{Proto: ProtoUDP, Addr: netip.AddrPortFrom(netip.Addr{}, 5060), Host: "eth0"}},
		{"tcp:sip.example.com", ListenSpec{Proto: ProtoTCP, Addr: netip.AddrPortFrom(netip.Addr{}, 5060), Host: "sip.example.com"}},
		{`udp:10.0.0.1:5060 name "edge 1" virtual`, ListenSpec{Proto: ProtoUDP, Addr: ap("10.0.0.1:5060"), Name: "edge 1", Virtual: true}},
		{"  udp:10.0.0.1:5060\t", ListenSpec{Proto: ProtoUDP, Addr: ap("10.0.0.1:5060")}},
	}
	for _, tc := range tests {
		got, err := ParseListen(tc.in)
		if err != nil {
			t.Errorf("ParseListen(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseListen(%q) = %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		// String round-trips (up to AnyProto, which String makes explicit).
		again, err := ParseListen(got.String())
		got.AnyProto = false
		if err != nil || again != got {
			t.Errorf("round trip of %q via %q: %+v, %v", tc.in, got.String(), again, err)
		}
	}
}

func TestParseListenErrors(t *testing.T) {
	tests := []struct{ in, part string }{
		{"", "empty"},
		{"udp:", "missing address"},
		{"udp:127.0.0.1:99999", `"99999"`},
		{"udp:127.0.0.1:x", `"x"`},
		{"udp:[::1", "']'"},
		{"udp:[nothost]:5060", "nothost"},
		{"udp:[::1]x", `"x"`},
		{"udp:2001:db8::1:5060:x", "brackets"},
		{"udp:bad/host", "bad/host"},
		{"udp:127.0.0.1 advertise", "advertise"},
		{"udp:127.0.0.1 advertise 1.2.3.4:0x", "0x"},
		{"udp:127.0.0.1 bogus", `"bogus"`},
		{`udp:127.0.0.1 name "x`, "quote"},
		{"sctp:(10.0.0.1,10.0.0.2):5060", "multi-homed"},
	}
	for _, tc := range tests {
		_, err := ParseListen(tc.in)
		if err == nil {
			t.Errorf("ParseListen(%q): no error", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.part) {
			t.Errorf("ParseListen(%q) = %v; want it to mention %s", tc.in, err, tc.part)
		}
	}
}

func TestProto(t *testing.T) {
	tests := []struct {
		p                Proto
		s, via           string
		reliable, secure bool
		stream           bool
		defaultPort      uint16
		kamailioID       int
	}{
		{ProtoUDP, "udp", "UDP", false, false, false, 5060, 1},
		{ProtoTCP, "tcp", "TCP", true, false, true, 5060, 2},
		{ProtoTLS, "tls", "TLS", true, true, true, 5061, 3},
		{ProtoWS, "ws", "WS", true, false, true, 5060, 5},
		{ProtoWSS, "wss", "WSS", true, true, true, 5061, 6},
		{ProtoSCTP, "sctp", "SCTP", true, false, false, 5060, 4},
	}
	if id := Proto(0).KamailioID(); id != 0 {
		t.Errorf("no protocol: KamailioID %d, want 0", id)
	}
	for _, tc := range tests {
		if id := tc.p.KamailioID(); id != tc.kamailioID {
			t.Errorf("%v: KamailioID %d, want %d", tc.s, id, tc.kamailioID)
		}
		if tc.p.String() != tc.s || tc.p.ViaName() != tc.via || tc.p.Reliable() != tc.reliable ||
			tc.p.Secure() != tc.secure || tc.p.Stream() != tc.stream || tc.p.DefaultPort() != tc.defaultPort {
			t.Errorf("%v: got %q %q %v %v %v %d", tc.s, tc.p.String(), tc.p.ViaName(), tc.p.Reliable(), tc.p.Secure(), tc.p.Stream(), tc.p.DefaultPort())
		}
		for _, in := range []string{tc.s, tc.via, strings.ToUpper(tc.s[:1]) + tc.s[1:]} {
			if p, err := ParseProto(in); err != nil || p != tc.p {
				t.Errorf("ParseProto(%q) = %v, %v", in, p, err)
			}
		}
	}
	if _, err := ParseProto("http"); err == nil {
		t.Error("ParseProto(http): no error")
	}
	if Proto(0).String() == "" || Proto(0).Reliable() || Proto(0).ViaName() != "" {
		t.Error("zero Proto")
	}
}
