package sip

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unsafe"
)

// Scheme identifies the scheme of a URI.
type Scheme uint8

// URI schemes understood by ParseURI. Any other absoluteURI scheme parses
// as SchemeUnknown so that a proxy can still forward (or reject with 416)
// a request whose URI it does not understand (RFC 4475 3.3.2, 3.3.3).
const (
	SchemeUnknown Scheme = iota
	SchemeSIP
	SchemeSIPS
	SchemeTel
)

// String returns the lower-case scheme name ("" for SchemeUnknown).
func (s Scheme) String() string {
	switch s {
	case SchemeSIP:
		return "sip"
	case SchemeSIPS:
		return "sips"
	case SchemeTel:
		return "tel"
	}
	return ""
}

// URI is a parsed sip:, sips: or tel: URI (other absoluteURI schemes parse
// with SchemeUnknown, Opaque holding everything after "scheme:").
//
// Every byte slice aliases the input given to ParseURI: nothing is copied
// or unescaped. Use Unescape when a decoded value is needed.
type URI struct {
	Scheme    Scheme
	SchemeRaw []byte // as written, e.g. "SIP"
	// User is the user part, raw (%-escapes kept). For tel: it is the
	// telephone-subscriber number (visual separators kept).
	User []byte
	// Password is nil when the userinfo has no ':'; it is empty but non-nil
	// for "sip:alice:@host", so that AppendTo reproduces the input.
	Password []byte
	// HasUser reports that the URI has a userinfo part ('@' present; the
	// user is then never empty). For tel: it is always true, because the
	// number plays the role of the user (as $rU does in Kamailio).
	HasUser bool
	Host    []byte // as written; an IPv6 reference keeps its brackets "[2001:db8::1]"
	Port    uint16 // 0 when absent
	HasPort bool
	Params  Params // raw, after the hostport (tel: after the number), starting at ';' (empty when none)
	// Headers is the raw header part after '?', without the '?'. It is nil
	// when there is no '?'.
	Headers []byte
	Opaque  []byte // for SchemeUnknown: everything after "scheme:"

	// Common parameters extracted at parse time (nil when absent). They
	// alias Params and are raw (%-escapes kept). A parameter given without
	// a value (";transport") yields an empty, non-nil slice. When a
	// parameter is repeated the first occurrence wins. Only set for sip:
	// and sips: URIs.
	Transport, MAddr, UserParam, Method, TTL []byte
	LR                                       bool
}

// ParseURI parses a sip:, sips:, tel: or other absolute URI. The URI must
// be the whole of b: no surrounding whitespace, no angle brackets.
//
// Strictness, and why:
//   - The RFC 3261 ABNF is enforced for the user, password, host, port,
//     parameters and headers of sip:/sips: URIs, including %-escapes
//     (which must be '%' HEX HEX). Space, '<', '>', '"' and control
//     characters are never accepted: a URI containing them is the sign of a
//     framing error (RFC 4475 3.1.2.7, 3.1.2.8).
//   - Lenient, because real devices send them and they are unambiguous:
//     '#' in the user part ("sip:*21#@pbx", should be %23) and '_' in host
//     names (container and SRV-style names).
//   - An IPv6 reference is validated (hex groups, at most one "::", an
//     optional dotted IPv4 tail). The RFC 3261 ABNF bug of RFC 5118 4.10,
//     "[2001:db8:::192.0.2.1]", is accepted: RFC 5118 asks receivers to be
//     lenient, the meaning is unambiguous, and the host is kept as written
//     so it is forwarded unchanged. An IPv6 address without brackets is an
//     error (RFC 5118 4.2).
//   - The first '@' ends the userinfo, since RFC 3261 allows '@' nowhere
//     else; the user part may contain ';' and '?' (RFC 4475 3.1.1.9,
//     3.1.1.2). A URI that breaks this, "sip:host;x=a@b", is read as user
//     "host;x=a" at host "b", as the grammar demands.
//   - Empty parameters (";;", a trailing ';') and an empty header part (a
//     trailing '?') are errors: the ABNF requires a name.
//   - tel: numbers are checked for RFC 3966 characters, but a local number
//     without ";phone-context" is accepted (many gateways send "tel:1234").
func ParseURI(b []byte) (URI, error) {
	var u URI
	if err := u.parse(b); err != nil {
		return URI{}, err
	}
	return u, nil
}

