package sip

import "bytes"

// cache holds the typed header values parsed on first access. Each field
// is valid when its bit is set in have.
type cache struct {
	have uint32

	ruri    URI
	ruriErr error
	via     Via
	viaErr  error
	cseq    CSeq
	cseqErr error
	from    NameAddr
	fromErr error
	to      NameAddr
	toErr   error
	maxFwd  int
	mfErr   error
	expires int64
	expErr  error
}

const (
	haveRURI uint32 = 1 << iota
	haveVia
	haveCSeq
	haveFrom
	haveTo
	haveMaxFwd
	haveExpires
)

// CSeq is the value of a CSeq header.
type CSeq struct {
	Num       uint32
	Method    Method
	MethodRaw []byte
}

// RequestURI returns the parsed Request-URI of a request.
func (m *Message) RequestURI() (*URI, error) {
	c := &m.cache
	if c.have&haveRURI == 0 {
		c.have |= haveRURI
		c.ruri, c.ruriErr = ParseURI(m.ruri)
		if c.ruriErr != nil {
			c.ruriErr = errBad("Bad Request-URI", "Request-URI: %v", detail(c.ruriErr))
		}
	}
	return &c.ruri, c.ruriErr
}

// TopVia returns the first via-parm of the first Via header.
func (m *Message) TopVia() (*Via, error) {
	c := &m.cache
	if c.have&haveVia == 0 {
		c.have |= haveVia
		it := m.Values(HdrVia)
		if v, ok := it.Next(); ok {
			c.via, c.viaErr = ParseVia(v.Bytes)
		} else {
			c.viaErr = errBad("Missing Via", "no Via header")
		}
	}
	return &c.via, c.viaErr
}

// CSeq returns the parsed CSeq header (RFC 3261 20.16: a 32-bit number and
// a method).
func (m *Message) CSeq() (CSeq, error) {
	c := &m.cache
	if c.have&haveCSeq == 0 {
		c.have |= haveCSeq
		c.cseq, c.cseqErr = parseCSeq(m.Header(HdrCSeq), m.Has(HdrCSeq))
	}
	return c.cseq, c.cseqErr
}

func parseCSeq(v []byte, present bool) (CSeq, error) {
	if !present {
		return CSeq{}, errBad("Missing CSeq", "no CSeq header")
	}
	num, rest, _ := cutToken(v)
	n, ok := parseUint(num, 1<<32-1)
	if !ok {
		return CSeq{}, errBad("Bad CSeq", "CSeq number %q is not a 32-bit number", clip(num))
	}
	method, rest, ok := cutToken(rest)
	if !ok || len(trimLWS(rest)) != 0 {
		return CSeq{}, errBad("Bad CSeq", "CSeq %q: expected number and method", clip(v))
	}
	return CSeq{Num: uint32(n), Method: LookupMethod(method), MethodRaw: method}, nil
}

// From returns the parsed From header.
func (m *Message) From() (*NameAddr, error) {
	c := &m.cache
	if c.have&haveFrom == 0 {
		c.have |= haveFrom
		c.from, c.fromErr = m.parseAddrHeader(HdrFrom)
	}
	return &c.from, c.fromErr
}

// To returns the parsed To header.
func (m *Message) To() (*NameAddr, error) {
	c := &m.cache
	if c.have&haveTo == 0 {
		c.have |= haveTo
		c.to, c.toErr = m.parseAddrHeader(HdrTo)
	}
	return &c.to, c.toErr
}

func (m *Message) parseAddrHeader(id HeaderID) (NameAddr, error) {
	if !m.Has(id) {
		return NameAddr{}, errBad("Missing "+id.String(), "no %s header", id)
	}
	na, err := ParseNameAddr(m.Header(id))
	if err != nil {
		return na, errBad("Bad "+id.String(), "%s: %v", id, detail(err))
	}
	return na, nil
}

// FromTag returns the tag parameter of the From header (nil when the
// header is absent, malformed or has no tag).
func (m *Message) FromTag() []byte {
	f, err := m.From()
	if err != nil {
		return nil
	}
	return f.Tag()
}

