package sip

import (
	"slices"
	"strconv"
)

// edit is one recorded change: replace buf[off:end] with scratch[insOff:insEnd].
// Insertions have off == end; deletions have insOff == insEnd.
type edit struct {
	off, end       int32
	insOff, insEnd int32
	seq            int32 // order of recording, to keep insertions at one offset in order
	valueOf        int32 // 1 + header index when the edit removes one list element
}

// HasEdits reports whether any change is recorded.
func (m *Message) HasEdits() bool { return len(m.edits) > 0 }

// splice records the replacement of buf[off:end] with the bytes of ins
// (copied into the message's scratch arena, so the caller may reuse ins).
func (m *Message) splice(off, end int, ins ...[]byte) {
	start := len(m.scratch)
	for _, b := range ins {
		m.scratch = append(m.scratch, b...)
	}
	m.edits = append(m.edits, edit{off: int32(off), end: int32(end), insOff: int32(start), insEnd: int32(len(m.scratch)), seq: int32(len(m.edits))})
}

// spliceString is splice for string pieces (avoids []byte conversions at
// call sites).
func (m *Message) spliceString(off, end int, ins ...string) {
	start := len(m.scratch)
	for _, s := range ins {
		m.scratch = append(m.scratch, s...)
	}
	m.edits = append(m.edits, edit{off: int32(off), end: int32(end), insOff: int32(start), insEnd: int32(len(m.scratch)), seq: int32(len(m.edits))})
}

var crlf = []byte("\r\n")

// AppendHeader adds a header line "name: value" after the last header.
func (m *Message) AppendHeader(name string, value []byte) {
	m.splice(int(m.hdrEnd), int(m.hdrEnd), []byte(name), []byte(": "), value, crlf)
}

// AppendHeaderString is AppendHeader with a string value.
func (m *Message) AppendHeaderString(name, value string) {
	m.spliceString(int(m.hdrEnd), int(m.hdrEnd), name, ": ", value, "\r\n")
}

// AppendRawHeaders adds complete header lines (each ending in CRLF) after
// the last header, e.g. the text of Kamailio's append_hf.
func (m *Message) AppendRawHeaders(lines []byte) {
	m.splice(int(m.hdrEnd), int(m.hdrEnd), lines)
}

// InsertHeader adds a header line "name: value" before the first header.
func (m *Message) InsertHeader(name string, value []byte) {
	off := m.hdrEnd
	if len(m.headers) > 0 {
		off = m.headers[0].start
	}
	m.splice(int(off), int(off), []byte(name), []byte(": "), value, crlf)
}

// InsertHeaderBefore adds a header line "name: value" just before the
// header line with index i in Headers (at the end when i is out of range).
func (m *Message) InsertHeaderBefore(i int, name string, value []byte) {
	off := m.hdrEnd
	if i >= 0 && i < len(m.headers) {
		off = m.headers[i].start
	}
	m.splice(int(off), int(off), []byte(name), []byte(": "), value, crlf)
}

// PrependVia adds a Via header line with the given via-parm above every
// existing Via (RFC 3261 16.6 step 8).
func (m *Message) PrependVia(viaParm []byte) {
	m.InsertHeaderBefore(int(m.first[HdrVia])-1, "Via", viaParm)
}

// RemoveHeader deletes the header line with index i in Headers.
func (m *Message) RemoveHeader(i int) {
	h := m.headers[i]
	m.splice(int(h.start), int(h.end))
}

// SetHeaderValue replaces the value of header line i, keeping its name.
func (m *Message) SetHeaderValue(i int, value []byte) {
	h := m.headers[i]
	off := offsetIn(m.buf, h.Value)
	m.splice(off, off+len(h.Value), value)
}

// RemoveValue deletes one element of a header list (for example the first
// Route when a proxy pops it, RFC 3261 16.4). When it is the last element
// of its line still present, the whole line goes; otherwise the element
// and one adjacent comma do.
func (m *Message) RemoveValue(v Value) {
	h := m.headers[v.Header]
	hv := h.Value
	hvOff := offsetIn(m.buf, hv)
	removed := 0
	for _, e := range m.edits {
		if e.valueOf == int32(v.Header)+1 {
			removed++
		}
	}
	if removed+1 >= countListElems(hv) {
		m.RemoveHeader(v.Header)
		return
	}
	start, end := int(v.off), int(v.off)+len(v.Bytes)
	// Extend over the following comma and whitespace, or else over the
	// preceding ones.
	after := end
	for after < hvOff+len(hv) && isLWS(m.buf[after]) {
		after++
	}
	if after < hvOff+len(hv) && m.buf[after] == ',' {
		after++
		for after < hvOff+len(hv) && isLWS(m.buf[after]) {
			after++
		}
		end = after
	} else {
		for start > hvOff && isLWS(m.buf[start-1]) {
			start--
		}
		if start > hvOff && m.buf[start-1] == ',' {
			start--
		}
	}
	m.splice(start, end)
	m.edits[len(m.edits)-1].valueOf = int32(v.Header) + 1
}

// countListElems counts the comma-separated elements of a header value.
func countListElems(b []byte) int {
	n := 1
	for {
		end := listElemEnd(b)
		if end == len(b) {
			return n
		}
		n++
		b = b[end+1:]
	}
}

