package pv

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
)

func sortStrings(s []string) { sort.Strings(s) }

func str(v string) (module.Value, error) { return module.StrValue(v), nil }

func num(n int64) (module.Value, error) { return module.IntValue(n), nil }

func init() {
	defTr("s.len", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return num(int64(len(in.String())))
	})
	defTr("s.int", 0, trInt)
	defTr("s.md5", 0, digest(md5.New))
	defTr("s.sha1", 0, digest(sha1.New))
	defTr("s.sha256", 0, digest(sha256.New))
	defTr("s.sha384", 0, digest(sha512.New384))
	defTr("s.sha512", 0, digest(sha512.New))
	defTr("s.crc32", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return num(int64(crc32.ChecksumIEEE([]byte(in.String()))))
	})
	defTr("s.substr", 2, trSubstr, paramInt, paramInt)
	defTr("s.select", 2, trSelect, paramInt, paramSep)
	defTr("s.encode.hexa", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(hex.EncodeToString([]byte(in.String())))
	})
	defTr("s.decode.hexa", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		b, err := hex.DecodeString(in.String())
		if err != nil {
			return module.Null, fmt.Errorf("not hexadecimal: %w", err)
		}
		return str(string(b))
	})
	defTr("s.encode.base64", 0, b64enc(base64.StdEncoding))
	defTr("s.decode.base64", 0, b64dec(base64.StdEncoding))
	defTr("s.encode.base64t", 0, b64enc(base64.RawStdEncoding))
	defTr("s.decode.base64t", 0, b64dec(base64.RawStdEncoding))
	defTr("s.encode.base64url", 0, b64enc(base64.URLEncoding))
	defTr("s.decode.base64url", 0, b64dec(base64.URLEncoding))
	defTr("s.encode.base64urlt", 0, b64enc(base64.RawURLEncoding))
	defTr("s.decode.base64urlt", 0, b64dec(base64.RawURLEncoding))
	defTr("s.escape.common", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(escapeCommon(in.String()))
	})
	defTr("s.unescape.common", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(unescapeCommon(in.String()))
	})
	defTr("s.escape.user", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(percentEscape(in.String(), userUnreserved))
	})
	defTr("s.escape.param", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(percentEscape(in.String(), paramUnreserved))
	})
	defTr("s.unescape.user", 0, trUnescapePercent)
	defTr("s.unescape.param", 0, trUnescapePercent)
	defTr("s.tolower", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(asciiLower(in.String()))
	})
	defTr("s.toupper", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(asciiUpper(in.String()))
	})
	defTr("s.strip", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		s, n := in.String(), a[0].Int
		if n < 0 {
			return module.Null, fmt.Errorf("negative length %d", n)
		}
		if n >= int64(len(s)) {
			return str("")
		}
		return str(s[n:])
	}, paramInt)
	defTr("s.striptail", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		s, n := in.String(), a[0].Int
		if n < 0 {
			return module.Null, fmt.Errorf("negative length %d", n)
		}
		if n >= int64(len(s)) {
			return str("")
		}
		return str(s[:int64(len(s))-n])
	}, paramInt)
	defTr("s.stripto", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		s := in.String()
		if i := strings.Index(s, a[0].Str); i >= 0 {
			return str(s[i:])
		}
		return str(s)
	}, paramSep)
	defTr("s.prefixes", 0, trPrefixes(false), paramInt)
	defTr("s.prefixes.quoted", 0, trPrefixes(true), paramInt)
	defTr("s.replace", 2, func(in module.Value, a []module.Value) (module.Value, error) {
		if a[0].Str == "" {
			return str(in.String())
		}
		return str(strings.ReplaceAll(in.String(), a[0].Str, a[1].Str))
	}, paramStr, paramStr)
	defTr("s.ftime", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		n, ok := in.AsInt()
		if !ok {
			return module.Null, fmt.Errorf("%q is not a unix time", in.Str)
		}
		return str(strftime(time.Unix(n, 0), a[0].Str))
	}, paramStr)
	defTr("s.trim", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(strings.Trim(in.String(), whitespace))
	})
	defTr("s.ltrim", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(strings.TrimLeft(in.String(), whitespace))
	})
	defTr("s.rtrim", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(strings.TrimRight(in.String(), whitespace))
	})
	defTr("s.rmws", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(strings.Map(func(r rune) rune {
			if strings.ContainsRune(whitespace, r) {
				return -1
			}
			return r
		}, in.String()))
	})
	defTr("s.numeric", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, in.String()))
	})
	defTr("s.unquote", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		s := in.String()
		if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
			s = s[1 : len(s)-1]
		}
		return str(s)
	})
	defTr("s.unbracket", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		s := in.String()
		if len(s) >= 2 {
			switch s[0:1] + s[len(s)-1:] {
			case "<>", "()", "[]", "{}":
				s = s[1 : len(s)-1]
			}
		}
		return str(s)
	})
	defTr("s.before", 1, trCut(strings.Index, false), paramSep)
	defTr("s.after", 1, trCut(strings.Index, true), paramSep)
	defTr("s.rbefore", 1, trCut(strings.LastIndex, false), paramSep)
	defTr("s.rafter", 1, trCut(strings.LastIndex, true), paramSep)
	defTr("s.count", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		return num(int64(strings.Count(in.String(), a[0].Str)))
	}, paramSep)
	defTr("s.charat", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		s, i := in.String(), a[0].Int
		if i < 0 || i >= int64(len(s)) {
			return module.Null, fmt.Errorf("index %d out of range", i)
		}
		return str(s[i : i+1])
	}, paramInt)
	defTr("s.byteat", 1, func(in module.Value, a []module.Value) (module.Value, error) {
		s, i := in.String(), a[0].Int
		if i < 0 || i >= int64(len(s)) {
			return module.Null, fmt.Errorf("index %d out of range", i)
		}
		return num(int64(s[i]))
	}, paramInt)

	// val.* handle null, which every other transformation refuses.
	transforms["val.n0"] = &trDef{nullOK: true, fn: func(in module.Value, _ []module.Value) (module.Value, error) {
		if in.IsNull() {
			return num(0)
		}
		return in, nil
	}}
	transforms["val.ne"] = &trDef{nullOK: true, fn: func(in module.Value, _ []module.Value) (module.Value, error) {
		if in.IsNull() {
			return str("")
		}
		return in, nil
	}}
	defTr("val.json", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(jsonEscape(in.String()))
	})
	defTr("num.fdigit", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		s := in.String()
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				return num(int64(s[i] - '0'))
			}
		}
		return module.Null, errors.New("no digit")
	})
	defTr("num.ldigit", 0, func(in module.Value, _ []module.Value) (module.Value, error) {
		s := in.String()
		for i := len(s) - 1; i >= 0; i-- {
			if s[i] >= '0' && s[i] <= '9' {
				return num(int64(s[i] - '0'))
			}
		}
		return module.Null, errors.New("no digit")
	})
}