// ParseURIString parses s like ParseURI, without copying it: the byte
// slices of the URI are views of s's memory, which a string never
// changes. They must be treated as read-only — in particular never
// appended to in place, which would write past their end into s — and
// the URI keeps s alive as long as it is referenced. It spares the copy
// that ParseURI([]byte(s)) makes, on paths that parse $du, $ru and
// configured URIs per message.
func ParseURIString(s string) (URI, error) {
	// A full slice expression caps the view at its length; the field
	// slices inside it still reach to its end, hence the rule above.
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	return ParseURI(b[:len(s):len(s)])
}

// StringView views b as a string without copying it: b must not change
// for as long as the string is in use, so it suits a lookup or a
// comparison on a message's bytes (the buffer is reused for the next
// message), or a key kept in a map whose bytes are written once.
func StringView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (u *URI) parse(b []byte) error {
	i := 0
	for i < len(b) && charClass[b[i]]&cScheme != 0 {
		i++
	}
	switch {
	case len(b) == 0:
		return uriErr(b, -1, "empty URI")
	case i == len(b):
		return uriErr(b, -1, "missing scheme (no ':')")
	case b[i] != ':':
		if i == 0 && b[0] == '<' {
			return uriErr(b, 0, "URI must not be enclosed in <>")
		}
		return uriErr(b, i, "invalid character "+quoteByte(b[i])+" in scheme")
	case i == 0 || !isAlpha(b[0]):
		return uriErr(b, 0, "scheme must start with a letter")
	}
	u.SchemeRaw = b[:i]
	switch raw := b[:i]; {
	case equalFold(raw, "sip"):
		u.Scheme = SchemeSIP
	case equalFold(raw, "sips"):
		u.Scheme = SchemeSIPS
	case equalFold(raw, "tel"):
		u.Scheme = SchemeTel
		return u.parseTel(b, i+1)
	default:
		return u.parseOpaque(b, i+1)
	}
	return u.parseSIP(b, i+1)
}

// parseSIP parses the part of a sip:/sips: URI after the scheme, starting
// at offset p of b.
func (u *URI) parseSIP(b []byte, p int) error {
	// RFC 3261 allows '@' nowhere but as the userinfo delimiter (it is not
	// in the user, password, host, parameter or header character sets), so
	// the first '@' ends the userinfo. The user may legally contain ';' and
	// '?' (RFC 4475 3.1.1.2 and 3.1.1.9), so those cannot be used to bound
	// the search.
	if at := bytes.IndexByte(b[p:], '@'); at >= 0 {
		at += p
		if at == p {
			return uriErr(b, p, "empty user part before '@'")
		}
		end := at
		if c := bytes.IndexByte(b[p:at], ':'); c >= 0 {
			end = p + c
			u.Password = b[end+1 : at]
			if err := checkChars(b, end+1, at, cPassword, "password"); err != nil {
				return err
			}
		}
		if end == p {
			return uriErr(b, p, "empty user part before ':'")
		}
		if err := checkChars(b, p, end, cUser, "user part"); err != nil {
			return err
		}
		u.User = b[p:end]
		u.HasUser = true
		p = at + 1
	}

	// hostport
	h := p
	if p < len(b) && b[p] == '[' {
		rb := bytes.IndexByte(b[p:], ']')
		if rb < 0 {
			return uriErr(b, p, "unterminated IPv6 reference")
		}
		rb += p
		if _, reason := parseIPv6(b[p+1 : rb]); reason != "" {
			return uriErr(b, p, "bad IPv6 reference: "+reason)
		}
		p = rb + 1
	} else {
		// One pass: host characters, and no empty label (a single trailing
		// dot, as in an absolute domain name, is allowed).
		for p < len(b) && charClass[b[p]]&cHost != 0 {
			if b[p] == '.' && (p == h || b[p-1] == '.') {
				if p == h {
					return uriErr(b, h, "host starts with '.'")
				}
				return uriErr(b, p, "empty label in host")
			}
			p++
		}
		if p == h {
			if p == len(b) || b[p] == ';' || b[p] == '?' || b[p] == ':' {
				return uriErr(b, p, "missing host")
			}
			return uriErr(b, p, "invalid character "+quoteByte(b[p])+" in host")
		}
	}
	u.Host = b[h:p]
	if p < len(b) && b[p] == ':' {
		p++
		s := p
		port := 0
		for p < len(b) && isDigit(b[p]) {
			port = port*10 + int(b[p]-'0')
			if port > 65535 {
				return uriErr(b, s, "port out of range (1-65535)")
			}
			p++
		}
		if p < len(b) && b[p] != ';' && b[p] != '?' {
			if b[h] != '[' && isHexString(u.Host) && (b[p] == ':' || isHex(b[p])) {
				return uriErr(b, h, "IPv6 address must be enclosed in [] (RFC 5118 4.2)")
			}
			return uriErr(b, p, "invalid character "+quoteByte(b[p])+" in port")
		}
		if p == s {
			return uriErr(b, s, "empty port after ':'")
		}
		if port == 0 {
			return uriErr(b, s, "port out of range (1-65535)")
		}
		u.Port = uint16(port)
		u.HasPort = true
	}
	if p < len(b) && b[p] != ';' && b[p] != '?' {
		return uriErr(b, p, "invalid character "+quoteByte(b[p])+" after host")
	}

	// uri-parameters
	if p < len(b) && b[p] == ';' {
		s := p
		var err error
		if p, err = u.scanParams(b, p, true); err != nil {
			return err
		}
		u.Params = Params(b[s:p])
	}

	// headers
	if p < len(b) && b[p] == '?' {
		p++
		if p == len(b) {
			return uriErr(b, p, "empty header part after '?'")
		}
		if err := checkChars(b, p, len(b), cHeader, "headers"); err != nil {
			return err
		}
		u.Headers = b[p:]
	}
	return nil
}

