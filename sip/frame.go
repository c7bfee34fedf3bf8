package sip

import (
	"bytes"
	"errors"
)

// Errors returned by FrameStream. A stream that yields one of them cannot be
// resynchronised: the receiver should close the connection.
var (
	// ErrFrameNoContentLength: a message on a stream has no Content-Length
	// header (it is mandatory on streams, RFC 3261 18.3).
	ErrFrameNoContentLength = errors.New("sip: stream message without Content-Length")
	// ErrFrameBadContentLength: the Content-Length value is not a
	// non-negative decimal number, or two Content-Length headers disagree.
	ErrFrameBadContentLength = errors.New("sip: bad Content-Length")
	// ErrFrameTooLarge: the header section, or headers plus body, is larger
	// than the allowed message size.
	ErrFrameTooLarge = errors.New("sip: stream message too large")
	// ErrFrameLeadingCRLF: the buffer starts with CR or LF; keep-alives must
	// be removed with SkipKeepalive before framing.
	ErrFrameLeadingCRLF = errors.New("sip: stream buffer starts with CR/LF (call SkipKeepalive first)")
)

// FrameStream reports the length of the first complete SIP message in b, a
// stream (TCP/TLS) buffer.
//
// It returns n>0 when b[:n] is one whole message (header section, the empty
// line, and Content-Length bytes of body), n==0 when more bytes are needed,
// and an error when the stream cannot be framed: a missing Content-Length
// (required on streams, RFC 3261 18.3), a bad, negative or conflicting
// Content-Length, or a header section or message larger than maxSize bytes.
//
// The Content-Length header is matched case-insensitively, in its long and
// compact ("l") forms, with optional whitespace before the colon; a value
// folded onto continuation lines is accepted. The header section ends at the
// first empty line; bare LF line ends are tolerated ("\n\n", "\r\n\n").
//
// Leading CR/LF bytes (keep-alives, the RFC 5626 double-CRLF ping) are not
// part of a message: SkipKeepalive removes them, and FrameStream returns
// ErrFrameLeadingCRLF if b starts with one.
//
// FrameStream does not allocate.
func FrameStream(b []byte, maxSize int) (n int, err error) {
	if len(b) == 0 {
		return 0, nil
	}
	if b[0] == '\r' || b[0] == '\n' {
		return 0, ErrFrameLeadingCRLF
	}
	clen := -1
	// The first line is the start line; it is not a header.
	nl := bytes.IndexByte(b, '\n')
	for nl >= 0 {
		ls := nl + 1 // start of the next line
		if ls > maxSize {
			return 0, ErrFrameTooLarge
		}
		if ls >= len(b) {
			break // line start not received yet
		}
		switch b[ls] {
		case '\n':
			return frameBody(b, ls+1, clen, maxSize)
		case '\r':
			if ls+1 >= len(b) {
				return frameNeedMore(b, maxSize)
			}
			if b[ls+1] == '\n' {
				return frameBody(b, ls+2, clen, maxSize)
			}
		}
		// A header line starting at ls. Find its end first so that a
		// Content-Length value is only parsed once the whole header
		// (including continuation lines) has arrived.
		end := bytes.IndexByte(b[ls:], '\n')
		if end < 0 {
			break
		}
		end += ls
		if v, ok := contentLengthValue(b, ls, end); ok {
			// The value may continue on folded lines.
			vend := end
			for vend+1 < len(b) && (b[vend+1] == ' ' || b[vend+1] == '\t') {
				e := bytes.IndexByte(b[vend+1:], '\n')
				if e < 0 {
					return frameNeedMore(b, maxSize)
				}
				vend += 1 + e
			}
			if vend+1 >= len(b) {
				// Cannot tell yet whether the next line folds.
				return frameNeedMore(b, maxSize)
			}
			cl, err := parseContentLength(b[v:vend], maxSize)
			if err != nil {
				return 0, err
			}
			if clen >= 0 && clen != cl {
				return 0, ErrFrameBadContentLength
			}
			clen = cl
			end = vend
		}
		nl = end
	}
	return frameNeedMore(b, maxSize)
}

