package sip

import "bytes"

// Params is a raw ";name=value;name2" parameter list as found after a URI's
// host part or after a header value (the leading ';' may be present or
// not). It is scanned on demand; nothing is allocated.
type Params []byte

// Param is one parameter of a Params list. Value is nil for a parameter
// without '=' (e.g. "lr"), and empty but non-nil for "name=".
type Param struct {
	Name  []byte
	Value []byte
}

// Next returns the first parameter in p and the rest of the list. ok is
// false when p holds no more parameters. Whitespace around names, '=' and
// values is trimmed; a quoted value keeps its quotes.
func (p Params) Next() (prm Param, rest Params, ok bool) {
	b := []byte(p)
	for {
		b = trimLWS(b)
		if len(b) == 0 {
			return Param{}, nil, false
		}
		if b[0] != ';' {
			break
		}
		b = b[1:]
	}
	end := paramEnd(b)
	item := b[:end]
	rest = Params(b[end:])
	if eq := bytes.IndexByte(item, '='); eq >= 0 {
		prm.Name = trimLWS(item[:eq])
		prm.Value = trimLWS(item[eq+1:])
		if prm.Value == nil {
			prm.Value = item[eq+1 : eq+1]
		}
	} else {
		prm.Name = trimLWS(item)
	}
	return prm, rest, true
}

// paramEnd returns the index of the ';' ending the first parameter of b,
// or len(b). Quoted strings may contain ';'.
func paramEnd(b []byte) int {
	// Fast path: a ';' with no quote before it ends the parameter.
	c := bytes.IndexByte(b, ';')
	if c < 0 {
		c = len(b)
	}
	if bytes.IndexByte(b[:c], '"') < 0 {
		return c
	}
	inQuote := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inQuote = !inQuote
		case c == '\\' && inQuote:
			i++
		case c == ';' && !inQuote:
			return i
		}
	}
	return len(b)
}

// Get returns the value of the parameter named name (compared without
// regard to ASCII case) and whether it is present.
func (p Params) Get(name string) (value []byte, found bool) {
	rest := p
	for {
		prm, r, ok := rest.Next()
		if !ok {
			return nil, false
		}
		if equalFold(prm.Name, name) {
			return prm.Value, true
		}
		rest = r
	}
}

// Has reports whether the parameter named name is present.
func (p Params) Has(name string) bool {
	_, ok := p.Get(name)
	return ok
}

// equalFold compares b and s without regard to ASCII case, without
// allocating.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if c == d {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// equalFoldBytes is equalFold for two byte slices.
func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// trimLWS removes leading and trailing spaces, tabs and line breaks.
func trimLWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isLWS(b[i]) {
		i++
	}
	for j > i && isLWS(b[j-1]) {
		j--
	}
	return b[i:j]
}
