package textops

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/sip"
)

// regexCache holds the case-insensitive, line-anchored versions of the
// regular-expression arguments (Kamailio compiles them with REG_ICASE and
// REG_NEWLINE; the compiler compiles them as written).
type regexCache struct{ m sync.Map } // *module.Arg → *regexp.Regexp

func (rc *regexCache) get(a *module.Arg) (*regexp.Regexp, error) {
	if re, ok := rc.m.Load(a); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile("(?im)" + a.Str)
	if err != nil {
		return nil, err
	}
	rc.m.Store(a, re)
	return re, nil
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

func boolRC(ok bool) int {
	if ok {
		return 1
	}
	return -1
}

// Header lookups.

// NameMatches reports whether h is a header named name: by ID for the
// headers sip knows (so "m" matches Contact and "Via" matches "v"), by
// name without regard to case for the others.
func NameMatches(h *sip.Header, name string) bool {
	if id := sip.LookupHeader([]byte(name)); id != sip.HdrOther {
		return h.ID == id
	}
	return h.ID == sip.HdrOther && bytes.EqualFold(h.Name, []byte(name))
}

type headerLine struct{ name, value string }

// parseHeaderLines reads header lines as append_hf takes them ("Name:
// value\r\n", several allowed, continuation lines joined).
func parseHeaderLines(txt string) ([]headerLine, error) {
	var out []headerLine
	for _, line := range strings.Split(strings.ReplaceAll(txt, "\r\n", "\n"), "\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1].value += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("%q is not a header line", line)
		}
		out = append(out, headerLine{name, strings.TrimSpace(value)})
	}
	if len(out) == 0 {
		return nil, errors.New("no header line")
	}
	return out, nil
}

func headerArgs(c *module.Ctx, args []*module.Arg) ([]headerLine, string, bool) {
	txt, err := args[0].GetStr(c)
	if err != nil {
		return nil, "", false
	}
	lines, err := parseHeaderLines(txt)
	if err != nil {
		logger(c).Error("textops: bad header text", "err", err)
		return nil, "", false
	}
	name := ""
	if len(args) > 1 {
		if name, err = args[1].GetStr(c); err != nil {
			return nil, "", false
		}
	}
	return lines, name, true
}

func runAppendHF(c *module.Ctx, args []*module.Arg) int {
	lines, name, ok := headerArgs(c, args)
	if !ok {
		return -1
	}
	at := -1 // after the last header named name; at the end when none
	if name != "" {
		hs := c.Msg.Headers()
		for i := range hs {
			if NameMatches(&hs[i], name) {
				at = i
			}
		}
	}
	for _, l := range lines {
		if at < 0 {
			c.Msg.AppendHeaderString(l.name, l.value)
		} else {
			c.Msg.InsertHeaderBefore(at+1, l.name, []byte(l.value))
		}
	}
	return 1
}

func runInsertHF(c *module.Ctx, args []*module.Arg) int {
	lines, name, ok := headerArgs(c, args)
	if !ok {
		return -1
	}
	at := -1 // before the first header named name; before all when none
	if name != "" {
		hs := c.Msg.Headers()
		for i := range hs {
			if NameMatches(&hs[i], name) {
				at = i
				break
			}
		}
	}
	for _, l := range lines {
		if at < 0 {
			c.Msg.InsertHeader(l.name, []byte(l.value))
		} else {
			c.Msg.InsertHeaderBefore(at, l.name, []byte(l.value))
		}
	}
	return 1
}

// removeHeaders removes the headers for which match is true and reports
// whether there was one.
func removeHeaders(c *module.Ctx, match func(h *sip.Header) bool) bool {
	hs := c.Msg.Headers()
	found := false
	for i := range hs {
		if match(&hs[i]) {
			c.Msg.RemoveHeader(i)
			found = true
		}
	}
	return found
}

func runRemoveHF(c *module.Ctx, args []*module.Arg) int {
	name, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	return boolRC(removeHeaders(c, func(h *sip.Header) bool { return NameMatches(h, name) }))
}

func (m *Instance) runRemoveHFRe(c *module.Ctx, args []*module.Arg) int {
	re, err := m.res.get(args[0])
	if err != nil {
		return -1
	}
	return boolRC(removeHeaders(c, func(h *sip.Header) bool { return re.Match(h.Name) }))
}

func runIsPresentHF(c *module.Ctx, args []*module.Arg) int {
	name, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	return boolRC(c.Msg.HeaderIndex(name) >= 0)
}