func frameNeedMore(b []byte, maxSize int) (int, error) {
	if len(b) > maxSize {
		return 0, ErrFrameTooLarge
	}
	return 0, nil
}

// frameBody finishes framing once the header section is known to end at
// bodyStart.
func frameBody(b []byte, bodyStart, clen, maxSize int) (int, error) {
	if bodyStart > maxSize {
		return 0, ErrFrameTooLarge
	}
	if clen < 0 {
		return 0, ErrFrameNoContentLength
	}
	total := bodyStart + clen
	if total > maxSize {
		return 0, ErrFrameTooLarge
	}
	if total > len(b) {
		return 0, nil
	}
	return total, nil
}

// contentLengthValue reports whether the header line b[s:e] is a
// Content-Length header, and if so where its value starts.
func contentLengthValue(b []byte, s, e int) (v int, ok bool) {
	const name = "content-length"
	i := s
	c := b[i] | 0x20
	if c != 'c' && c != 'l' {
		return 0, false
	}
	if c == 'l' && (i+1 >= e || b[i+1] == ' ' || b[i+1] == '\t' || b[i+1] == ':') {
		i++ // compact form
	} else {
		if e-i < len(name) {
			return 0, false
		}
		for j := 0; j < len(name); j++ {
			if b[i+j]|0x20 != name[j] {
				return 0, false
			}
		}
		i += len(name)
	}
	for i < e && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i >= e || b[i] != ':' {
		return 0, false
	}
	return i + 1, true
}

// parseContentLength parses a Content-Length value that may contain
// surrounding whitespace and folding (CR, LF, SP, HT).
func parseContentLength(v []byte, maxSize int) (int, error) {
	n, digits := 0, 0
	done := false
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			if done {
				return 0, ErrFrameBadContentLength
			}
			n = n*10 + int(c-'0')
			digits++
			if n > maxSize {
				// Too large whatever the headers; stop before overflow.
				return 0, ErrFrameTooLarge
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if digits > 0 {
				done = true
			}
		default:
			return 0, ErrFrameBadContentLength
		}
	}
	if digits == 0 {
		return 0, ErrFrameBadContentLength
	}
	return n, nil
}

// SkipKeepalive returns the number of leading CR/LF bytes in b that can be
// discarded, and whether an RFC 5626 "\r\n\r\n" ping was among them (the
// receiver answers each ping with "\r\n", RFC 5626 4.4.1; one answer per
// call is enough).
//
// When the CR/LF run reaches the end of b, n stops before a trailing "\r",
// "\r\n" or "\r\n\r" that could be the start of a ping split across reads:
// the caller keeps those bytes and reads more. So the caller must treat a
// buffer that still starts with CR or LF after skipping as incomplete.
func SkipKeepalive(b []byte) (n int, ping bool) {
	run := 0
	for run < len(b) && (b[run] == '\r' || b[run] == '\n') {
		run++
	}
	if run == 0 {
		return 0, false
	}
	lastPingEnd := 0
	for i := 0; i+4 <= run; {
		if b[i] == '\r' && b[i+1] == '\n' && b[i+2] == '\r' && b[i+3] == '\n' {
			ping = true
			i += 4
			lastPingEnd = i
			continue
		}
		i++
	}
	if run < len(b) {
		return run, ping
	}
	// The run reaches the end of the buffer: hold back the longest tail,
	// after the last ping, that is a proper prefix of "\r\n\r\n".
	for k := min(3, run-lastPingEnd); k >= 1; k-- {
		if isPingPrefix(b[run-k : run]) {
			return run - k, ping
		}
	}
	return run, ping
}

func isPingPrefix(t []byte) bool {
	const p = "\r\n\r\n"
	if len(t) == 0 || len(t) >= len(p) {
		return false
	}
	for j := range t {
		if t[j] != p[j] {
			return false
		}
	}
	return true
}
