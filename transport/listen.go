package transport

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ListenSpec describes one listening socket, as written in a Kamailio
// listen= line.
type ListenSpec struct {
	Proto Proto
	// Addr is the address and port to bind. When the line names a host
	// or an interface rather than an IP address, Addr holds only the port
	// (Addr.Addr() is not valid) and Host holds the name; the Manager
	// resolves it when it starts.
	Addr netip.AddrPort
	Host string
	// AdvertiseHost and AdvertisePort are the "advertise" address used in
	// Via, Record-Route and Contact instead of the bound one (for NAT).
	// AdvertisePort 0 means the bound port.
	AdvertiseHost string
	AdvertisePort uint16
	// Name is the socket name (listen=... name "s1").
	Name string
	// Virtual is set by the "virtual" flag (an address that may move
	// between machines, e.g. with VRRP).
	Virtual bool
	// AnyProto is set when the line names no protocol. Kamailio then
	// listens with every enabled protocol on that address; ParseListen
	// returns a UDP spec and leaves it to the caller to add the others.
	AnyProto bool
}

// String formats the spec back in listen= syntax.
func (s ListenSpec) String() string {
	var b strings.Builder
	b.WriteString(s.Proto.String())
	b.WriteByte(':')
	if s.Host != "" && !s.Addr.Addr().IsValid() {
		b.WriteString(s.Host)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(s.Addr.Port())))
	} else {
		b.WriteString(s.Addr.String())
	}
	if s.AdvertiseHost != "" {
		b.WriteString(" advertise ")
		if strings.IndexByte(s.AdvertiseHost, ':') >= 0 {
			b.WriteString("[" + s.AdvertiseHost + "]")
		} else {
			b.WriteString(s.AdvertiseHost)
		}
		if s.AdvertisePort != 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(int(s.AdvertisePort)))
		}
	}
	if s.Name != "" {
		b.WriteString(" name ")
		b.WriteString(strconv.Quote(s.Name))
	}
	if s.Virtual {
		b.WriteString(" virtual")
	}
	return b.String()
}

// ParseListen parses a Kamailio listen= value:
//
//	[proto:]addr[:port] [advertise addr[:port]] [name "n"] [virtual]
//
// proto is udp, tcp, tls, ws, wss or sctp (any case); without it the spec
// is UDP with AnyProto set. addr is an IPv4 address, an IPv6 address in
// brackets (a bare IPv6 address is accepted when no port follows), a host
// name or an interface name. The port defaults to 5060 (5061 for tls and
// wss); port 0 asks the system for a free port. Errors name the bad part.
func ParseListen(s string) (ListenSpec, error) {
	var spec ListenSpec
	toks, err := splitListen(s)
	if err != nil {
		return spec, err
	}
	if len(toks) == 0 {
		return spec, fmt.Errorf("transport: listen %q: empty", s)
	}
	spec.Proto, spec.Addr, spec.Host, spec.AnyProto, err = parseSocket(toks[0])
	if err != nil {
		return spec, fmt.Errorf("transport: listen %q: %w", s, err)
	}
	for i := 1; i < len(toks); i++ {
		switch strings.ToLower(toks[i]) {
		case "advertise":
			if i+1 >= len(toks) {
				return spec, fmt.Errorf("transport: listen %q: advertise needs an address", s)
			}
			i++
			h, p, err := splitHostPort(toks[i])
			if err != nil {
				return spec, fmt.Errorf("transport: listen %q: advertise %q: %w", s, toks[i], err)
			}
			if p < 0 {
				p = 0
			}
			spec.AdvertiseHost, spec.AdvertisePort = h, uint16(p)
		case "name":
			if i+1 >= len(toks) {
				return spec, fmt.Errorf("transport: listen %q: name needs a value", s)
			}
			i++
			spec.Name = strings.Trim(toks[i], `"`)
		case "virtual":
			spec.Virtual = true
		default:
			return spec, fmt.Errorf("transport: listen %q: unexpected %q (want advertise, name or virtual)", s, toks[i])
		}
	}
	return spec, nil
}

// splitListen splits on white space, keeping "quoted strings" whole.
func splitListen(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		j := i
		if c == '"' {
			k := strings.IndexByte(s[i+1:], '"')
			if k < 0 {
				return nil, fmt.Errorf("transport: listen %q: unterminated quote", s)
			}
			j = i + 1 + k + 1
		} else {
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				j++
			}
		}
		toks = append(toks, s[i:j])
		i = j
	}
	return toks, nil
}

func parseSocket(t string) (p Proto, ap netip.AddrPort, host string, anyProto bool, err error) {
	rest := t
	if i := strings.IndexByte(t, ':'); i > 0 {
		if pp, perr := ParseProto(t[:i]); perr == nil {
			p, rest = pp, t[i+1:]
		}
	}
	if p == 0 {
		p, anyProto = ProtoUDP, true
	}
	if rest == "" {
		return p, ap, "", anyProto, fmt.Errorf("missing address in %q", t)
	}
	if strings.HasPrefix(rest, "(") {
		return p, ap, "", anyProto, fmt.Errorf("multi-homed address %q is not supported", rest)
	}
	h, port, err := splitHostPort(rest)
	if err != nil {
		return p, ap, "", anyProto, fmt.Errorf("%q: %w", rest, err)
	}
	if port < 0 {
		port = int(p.DefaultPort())
	}
	if a, perr := netip.ParseAddr(h); perr == nil {
		return p, netip.AddrPortFrom(a.Unmap(), uint16(port)), "", anyProto, nil
	}
	if h == "*" {
		return p, netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port)), "", anyProto, nil
	}
	if !validHostName(h) {
		return p, ap, "", anyProto, fmt.Errorf("bad host %q", h)
	}
	return p, netip.AddrPortFrom(netip.Addr{}, uint16(port)), h, anyProto, nil
}

// splitHostPort splits "host", "host:port", "[v6]", "[v6]:port" and a bare
// IPv6 address. port is -1 when absent.
func splitHostPort(s string) (host string, port int, err error) {
	port = -1
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("missing ']'")
		}
		host = s[1:end]
		if _, err := netip.ParseAddr(host); err != nil {
			return "", 0, fmt.Errorf("bad IPv6 address %q", host)
		}
		rest := s[end+1:]
		if rest == "" {
			return host, -1, nil
		}
		if rest[0] != ':' {
			return "", 0, fmt.Errorf("unexpected %q after ']'", rest)
		}
		port, err = parsePort(rest[1:])
		return host, port, err
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, -1, nil
	case 1:
		i := strings.IndexByte(s, ':')
		port, err = parsePort(s[i+1:])
		return s[:i], port, err
	default:
		if _, err := netip.ParseAddr(s); err != nil {
			return "", 0, fmt.Errorf("bad address (IPv6 with a port needs [brackets])")
		}
		return s, -1, nil
	}
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return n, nil
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