// scanParams validates the ";name[=value]" list starting at b[p] (which
// is ';') in one pass and returns where it ends: at a '?' or at the end of
// b. When extract is set it fills in the common parameter fields.
func (u *URI) scanParams(b []byte, p int, extract bool) (int, error) {
	for p < len(b) && b[p] == ';' {
		p++
		ns := p
		var esc bool
		p, esc = spanClass(b, p, cParam)
		name := b[ns:p]
		var val []byte
		if p < len(b) && b[p] == '=' {
			p++
			vs := p
			p, _ = spanClass(b, p, cParam)
			val = b[vs:p]
			if p < len(b) && b[p] != ';' && b[p] != '?' {
				return p, badCharErr(b, p, "parameter value")
			}
		} else if p < len(b) && b[p] != ';' && b[p] != '?' {
			return p, badCharErr(b, p, "parameter name")
		}
		if len(name) == 0 {
			return p, uriErr(b, ns, "empty parameter name")
		}
		if extract {
			u.setCommonParam(name, val, b[p:p], esc)
		}
	}
	return p, nil
}

// spanClass returns the end of the run of class-cls characters and valid
// %-escapes starting at b[p], and whether it holds an escape.
func spanClass(b []byte, p int, cls uint16) (end int, esc bool) {
	for p < len(b) {
		c := b[p]
		if charClass[c]&cls != 0 {
			p++
		} else if c == '%' && p+2 < len(b) && isHex(b[p+1]) && isHex(b[p+2]) {
			p += 3
			esc = true
		} else {
			break
		}
	}
	return p, esc
}

// badCharErr reports the character at b[p], which ended a run of what.
func badCharErr(b []byte, p int, what string) error {
	if b[p] == '%' {
		return uriErr(b, p, "bad %-escape in "+what)
	}
	return uriErr(b, p, "invalid character "+quoteByte(b[p])+" in "+what)
}

// setCommonParam records name=val when name is one of the parameters URI
// keeps at hand. empty is a zero-length slice used when val is nil, so
// that a present parameter never reads as absent. esc tells that name
// holds %-escapes (";%6C%72" is ";lr", RFC 4475 3.1.1.3), which rules out
// the fast comparison by length.
func (u *URI) setCommonParam(name, val, empty []byte, esc bool) {
	if val == nil {
		val = empty
	}
	if esc {
		switch {
		case escEqualFoldString(name, "transport"):
			setFirst(&u.Transport, val)
		case escEqualFoldString(name, "maddr"):
			setFirst(&u.MAddr, val)
		case escEqualFoldString(name, "user"):
			setFirst(&u.UserParam, val)
		case escEqualFoldString(name, "method"):
			setFirst(&u.Method, val)
		case escEqualFoldString(name, "ttl"):
			setFirst(&u.TTL, val)
		case escEqualFoldString(name, "lr"):
			u.LR = true
		}
		return
	}
	switch len(name) {
	case 2:
		if equalFoldLower(name, "lr") {
			u.LR = true
		}
	case 3:
		if equalFoldLower(name, "ttl") {
			setFirst(&u.TTL, val)
		}
	case 4:
		if equalFoldLower(name, "user") {
			setFirst(&u.UserParam, val)
		}
	case 5:
		if equalFoldLower(name, "maddr") {
			setFirst(&u.MAddr, val)
		}
	case 6:
		if equalFoldLower(name, "method") {
			setFirst(&u.Method, val)
		}
	case 9:
		if equalFoldLower(name, "transport") {
			setFirst(&u.Transport, val)
		}
	}
}

