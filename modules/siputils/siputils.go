package siputils

import (
	"bytes"
	"log/slog"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/sip"
)

func boolRC(ok bool) int {
	if ok {
		return 1
	}
	return -1
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

func runHasToTag(c *module.Ctx, _ []*module.Arg) int  { return boolRC(len(c.Msg.ToTag()) > 0) }
func runIsRequest(c *module.Ctx, _ []*module.Arg) int { return boolRC(c.Msg.IsRequest()) }
func runIsReply(c *module.Ctx, _ []*module.Arg) int   { return boolRC(!c.Msg.IsRequest()) }

func runIsFirstHop(c *module.Ctx, _ []*module.Arg) int {
	n := 0
	for it := c.Msg.Values(sip.HdrVia); ; n++ {
		if _, ok := it.Next(); !ok {
			break
		}
	}
	return boolRC(n == 1)
}

func runIsSupported(c *module.Ctx, args []*module.Arg) int {
	opt, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	for it := c.Msg.Values(sip.HdrSupported); ; {
		v, ok := it.Next()
		if !ok {
			return -1
		}
		if bytes.EqualFold(bytes.TrimSpace(v.Bytes), []byte(opt)) {
			return 1
		}
	}
}

type authUserKey struct{}

// SetAuthorizedUser records the user name of the credentials the auth
// module accepted for this message; is_user compares with it.
func SetAuthorizedUser(c *module.Ctx, user string) {
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[authUserKey{}] = user
}

// runIsUser: 1 when credentials were accepted for this message and their
// user name is the argument; -1 otherwise (also without authentication).
func runIsUser(c *module.Ctx, args []*module.Arg) int {
	want, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	user, ok := c.Store[authUserKey{}].(string)
	return boolRC(ok && user == want)
}

// Request-URI parameters.

func ruri(c *module.Ctx) (sip.URI, bool) {
	u, err := sip.ParseURI([]byte(c.RequestURI()))
	return u, err == nil
}

// runURIParam: uri_param(name) is true for a parameter without a value;
// uri_param(name, value) for one with exactly that value.
func runURIParam(c *module.Ctx, args []*module.Arg) int {
	name, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	u, ok := ruri(c)
	if !ok {
		return -1
	}
	rest := u.Params
	for {
		p, r, more := rest.Next()
		if !more {
			return -1
		}
		rest = r
		if !bytes.EqualFold(p.Name, []byte(name)) {
			continue
		}
		if len(args) == 1 {
			return boolRC(p.Value == nil)
		}
		want, err := args[1].GetStr(c)
		if err != nil {
			return -1
		}
		return boolRC(p.Value != nil && string(p.Value) == want)
	}
}

func runURIParamAny(c *module.Ctx, args []*module.Arg) int {
	name, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	u, ok := ruri(c)
	if !ok {
		return -1
	}
	_, found := u.Param(name)
	return boolRC(found)
}

func runAddURIParam(c *module.Ctx, args []*module.Arg) int {
	p, err := args[0].GetStr(c)
	if err != nil || p == "" {
		return -1
	}
	u, ok := ruri(c)
	if !ok {
		return -1
	}
	u.Params = append(append(sip.Params(nil), u.Params...), ";"+strings.TrimPrefix(p, ";")...)
	c.NewURI = u.String()
	return 1
}

func runURIParamRm(c *module.Ctx, args []*module.Arg) int {
	name, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	u, ok := ruri(c)
	if !ok {
		return -1
	}
	var kept sip.Params
	found := false
	rest := u.Params
	for {
		p, r, more := rest.Next()
		if !more {
			break
		}
		rest = r
		if bytes.EqualFold(p.Name, []byte(name)) {
			found = true
			continue
		}
		kept = append(kept, ';')
		kept = append(kept, p.Name...)
		if p.Value != nil {
			kept = append(kept, '=')
			kept = append(kept, p.Value...)
		}
	}
	if !found {
		return -1
	}
	u.Params = kept
	c.NewURI = u.String()
	return 1
}

// E.164.

// IsE164 reports whether s is '+' and 2 to maxLen-1 digits.
func IsE164(s string, maxLen int) bool {
	if len(s) < 3 || len(s) > maxLen || s[0] != '+' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (m *Instance) runIsE164(c *module.Ctx, args []*module.Arg) int {
	s, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	return boolRC(IsE164(s, m.E164MaxLen))
}

func (m *Instance) runIsURIUserE164(c *module.Ctx, args []*module.Arg) int {
	s, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	u, err := sip.ParseURI([]byte(s))
	if err != nil {
		return -1
	}
	return boolRC(IsE164(string(u.User), m.E164MaxLen))
}

// URI comparisons.

func parsePair(c *module.Ctx, args []*module.Arg) (a, b sip.URI, ok bool) {
	s1, err1 := args[0].GetStr(c)
	s2, err2 := args[1].GetStr(c)
	if err1 != nil || err2 != nil {
		return a, b, false
	}
	a, err1 = sip.ParseURI([]byte(s1))
	b, err2 = sip.ParseURI([]byte(s2))
	return a, b, err1 == nil && err2 == nil
}

func runCmpURI(c *module.Ctx, args []*module.Arg) int {
	a, b, ok := parsePair(c, args)
	if !ok {
		return -1
	}
	return boolRC(a.Equal(&b))
}

func runCmpAOR(c *module.Ctx, args []*module.Arg) int {
	a, b, ok := parsePair(c, args)
	if !ok {
		return -1
	}
	port := func(u *sip.URI) uint16 {
		if u.HasPort {
			return u.Port
		}
		if u.Scheme == sip.SchemeSIPS {
			return 5061
		}
		return 5060
	}
	return boolRC(bytes.Equal(a.User, b.User) && bytes.EqualFold(a.Host, b.Host) && port(&a) == port(&b))
}

// runTel2SIP: 1 converted, 2 not a tel: URI (the pseudo-variable gets the
// URI unchanged), -1 error.
func runTel2SIP(c *module.Ctx, args []*module.Arg) int {
	s, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	host, err := args[1].GetStr(c)
	if err != nil || args[2].PV == nil {
		return -1
	}
	u, err := sip.ParseURI([]byte(s))
	if err != nil {
		return -1
	}
	rc, out := 1, s
	if u.Scheme != sip.SchemeTel {
		rc = 2
	} else {
		// The number without visual separators, its parameters kept.
		num := strings.Map(func(r rune) rune {
			if r == '-' || r == '.' || r == '(' || r == ')' {
				return -1
			}
			return r
		}, string(u.User))
		out = "sip:" + num + string(u.Params) + "@" + host + ";user=phone"
	}
	if err := args[2].PV.Set(c, module.StrValue(out)); err != nil {
		return -1
	}
	return rc
}

// OPTIONS.

// runOptionsReply answers 200 to an OPTIONS whose Request-URI has no user
// (addressed to the server), with Accept, Accept-Encoding,
// Accept-Language and Supported from the modparams.
func (m *Instance) runOptionsReply(c *module.Ctx, _ []*module.Arg) int {
	if c.Msg.Method() != sip.MethodOPTIONS {
		logger(c).Error("options_reply: not an OPTIONS request")
		return -1
	}
	u, ok := ruri(c)
	if !ok || len(u.User) > 0 {
		logger(c).Error("options_reply: the Request-URI has a user")
		return -1
	}
	hdrs := "Accept: " + m.OptionsAccept + "\r\n" +
		"Accept-Encoding: " + m.OptionsAcceptEncoding + "\r\n" +
		"Accept-Language: " + m.OptionsAcceptLanguage + "\r\n" +
		"Supported: " + m.OptionsSupport + "\r\n"
	if err := sl.Reply(c, 200, "OK", &sip.ReplyOptions{Headers: []byte(hdrs)}); err != nil {
		logger(c).Error("options_reply: cannot send", "err", err)
		return -1
	}
	return 1
}