const whitespace = " \t\r\n"

// trInt converts to an integer: an int stays, a string must be a signed
// decimal number (Kamailio's str2sint), else the transformation fails.
func trInt(in module.Value, _ []module.Value) (module.Value, error) {
	if in.Kind == module.KindInt {
		return in, nil
	}
	n, err := strconv.ParseInt(in.Str, 10, 64)
	if err != nil {
		return module.Null, fmt.Errorf("%q is not an integer", in.Str)
	}
	return num(n)
}

func digest(h func() hash.Hash) func(module.Value, []module.Value) (module.Value, error) {
	return func(in module.Value, _ []module.Value) (module.Value, error) {
		d := h()
		d.Write([]byte(in.String()))
		return str(hex.EncodeToString(d.Sum(nil)))
	}
}

func b64enc(e *base64.Encoding) func(module.Value, []module.Value) (module.Value, error) {
	return func(in module.Value, _ []module.Value) (module.Value, error) {
		return str(e.EncodeToString([]byte(in.String())))
	}
}

func b64dec(e *base64.Encoding) func(module.Value, []module.Value) (module.Value, error) {
	return func(in module.Value, _ []module.Value) (module.Value, error) {
		b, err := e.DecodeString(in.String())
		if err != nil {
			return module.Null, fmt.Errorf("not base64: %w", err)
		}
		return str(string(b))
	}
}