func (m *Instance) runIsPresentHFRe(c *module.Ctx, args []*module.Arg) int {
	re, err := m.res.get(args[0])
	if err != nil {
		return -1
	}
	for _, h := range c.Msg.Headers() {
		if re.Match(h.Name) {
			return 1
		}
	}
	return -1
}

// Searches run on the message as received (or as last rebuilt).

func (m *Instance) runSearch(c *module.Ctx, args []*module.Arg) int {
	re, err := m.res.get(args[0])
	if err != nil {
		return -1
	}
	return boolRC(re.Match(c.Msg.Bytes()))
}

func (m *Instance) runSearchBody(c *module.Ctx, args []*module.Arg) int {
	re, err := m.res.get(args[0])
	if err != nil {
		return -1
	}
	return boolRC(len(c.Msg.Body()) > 0 && re.Match(c.Msg.Body()))
}

// runSearchHF: search_hf(name, re, mode) with mode a (any header), f
// (the first) or l (the last).
func (m *Instance) runSearchHF(c *module.Ctx, args []*module.Arg) int {
	name, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	re, err := m.res.get(args[1])
	if err != nil {
		return -1
	}
	mode, _ := args[2].GetStr(c)
	var last []byte
	seen := false
	for _, h := range c.Msg.Headers() {
		if !NameMatches(&h, name) {
			continue
		}
		switch mode {
		case "f":
			return boolRC(re.Match(h.Value))
		case "l":
			last, seen = h.Value, true
		default:
			if re.Match(h.Value) {
				return 1
			}
		}
	}
	return boolRC(seen && re.Match(last))
}

// Body and method.

func runHasBody(c *module.Ctx, args []*module.Arg) int {
	body := c.Msg.Body()
	if len(body) == 0 {
		return -1
	}
	if len(args) == 0 {
		return 1
	}
	want, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	ct := c.Msg.Header(sip.HdrContentType)
	if ct == nil {
		// RFC 3261 20.15: without Content-Type the body is SDP.
		return boolRC(strings.EqualFold(want, "application/sdp"))
	}
	mime, _, _ := bytes.Cut(ct, []byte(";"))
	mime = bytes.TrimSpace(mime)
	if bytes.EqualFold(mime, []byte(want)) {
		return 1
	}
	if len(mime) > 10 && bytes.EqualFold(mime[:10], []byte("multipart/")) {
		re := regexp.MustCompile(`(?im)^content-type[ \t]*:[ \t]*` + regexp.QuoteMeta(want) + `[ \t]*(;|\r?$)`)
		return boolRC(re.Match(body))
	}
	return -1
}

// MethodIn reports whether the method of msg (of its CSeq for a reply)
// is one of the |-separated names of list, compared without regard to
// case.
func MethodIn(msg *sip.Message, list string) bool {
	method := msg.MethodBytes()
	if !msg.IsRequest() {
		cs, err := msg.CSeq()
		if err != nil {
			return false
		}
		method = cs.MethodRaw
	}
	for list != "" {
		var name string
		name, list, _ = strings.Cut(list, "|")
		if bytes.EqualFold(method, []byte(strings.TrimSpace(name))) {
			return true
		}
	}
	return false
}

func runIsMethod(c *module.Ctx, args []*module.Arg) int {
	list, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	return boolRC(MethodIn(c.Msg.Message, list))
}

func strArgs(c *module.Ctx, args []*module.Arg) (a, b string, ok bool) {
	a, err1 := args[0].GetStr(c)
	b, err2 := args[1].GetStr(c)
	return a, b, err1 == nil && err2 == nil
}

func runStartsWith(c *module.Ctx, args []*module.Arg) int {
	s, prefix, ok := strArgs(c, args)
	return boolRC(ok && strings.HasPrefix(s, prefix))
}

func runCmpStr(fold bool) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		a, b, ok := strArgs(c, args)
		return boolRC(ok && (a == b || fold && strings.EqualFold(a, b)))
	}
}

func runAppendToReply(c *module.Ctx, args []*module.Arg) int {
	txt, err := args[0].GetStr(c)
	if err != nil || txt == "" {
		return -1
	}
	if !strings.HasSuffix(txt, "\n") {
		txt += "\r\n"
	}
	sl.AppendToReply(c, txt)
	return 1
}

type bodyEditKey struct{}

