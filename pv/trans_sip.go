package pv

import (
	"fmt"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
)

func init() {
	// uri.*: a missing part or parameter is "", as in Kamailio; a value
	// that is not a URI makes the transformation fail.
	uriPart := func(name string, get func(u *sip.URI) []byte) {
		defTr(name, 0, func(in module.Value, _ []module.Value) (module.Value, error) {
			u, err := parseURIValue(in)
			if err != nil {
				return module.Null, err
			}
			return str(string(get(&u)))
		})
	}
	uriPart("uri.user", func(u *sip.URI) []byte { return u.User })
	uriPart("uri.host", func(u *sip.URI) []byte { return u.Host })
	uriPart("uri.domain", func(u *sip.URI) []byte { return u.Host })
	uriPart("uri.passwd", func(u *sip.URI) []byte { return u.Password })
	uriPart("uri.pwd", func(u *sip.URI) []byte { return u.Password })
	uriPart("uri.params", func(u *sip.URI) []byte { return trimSemi(u.Params) })
	uriPart("uri.headers", func(u *sip.URI) []byte { return u.Headers })
	uriPart("uri.scheme", func(u *sip.URI) []byte { return u.SchemeRaw })
	for _, p := range []string{"transport", "ttl", "maddr", "method", "lr", "r2"} {
		uriPart("uri."+p, func(u *sip.URI) []byte { v, _ := u.Param(p); return v })
	}
	uriPart("uri.uparam", func(u *sip.URI) []byte { v, _ := u.Param("user"); return v })
	defTr("uri.port", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		u, err := parseURIValue(in)
		if err != nil {
			return module.Null, err
		}
		if !u.HasPort {
			return str("")
		}
		return num(int64(u.Port))
	})
	defTr("uri.param", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		u, err := parseURIValue(in)
		if err != nil {
			return module.Null, err
		}
		v, _ := u.Param(a[0].Str)
		return str(string(v))
	}, paramStr)
	defTr("uri.saor", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		u, err := parseURIValue(in)
		if err != nil {
			return module.Null, err
		}
		if !u.HasUser {
			return str(string(u.Host))
		}
		return str(string(u.User) + "@" + string(u.Host))
	})
	defTr("uri.suri", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		u, err := parseURIValue(in)
		if err != nil {
			return module.Null, err
		}
		// The URI without parameters and headers.
		u.Params, u.Headers = nil, nil
		return str(u.String())
	})
	defTr("uri.rmparam", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		u, err := parseURIValue(in)
		if err != nil {
			return module.Null, err
		}
		u.Params = removeParam(u.Params, a[0].Str)
		return str(u.String())
	}, paramStr)

	// param.*: a "name=value;name2" list; names match case-insensitively.
	defTr("param.value", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		for _, p := range splitParams(in.String(), sepArg(a, 1)) {
			if strings.EqualFold(p.name, a[0].Str) {
				return str(p.value)
			}
		}
		return str("")
	}, paramStr, paramSep)
	defTr("param.in", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		for _, p := range splitParams(in.String(), sepArg(a, 1)) {
			if strings.EqualFold(p.name, a[0].Str) {
				return num(1)
			}
		}
		return num(0)
	}, paramStr, paramSep)
	defTr("param.valueat", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		ps := splitParams(in.String(), sepArg(a, 1))
		if i, ok := listIndex(a[0].Int, len(ps)); ok {
			return str(ps[i].value)
		}
		return str("")
	}, paramInt, paramSep)
	defTr("param.name", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		ps := splitParams(in.String(), sepArg(a, 1))
		if i, ok := listIndex(a[0].Int, len(ps)); ok {
			return str(ps[i].name)
		}
		return str("")
	}, paramInt, paramSep)
	defTr("param.count", 0, func(in module.Value, a []module.Value) (module.Value, error) {
		return num(int64(len(splitParams(in.String(), sepArg(a, 0)))))
	}, paramSep)

	// nameaddr.*: `"Display" <uri>` without header parameters in mind.
	defTr("nameaddr.name", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		name, _, _ := splitNameAddr(in.String())
		return str(name)
	})
	defTr("nameaddr.uri", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		_, uri, _ := splitNameAddr(in.String())
		return str(uri)
	})
	defTr("nameaddr.len", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		_, _, n := splitNameAddr(in.String())
		return num(int64(n))
	})

	// tobody.*: a From/To header body.
	toPart := func(name string, get func(na *sip.NameAddr) []byte) {
		defTr(name, 0, func(in module.Value, _ []module.Value) (module.Value, error) {
			na, err := sip.ParseNameAddr([]byte(strings.TrimSpace(in.String())))
			if err != nil {
				return module.Null, fmt.Errorf("not a To/From body: %w", err)
			}
			return str(string(get(&na)))
		})
	}
	toPart("tobody.uri", func(na *sip.NameAddr) []byte { return na.URIRaw })
	toPart("tobody.display", func(na *sip.NameAddr) []byte { return na.Display })
	toPart("tobody.tag", func(na *sip.NameAddr) []byte { return na.Tag() })
	toPart("tobody.user", func(na *sip.NameAddr) []byte { return na.URI.User })
	toPart("tobody.host", func(na *sip.NameAddr) []byte { return na.URI.Host })
	toPart("tobody.params", func(na *sip.NameAddr) []byte { return trimSemi(na.Params) })

	// line.*: multi-line text (a body); lines end in LF or CRLF.
	defTr("line.count", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return num(int64(len(splitLines(in.String()))))
	})
	defTr("line.at", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		lines := splitLines(in.String())
		i, ok := listIndex(a[0].Int, len(lines))
		if !ok {
			return module.Null, fmt.Errorf("line %d out of range (%d lines)", a[0].Int, len(lines))
		}
		return str(lines[i])
	}, paramInt)
	defTr("line.sw", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		for _, l := range splitLines(in.String()) {
			if strings.HasPrefix(l, a[0].Str) {
				return str(l)
			}
		}
		return str("")
	}, paramStr)
}

