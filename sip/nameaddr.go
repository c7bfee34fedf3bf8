package sip

import "bytes"

// NameAddr is a header value of the form  [display-name] <URI> *(;param)
// or  addr-spec *(;param)  (From, To, Contact, Route, Record-Route,
// Refer-To, P-Asserted-Identity ...).
//
// Every byte slice aliases the input given to ParseNameAddr.
type NameAddr struct {
	// Display is the display name as written, trimmed, quotes kept if
	// quoted (use UnquoteDisplay to decode it). nil when absent.
	Display []byte
	URIRaw  []byte // the URI's bytes (without <>)
	URI     URI
	Angle   bool // URI was enclosed in <>
	// Params holds the header parameters after '>' or after the addr-spec,
	// starting at ';' (empty when none). Per RFC 3261 20.10, without <> the
	// parameters after the URI are header parameters, not URI parameters.
	Params Params
}

// ParseNameAddr parses one name-addr or addr-spec header value (the
// caller splits comma-separated lists first). "*" is not a name-addr: a
// caller handling Contact must check for it before calling.
//
// Strictness, and why:
//   - Rejected, as RFC 4475 asks: an unterminated quoted display name
//     (3.1.2.6), an unquoted display name with non-token characters such as
//     ',' (3.1.2.15), a missing '>', an empty "<>", empty parameters such
//     as ";;" (3.1.2.1), and an addr-spec (no <>) whose URI contains ',' or
//     '?' (3.1.2.13): RFC 3261 20 requires such a URI to be enclosed in <>,
//     because without them the ',' and '?' cannot be told apart from the
//     header syntax. An addr-spec whose user part contains ';' is caught
//     too: the ';' starts the header parameters, and the rest of the user
//     part then shows up as a parameter holding '@'.
//   - Also rejected: LWS between '<' or '>' and the URI ("< sip:a@b >",
//     RFC 4475 3.1.2.14). RFC 4475 allows either choice and Kamailio
//     tolerates it, but olelo follows the RFC where Kamailio is lax (the
//     compatibility policy of the design notes): RFC 3261 25.1 allows
//     whitespace only outside the brackets (LAQUOT = SWS "<", RAQUOT =
//     ">" SWS), and Message.Validate relies on this parser to refuse
//     badaspec.dat with a 400.
//   - No LWS is needed between a display name and '<' (RFC 4475 3.1.1.6).
func ParseNameAddr(b []byte) (NameAddr, error) {
	var n NameAddr
	if err := n.parse(b); err != nil {
		return NameAddr{}, err
	}
	return n, nil
}

func (n *NameAddr) parse(b []byte) error {
	end := len(b)
	for end > 0 && isLWS(b[end-1]) {
		end--
	}
	p := skipLWSFrom(b, 0, end)
	if p == end {
		return nameAddrErr(b, -1, "empty value")
	}

	if b[p] == '"' {
		q := quotedStringEnd(b, p, end)
		if q < 0 {
			return nameAddrErr(b, p, "unterminated quoted display name")
		}
		n.Display = b[p:q]
		p = skipLWSFrom(b, q, end)
		if p == end || b[p] != '<' {
			return nameAddrErr(b, p, "expected '<' after quoted display name")
		}
	} else {
		// Either display-name tokens up to '<', or a URI scheme up to ':'.
		s, j, sawLWS := p, p, false
		for j < end {
			if c := b[j]; charClass[c]&cToken != 0 {
				j++
			} else if isLWS(c) {
				sawLWS = true
				j++
			} else {
				break
			}
		}
		switch {
		case j < end && b[j] == '<':
			if d := trimLWS(b[s:j]); len(d) > 0 {
				n.Display = d
			}
			p = j
		case j < end && b[j] == ':' && !sawLWS && j > s:
			return n.parseAddrSpec(b, s, end)
		case j == end:
			return nameAddrErr(b, -1, "no URI (neither <URI> nor scheme:)")
		default:
			return nameAddrErr(b, j, "invalid character "+quoteByte(b[j])+" in display name (it must be quoted)")
		}
	}

	// b[p] == '<'
	// A URI never contains '>', so the first one closes it.
	gt := bytes.IndexByte(b[p+1:end], '>')
	if gt < 0 {
		return nameAddrErr(b, p, "missing '>'")
	}
	gt += p + 1
	us, ue := p+1, gt
	if len(trimLWS(b[us:ue])) == 0 {
		return nameAddrErr(b, p, "empty URI in <>")
	}
	if isLWS(b[us]) {
		return nameAddrErr(b, us, "whitespace between '<' and the URI")
	}
	if isLWS(b[ue-1]) {
		return nameAddrErr(b, ue-1, "whitespace between the URI and '>'")
	}
	n.Angle = true
	if err := n.setURI(b, us, ue); err != nil {
		return err
	}
	p = skipLWSFrom(b, gt+1, end)
	if p < end && b[p] != ';' {
		return nameAddrErr(b, p, "unexpected "+quoteByte(b[p])+" after '>'")
	}
	return n.setParams(b, p, end, false)
}

