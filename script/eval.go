package script

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/olelo-sip/olelo/module"
)

// evalFn evaluates a compiled expression for one message.
type evalFn func(c *module.Ctx) (module.Value, error)

// errExit travels up through expressions when a route called inside one
// ran exit or drop (or a function returned 0): the whole script stops.
var errExit = errors.New("script exit")

// runError is an error of the script at run time, at a position.
type runError struct {
	pos Pos
	msg string
}

func (e *runError) Error() string { return e.pos.String() + ": " + e.msg }

func runErrorf(p Pos, format string, args ...any) error {
	return &runError{pos: p, msg: fmt.Sprintf(format, args...)}
}

// ctxLog returns the logger of c.
func ctxLog(c *module.Ctx) *slog.Logger {
	if c != nil && c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// strToInt converts a string to an integer as Kamailio's automatic
// conversion does: "" is 0; an optional sign and decimal digits with
// nothing else; or 0x hexadecimal. ok is false for anything else.
func strToInt(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	t := s
	neg := false
	if t[0] == '-' || t[0] == '+' {
		neg = t[0] == '-'
		t = t[1:]
	}
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		n, err := strconv.ParseUint(t[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		if neg {
			return -int64(n), true
		}
		return int64(n), true
	}
	if t == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(t); i++ {
		d := t[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	if neg {
		n = -n
	}
	return n, true
}

// valInt converts v to an integer; ok is false when v is a string that is
// not a number (the value is then 0).
func valInt(v module.Value) (int64, bool) {
	switch v.Kind {
	case module.KindInt:
		return v.Int, true
	case module.KindStr:
		return strToInt(v.Str)
	}
	return 0, true
}

// intAt converts v to an integer for the expression at p, logging (as
// Kamailio does) when a string is not a number and using 0.
func intAt(c *module.Ctx, v module.Value, p Pos) int64 {
	n, ok := valInt(v)
	if !ok {
		ctxLog(c).Error(fmt.Sprintf("%s: cannot convert %q to an integer; using 0", p, v.Str))
	}
	return n
}

func boolValue(b bool) module.Value {
	if b {
		return module.Value{Kind: module.KindInt, Int: 1}
	}
	return module.Value{Kind: module.KindInt}
}

// truth is the C truthiness of && || ! (non-zero is true).
func truth(c *module.Ctx, v module.Value, p Pos) bool {
	return intAt(c, v, p) != 0
}

// regexCache holds the regular expressions built at run time from
// values (=~ with a dynamic right side). It is bounded: when full it is
// emptied.
var regexCache struct {
	m sync.Map // string -> *regexp.Regexp or error
	n atomic.Int64
}

const regexCacheMax = 512

// dynRegex compiles pattern (case-insensitive, as =~ is), caching the
// result.
func dynRegex(pattern string) (*regexp.Regexp, error) {
	if v, ok := regexCache.m.Load(pattern); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile("(?i)" + pattern)
	var stored any = re
	if err != nil {
		err = fmt.Errorf("bad regular expression %q: %s", pattern, regexpErr(err))
		stored = err
	}
	if regexCache.n.Add(1) > regexCacheMax {
		regexCache.m.Range(func(k, _ any) bool {
			regexCache.m.Delete(k)
			return true
		})
		regexCache.n.Store(1)
	}
	regexCache.m.Store(pattern, stored)
	return re, err
}

// matcher tests a string against a regular expression of =~.
type matcher func(s string) bool

// compileMatch prepares a constant =~ pattern (case-insensitive, as in
// Kamailio). Patterns that are only literal alternatives, optionally
// anchored ("friendly-scanner|sipcli", "^INV"), are matched without the
// regexp engine, whose case folding is slow.
func compileMatch(pattern string) (matcher, error) {
	if m, ok := literalMatcher(pattern); ok {
		return m, nil
	}
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		if _, err2 := regexp.Compile(pattern); err2 != nil {
			err = err2
		}
		return nil, err
	}
	return re.MatchString, nil
}

type literalAlt struct {
	text             string
	start, anchorEnd bool
}

func literalMatcher(pattern string) (matcher, bool) {
	var alts []literalAlt
	for _, part := range splitTopAlternatives(pattern) {
		a := literalAlt{}
		if len(part) > 0 && part[0] == '^' {
			a.start = true
			part = part[1:]
		}
		if len(part) > 0 && part[len(part)-1] == '$' && (len(part) < 2 || part[len(part)-2] != '\\') {
			a.anchorEnd = true
			part = part[:len(part)-1]
		}
		var b []byte
		for i := 0; i < len(part); i++ {
			ch := part[i]
			switch ch {
			case '\\':
				if i+1 >= len(part) || !isPunct(part[i+1]) {
					return nil, false
				}
				i++
				ch = part[i]
			case '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$':
				return nil, false
			}
			if ch >= 0x80 {
				return nil, false
			}
			b = append(b, lowerASCII(ch))
		}
		a.text = string(b)
		alts = append(alts, a)
	}
	if len(alts) == 0 {
		return nil, false
	}
	return func(s string) bool {
		for i := range alts {
			if alts[i].match(s) {
				return true
			}
		}
		return false
	}, true
}

func splitTopAlternatives(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '|':
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

func isPunct(c byte) bool {
	return c < 0x80 && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasFoldAt reports whether s[i:] starts with the lower-case lit, ignoring
// ASCII case.
func hasFoldAt(s string, i int, lit string) bool {
	if len(s)-i < len(lit) {
		return false
	}
	for j := 0; j < len(lit); j++ {
		if lowerASCII(s[i+j]) != lit[j] {
			return false
		}
	}
	return true
}

func (a *literalAlt) match(s string) bool {
	switch {
	case a.start && a.anchorEnd:
		return len(s) == len(a.text) && hasFoldAt(s, 0, a.text)
	case a.start:
		return hasFoldAt(s, 0, a.text)
	case a.anchorEnd:
		return len(s) >= len(a.text) && hasFoldAt(s, len(s)-len(a.text), a.text)
	}
	if a.text == "" {
		return true
	}
	first := a.text[0]
	for i := 0; i+len(a.text) <= len(s); i++ {
		if lowerASCII(s[i]) == first && hasFoldAt(s, i, a.text) {
			return true
		}
	}
	return false
}