// SetBody replaces the body of the message of c (and Content-Type, when
// contentType is not empty), applying earlier edits first when the body
// was already replaced, so that the two edits do not overlap.
func SetBody(c *module.Ctx, body []byte, contentType string) error {
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	if _, done := c.Store[bodyEditKey{}]; done {
		if err := ApplyChanges(c); err != nil {
			return err
		}
	}
	c.Msg.SetBody(body, contentType)
	c.Store[bodyEditKey{}] = true
	return nil
}

func runSetBody(c *module.Ctx, args []*module.Arg) int {
	body, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	ct, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	if err := SetBody(c, []byte(body), ct); err != nil {
		logger(c).Error("set_body", "err", err)
		return -1
	}
	return 1
}

// Rebuilding.

type bufKey struct{}

// Replace makes data the message of c: it is parsed into a new
// sip.Message that replaces c.Msg.Message, so later reads see it. On a
// parse error the message is left as it was.
func Replace(c *module.Ctx, data []byte) error {
	framing := sip.Datagram
	if c.Msg.Proto.Stream() {
		framing = sip.Stream
	}
	m := new(sip.Message)
	if err := m.Parse(data, framing); err != nil {
		return err
	}
	c.Msg.Message = m
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	delete(c.Store, bodyEditKey{})
	c.Store[bufKey{}] = data
	return nil
}

// ApplyChanges applies the recorded edits of the message of c and parses
// it again (msg_apply_changes).
func ApplyChanges(c *module.Ctx) error {
	if !c.Msg.HasEdits() {
		return nil
	}
	return Replace(c, c.Msg.AppendTo(nil))
}

// headerEnd returns the offset of the body in a serialised message (-1
// when there is no empty line).
func headerEnd(msg []byte) int {
	end := -1
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		end = i + 4
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 && (end < 0 || i+2 < end) {
		end = i + 2
	}
	return end
}

var contentLengthLine = regexp.MustCompile(`(?im)^(content-length|l)([ \t]*:[ \t]*)[0-9]*`)

// fixContentLength makes the Content-Length header of a serialised
// message match its body.
func fixContentLength(msg []byte) []byte {
	end := headerEnd(msg)
	if end < 0 {
		return msg
	}
	n := fmt.Appendf(nil, "${1}${2}%d", len(msg)-end)
	head := contentLengthLine.ReplaceAll(msg[:end], n)
	return append(head, msg[end:]...)
}

// Substitutions.

// Subst is a parsed sed-like expression '/re/repl/flags'.
type Subst struct {
	Re       *regexp.Regexp
	Template []byte // Go expansion template ($1 for \1)
	Global   bool
}

var substCache sync.Map // string → *Subst

// ParseSubst parses '/re/repl/flags': the first character is the
// delimiter (escape it with a backslash inside re or repl); repl may hold
// \0-\9 back-references; flags are i (ignore case), g (every match) and
// s (. matches a line break and ^ $ anchor the whole text instead of
// lines).
func ParseSubst(s string) (*Subst, error) {
	if v, ok := substCache.Load(s); ok {
		return v.(*Subst), nil
	}
	if len(s) < 3 {
		return nil, fmt.Errorf("bad substitution %q", s)
	}
	delim := s[0]
	var parts []string
	var cur strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == delim:
			cur.WriteByte(delim)
			i++
		case s[i] == '\\' && i+1 < len(s):
			cur.WriteByte('\\')
			cur.WriteByte(s[i+1])
			i++
		case s[i] == delim && len(parts) < 2:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	if len(parts) != 2 {
		return nil, fmt.Errorf("bad substitution %q: want %cre%crepl%cflags", s, delim, delim, delim)
	}
	flags := cur.String()
	prefix := "(?m)"
	sub := &Subst{}
	for _, f := range flags {
		switch f {
		case 'i':
			prefix += "(?i)"
		case 'g':
			sub.Global = true
		case 's':
			prefix = strings.Replace(prefix, "(?m)", "(?s)", 1)
		default:
			return nil, fmt.Errorf("bad substitution %q: unknown flag %q", s, f)
		}
	}
	re, err := regexp.Compile(prefix + parts[0])
	if err != nil {
		return nil, fmt.Errorf("bad substitution %q: %v", s, err)
	}
	sub.Re = re
	sub.Template = template(parts[1])
	substCache.Store(s, sub)
	return sub, nil
}