// parseURIValue parses a value as a URI. Surrounding angle brackets are
// tolerated, since scripts apply uri.* to header bodies too.
func parseURIValue(in module.Value) (sip.URI, error) {
	s := strings.TrimSpace(in.String())
	if len(s) > 1 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	u, err := sip.ParseURI([]byte(s))
	if err != nil {
		return u, fmt.Errorf("not a URI: %w", err)
	}
	return u, nil
}

func trimSemi[T ~[]byte](b T) []byte {
	if len(b) > 0 && b[0] == ';' {
		return b[1:]
	}
	return b
}

// removeParam returns params without the parameter named name.
func removeParam(params sip.Params, name string) sip.Params {
	var out []byte
	rest := params
	for {
		p, r, ok := rest.Next()
		if !ok {
			break
		}
		rest = r
		if strings.EqualFold(string(p.Name), name) {
			continue
		}
		out = append(out, ';')
		out = append(out, p.Name...)
		if p.Value != nil {
			out = append(out, '=')
			out = append(out, p.Value...)
		}
	}
	return out
}

type nameValue struct{ name, value string }

func sepArg(a []module.Value, i int) string {
	if i < len(a) && a[i].Str != "" {
		return a[i].Str
	}
	return ";"
}

// splitParams splits a parameter list ("a=1;b;c=2", with an optional
// leading separator) into names and values, trimmed; surrounding double
// quotes of a value are removed.
func splitParams(s, sep string) []nameValue {
	var out []nameValue
	var parts []string
	if sep == sepWhite {
		parts = strings.Fields(s)
	} else {
		parts = strings.Split(s, sep)
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, value, _ := strings.Cut(p, "=")
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		out = append(out, nameValue{strings.TrimSpace(name), value})
	}
	return out
}

// listIndex maps a possibly negative index (from the end) to a position
// in a list of n elements.
func listIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// splitNameAddr splits `name <uri>` as Kamailio's nameaddr parser does:
// the name is everything before '<' (leading white space removed), the
// URI what is inside the brackets, and n the length up to and including
// '>'. Without brackets the whole text is the URI.
func splitNameAddr(s string) (name, uri string, n int) {
	lead := len(s) - len(strings.TrimLeft(s, whitespace))
	s = s[lead:]
	lt := indexUnquoted(s, '<')
	if lt < 0 {
		s = strings.TrimRight(s, whitespace)
		return "", s, len(s)
	}
	gt := strings.IndexByte(s[lt:], '>')
	if gt < 0 {
		return s[:lt], s[lt+1:], len(s)
	}
	return s[:lt], s[lt+1 : lt+gt], lt + gt + 1
}

// indexUnquoted finds c outside a quoted display name.
func indexUnquoted(s string, c byte) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case '\\':
			if quoted {
				i++
			}
		case c:
			if !quoted {
				return i
			}
		}
	}
	return -1
}

// splitLines splits text into lines without their CRLF or LF; a final
// line end does not start another line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
