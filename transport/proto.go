package transport

import (
	"fmt"
	"strings"
)

// Proto is a SIP transport protocol.
type Proto uint8

// The transport protocols. The zero value is not a valid protocol.
const (
	ProtoUDP Proto = iota + 1
	ProtoTCP
	ProtoTLS
	ProtoWS
	ProtoWSS
	ProtoSCTP
)

var protoNames = [...]struct{ lower, via string }{
	ProtoUDP:  {"udp", "UDP"},
	ProtoTCP:  {"tcp", "TCP"},
	ProtoTLS:  {"tls", "TLS"},
	ProtoWS:   {"ws", "WS"},
	ProtoWSS:  {"wss", "WSS"},
	ProtoSCTP: {"sctp", "SCTP"},
}

func (p Proto) valid() bool { return p >= ProtoUDP && p <= ProtoSCTP }

// String returns the lower-case name ("udp", "tcp", ...), as used in
// listen= lines and in the transport URI parameter.
func (p Proto) String() string {
	if !p.valid() {
		return fmt.Sprintf("proto(%d)", uint8(p))
	}
	return protoNames[p].lower
}

// ViaName returns the upper-case name used in the Via sent-protocol
// ("SIP/2.0/UDP"): "UDP", "TCP", "TLS", "WS", "WSS" or "SCTP".
func (p Proto) ViaName() string {
	if !p.valid() {
		return ""
	}
	return protoNames[p].via
}

// Reliable reports whether the protocol delivers messages reliably, so that
// SIP retransmissions are not needed (everything but UDP).
func (p Proto) Reliable() bool { return p.valid() && p != ProtoUDP }

// Secure reports whether the protocol is encrypted (TLS, WSS).
func (p Proto) Secure() bool { return p == ProtoTLS || p == ProtoWSS }

// Stream reports whether the protocol is connection oriented (TCP, TLS,
// WS, WSS), so that messages can be sent back on an open connection.
func (p Proto) Stream() bool { return p >= ProtoTCP && p <= ProtoWSS }

// ParseProto parses a protocol name in any case ("udp", "TCP", "Wss").
func ParseProto(s string) (Proto, error) {
	for p := ProtoUDP; p <= ProtoSCTP; p++ {
		if strings.EqualFold(s, protoNames[p].lower) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("transport: unknown protocol %q (want udp, tcp, tls, ws, wss or sctp)", s)
}

// KamailioID returns Kamailio's number for the protocol (PROTO_UDP 1,
// TCP 2, TLS 3, SCTP 4, WS 5, WSS 6), which scripts compare $prid and
// the proto keyword with and RPC shows as PROTOID; 0 for none.
func (p Proto) KamailioID() int {
	switch p {
	case ProtoUDP:
		return 1
	case ProtoTCP:
		return 2
	case ProtoTLS:
		return 3
	case ProtoSCTP:
		return 4
	case ProtoWS:
		return 5
	case ProtoWSS:
		return 6
	}
	return 0
}

// DefaultPort returns the port a listen address without one gets: 5061 for
// TLS and WSS, 5060 for the others.
func (p Proto) DefaultPort() uint16 {
	if p.Secure() {
		return 5061
	}
	return 5060
}