// equalFoldLower is equalFold for an s made of lower-case letters only
// (b|0x20 folds exactly the letters then): one operation per byte
// instead of two conversions.
func equalFoldLower(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if x|0x2020202020202020 != y {
			return false
		}
	}
	if i+4 <= len(b) {
		x := binary.LittleEndian.Uint32(b[i:])
		y := uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
		if x|0x20202020 != y {
			return false
		}
		i += 4
	}
	for ; i < len(b); i++ {
		if b[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}

func setFirst(dst *[]byte, val []byte) {
	if *dst == nil {
		*dst = val
	}
}

// parseTel parses the part of a tel: URI (RFC 3966) after the scheme.
func (u *URI) parseTel(b []byte, p int) error {
	s := p
	for p < len(b) && b[p] != ';' {
		if charClass[b[p]]&cTel == 0 || (b[p] == '+' && p != s) {
			return uriErr(b, p, "invalid character "+quoteByte(b[p])+" in telephone number")
		}
		p++
	}
	num := b[s:p]
	digits := 0
	for _, c := range num {
		if isHex(c) || c == '*' || c == '#' {
			digits++
		}
	}
	if digits == 0 {
		return uriErr(b, s, "telephone number has no digits")
	}
	if num[0] == '+' {
		for _, c := range num {
			if isAlpha(c) || c == '*' || c == '#' {
				return uriErr(b, s, "global telephone number may only hold decimal digits")
			}
		}
	}
	u.User = num
	u.HasUser = true
	if p < len(b) {
		u.Params = Params(b[p:])
		e, err := u.scanParams(b, p, false)
		if err != nil {
			return err
		}
		if e < len(b) {
			return uriErr(b, e, "invalid character "+quoteByte(b[e])+" in tel: URI parameters")
		}
	}
	return nil
}

// parseOpaque accepts any other absoluteURI: the text after the scheme is
// kept whole. Only characters that can never appear in a URI are refused.
func (u *URI) parseOpaque(b []byte, p int) error {
	if p == len(b) {
		return uriErr(b, p, "empty URI after scheme")
	}
	for i := p; i < len(b); i++ {
		if c := b[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return uriErr(b, i, "invalid character "+quoteByte(c))
		}
	}
	u.Opaque = b[p:]
	return nil
}

// checkChars verifies that b[s:e] holds only characters of class cls and
// well-formed %-escapes.
func checkChars(b []byte, s, e int, cls uint16, what string) error {
	for i := s; i < e; i++ {
		c := b[i]
		if charClass[c]&cls != 0 {
			continue
		}
		if c == '%' {
			if i+2 < e && isHex(b[i+1]) && isHex(b[i+2]) {
				i += 2
				continue
			}
			return uriErr(b, i, "bad %-escape in "+what)
		}
		return uriErr(b, i, "invalid character "+quoteByte(c)+" in "+what)
	}
	return nil
}

// HostIsIPv6 reports whether Host is an IPv6 reference ("[...]").
func (u *URI) HostIsIPv6() bool { return len(u.Host) > 0 && u.Host[0] == '[' }

// Param returns the raw value of the URI parameter named name (compared
// without regard to case, with %-escapes in the written name decoded, so
// ";%6C%72" is found as "lr"). A parameter without a value returns an
// empty, non-nil slice and ok=true.
func (u *URI) Param(name string) (val []byte, ok bool) {
	rest := u.Params
	for {
		prm, r, more := rest.Next()
		if !more {
			return nil, false
		}
		if escEqualFoldString(prm.Name, name) {
			if prm.Value == nil {
				return prm.Name[len(prm.Name):], true
			}
			return prm.Value, true
		}
		rest = r
	}
}

// Equal reports whether u and v are equivalent under RFC 3261 19.1.4:
//   - the schemes must match (sip: and sips: never match);
//   - user and password compare case-sensitively, everything else
//     case-insensitively;
//   - an unreserved character equals its %-escaped form, a reserved one
//     does not (the escapes are decoded on the fly, nothing is copied);
//   - an explicit port never equals an absent one, even 5060;
//   - the user, ttl, method, maddr and transport parameters must match when
//     present in either URI, other parameters only when present in both;
//   - all headers must be present in both, in any order, and match.
//
// IPv6 references compare as addresses ("[::1]" equals "[0:0::1]").
// Lists of more than 32 parameters or headers (never seen in practice, but
// cheap for an attacker to send) are compared as text, to keep the cost
// of Equal linear; see maxEqualItems.
//
// tel: URIs compare per RFC 3966 4: numbers without visual separators, and
// the same set of parameters. Other schemes compare the opaque part
// byte for byte.
func (u *URI) Equal(v *URI) bool {
	if u.Scheme != v.Scheme {
		return false
	}
	switch u.Scheme {
	case SchemeUnknown:
		return equalFoldBytes(u.SchemeRaw, v.SchemeRaw) && bytes.Equal(u.Opaque, v.Opaque)
	case SchemeTel:
		if bytes.Count(u.Params, []byte{';'}) > maxEqualItems || bytes.Count(v.Params, []byte{';'}) > maxEqualItems {
			return telNumberEqual(u.User, v.User) && escEqual(u.Params, v.Params, true)
		}
		return telNumberEqual(u.User, v.User) && telParamsEqual(u.Params, v.Params)
	}
	if u.HasUser != v.HasUser || !escEqual(u.User, v.User, false) {
		return false
	}
	if (u.Password == nil) != (v.Password == nil) || !escEqual(u.Password, v.Password, false) {
		return false
	}
	if u.HasPort != v.HasPort || u.Port != v.Port || !hostEqual(u.Host, v.Host) {
		return false
	}
	return paramListsEqual(u.Params, v.Params) && headerListsEqual(u.Headers, v.Headers)
}

// maxEqualItems bounds the parameters or headers Equal matches
// individually. Matching is quadratic (nothing is sorted, to stay free of
// allocations), and a 64 KiB message can carry tens of thousands of
// parameters: past the bound, two lists are equal only when they are the
// same text (up to case and escapes). That answer errs only one way (it
// may call equivalent URIs different, never the reverse) and caps the
// cost at a few thousand comparisons.
const maxEqualItems = 32

func paramListsEqual(a, b Params) bool {
	if bytes.Count(a, []byte{';'}) > maxEqualItems || bytes.Count(b, []byte{';'}) > maxEqualItems {
		return escEqual(a, b, true)
	}
	return uriParamsEqual(a, b) && uriParamsEqual(b, a)
}

func headerListsEqual(a, b []byte) bool {
	if bytes.Count(a, []byte{'&'}) >= maxEqualItems || bytes.Count(b, []byte{'&'}) >= maxEqualItems {
		return escEqual(a, b, true)
	}
	return headersEqual(a, b) && headersEqual(b, a)
}

func hostEqual(a, b []byte) bool {
	if len(a) > 2 && len(b) > 2 && a[0] == '[' && b[0] == '[' && a[len(a)-1] == ']' && b[len(b)-1] == ']' {
		x, r1 := parseIPv6(a[1 : len(a)-1])
		y, r2 := parseIPv6(b[1 : len(b)-1])
		if r1 == "" && r2 == "" {
			return x == y
		}
	}
	return equalFoldBytes(a, b)
}

// uriParamsEqual checks the parameters of a against b. It is called both
// ways, so that it only has to look at a's parameters.
func uriParamsEqual(a, b Params) bool {
	for rest := []byte(a); len(rest) > 0; {
		before := a[:len(a)-len(rest)]
		var name, val []byte
		name, val, rest = nextURIParam(rest)
		if len(name) == 0 {
			continue
		}
		if _, _, seen := findURIParam(before, name); seen {
			continue // a repeated parameter: the first one counts
		}
		if _, v, found := findURIParam(b, name); found {
			if !escEqual(val, v, true) {
				return false
			}
		} else if mustMatchParam(name) {
			return false
		}
	}
	return true
}

// nextURIParam splits the first ";name=value" off a URI parameter list.
// URI parameters hold neither LWS nor quotes (ParseURI checked), so this
// is simpler and faster than Params.Next.
func nextURIParam(p []byte) (name, val, rest []byte) {
	if len(p) > 0 && p[0] == ';' {
		p = p[1:]
	}
	item, rest := p, []byte(nil)
	if i := bytes.IndexByte(p, ';'); i >= 0 {
		item, rest = p[:i], p[i:]
	}
	name, val = item, nil
	if i := bytes.IndexByte(item, '='); i >= 0 {
		name, val = item[:i], item[i+1:]
	}
	return name, val, rest
}

// findURIParam returns the first parameter of ps named name.
func findURIParam(ps Params, name []byte) (n, v []byte, ok bool) {
	for rest := []byte(ps); len(rest) > 0; {
		n, v, rest = nextURIParam(rest)
		if escEqual(n, name, true) {
			return n, v, true
		}
	}
	return nil, nil, false
}

func mustMatchParam(name []byte) bool {
	return escEqualFoldString(name, "transport") || escEqualFoldString(name, "user") ||
		escEqualFoldString(name, "ttl") || escEqualFoldString(name, "method") ||
		escEqualFoldString(name, "maddr")
}

// headersEqual reports whether every header of a is present in b with the
// same value.
func headersEqual(a, b []byte) bool {
	for len(a) > 0 {
		var h []byte
		h, a = cutByte(a, '&')
		hn, hv := cutByte(h, '=')
		found := false
		for rest := b; len(rest) > 0 && !found; {
			var g []byte
			g, rest = cutByte(rest, '&')
			gn, gv := cutByte(g, '=')
			found = escEqual(hn, gn, true) && escEqual(hv, gv, true)
		}
		if !found {
			return false
		}
	}
	return true
}

// cutByte splits b around the first c (rest is empty when c is absent).
func cutByte(b []byte, c byte) (before, after []byte) {
	if i := bytes.IndexByte(b, c); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// telNumberEqual compares two telephone numbers ignoring the RFC 3966
// visual separators and the case of hex digits.
func telNumberEqual(a, b []byte) bool {
	i, j := 0, 0
	for {
		for i < len(a) && isVisualSeparator(a[i]) {
			i++
		}
		for j < len(b) && isVisualSeparator(b[j]) {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if lower(a[i]) != lower(b[j]) {
			return false
		}
		i++
		j++
	}
}

func isVisualSeparator(c byte) bool { return c == '-' || c == '.' || c == '(' || c == ')' }

// telParamsEqual: RFC 3966 4 requires the same set of parameters, compared
// case-insensitively.
func telParamsEqual(a, b Params) bool {
	return telParamsIn(a, b) && telParamsIn(b, a)
}

func telParamsIn(a, b Params) bool {
	for rest := []byte(a); len(rest) > 0; {
		before := a[:len(a)-len(rest)]
		var name, val []byte
		name, val, rest = nextURIParam(rest)
		if _, _, seen := findURIParam(before, name); seen {
			continue // a repeated parameter: the first one counts
		}
		_, v, found := findURIParam(b, name)
		if !found || !escEqual(val, v, true) {
			return false
		}
	}
	return true
}

// AppendTo appends the URI in its textual form to dst:
// scheme:user:password@host:port;params?headers. The fields are written
// as they are (raw), so a parsed URI is reproduced byte for byte; the
// extracted Transport, LR ... fields are views into Params and are not
// written separately.
func (u *URI) AppendTo(dst []byte) []byte {
	if len(u.SchemeRaw) > 0 {
		dst = append(dst, u.SchemeRaw...)
	} else {
		dst = append(dst, u.Scheme.String()...)
	}
	dst = append(dst, ':')
	switch u.Scheme {
	case SchemeUnknown:
		return append(dst, u.Opaque...)
	case SchemeTel:
		dst = append(dst, u.User...)
		return appendParams(dst, u.Params)
	}
	if u.HasUser || len(u.User) > 0 {
		dst = append(dst, u.User...)
		if u.Password != nil {
			dst = append(dst, ':')
			dst = append(dst, u.Password...)
		}
		dst = append(dst, '@')
	}
	dst = append(dst, u.Host...)
	if u.HasPort {
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(u.Port), 10)
	}
	dst = appendParams(dst, u.Params)
	if u.Headers != nil {
		dst = append(dst, '?')
		dst = append(dst, u.Headers...)
	}
	return dst
}

// String returns the URI as AppendTo writes it. It allocates; use
// AppendTo on hot paths.
func (u *URI) String() string { return string(u.AppendTo(nil)) }

func appendParams(dst []byte, p Params) []byte {
	if len(p) > 0 && p[0] != ';' {
		dst = append(dst, ';')
	}
	return append(dst, p...)
}

// Unescape appends src to dst with every valid %XX escape decoded. A '%'
// not followed by two hex digits is copied as is.
func Unescape(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c, _, n := nextEscaped(src, i)
		dst = append(dst, c)
		i = n
	}
	return dst
}

// nextEscaped decodes the character at b[i]: a valid %XX escape yields the
// decoded byte and esc=true. n is the index after it.
func nextEscaped(b []byte, i int) (c byte, esc bool, n int) {
	if b[i] == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
		return unhex(b[i+1])<<4 | unhex(b[i+2]), true, i + 3
	}
	return b[i], false, i + 1
}