// template converts a replacement with \N back-references to Go's
// expansion syntax.
func template(r string) []byte {
	var b []byte
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			b = append(b, "$$"...)
		case c == '\\' && i+1 < len(r):
			i++
			switch n := r[i]; {
			case n >= '0' && n <= '9':
				b = append(b, "${"...)
				b = append(b, n)
				b = append(b, '}')
			case n == 'n':
				b = append(b, '\n')
			case n == 'r':
				b = append(b, '\r')
			case n == 't':
				b = append(b, '\t')
			default:
				b = append(b, n)
			}
		default:
			b = append(b, c)
		}
	}
	return b
}

// Apply returns src with the substitution made, and whether re matched.
func (s *Subst) Apply(src []byte) ([]byte, bool) {
	return substitute(s.Re, src, s.Global, func(dst []byte, m []int) []byte {
		return s.Re.Expand(dst, s.Template, src, m)
	})
}

// substitute replaces the first match (every match when global) of re in
// src with what repl appends.
func substitute(re *regexp.Regexp, src []byte, global bool, repl func(dst []byte, m []int) []byte) ([]byte, bool) {
	n := 1
	if global {
		n = -1
	}
	matches := re.FindAllSubmatchIndex(src, n)
	if len(matches) == 0 {
		return src, false
	}
	var out []byte
	prev := 0
	for _, m := range matches {
		out = append(out, src[prev:m[0]]...)
		out = repl(out, m)
		prev = m[1]
	}
	return append(out, src[prev:]...), true
}

// rewrite applies f to the serialised message (or only to its body) and
// makes the result the message, Content-Length adjusted.
func rewrite(c *module.Ctx, bodyOnly bool, f func([]byte) ([]byte, bool)) int {
	msg := c.Msg.AppendTo(nil)
	var out []byte
	var ok bool
	if bodyOnly {
		end := headerEnd(msg)
		if end < 0 || end == len(msg) {
			return -1
		}
		var body []byte
		body, ok = f(msg[end:])
		out = append(msg[:end:end], body...)
	} else {
		out, ok = f(msg)
	}
	if !ok {
		return -1
	}
	if err := Replace(c, fixContentLength(out)); err != nil {
		logger(c).Error("textops: the changed message does not parse", "err", err)
		return -1
	}
	return 1
}

func (m *Instance) substArg(c *module.Ctx, a *module.Arg) (*Subst, bool) {
	s, err := a.GetStr(c)
	if err != nil {
		return nil, false
	}
	sub, err := ParseSubst(s)
	if err != nil {
		logger(c).Error("textops", "err", err)
		return nil, false
	}
	return sub, true
}

func (m *Instance) runSubst(c *module.Ctx, args []*module.Arg) int {
	sub, ok := m.substArg(c, args[0])
	if !ok {
		return -1
	}
	return rewrite(c, false, sub.Apply)
}

func (m *Instance) runSubstBody(c *module.Ctx, args []*module.Arg) int {
	sub, ok := m.substArg(c, args[0])
	if !ok {
		return -1
	}
	return rewrite(c, true, sub.Apply)
}

func (m *Instance) runSubstURI(c *module.Ctx, args []*module.Arg) int {
	sub, ok := m.substArg(c, args[0])
	if !ok {
		return -1
	}
	out, matched := sub.Apply([]byte(c.RequestURI()))
	if !matched {
		return -1
	}
	c.NewURI = string(out)
	return 1
}

func (m *Instance) runSubstUser(c *module.Ctx, args []*module.Arg) int {
	sub, ok := m.substArg(c, args[0])
	if !ok {
		return -1
	}
	u, err := sip.ParseURI([]byte(c.RequestURI()))
	if err != nil {
		return -1
	}
	user, matched := sub.Apply(u.User)
	if !matched {
		return -1
	}
	u.User, u.HasUser = user, len(user) > 0
	if !u.HasUser {
		u.Password = nil
	}
	c.NewURI = u.String()
	return 1
}

// replacer returns the Run of replace, replace_all, replace_body and
// replace_body_all: the text replaces the match literally.
func (m *Instance) replacer(bodyOnly, global bool) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		re, err := m.res.get(args[0])
		if err != nil {
			return -1
		}
		txt, err := args[1].GetStr(c)
		if err != nil {
			return -1
		}
		return rewrite(c, bodyOnly, func(src []byte) ([]byte, bool) {
			return substitute(re, src, global, func(dst []byte, _ []int) []byte { return append(dst, txt...) })
		})
	}
}
