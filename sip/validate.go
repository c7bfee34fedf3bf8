package sip

import "bytes"

// Validate applies the checks a SIP server makes on a received message
// before acting on it, and returns the first failure as a *ParseError
// whose Status is the reply to send (for requests; a bad response is
// dropped). For a request it parses and caches the core fields:
// Request-URI, Via, From, To, Call-ID, CSeq, Max-Forwards, Expires and
// Contact.
//
// A response is checked only for what matching and relaying it needs:
// the required headers, present once, a usable CSeq and Call-ID and a
// well-formed top Via. Its From, To, Contact, Expires and lower Vias are
// parsed when something asks for them (and an error is returned then), as
// Kamailio does: a proxy relays a reply without reading them, and
// parsing them up front was a tenth of the CPU of a relayed call
// (BenchmarkProxyCall's profile).
//
// Checked (RFC 3261 8.2, 16.3, 20; RFC 4475 section 3.1.2 and 3.3):
// required headers present (Via, From, To, Call-ID, CSeq; Max-Forwards is
// optional for RFC 2543 peers), single-value headers not repeated, the
// Request-URI scheme supported (416 otherwise) and without headers, CSeq a
// 32-bit number whose method equals the request method, Max-Forwards and
// Expires in range, every Via and Contact well formed, a Date in GMT.
func (m *Message) Validate() error {
	for _, id := range [...]HeaderID{HdrVia, HdrFrom, HdrTo, HdrCallID, HdrCSeq} {
		if !m.Has(id) {
			return errBad("Missing "+id.String(), "missing %s header", id)
		}
	}
	for _, id := range [...]HeaderID{HdrFrom, HdrTo, HdrCallID, HdrCSeq, HdrMaxForwards, HdrExpires, HdrContentType} {
		if m.HeaderCount(id) > 1 {
			return errBad("Multiple "+id.String(), "more than one %s header", id)
		}
	}
	if m.request {
		u, err := m.RequestURI()
		if err != nil {
			return err
		}
		if u.Scheme == SchemeUnknown {
			return &ParseError{Status: 416, Reason: "Unsupported URI Scheme", Detail: "Request-URI scheme " + string(clip(u.SchemeRaw)) + " is not supported"}
		}
		if len(u.Headers) > 0 {
			return errBad("Bad Request-URI", "headers are not allowed in a Request-URI (%q)", clip(m.ruri))
		}
	}
	cseq, err := m.CSeq()
	if err != nil {
		return err
	}
	if m.request && !bytes.Equal(cseq.MethodRaw, m.methodRaw) {
		return errBad("CSeq Method Mismatch", "CSeq method %q differs from the request method %q", clip(cseq.MethodRaw), clip(m.methodRaw))
	}
	if len(trimLWS(m.CallID())) == 0 {
		return errBad("Bad Call-ID", "empty Call-ID")
	}
	if !m.request {
		_, err := m.TopVia()
		return err
	}
	if _, err := m.From(); err != nil {
		return err
	}
	if _, err := m.To(); err != nil {
		return err
	}
	if _, err := m.MaxForwards(); err != nil {
		return err
	}
	if _, err := m.Expires(); err != nil {
		return err
	}
	if _, err := m.TopVia(); err != nil {
		return err
	}
	// The top Via was parsed (and cached) just above; the others are
	// parsed here only to be checked.
	it := m.Values(HdrVia)
	it.Next()
	for {
		v, ok := it.Next()
		if !ok {
			break
		}
		if len(v.Bytes) == 0 {
			return errBad("Bad Via", "empty Via value")
		}
		if _, err := ParseVia(v.Bytes); err != nil {
			return err
		}
	}
	if err := m.validateContacts(); err != nil {
		return err
	}
	if d := m.Header(HdrDate); d != nil && !bytes.HasSuffix(d, []byte("GMT")) {
		return errBad("Bad Date", "Date %q is not in GMT (RFC 3261 20.17)", clip(d))
	}
	return nil
}

func (m *Message) validateContacts() error {
	n := 0
	star := false
	for it := m.Values(HdrContact); ; {
		v, ok := it.Next()
		if !ok {
			break
		}
		n++
		if len(v.Bytes) == 1 && v.Bytes[0] == '*' {
			star = true
			continue
		}
		na, err := ParseNameAddr(v.Bytes)
		if err != nil {
			return errBad("Bad Contact", "Contact %q: %v", clip(v.Bytes), detail(err))
		}
		if err := checkParams(na.Params); err != nil {
			return errBad("Bad Contact", "Contact %q: %v", clip(v.Bytes), detail(err))
		}
		if e, ok := na.Params.Get("expires"); ok {
			if _, ok := parseUint(e, 1<<32-1); !ok {
				return errBad("Bad Contact", "Contact expires %q is not a 32-bit number of seconds", clip(e))
			}
		}
	}
	if star && n > 1 {
		return errBad("Bad Contact", "Contact '*' mixed with other contacts")
	}
	return nil
}
