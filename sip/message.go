package sip

import (
	"bytes"
)

// Framing says how the bytes handed to Parse were delimited, which decides
// what a missing or wrong Content-Length means (RFC 3261 18.3).
type Framing uint8

const (
	// Datagram: the message is the whole UDP datagram. A missing
	// Content-Length means the body runs to the end of the datagram; a
	// Content-Length smaller than what follows the headers truncates the
	// body (the rest is ignored); a larger one is an error.
	Datagram Framing = iota
	// Stream: the message was framed out of a TCP/TLS stream (see
	// FrameStream). Content-Length is required.
	Stream
)

// DefaultMaxMessageSize is the largest message accepted by default: the
// largest UDP payload.
const DefaultMaxMessageSize = 65535

// Header is one header line of a message, as indexed by Parse. Name and
// Value alias the message buffer; Value is trimmed of surrounding
// whitespace and may contain folded line breaks.
type Header struct {
	ID    HeaderID
	Name  []byte
	Value []byte
	start int32 // offset of the first byte of the line
	end   int32 // offset just past the line's terminating line break
}

// Message is a SIP request or response. The zero value is ready for Parse;
// a Message may be reused for another Parse, which resets it (that reuse is
// what keeps the hot path free of allocations).
type Message struct {
	buf []byte

	request   bool
	method    Method
	methodRaw []byte
	ruri      []byte
	version   []byte
	status    int
	reason    []byte

	headers []Header
	// first holds, for each HeaderID, 1 + the index of its first header
	// line, or 0 when absent.
	first   [hdrCount]int32
	start   int32 // offset of the start line (after ignored leading CRLFs)
	hdrEnd  int32 // offset of the empty line that ends the header section
	bodyOff int32
	body    []byte
	clen    int // Content-Length value, -1 when absent

	cache cache

	edits   []edit
	scratch []byte
}

// Reset clears the message for reuse, keeping its allocated capacity.
func (m *Message) Reset() {
	// Field by field rather than *m = Message{}: the typed-value cache is
	// large and only its validity bits need clearing.
	m.buf = nil
	m.request, m.method, m.methodRaw, m.ruri, m.version = false, MethodOther, nil, nil, nil
	m.status, m.reason = 0, nil
	m.headers = m.headers[:0]
	m.first = [hdrCount]int32{}
	m.start, m.hdrEnd, m.bodyOff, m.body, m.clen = 0, 0, 0, nil, -1
	m.cache.have = 0
	m.edits = m.edits[:0]
	m.scratch = m.scratch[:0]
}

// Parse parses b into m, replacing whatever m held. m keeps b (no copy):
// b must stay unchanged while m is in use. Parse checks the start line and
// the header section's structure and frames the body; typed header values
// are parsed later, on access (see Validate for the full check a server
// applies to a received request).
func (m *Message) Parse(b []byte, framing Framing) error {
	m.Reset()
	m.buf = b
	m.clen = -1

	// RFC 3261 7.5: CRLFs before the start line are ignored.
	i := 0
	for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i == len(b) {
		return errBad("Bad Request", "empty message")
	}
	lineEnd, next := lineAt(b, i)
	if lineEnd < 0 {
		return errBad("Bad Request", "no line break after the start line")
	}
	m.start = int32(i)
	// An unsupported SIP version is answered with 505, which needs the
	// headers: remember it and report it once they are indexed.
	versionErr := m.parseStartLine(b[i:lineEnd])
	if versionErr != nil && (m.version == nil || versionErr.(*ParseError).Status != 505) {
		return versionErr
	}
	i = next

	// Header lines up to the empty line.
	for {
		if i >= len(b) {
			return errBad("Bad Request", "header section not terminated by an empty line")
		}
		if b[i] == '\n' || (b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n') {
			m.hdrEnd = int32(i)
			if b[i] == '\r' {
				i += 2
			} else {
				i++
			}
			break
		}
		if b[i] == ' ' || b[i] == '\t' {
			return errBad("Bad Request", "header line at offset %d starts with whitespace", i)
		}
		// Find the end of the logical line: a line break followed by
		// SP or HTAB continues it (folding, RFC 3261 7.3.1).
		start := i
		lineEnd, next = lineAt(b, i)
		for lineEnd >= 0 && next < len(b) && (b[next] == ' ' || b[next] == '\t') {
			lineEnd, next = lineAt(b, next)
		}
		if lineEnd < 0 {
			return errBad("Bad Request", "header section not terminated by an empty line")
		}
		if err := m.addHeader(b, start, lineEnd, next); err != nil {
			return err
		}
		i = next
	}

	m.bodyOff = int32(i)
	rest := len(b) - i
	switch {
	case m.clen < 0 && framing == Stream:
		return errBad("Missing Content-Length", "Content-Length is required on stream transports")
	case m.clen < 0:
		m.body = b[i:]
	case m.clen > rest:
		return errBad("Bad Content-Length", "Content-Length %d is larger than the %d body bytes received", m.clen, rest)
	default:
		m.body = b[i : i+m.clen]
	}
	if versionErr != nil {
		return versionErr
	}
	return nil
}