// escEqual compares a and b with %-escapes decoded on the fly, optionally
// without regard to ASCII case. Following RFC 3261 19.1.4, an escaped
// character equals its literal form only when it is not in the "reserved"
// set: "%40" is not '@', but "%61" is 'a'.
func escEqual(a, b []byte, fold bool) bool {
	// Fast paths: equal as written means equal (the escapes line up), and
	// without any escape there is nothing to decode.
	if len(a) == len(b) && ((fold && equalFoldBytes(a, b)) || (!fold && bytes.Equal(a, b))) {
		return true
	}
	if bytes.IndexByte(a, '%') < 0 && bytes.IndexByte(b, '%') < 0 {
		return false
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		c, ec, ni := nextEscaped(a, i)
		d, ed, nj := nextEscaped(b, j)
		if fold {
			c, d = lower(c), lower(d)
		}
		if c != d || (ec != ed && isReserved(c)) {
			return false
		}
		i, j = ni, nj
	}
	return i == len(a) && j == len(b)
}

// escEqualFoldString is escEqual(b, s, true) for a literal s that has no
// '%' of its own.
func escEqualFoldString(b []byte, s string) bool {
	if len(b) == len(s) {
		return equalFold(b, s)
	}
	i, j := 0, 0
	for i < len(b) && j < len(s) {
		c, esc, ni := nextEscaped(b, i)
		if lower(c) != lower(s[j]) || (esc && isReserved(c)) {
			return false
		}
		i, j = ni, j+1
	}
	return i == len(b) && j == len(s)
}

