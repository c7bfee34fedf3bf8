package sip

import "bytes"

// Via is one via-parm of a Via header (RFC 3261 20.42), with the
// parameters a proxy uses extracted. Byte fields alias the message.
type Via struct {
	Protocol  []byte // protocol name and version, e.g. "SIP/2.0"
	Transport []byte // "UDP", "TCP", "TLS", "SCTP", "WS", "WSS" or another token
	Host      []byte // sent-by host; an IPv6 reference keeps its brackets
	Port      uint16 // sent-by port, 0 when absent
	Params    Params // everything after sent-by, starting at ';'

	Branch   []byte
	Received []byte
	RPort    []byte // value of rport; empty when present without a value
	HasRPort bool
	MAddr    []byte
	TTL      []byte

	Raw []byte // the whole via-parm
}

// ParseVia parses one via-parm: sent-protocol LWS sent-by *( SEMI via-params ).
// Parameters are checked strictly (an empty parameter such as ";;" is an
// error, RFC 4475 3.1.2.1).
func ParseVia(b []byte) (Via, error) {
	v := Via{Raw: b}
	s := trimLWS(b)
	// sent-protocol = protocol-name SLASH protocol-version SLASH transport,
	// where SLASH may have LWS around it.
	name, s, ok := cutToken(s)
	if !ok {
		return v, errBad("Bad Via", "Via %q: missing protocol name", clip(b))
	}
	s, ok = cutSlash(s)
	if !ok {
		return v, errBad("Bad Via", "Via %q: expected '/' after protocol name", clip(b))
	}
	ver, s, ok := cutToken(s)
	if !ok {
		return v, errBad("Bad Via", "Via %q: missing protocol version", clip(b))
	}
	s, ok = cutSlash(s)
	if !ok {
		return v, errBad("Bad Via", "Via %q: expected '/' after protocol version", clip(b))
	}
	v.Transport, s, ok = cutToken(s)
	if !ok {
		return v, errBad("Bad Via", "Via %q: missing transport", clip(b))
	}
	// protocol-name and protocol-version are tokens (RFC 3261 20.42); a
	// version other than 2.0 is not an error here, so that a request in
	// another SIP version can still be answered with 505 along its Via.
	// The protocol bytes as written, e.g. "SIP/2.0" or "SIP / 2.0".
	v.Protocol = b[offsetIn(b, name) : offsetIn(b, ver)+len(ver)]

	// sent-by = host [ COLON port ], after LWS.
	rest := trimLWS(s)
	if len(rest) == len(s) {
		return v, errBad("Bad Via", "Via %q: expected whitespace before sent-by", clip(b))
	}
	end := bytes.IndexByte(rest, ';')
	if end < 0 {
		end = len(rest)
	}
	sentBy := trimLWS(rest[:end])
	host, port, err := splitHostPort(sentBy)
	if err != nil {
		return v, errBad("Bad Via", "Via %q: %v", clip(b), err)
	}
	v.Host, v.Port = host, port
	v.Params = Params(rest[end:])
	// One pass over the parameters both checks them strictly and picks
	// out the ones a proxy needs (this runs for every message).
	p := rest[end:]
	for len(p) > 0 {
		p = trimLeftLWS(p)
		if len(p) == 0 {
			break
		}
		if p[0] != ';' {
			return v, errBad("Bad Via", "Via %q: expected ';' before %q", clip(b), clip(p))
		}
		p = p[1:]
		pe := paramEnd(p)
		item := p[:pe]
		p = p[pe:]
		name, value := item, []byte(nil)
		if eq := bytes.IndexByte(item, '='); eq >= 0 {
			name, value = item[:eq], trimLWS(item[eq+1:])
			if len(value) == 0 {
				return v, errBad("Bad Via", "Via %q: parameter %q has an empty value", clip(b), clip(trimLWS(name)))
			}
		}
		name = trimLWS(name)
		if !isToken(name) {
			if len(name) == 0 {
				return v, errBad("Bad Via", "Via %q: empty parameter", clip(b))
			}
			return v, errBad("Bad Via", "Via %q: bad parameter name %q", clip(b), clip(name))
		}
		switch len(name) {
		case 6:
			if equalFold(name, "branch") {
				v.Branch = value
			}
		case 8:
			if equalFold(name, "received") {
				v.Received = value
			}
		case 5:
			if equalFold(name, "rport") {
				v.RPort = value
				if v.RPort == nil {
					v.RPort = name[len(name):]
				}
				v.HasRPort = true
			} else if equalFold(name, "maddr") {
				v.MAddr = value
			}
		case 3:
			if equalFold(name, "ttl") {
				v.TTL = value
			}
		}
	}
	return v, nil
}