// lineAt returns the offset of the line break ending the line that starts
// at i (pointing at '\r' for CRLF, at '\n' for a bare LF) and the offset of
// the next line. lineEnd is -1 when no line break follows.
func lineAt(b []byte, i int) (lineEnd, next int) {
	n := bytes.IndexByte(b[i:], '\n')
	if n < 0 {
		return -1, len(b)
	}
	lf := i + n
	if lf > i && b[lf-1] == '\r' {
		return lf - 1, lf + 1
	}
	return lf, lf + 1
}

func (m *Message) parseStartLine(line []byte) error {
	if len(line) > 8 && string(line[:4]) == "SIP/" {
		return m.parseStatusLine(line)
	}
	// Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP
	// between the elements (RFC 3261 7.1, RFC 4475 3.1.2.9/3.1.2.10).
	if line[len(line)-1] == ' ' || line[len(line)-1] == '\t' {
		return errBad("Bad Request Line", "whitespace at the end of the request line %q", clip(line))
	}
	if bytes.Contains(line, []byte("  ")) {
		return errBad("Bad Request Line", "more than one space between the elements of the request line %q", clip(line))
	}
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return errBad("Bad Request Line", "malformed request line %q", clip(line))
	}
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp2 <= sp1+1 {
		return errBad("Bad Request Line", "malformed request line %q", clip(line))
	}
	method, ruri, version := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	if !isToken(method) {
		return errBad("Bad Request Line", "method %q is not a token", clip(method))
	}
	if bytes.IndexByte(ruri, ' ') >= 0 || bytes.IndexByte(ruri, '\t') >= 0 {
		return errBad("Bad Request-URI", "whitespace inside the Request-URI %q", clip(ruri))
	}
	err := checkVersion(version)
	if err != nil && err.(*ParseError).Status != 505 {
		return err
	}
	m.request = true
	m.methodRaw = method
	m.method = LookupMethod(method)
	m.ruri = ruri
	m.version = version
	return err
}

func (m *Message) parseStatusLine(line []byte) error {
	// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return errBad("Bad Status Line", "malformed status line %q", clip(line))
	}
	if err := checkVersion(line[:sp1]); err != nil {
		// A response in an unsupported version is dropped, not answered.
		return errBad("Bad Status Line", "%v", err.(*ParseError).Detail)
	}
	rest := line[sp1+1:]
	if len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return errBad("Bad Status Line", "status code in %q is not 3 digits", clip(line))
	}
	code := 0
	for _, c := range rest[:3] {
		if c < '0' || c > '9' {
			return errBad("Bad Status Line", "status code in %q is not 3 digits", clip(line))
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || code > 699 {
		return errBad("Bad Status Line", "status code %d out of range 100-699", code)
	}
	m.version = line[:sp1]
	m.status = code
	if len(rest) > 4 {
		m.reason = rest[4:]
	} else {
		m.reason = rest[len(rest):]
	}
	return nil
}

// checkVersion accepts "SIP/2.0" in any letter case; another well-formed
// version is refused with 505 (RFC 3261 8.2.2 ... 21.5.6).
func checkVersion(v []byte) error {
	// Returns *ParseError; callers rely on that.
	if len(v) == 7 && equalFold(v, "SIP/2.0") {
		return nil
	}
	if len(v) > 4 && equalFold(v[:4], "SIP/") {
		return &ParseError{Status: 505, Reason: "Version Not Supported", Detail: "SIP version " + string(clip(v)) + " is not supported"}
	}
	return errBad("Bad Request Line", "malformed SIP version %q", clip(v))
}

// addHeader indexes the header line b[start:lineEnd] (folding included);
// next is the offset of the following line.
func (m *Message) addHeader(b []byte, start, lineEnd, next int) error {
	line := b[start:lineEnd]
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return errBad("Bad Header", "header line %q has no name or no ':'", clip(line))
	}
	name := line[:colon]
	// RFC 3261 7.3.1 allows whitespace between the name and the colon.
	for len(name) > 0 && (name[len(name)-1] == ' ' || name[len(name)-1] == '\t') {
		name = name[:len(name)-1]
	}
	if !isToken(name) {
		return errBad("Bad Header", "header name %q is not a token", clip(name))
	}
	id := LookupHeader(name)
	h := Header{ID: id, Name: name, Value: trimLWS(line[colon+1:]), start: int32(start), end: int32(next)}
	if m.first[id] == 0 {
		m.first[id] = int32(len(m.headers) + 1)
	}
	if id == HdrContentLength {
		n, ok := parseUint(h.Value, 1<<31-1)
		if !ok {
			return errBad("Bad Content-Length", "Content-Length %q is not a number", clip(h.Value))
		}
		if m.clen >= 0 {
			return errBad("Bad Content-Length", "more than one Content-Length header")
		}
		m.clen = int(n)
	}
	m.headers = append(m.headers, h)
	return nil
}