// trSubstr is s.substr,offset,length: a negative offset counts from the
// end; length 0 means to the end, and a length past the end is cut; a
// negative length or an offset outside the string is an error.
func trSubstr(in module.Value, a []module.Value) (module.Value, error) {
	s := in.String()
	off, n := a[0].Int, a[1].Int
	if n < 0 {
		return module.Null, fmt.Errorf("negative length %d", n)
	}
	l := int64(len(s))
	if off < 0 {
		off += l
		if off < 0 {
			return module.Null, fmt.Errorf("offset %d out of range", a[0].Int)
		}
	}
	if off >= l {
		if off == 0 {
			return str("")
		}
		return module.Null, fmt.Errorf("offset %d out of range", a[0].Int)
	}
	if n == 0 || off+n > l {
		return str(s[off:])
	}
	return str(s[off : off+n])
}

// trSelect is s.select,index,sep: field index of the value split on sep
// (negative counts from the end). A missing field is "".
func trSelect(in module.Value, a []module.Value) (module.Value, error) {
	s, idx, sep := in.String(), a[0].Int, a[1].Str
	var fields []string
	if sep == sepWhite {
		fields = strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(whitespace, r) })
	} else {
		fields = strings.Split(s, sep)
	}
	if idx < 0 {
		idx += int64(len(fields))
	}
	if idx < 0 || idx >= int64(len(fields)) {
		return str("")
	}
	return str(fields[idx])
}

func trPrefixes(quoted bool) func(module.Value, []module.Value) (module.Value, error) {
	return func(in module.Value, a []module.Value) (module.Value, error) {
		s := in.String()
		max := int64(len(s))
		if len(a) > 0 && a[0].Int > 0 && a[0].Int < max {
			max = a[0].Int
		}
		var b strings.Builder
		for i := int64(1); i <= max; i++ {
			if i > 1 {
				b.WriteByte(',')
			}
			if quoted {
				b.WriteByte('\'')
			}
			b.WriteString(s[:i])
			if quoted {
				b.WriteByte('\'')
			}
		}
		return str(b.String())
	}
}

func trCut(find func(s, sub string) int, after bool) func(module.Value, []module.Value) (module.Value, error) {
	return func(in module.Value, a []module.Value) (module.Value, error) {
		s := in.String()
		i := find(s, a[0].Str)
		if i < 0 {
			return str(s)
		}
		if after {
			return str(s[i+len(a[0].Str):])
		}
		return str(s[:i])
	}
}

// escapeCommon backslash-escapes quotes, backslashes and NUL, as
// Kamailio's escape_common does for SQL and shell use.
func escapeCommon(s string) string {
	if !strings.ContainsAny(s, "'\"\\\x00") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case 0:
			b.WriteString("\\0")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unescapeCommon(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '\'', '"', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case '0':
				b.WriteByte(0)
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// The characters RFC 3261 25.1 allows unescaped in the user part and in
// URI parameters, besides alphanumerics and the "mark" characters.
const (
	sipMark         = "-_.!~*'()"
	userUnreserved  = sipMark + "&=+$,;?/"
	paramUnreserved = sipMark + "[]/:&+$"
)

func percentEscape(s, allowed string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(allowed, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func trUnescapePercent(in module.Value, _ []module.Value) (module.Value, error) {
	s := in.String()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
				return module.Null, fmt.Errorf("bad %%-escape at offset %d", i)
			}
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return str(b.String())
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// jsonEscape escapes s for use inside a JSON string (without the quotes).
func jsonEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString("\\n")
		case '\r':
			b.WriteString("\\r")
		case '\t':
			b.WriteString("\\t")
		case '\b':
			b.WriteString("\\b")
		case '\f':
			b.WriteString("\\f")
		default:
			if c < 0x20 {
				fmt.Fprintf(&b, "\\u%04x", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}