// parseAddrSpec handles the form without <>: the URI runs to the first ';'
// or LWS, and what follows are header parameters.
func (n *NameAddr) parseAddrSpec(b []byte, s, end int) error {
	j := s
	for j < end && b[j] != ';' && !isLWS(b[j]) {
		if c := b[j]; c == ',' || c == '?' {
			return nameAddrErr(b, j, "URI containing "+quoteByte(c)+" must be enclosed in <> (RFC 3261 20)")
		}
		j++
	}
	if err := n.setURI(b, s, j); err != nil {
		return err
	}
	p := skipLWSFrom(b, j, end)
	if p < end && b[p] != ';' {
		return nameAddrErr(b, p, "unexpected "+quoteByte(b[p])+" after URI")
	}
	return n.setParams(b, p, end, true)
}

func (n *NameAddr) setURI(b []byte, s, e int) error {
	n.URIRaw = b[s:e]
	u, err := ParseURI(n.URIRaw)
	if err != nil {
		if ve, ok := err.(*valueError); ok {
			off := ve.offset
			if off >= 0 {
				off += s
			}
			return nameAddrErr(b, off, "in URI: "+ve.reason)
		}
		return err
	}
	n.URI = u
	return nil
}

// setParams validates the header parameters b[p:end] (b[p] is ';' unless
// p == end) and stores them. generic-param = token [ "=" (token / host /
// quoted-string) ], with LWS allowed around ';' and '='. Unquoted values
// are accepted with any visible character but the separators, because
// devices put URIs and addresses there unquoted. In the addr-spec form an
// unquoted '@' or '?' means the URI was cut short at a ';' of its user
// part or parameters: it should have been in <>.
func (n *NameAddr) setParams(b []byte, p, end int, addrSpec bool) error {
	if p == end {
		return nil
	}
	n.Params = Params(b[p:end])
	for p < end {
		p = skipLWSFrom(b, p+1, end) // past ';'
		s := p
		for p < end && charClass[b[p]]&cToken != 0 {
			p++
		}
		if p == s {
			if p == end || b[p] == ';' {
				return nameAddrErr(b, p, "empty parameter")
			}
			return nameAddrErr(b, p, "invalid character "+quoteByte(b[p])+" in parameter name")
		}
		p = skipLWSFrom(b, p, end)
		if p < end && b[p] == '=' {
			p = skipLWSFrom(b, p+1, end)
			if p < end && b[p] == '"' {
				q := quotedStringEnd(b, p, end)
				if q < 0 {
					return nameAddrErr(b, p, "unterminated quoted parameter value")
				}
				p = q
			} else {
				vs := p
				for p < end && b[p] != ';' && !isLWS(b[p]) {
					c := b[p]
					if c < 0x21 || c == 0x7f || c == ',' || c == '"' || c == '<' || c == '>' || c == '=' {
						return nameAddrErr(b, p, "invalid character "+quoteByte(c)+" in parameter value")
					}
					if addrSpec && (c == '@' || c == '?') {
						return nameAddrErr(b, p, "URI with ';' in its user part or '?' must be enclosed in <> (RFC 3261 20)")
					}
					p++
				}
				if p == vs {
					return nameAddrErr(b, p, "empty parameter value after '='")
				}
			}
			p = skipLWSFrom(b, p, end)
		}
		if p < end && b[p] != ';' {
			if addrSpec && (b[p] == '@' || b[p] == '?') {
				return nameAddrErr(b, p, "URI with ';' in its user part or '?' must be enclosed in <> (RFC 3261 20)")
			}
			return nameAddrErr(b, p, "unexpected "+quoteByte(b[p])+" in parameters")
		}
	}
	return nil
}

// Tag returns the value of the "tag" header parameter, or nil.
func (n *NameAddr) Tag() []byte {
	v, _ := n.Params.Get("tag")
	return v
}

// UnquoteDisplay appends display to dst with the surrounding quotes
// removed and quoted-pairs (\x) decoded. A display name that is not quoted
// (a sequence of tokens) is appended unchanged.
func UnquoteDisplay(dst, display []byte) []byte {
	if len(display) < 2 || display[0] != '"' || display[len(display)-1] != '"' {
		return append(dst, display...)
	}
	s := display[1 : len(display)-1]
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		dst = append(dst, s[i])
	}
	return dst
}

// quotedStringEnd returns the index after the closing quote of the quoted
// string starting at b[p] (which is '"'), or -1 when it is not terminated
// before end. A backslash escapes the next character (quoted-pair).
func quotedStringEnd(b []byte, p, end int) int {
	// Fast path: find the next '"' with a vectorised search. Unless a
	// backslash stands right before it, it is the closing quote: a
	// quoted-pair is exactly two bytes, so only a '\\' at q-1 can escape it.
	if q := bytes.IndexByte(b[p+1:end], '"'); q >= 0 {
		q += p + 1
		if b[q-1] != '\\' {
			return q + 1
		}
	} else {
		return -1
	}
	for i := p + 1; i < end; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipLWSFrom returns the index of the first non-LWS byte of b[p:end], or
// end.
func skipLWSFrom(b []byte, p, end int) int {
	for p < end && isLWS(b[p]) {
		p++
	}
	return p
}

func nameAddrErr(b []byte, off int, reason string) error {
	return &valueError{kind: "name-addr", input: string(b), offset: off, reason: reason}
}