// ToTag returns the tag parameter of the To header.
func (m *Message) ToTag() []byte {
	t, err := m.To()
	if err != nil {
		return nil
	}
	return t.Tag()
}

// MaxForwards returns the Max-Forwards value, or -1 when the header is
// absent. Values above 255 are an error (RFC 3261 20.22 limits it to 255
// in practice; RFC 4475 3.1.2.4).
func (m *Message) MaxForwards() (int, error) {
	c := &m.cache
	if c.have&haveMaxFwd == 0 {
		c.have |= haveMaxFwd
		c.maxFwd = -1
		if m.Has(HdrMaxForwards) {
			v := m.Header(HdrMaxForwards)
			n, ok := parseUint(v, 255)
			if !ok {
				c.mfErr = errBad("Bad Max-Forwards", "Max-Forwards %q is not a number in 0-255", clip(v))
			} else {
				c.maxFwd = int(n)
			}
		}
	}
	return c.maxFwd, c.mfErr
}

// Expires returns the Expires header value in seconds, or -1 when absent.
// Values are 32-bit (RFC 3261 20.19); larger ones are an error.
func (m *Message) Expires() (int64, error) {
	c := &m.cache
	if c.have&haveExpires == 0 {
		c.have |= haveExpires
		c.expires = -1
		if m.Has(HdrExpires) {
			v := m.Header(HdrExpires)
			n, ok := parseUint(v, 1<<32-1)
			if !ok {
				c.expErr = errBad("Bad Expires", "Expires %q is not a 32-bit number of seconds", clip(v))
			} else {
				c.expires = int64(n)
			}
		}
	}
	return c.expires, c.expErr
}

// Value is one element of a comma-separated header list (one via-parm, one
// contact, one route ...). Bytes aliases the message.
type Value struct {
	Bytes  []byte
	Header int // index of the header line in Message.Headers
	off    int32
}

// ValueIter iterates the comma-separated values of every header line with
// one ID, in message order. Commas inside quoted strings and <...> do not
// split values.
type ValueIter struct {
	m    *Message
	id   HeaderID
	hdr  int
	rest []byte
}

// Values returns an iterator over the values of the headers with the given
// ID. It does not allocate.
func (m *Message) Values(id HeaderID) ValueIter {
	it := ValueIter{m: m, id: id, hdr: int(m.first[id]) - 1}
	if it.hdr >= 0 {
		it.rest = m.headers[it.hdr].Value
	}
	return it
}

// Next returns the next value; ok is false at the end. Empty values
// (",,") are returned as empty Bytes so that callers can refuse them.
func (it *ValueIter) Next() (v Value, ok bool) {
	for it.hdr >= 0 && it.hdr < len(it.m.headers) {
		if it.rest != nil {
			end := listElemEnd(it.rest)
			elem := it.rest[:end]
			if end < len(it.rest) {
				it.rest = it.rest[end+1:]
			} else {
				it.rest = nil
			}
			t := trimLWS(elem)
			return Value{Bytes: t, Header: it.hdr, off: int32(offsetIn(it.m.buf, t))}, true
		}
		// Advance to the next header line with the same ID.
		it.hdr++
		for it.hdr < len(it.m.headers) && it.m.headers[it.hdr].ID != it.id {
			it.hdr++
		}
		if it.hdr < len(it.m.headers) {
			it.rest = it.m.headers[it.hdr].Value
		}
	}
	return Value{}, false
}

// listElemEnd returns the index of the comma ending the first element of
// a header list, or len(b).
func listElemEnd(b []byte) int {
	// Fast path (vectorised searches): a comma with no quote or '<'
	// before it cannot be inside either.
	c := bytes.IndexByte(b, ',')
	if c < 0 {
		return len(b)
	}
	if bytes.IndexByte(b[:c], '"') < 0 && bytes.IndexByte(b[:c], '<') < 0 {
		return c
	}
	inQuote, angle := false, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
		case c == '"':
			inQuote = true
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == ',' && !angle:
			return i
		}
	}
	return len(b)
}
