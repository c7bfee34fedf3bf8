package sip

// Digest holds the credentials or challenge parameters of an
// Authorization, Proxy-Authorization, WWW-Authenticate or
// Proxy-Authenticate header value.
//
// Every byte slice aliases the input given to ParseDigest. A field is nil
// when its parameter is absent and empty (non-nil) when it is present
// with an empty value (realm="").
type Digest struct {
	Scheme []byte // "Digest" (any case) or another scheme name as written
	// Parameter values, with surrounding quotes removed (backslash escapes
	// kept raw).
	Username, Realm, Nonce, URI, Response, Algorithm, CNonce, Opaque, QOP, NC, Domain, Stale []byte

	// Params is the whole raw parameter list after the scheme, trimmed.
	Params []byte
}

// ParseDigest parses an authentication header value: a scheme name
// followed by comma-separated auth-params (name=token or
// name="quoted-string", LWS allowed around '=' and ',').
//
// Unknown parameters are ignored; when a parameter is repeated the first
// one wins. Empty list elements (",,") are skipped, as the #rule of RFC
// 7230 7 allows. For the Digest scheme the parameter list must be well
// formed and non-empty. For any other scheme (RFC 4475 3.3.7,
// "NoOneKnowsThisScheme opaque-data=here", or "Basic <token68>") the
// parameters are extracted on a best-effort basis and the only error is
// an unterminated quoted string: the value must parse so that the server
// can answer with a challenge rather than a 400.
func ParseDigest(b []byte) (Digest, error) {
	var d Digest
	if err := d.parse(b); err != nil {
		return Digest{}, err
	}
	return d, nil
}

func (d *Digest) parse(b []byte) error {
	end := len(b)
	for end > 0 && isLWS(b[end-1]) {
		end--
	}
	p := skipLWSFrom(b, 0, end)
	s := p
	for p < end && charClass[b[p]]&cToken != 0 {
		p++
	}
	if p == s {
		if p == end {
			return digestErr(b, -1, "empty value")
		}
		return digestErr(b, p, "invalid character "+quoteByte(b[p])+" in auth scheme")
	}
	d.Scheme = b[s:p]
	if p < end && !isLWS(b[p]) {
		return digestErr(b, p, "invalid character "+quoteByte(b[p])+" after auth scheme")
	}
	p = skipLWSFrom(b, p, end)
	d.Params = b[p:end]
	digest := d.IsDigest()
	if digest && p == end {
		return digestErr(b, -1, "Digest without parameters")
	}
	// parseParams gets b cut at end, so that its loops need no bounds
	// checks; offsets are the same.
	if off, reason, quote := d.parseParams(b[:end], p); reason != "" {
		if digest || quote {
			return digestErr(b, off, reason)
		}
		// Another scheme with a syntax we do not know (token68 ...): keep
		// what was found, but still refuse an unterminated quote, which
		// would make the value's extent ambiguous.
		if q := unterminatedQuote(b, off, end); q >= 0 {
			return digestErr(b, q, "unterminated quoted string")
		}
	}
	return nil
}

// parseParams scans the auth-param list b[p:end]. On a syntax error it
// returns where and why; quote reports an unterminated quoted string.
func (d *Digest) parseParams(b []byte, p int) (off int, reason string, quote bool) {
	end := len(b)
	for p < end {
		if b[p] == ',' {
			p = skipLWSFrom(b, p+1, end)
			continue
		}
		s := p
		for p < end && charClass[b[p]]&cToken != 0 {
			p++
		}
		name := b[s:p]
		if len(name) == 0 {
			return p, "invalid character " + quoteByte(b[p]) + " in parameter name", false
		}
		p = skipLWSFrom(b, p, end)
		if p == end || b[p] != '=' {
			return p, "parameter " + string(name) + " has no '=' value", false
		}
		p = skipLWSFrom(b, p+1, end)
		var val []byte
		if p < end && b[p] == '"' {
			q := quotedStringEnd(b, p, end)
			if q < 0 {
				return p, "unterminated quoted value of " + string(name), true
			}
			val = b[p+1 : q-1]
			p = q
		} else {
			vs := p
			for p < end && b[p] != ',' && b[p] != '"' && !isLWS(b[p]) {
				p++
			}
			if p == vs {
				return p, "parameter " + string(name) + " has an empty value", false
			}
			val = b[vs:p]
		}
		p = skipLWSFrom(b, p, end)
		if p < end && b[p] != ',' {
			return p, "expected ',' after the value of " + string(name), false
		}
		d.set(name, val)
	}
	return 0, "", false
}

// set stores val in the field for name unless an earlier parameter of the
// same name already set it.
func (d *Digest) set(name, val []byte) {
	var f *[]byte
	switch len(name) {
	case 2:
		if equalFoldLower(name, "nc") {
			f = &d.NC
		}
	case 3:
		if equalFoldLower(name, "uri") {
			f = &d.URI
		} else if equalFoldLower(name, "qop") {
			f = &d.QOP
		}
	case 5:
		switch lower(name[0]) {
		case 'r':
			if equalFoldLower(name, "realm") {
				f = &d.Realm
			}
		case 'n':
			if equalFoldLower(name, "nonce") {
				f = &d.Nonce
			}
		case 's':
			if equalFoldLower(name, "stale") {
				f = &d.Stale
			}
		}
	case 6:
		switch lower(name[0]) {
		case 'c':
			if equalFoldLower(name, "cnonce") {
				f = &d.CNonce
			}
		case 'o':
			if equalFoldLower(name, "opaque") {
				f = &d.Opaque
			}
		case 'd':
			if equalFoldLower(name, "domain") {
				f = &d.Domain
			}
		}
	case 8:
		if equalFoldLower(name, "username") {
			f = &d.Username
		} else if equalFoldLower(name, "response") {
			f = &d.Response
		}
	case 9:
		if equalFoldLower(name, "algorithm") {
			f = &d.Algorithm
		}
	}
	if f != nil && *f == nil {
		*f = val
	}
}

// IsDigest reports whether the scheme is "Digest" (in any case).
func (d *Digest) IsDigest() bool { return equalFold(d.Scheme, "Digest") }

// unterminatedQuote returns the offset of a '"' in b[p:end] that opens a
// quoted string never closed, or -1. Scanning starts from the beginning of
// the parameter list's current element, p.
func unterminatedQuote(b []byte, p, end int) int {
	for i := p; i < end; i++ {
		if b[i] == '"' {
			q := quotedStringEnd(b, i, end)
			if q < 0 {
				return i
			}
			i = q - 1
		}
	}
	return -1
}

func digestErr(b []byte, off int, reason string) error {
	return &valueError{kind: "credentials", input: string(b), offset: off, reason: reason}
}