// tokenChars marks the characters allowed in a token (RFC 3261 25.1).
var tokenChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-.!%*_+`'~" {
		t[c] = true
	}
	return t
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// parseUint parses a decimal number of at most max, refusing empty input,
// signs and overflow.
func parseUint(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > max {
			return 0, false
		}
	}
	return n, true
}

// clip shortens b for error messages, so that a 60 KB header does not end
// up in a log line.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// Bytes returns the message as received (edits are not applied).
func (m *Message) Bytes() []byte { return m.buf }

// IsRequest reports whether the message is a request.
func (m *Message) IsRequest() bool { return m.request }

// Method returns the request method (MethodOther for an unknown one and
// for responses; for responses see CSeq).
func (m *Message) Method() Method { return m.method }

// MethodBytes returns the request method as written.
func (m *Message) MethodBytes() []byte { return m.methodRaw }

// RequestURIBytes returns the Request-URI as received.
func (m *Message) RequestURIBytes() []byte { return m.ruri }

// Version returns the SIP version as written in the start line.
func (m *Message) Version() []byte { return m.version }

// StatusCode returns a response's status code (0 for requests).
func (m *Message) StatusCode() int { return m.status }

// Reason returns a response's reason phrase.
func (m *Message) Reason() []byte { return m.reason }

// Headers returns the header index in message order. The slice belongs to
// m; do not modify it.
func (m *Message) Headers() []Header { return m.headers }

// Header returns the value of the first header with the given ID, or nil.
func (m *Message) Header(id HeaderID) []byte {
	if i := m.first[id]; i > 0 {
		return m.headers[i-1].Value
	}
	return nil
}

// Has reports whether a header with the given ID is present.
func (m *Message) Has(id HeaderID) bool { return m.first[id] > 0 }

// HeaderCount returns the number of header lines with the given ID.
func (m *Message) HeaderCount(id HeaderID) int {
	i := m.first[id]
	if i == 0 {
		return 0
	}
	n := 0
	for _, h := range m.headers[i-1:] {
		if h.ID == id {
			n++
		}
	}
	return n
}

// HeaderByName returns the value of the first header named name (long or
// compact form, without regard to case), or nil.
func (m *Message) HeaderByName(name string) []byte {
	if i := m.HeaderIndex(name); i >= 0 {
		return m.headers[i].Value
	}
	return nil
}

// HeaderIndex returns the index in Headers of the first header named name,
// or -1.
func (m *Message) HeaderIndex(name string) int {
	if id := LookupHeader([]byte(name)); id != HdrOther {
		return int(m.first[id]) - 1
	}
	for i := range m.headers {
		if m.headers[i].ID == HdrOther && equalFold(m.headers[i].Name, name) {
			return i
		}
	}
	return -1
}

// CallID returns the Call-ID header value.
func (m *Message) CallID() []byte { return m.Header(HdrCallID) }

// ContentLength returns the Content-Length header value, or -1 when the
// message has none.
func (m *Message) ContentLength() int { return m.clen }

// Body returns the message body (framed by Content-Length).
func (m *Message) Body() []byte { return m.body }

// Len returns the length of the message as received (leading CRLFs and
// ignored trailing bytes included).
func (m *Message) Len() int { return len(m.buf) }