// isReserved reports whether c is in RFC 3261's "reserved" set.
func isReserved(c byte) bool {
	switch c {
	case ';', '/', '?', ':', '@', '&', '=', '+', '$', ',':
		return true
	}
	return false
}

// parseIPv6 parses the text between the brackets of an IPv6 reference.
// reason is empty on success. The RFC 3261 form with three colons before
// an embedded IPv4 address ("2001:db8:::192.0.2.1") is accepted, see
// ParseURI.
func parseIPv6(s []byte) (ip [16]byte, reason string) {
	if len(s) == 0 {
		return ip, "empty address"
	}
	n := 0    // bytes of ip filled
	ell := -1 // position of "::" in ip, -1 when none
	i := 0
	if s[0] == ':' {
		if len(s) < 2 || s[1] != ':' {
			return ip, "address starts with a single ':'"
		}
		ell, i = 0, 2
		if i < len(s) && s[i] == ':' && looksIPv4(s[i+1:]) {
			i++
		}
	}
	for i < len(s) {
		j := i
		for j < len(s) && isHex(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '.' {
			if n > 12 {
				return ip, "too many groups before the IPv4 part"
			}
			v4, ok := parseIPv4(s[i:])
			if !ok {
				return ip, "bad embedded IPv4 address"
			}
			copy(ip[n:], v4[:])
			n += 4
			i = len(s)
			break
		}
		if j == i {
			if s[i] == ':' {
				return ip, "':::' is not allowed here"
			}
			return ip, "invalid character " + quoteByte(s[i])
		}
		if j-i > 4 {
			return ip, "group longer than 4 hex digits"
		}
		if n == 16 {
			return ip, "too many groups"
		}
		var g uint16
		for _, c := range s[i:j] {
			g = g<<4 | uint16(unhex(c))
		}
		ip[n], ip[n+1] = byte(g>>8), byte(g)
		n += 2
		i = j
		if i == len(s) {
			break
		}
		if s[i] != ':' {
			return ip, "invalid character " + quoteByte(s[i])
		}
		i++
		if i == len(s) {
			return ip, "address ends with a single ':'"
		}
		if s[i] == ':' {
			if ell >= 0 {
				return ip, "'::' appears more than once"
			}
			ell = n
			i++
			if i < len(s) && s[i] == ':' && looksIPv4(s[i+1:]) {
				i++ // RFC 5118 4.10 leniency
			}
		}
	}
	if ell < 0 {
		if n != 16 {
			return ip, "too few groups"
		}
		return ip, ""
	}
	if n == 16 {
		return ip, "'::' stands for no group"
	}
	tail := n - ell
	copy(ip[16-tail:], ip[ell:n])
	for k := ell; k < 16-tail; k++ {
		ip[k] = 0
	}
	return ip, ""
}

// looksIPv4 reports whether s is a dotted-quad IPv4 address.
func looksIPv4(s []byte) bool {
	_, ok := parseIPv4(s)
	return ok
}

// parseIPv4 parses the whole of s as a dotted-quad IPv4 address.
func parseIPv4(s []byte) (ip [4]byte, ok bool) {
	k := 0
	for part := 0; part < 4; part++ {
		if part > 0 {
			if k == len(s) || s[k] != '.' {
				return ip, false
			}
			k++
		}
		v, digits := 0, 0
		for k < len(s) && isDigit(s[k]) && digits < 3 {
			v = v*10 + int(s[k]-'0')
			k++
			digits++
		}
		if digits == 0 || v > 255 {
			return ip, false
		}
		ip[part] = byte(v)
	}
	return ip, k == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= lower(c) && lower(c) <= 'z' }
func isHex(c byte) bool   { return isDigit(c) || ('a' <= lower(c) && lower(c) <= 'f') }

func isHexString(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return len(b) > 0
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return lower(c) - 'a' + 10
}

// Character classes of RFC 3261 25.1 (plus the leniencies documented on
// ParseURI), as bits of charClass.
const (
	cScheme   uint16 = 1 << iota // ALPHA DIGIT + - .
	cUser                        // unreserved / user-unreserved (+ '#')
	cPassword                    // unreserved / & = + $ ,
	cHost                        // alphanum - . (+ '_')
	cParam                       // paramchar: param-unreserved / unreserved
	cHeader                      // hnv-unreserved / unreserved, plus '=' and '&'
	cTel                         // RFC 3966 digits, hex, * # + and visual separators
	cToken                       // RFC 3261 token
)

var charClass = func() (t [256]uint16) {
	set := func(cls uint16, chars string) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= cls
		}
	}
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const mark = "-_.!~*'()"
	set(cScheme, alnum+"+-.")
	set(cUser, alnum+mark+"&=+$,;?/"+"#")
	set(cPassword, alnum+mark+"&=+$,")
	set(cHost, alnum+"-._")
	set(cParam, alnum+mark+"[]/:&+$")
	set(cHeader, alnum+mark+"[]/?:+$"+"=&")
	set(cTel, "0123456789abcdefABCDEF*#+-.()")
	set(cToken, alnum+"-.!%*_+`'~")
	return t
}()

// valueError is the error returned by ParseURI, ParseNameAddr and
// ParseDigest. It names the kind of value, quotes it (shortened when long)
// and says what is wrong and at which byte offset.
type valueError struct {
	kind   string // "URI", "name-addr", "credentials"
	input  string
	offset int // -1 when the whole value is at fault
	reason string
}

func (e *valueError) Error() string {
	in := e.input
	const max = 120
	if len(in) > max {
		in = in[:max] + "..."
	}
	s := "sip: bad " + e.kind + " " + strconv.Quote(in) + ": " + e.reason
	if e.offset >= 0 {
		s += " (at offset " + strconv.Itoa(e.offset) + ")"
	}
	return s
}

func uriErr(b []byte, off int, reason string) error {
	return &valueError{kind: "URI", input: string(b), offset: off, reason: reason}
}

// quoteByte renders c for an error message.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f && c != '\'' {
		return "'" + string(rune(c)) + "'"
	}
	const hexdig = "0123456789abcdef"
	return "byte 0x" + string([]byte{hexdig[c>>4], hexdig[c&15]})
}