// cutToken splits a leading token (after optional LWS) off s.
func cutToken(s []byte) (tok, rest []byte, ok bool) {
	s = trimLeftLWS(s)
	i := 0
	for i < len(s) && tokenChars[s[i]] {
		i++
	}
	return s[:i], s[i:], i > 0
}

// cutSlash removes LWS '/' LWS from the front of s.
func cutSlash(s []byte) ([]byte, bool) {
	s = trimLeftLWS(s)
	if len(s) == 0 || s[0] != '/' {
		return s, false
	}
	return trimLeftLWS(s[1:]), true
}

func trimLeftLWS(s []byte) []byte {
	for len(s) > 0 && isLWS(s[0]) {
		s = s[1:]
	}
	return s
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port".
func splitHostPort(b []byte) (host []byte, port uint16, err error) {
	if len(b) == 0 {
		return nil, 0, errStr("empty host")
	}
	hostEnd := len(b)
	if b[0] == '[' {
		rb := bytes.IndexByte(b, ']')
		if rb < 0 {
			return nil, 0, errStr("unterminated IPv6 reference")
		}
		hostEnd = rb + 1
		if hostEnd < len(b) && b[hostEnd] != ':' {
			return nil, 0, errStr("unexpected characters after IPv6 reference")
		}
	} else if c := bytes.IndexByte(b, ':'); c >= 0 {
		hostEnd = c
	}
	host = b[:hostEnd]
	if !validHost(host) {
		return nil, 0, errStr("bad host " + string(clip(host)))
	}
	if hostEnd < len(b) {
		n, ok := parseUint(trimLWS(b[hostEnd+1:]), 65535)
		if !ok || n == 0 {
			return nil, 0, errStr("bad port " + string(clip(b[hostEnd+1:])))
		}
		port = uint16(n)
	}
	return host, port, nil
}

// validHost accepts a hostname, an IPv4 address or a bracketed IPv6
// reference (loosely: hex digits, ':' and '.' inside the brackets, which
// also admits the RFC 5118 4.10 triple-colon form a receiver should
// tolerate).
func validHost(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	if h[0] == '[' {
		if len(h) < 4 || h[len(h)-1] != ']' {
			return false
		}
		for _, c := range h[1 : len(h)-1] {
			if !(c == ':' || c == '.' || ('0' <= c && c <= '9') || ('a' <= lower(c) && lower(c) <= 'f')) {
				return false
			}
		}
		return true
	}
	for _, c := range h {
		if !(c == '-' || c == '.' || c == '_' || ('0' <= c && c <= '9') || ('a' <= lower(c) && lower(c) <= 'z')) {
			return false
		}
	}
	return true
}

// checkParams refuses an empty parameter (";;" or a trailing ';') and a
// parameter name that is not a token.
func checkParams(p Params) error {
	s := []byte(p)
	for len(s) > 0 {
		s = trimLeftLWS(s)
		if len(s) == 0 {
			return nil
		}
		if s[0] != ';' {
			return errStr("expected ';' before parameter " + string(clip(s)))
		}
		s = s[1:]
		end := paramEnd(s)
		item := trimLWS(s[:end])
		name := item
		if eq := bytes.IndexByte(item, '='); eq >= 0 {
			name = trimLWS(item[:eq])
			if len(trimLWS(item[eq+1:])) == 0 {
				return errStr("parameter " + string(clip(name)) + " has an empty value")
			}
		}
		if !isToken(name) {
			if len(name) == 0 {
				return errStr("empty parameter")
			}
			return errStr("bad parameter name " + string(clip(name)))
		}
		s = s[end:]
	}
	return nil
}

// offsetIn returns the offset of sub within b; sub must be a subslice of b.
func offsetIn(b, sub []byte) int { return cap(b) - cap(sub) }

type errStr string

func (e errStr) Error() string { return string(e) }