// SetRequestURI replaces the Request-URI.
func (m *Message) SetRequestURI(uri []byte) {
	off := offsetIn(m.buf, m.ruri)
	m.splice(off, off+len(m.ruri), uri)
}

// SetMaxForwards sets the Max-Forwards value, adding the header when the
// message has none.
func (m *Message) SetMaxForwards(n int) { m.setHeader(HdrMaxForwards, n) }

// SetBody replaces the body and sets Content-Length to match (adding the
// header when absent). A non-empty contentType replaces or adds
// Content-Type.
func (m *Message) SetBody(body []byte, contentType string) {
	m.splice(int(m.bodyOff), int(m.bodyOff)+len(m.body), body)
	m.setHeader(HdrContentLength, len(body))
	if contentType != "" {
		if i := m.first[HdrContentType]; i > 0 {
			m.SetHeaderValue(int(i-1), []byte(contentType))
		} else {
			m.AppendHeaderString("Content-Type", contentType)
		}
	}
}

// EnsureContentLength adds a Content-Length header matching the body when
// the message has none; needed when a datagram without one is sent on a
// stream transport (RFC 3261 18.3).
func (m *Message) EnsureContentLength() {
	if m.clen < 0 {
		m.setHeader(HdrContentLength, len(m.body))
	}
}

// setHeader sets the value of the first header with the given ID to n,
// or appends the header when the message has none.
func (m *Message) setHeader(id HeaderID, n int) {
	var num [20]byte
	v := strconv.AppendInt(num[:0], int64(n), 10)
	if i := m.first[id]; i > 0 {
		m.SetHeaderValue(int(i-1), v)
		return
	}
	m.AppendHeader(id.String(), v)
}

// sortEdits orders edits by offset, insertions before replacements at the
// same offset, then by recording order.
func (m *Message) sortEdits() {
	slices.SortFunc(m.edits, func(a, b edit) int {
		if a.off != b.off {
			return int(a.off - b.off)
		}
		return int(a.seq - b.seq)
	})
}

// AppendTo appends the message with every recorded edit applied to dst and
// returns the extended slice. Bytes that no edit touches are copied as
// received. Overlapping deletions are merged; an insertion inside a
// deleted range is placed where the deletion ends.
func (m *Message) AppendTo(dst []byte) []byte {
	end := int(m.bodyOff) + len(m.body)
	if len(m.edits) == 0 {
		return append(dst, m.buf[m.start:end]...)
	}
	return m.appendRange(dst, int(m.start), end, true)
}

// appendRange appends buf[from:to] with the edits that fall inside it
// applied. Insertions exactly at from or to belong to the range only when
// edges is set: when copying one header line, a header inserted before or
// after it is not part of that line.
func (m *Message) appendRange(dst []byte, from, to int, edges bool) []byte {
	if !slices.IsSortedFunc(m.edits, func(a, b edit) int {
		if a.off != b.off {
			return int(a.off - b.off)
		}
		return int(a.seq - b.seq)
	}) {
		m.sortEdits()
	}
	cur := from
	for _, e := range m.edits {
		off, end := int(e.off), int(e.end)
		if off < from || off > to || (off == to && (!edges || end > to)) ||
			(off == from && end == off && !edges) {
			continue
		}
		if off > cur {
			dst = append(dst, m.buf[cur:off]...)
			cur = off
		}
		dst = append(dst, m.scratch[e.insOff:e.insEnd]...)
		if end > cur {
			cur = end
		}
	}
	if cur < to {
		dst = append(dst, m.buf[cur:to]...)
	}
	return dst
}

// SetViaReceived records the received and rport parameters on the top Via
// of a request (RFC 3261 18.2.1, RFC 3581 4): received is set when host is
// non-empty, rport is filled in with port when the Via carries an empty
// rport parameter (or always, when forceRPort is set, as Kamailio's
// force_rport does).
func (m *Message) SetViaReceived(host []byte, port int, forceRPort bool) error {
	v, err := m.TopVia()
	if err != nil {
		return err
	}
	rawEnd := offsetIn(m.buf, v.Raw) + len(v.Raw)
	// rport first: when it is the last parameter its value goes at the
	// same offset as an appended received, and must come before it.
	var num [8]byte
	p := strconv.AppendInt(num[:0], int64(port), 10)
	switch {
	case v.HasRPort && len(v.RPort) == 0:
		off := offsetIn(m.buf, v.RPort)
		m.splice(off, off, []byte("="), p)
	case v.HasRPort && forceRPort:
		off := offsetIn(m.buf, v.RPort)
		m.splice(off, off+len(v.RPort), p)
	case !v.HasRPort && forceRPort:
		m.splice(rawEnd, rawEnd, []byte(";rport="), p)
	}
	if len(host) > 0 {
		if v.Received != nil {
			off := offsetIn(m.buf, v.Received)
			m.splice(off, off+len(v.Received), host)
		} else {
			m.splice(rawEnd, rawEnd, []byte(";received="), host)
		}
	}
	return nil
}

// String returns the message with edits applied, for logs and tests.
func (m *Message) String() string { return string(m.AppendTo(nil)) }
