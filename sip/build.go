package sip

import (
	"bytes"
	"strconv"
)

// ReplyOptions are the optional parts of a locally generated reply.
type ReplyOptions struct {
	// ToTag is added to the To header when the request's To has no tag and
	// the status is above 100 (RFC 3261 8.2.6.2).
	ToTag []byte
	// Headers are complete header lines (each ending in CRLF) added after
	// the copied ones, e.g. "Server: olelo\r\n" or a WWW-Authenticate.
	Headers []byte
	// ContentType is written when Body is not empty.
	ContentType string
	Body        []byte
}

// AppendReply appends to dst a reply to req built per RFC 3261 8.2.6: the
// status line, every Via (with the edits recorded on them, such as
// received and rport), From, To (with a tag added when missing and status
// > 100), Call-ID and CSeq copied, Record-Route copied for 101-299 replies
// (RFC 3261 12.1.1), then the extra headers, Content-Length and the body.
func AppendReply(dst []byte, req *Message, status int, reason string, o *ReplyOptions) []byte {
	if o == nil {
		o = &ReplyOptions{}
	}
	dst = append(dst, "SIP/2.0 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, reason...)
	dst = append(dst, "\r\n"...)
	for i := range req.headers {
		h := &req.headers[i]
		switch h.ID {
		case HdrVia:
			dst = req.appendRange(dst, int(h.start), int(h.end), false)
		case HdrFrom, HdrCallID, HdrCSeq:
			dst = append(dst, req.buf[h.start:h.end]...)
		case HdrRecordRoute:
			if status > 100 && status < 300 {
				dst = append(dst, req.buf[h.start:h.end]...)
			}
		case HdrTo:
			if status > 100 && len(o.ToTag) > 0 && req.ToTag() == nil {
				dst = append(dst, h.Name...)
				dst = append(dst, ": "...)
				dst = append(dst, h.Value...)
				dst = append(dst, ";tag="...)
				dst = append(dst, o.ToTag...)
				dst = append(dst, "\r\n"...)
			} else {
				dst = append(dst, req.buf[h.start:h.end]...)
			}
		}
	}
	dst = append(dst, o.Headers...)
	if len(o.Body) > 0 && o.ContentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, o.ContentType...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(o.Body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, o.Body...)
}

// Request describes a locally generated request (OPTIONS probes, MESSAGE,
// and the CANCEL and ACK built by AppendCancel and AppendAck).
type Request struct {
	Method string
	URI    []byte
	// Via is the complete via-parm, e.g.
	// "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds"; empty writes
	// no Via (a transaction layer that adds its own per branch).
	Via []byte
	// From and To are complete header values (name-addr with tag).
	From, To []byte
	CallID   []byte
	CSeq     uint32
	// MaxForwards is written when >= 0; the zero Request gets 70 from
	// NewRequest.
	MaxForwards int
	Contact     []byte
	// Headers are extra complete header lines, each ending in CRLF (Route,
	// User-Agent ...).
	Headers     []byte
	ContentType string
	Body        []byte
}

// AppendTo appends the request to dst.
func (r *Request) AppendTo(dst []byte) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	dst = append(dst, r.URI...)
	dst = append(dst, " SIP/2.0\r\n"...)
	if len(r.Via) > 0 {
		dst = append(dst, "Via: "...)
		dst = append(dst, r.Via...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "From: "...)
	dst = append(dst, r.From...)
	dst = append(dst, "\r\nTo: "...)
	dst = append(dst, r.To...)
	dst = append(dst, "\r\nCall-ID: "...)
	dst = append(dst, r.CallID...)
	dst = append(dst, "\r\nCSeq: "...)
	dst = strconv.AppendUint(dst, uint64(r.CSeq), 10)
	dst = append(dst, ' ')
	dst = append(dst, r.Method...)
	dst = append(dst, "\r\n"...)
	if r.MaxForwards >= 0 {
		dst = append(dst, "Max-Forwards: "...)
		dst = strconv.AppendInt(dst, int64(r.MaxForwards), 10)
		dst = append(dst, "\r\n"...)
	}
	if len(r.Contact) > 0 {
		dst = append(dst, "Contact: "...)
		dst = append(dst, r.Contact...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, r.Headers...)
	if len(r.Body) > 0 && r.ContentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, r.ContentType...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(r.Body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, r.Body...)
}

// AppendCancel appends a CANCEL for the INVITE sent (as sent, i.e. parsed
// from the bytes that went out on the branch): same Request-URI, top Via,
// From, To, Call-ID, CSeq number and Route set (RFC 3261 9.1).
func AppendCancel(dst []byte, sent *Message) []byte {
	return appendHopRequest(dst, sent, nil, "CANCEL")
}

// AppendAck appends the ACK for a non-2xx final response to the INVITE
// sent on a branch (RFC 3261 17.1.1.3): like a CANCEL, but the To header
// is the response's (it carries the tag).
func AppendAck(dst []byte, sent *Message, resp *Message) []byte {
	return appendHopRequest(dst, sent, resp, "ACK")
}

func appendHopRequest(dst []byte, sent, resp *Message, method string) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, sent.ruri...)
	dst = append(dst, " SIP/2.0\r\n"...)
	// Only the top Via: the one of the branch being cancelled/acked.
	it := sent.Values(HdrVia)
	if v, ok := it.Next(); ok {
		dst = append(dst, "Via: "...)
		dst = append(dst, v.Bytes...)
		dst = append(dst, "\r\n"...)
	}
	for i := range sent.headers {
		h := &sent.headers[i]
		switch h.ID {
		case HdrFrom, HdrCallID, HdrRoute:
			dst = append(dst, sent.buf[h.start:h.end]...)
		case HdrTo:
			if resp != nil && resp.Has(HdrTo) {
				rh := &resp.headers[resp.first[HdrTo]-1]
				dst = append(dst, resp.buf[rh.start:rh.end]...)
			} else {
				dst = append(dst, sent.buf[h.start:h.end]...)
			}
		}
	}
	cseq, _ := sent.CSeq()
	dst = append(dst, "CSeq: "...)
	dst = strconv.AppendUint(dst, uint64(cseq.Num), 10)
	dst = append(dst, ' ')
	dst = append(dst, method...)
	dst = append(dst, "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"...)
	return dst
}

// AppendContentLengthIfMissing appends "Content-Length: N\r\n" to dst when
// rest — the header lines, the empty line and the body of a serialised
// message — has no Content-Length header. A message received on UDP
// without one needs it before it goes out on a stream (RFC 3261 18.3).
func AppendContentLengthIfMissing(dst, rest []byte) []byte {
	if hasContentLength(rest) {
		return dst
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(bodyLen(rest)), 10)
	return append(dst, "\r\n"...)
}

// hasContentLength reports whether the header lines at the start of msg
// include Content-Length (or its compact form l).
func hasContentLength(msg []byte) bool {
	for len(msg) > 0 {
		eol := bytes.IndexByte(msg, '\n')
		line := msg
		if eol >= 0 {
			line, msg = msg[:eol], msg[eol+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return false
		}
		if name, _, ok := bytes.Cut(line, []byte(":")); ok {
			if id := LookupHeader(bytes.TrimSpace(name)); id == HdrContentLength {
				return true
			}
		}
	}
	return false
}

// bodyLen returns the length of what follows the empty line of msg.
func bodyLen(msg []byte) int {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return len(msg) - i - 4
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return len(msg) - i - 2
	}
	return 0
}
