package sanity

import (
	"bytes"
	"log/slog"
	"slices"
	"strconv"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/sip"
)

// The message checks (bits of sanity_check's first argument), as in
// Kamailio 5.6.
const (
	CheckRURIVersion   = 1
	CheckRURIScheme    = 2
	CheckRequiredHdrs  = 4
	CheckViaVersion    = 8  // always passes, as in Kamailio
	CheckViaProtocol   = 16 // always passes, as in Kamailio
	CheckCSeqMethod    = 32
	CheckCSeqValue     = 64
	CheckContentLength = 128
	CheckExpires       = 256
	CheckProxyRequire  = 512
	CheckParseURIs     = 1024
	CheckDigest        = 2048
	CheckDupTags       = 4096
	CheckAuthorization = 8192
	CheckVia1          = 16384

	MaxChecks     = 32767
	DefaultChecks = 3047 // 1+2+4+32+64+128+256+512+2048
)

// The URI checks (second argument) of CheckParseURIs.
const (
	URIRequest = 1
	URIFrom    = 2
	URITo      = 4
	URIContact = 8

	MaxURIChecks     = 15
	DefaultURIChecks = 7
)

// failure is a failed check: the reply to send (none when noReply).
type failure struct {
	code    int
	reason  string
	headers string
	noReply bool
}

func fail(code int, reason string) *failure { return &failure{code: code, reason: reason} }

var silent = &failure{noReply: true}

type failureKey struct{}

func (m *Instance) run(c *module.Ctx, args []*module.Arg) int {
	checks, uris := int64(m.DefaultChecks), int64(m.URIChecks)
	var err error
	if len(args) > 0 {
		if checks, err = args[0].GetInt(c); err != nil {
			return -1
		}
	}
	if len(args) > 1 {
		if uris, err = args[1].GetInt(c); err != nil {
			return -1
		}
	}
	if checks < 1 || checks > MaxChecks || uris < 1 || uris > MaxURIChecks {
		logger(c).Error("sanity: check mask out of range", "checks", checks, "uri_checks", uris)
		return -1
	}
	f := m.check(c.Msg.Message, int(checks), int(uris))
	if f == nil {
		return 1
	}
	if c.Msg.IsRequest() && c.Msg.Method() != sip.MethodACK {
		if m.NoReply != 0 {
			if c.Store == nil {
				c.Store = map[any]any{}
			}
			c.Store[failureKey{}] = f
		} else if !f.noReply {
			m.reply(c, f)
		}
	}
	if m.AutoDrop != 0 {
		return 0
	}
	return -1
}

func (m *Instance) reply(c *module.Ctx, f *failure) int {
	var o *sip.ReplyOptions
	if f.headers != "" {
		o = &sip.ReplyOptions{Headers: []byte(f.headers)}
	}
	if err := sl.Reply(c, f.code, f.reason, o); err != nil {
		logger(c).Warn("sanity: cannot send reply", "code", f.code, "err", err)
		return -1
	}
	return 1
}

// runReply sends the reply of the failure held back with noreply=1 (500
// when sanity_check did not fail for this message).
func (m *Instance) runReply(c *module.Ctx, _ []*module.Arg) int {
	if !c.Msg.IsRequest() || c.Msg.Method() == sip.MethodACK || m.NoReply == 0 {
		return 1
	}
	f, ok := c.Store[failureKey{}].(*failure)
	if !ok {
		f = fail(500, "Server Sanity Failure")
	}
	if f.noReply {
		return 1
	}
	return m.reply(c, f)
}

// order is the order in which Kamailio runs the checks.
var order = []int{
	CheckRURIVersion, CheckRURIScheme, CheckRequiredHdrs, CheckVia1, CheckCSeqMethod,
	CheckCSeqValue, CheckContentLength, CheckExpires, CheckProxyRequire, CheckParseURIs,
	CheckDigest, CheckAuthorization, CheckDupTags,
}

// check runs the checks of the masks and returns the first failure (nil
// when all pass).
func (m *Instance) check(msg *sip.Message, checks, uris int) *failure {
	for _, bit := range order {
		if checks&bit != 0 {
			if f := m.step(bit, msg, uris); f != nil {
				return f
			}
		}
	}
	return nil
}

func (m *Instance) step(bit int, msg *sip.Message, uris int) *failure {
	req := msg.IsRequest()
	switch bit {
	case CheckRURIVersion:
		if req {
			return checkRURIVersion(msg)
		}
	case CheckRURIScheme:
		if req {
			return checkRURIScheme(msg)
		}
	case CheckRequiredHdrs:
		return checkRequired(msg)
	case CheckVia1:
		return checkVia1(msg)
	case CheckCSeqMethod:
		if req {
			return checkCSeqMethod(msg)
		}
	case CheckCSeqValue:
		return checkCSeqValue(msg)
	case CheckContentLength:
		return checkContentLength(msg)
	case CheckExpires:
		return checkExpires(msg)
	case CheckProxyRequire:
		return m.checkProxyRequire(msg)
	case CheckParseURIs:
		return checkURIs(msg, uris)
	case CheckDigest:
		return checkDigest(msg, false)
	case CheckAuthorization:
		return checkDigest(msg, true)
	case CheckDupTags:
		return checkDupTags(msg)
	}
	return nil
}

func checkRURIVersion(msg *sip.Message) *failure {
	v := msg.Version()
	if i := bytes.IndexByte(v, '/'); i < 0 || string(v[i+1:]) != "2.0" {
		return fail(505, "Version Not Supported (R-URI)")
	}
	return nil
}

// knownScheme reports whether Kamailio's URI parser takes the URI.
func knownScheme(u *sip.URI) bool {
	switch u.Scheme {
	case sip.SchemeSIP, sip.SchemeSIPS, sip.SchemeTel:
		return true
	}
	s := string(u.SchemeRaw)
	return equalFold(s, "tels") || equalFold(s, "urn")
}

func equalFold(a, b string) bool { return len(a) == len(b) && bytes.EqualFold([]byte(a), []byte(b)) }

func checkRURIScheme(msg *sip.Message) *failure {
	u, err := msg.RequestURI()
	if err != nil || !knownScheme(u) {
		return fail(400, "Bad Request URI")
	}
	return nil
}

// checkRequired: From, To, Call-ID and CSeq present and not repeated;
// failing requests are not answered.
func checkRequired(msg *sip.Message) *failure {
	for _, id := range [...]sip.HeaderID{sip.HdrFrom, sip.HdrTo, sip.HdrCallID, sip.HdrCSeq} {
		if msg.HeaderCount(id) != 1 {
			return silent
		}
	}
	return nil
}

func checkVia1(msg *sip.Message) *failure {
	if v, err := msg.TopVia(); err != nil || len(v.Host) == 0 {
		return silent
	}
	return nil
}

func checkCSeqMethod(msg *sip.Message) *failure {
	cs, err := msg.CSeq()
	if err != nil {
		num, method := cseqParts(msg)
		if msg.Has(sip.HdrCSeq) && len(num) > 0 && len(method) == 0 {
			return fail(400, "Missing method in CSeq header")
		}
		if !validUint(num) {
			return nil // the value check reports it
		}
		return silent
	}
	if !bytes.Equal(cs.MethodRaw, msg.MethodBytes()) {
		return fail(400, "CSeq method does not match request method")
	}
	return nil
}

// cseqParts splits the CSeq value into its number and method as written.
// Like bytes.Fields it splits at any white space, but it allocates
// nothing: sanity_check runs on every request.
func cseqParts(msg *sip.Message) (num, method []byte) {
	rest := msg.Header(sip.HdrCSeq)
	num, rest = nextField(rest)
	method, _ = nextField(rest)
	return num, method
}

// nextField returns the first white-space separated field of b and what
// follows it.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && asciiSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !asciiSpace(b[j]) {
		j++
	}
	if i == j {
		return nil, nil
	}
	return b[i:j], b[j:]
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func checkCSeqValue(msg *sip.Message) *failure {
	if !msg.Has(sip.HdrCSeq) {
		return silent
	}
	num, _ := cseqParts(msg)
	if len(num) == 0 {
		return fail(400, "Missing number in CSeq header")
	}
	if !validUint(num) {
		return fail(400, "CSeq number is illegal")
	}
	return nil
}

// validUint: digits only, at most 4294967296 (Kamailio's bound).
func validUint(b []byte) bool {
	if len(b) == 0 || len(b) > 10 {
		return false
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	return err == nil && n <= 1<<32
}

// checkContentLength compares Content-Length with what follows the
// header section.
func checkContentLength(msg *sip.Message) *failure {
	cl := msg.ContentLength()
	if cl < 0 {
		return nil
	}
	buf := msg.Bytes()
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end >= 0 {
		end += 4
	}
	if lf := bytes.Index(buf, []byte("\n\n")); lf >= 0 && (end < 0 || lf+2 < end) {
		end = lf + 2
	}
	if end < 0 {
		return fail(400, "Content-Length Body Failure")
	}
	if len(buf)-end != cl {
		return fail(400, "Content-Length mis-match")
	}
	return nil
}

func checkExpires(msg *sip.Message) *failure {
	if !msg.Has(sip.HdrExpires) {
		return nil
	}
	v := bytes.TrimSpace(msg.Header(sip.HdrExpires))
	if len(v) == 0 {
		return fail(400, "Missing number in Expires header")
	}
	if !validUint(v) {
		return fail(400, "Expires value is illegal")
	}
	return nil
}

// checkProxyRequire answers 420 with an Unsupported header naming the
// first option not in the proxy_require list (compared case-sensitively,
// as Kamailio does).
func (m *Instance) checkProxyRequire(msg *sip.Message) *failure {
	if !msg.Has(sip.HdrProxyRequire) {
		return nil
	}
	supported := splitList(m.ProxyRequire)
	for it := msg.Values(sip.HdrProxyRequire); ; {
		v, ok := it.Next()
		if !ok {
			return nil
		}
		tok := string(bytes.TrimSpace(v.Bytes))
		if tok == "" || slices.Contains(supported, tok) {
			continue
		}
		f := fail(420, "Bad Proxy Require Extension")
		f.headers = "Unsupported: " + tok + "\r\n"
		return f
	}
}

func checkURIs(msg *sip.Message, uris int) *failure {
	if uris&URIRequest != 0 && msg.IsRequest() {
		if u, err := msg.RequestURI(); err != nil || !knownScheme(u) {
			return fail(400, "Bad Request URI")
		}
	}
	if uris&URIFrom != 0 {
		if f := checkAddr(msg, sip.HdrFrom, msg.From, "Invalid From Header"); f != nil {
			return f
		}
	}
	if uris&URITo != 0 {
		// The reason is Kamailio's, typo included.
		if f := checkAddr(msg, sip.HdrTo, msg.To, "Ivalid To Header"); f != nil {
			return f
		}
	}
	if uris&URIContact != 0 {
		return checkContacts(msg)
	}
	return nil
}

func checkAddr(msg *sip.Message, id sip.HeaderID, get func() (*sip.NameAddr, error), reason string) *failure {
	if !msg.Has(id) {
		return silent
	}
	na, err := get()
	if err != nil || !knownScheme(&na.URI) {
		return fail(400, reason)
	}
	return nil
}

// checkContacts: each Contact must be a name-addr ("Bad Contact Header")
// whose URI parses ("Bad Contact URI").
func checkContacts(msg *sip.Message) *failure {
	for it := msg.Values(sip.HdrContact); ; {
		v, ok := it.Next()
		if !ok {
			return nil
		}
		if string(v.Bytes) == "*" {
			continue
		}
		na, err := sip.ParseNameAddr(v.Bytes)
		if err == nil && knownScheme(&na.URI) {
			continue
		}
		raw := v.Bytes
		if i := bytes.IndexByte(raw, '<'); i >= 0 {
			if j := bytes.IndexByte(raw[i:], '>'); j > 0 {
				raw = raw[i+1 : i+j]
			}
		} else if i := bytes.IndexByte(raw, ';'); i >= 0 {
			raw = raw[:i]
		}
		if u, uerr := sip.ParseURI(raw); uerr != nil || !knownScheme(&u) {
			return fail(400, "Bad Contact URI")
		}
		return fail(400, "Bad Contact Header")
	}
}

// checkDigest checks every Authorization, then every
// Proxy-Authorization. A credential of another scheme than Digest ends
// the check: it passes with the authorization check (8192) and fails,
// without a reply, with the digest check (2048).
func checkDigest(msg *sip.Message, otherSchemesPass bool) *failure {
	for _, id := range [...]sip.HeaderID{sip.HdrAuthorization, sip.HdrProxyAuthorization} {
		for _, h := range msg.Headers() {
			if h.ID != id {
				continue
			}
			d, err := sip.ParseDigest(h.Value)
			if err != nil {
				return fail(400, "Bad Auth Header")
			}
			if !d.IsDigest() {
				if otherSchemesPass {
					return nil
				}
				return silent
			}
			if d.Username == nil || d.Realm == nil || d.Nonce == nil || d.URI == nil || d.Response == nil ||
				(d.QOP != nil && (d.NC == nil || d.CNonce == nil)) {
				return fail(400, "Bad Auth Credentials")
			}
			switch {
			case len(d.Username) == 0:
				return fail(400, "Auth Empty User")
			case len(d.Nonce) == 0:
				return fail(400, "Auth Empty Nonce")
			case len(d.Response) == 0:
				return fail(400, "Auth Empty Response")
			}
		}
	}
	return nil
}

func checkDupTags(msg *sip.Message) *failure {
	from, err := msg.From()
	if err != nil {
		return silent
	}
	to, err := msg.To()
	if err != nil {
		return silent
	}
	if countTags(from.Params) > 1 {
		return fail(400, "Many From Tag Params")
	}
	if countTags(to.Params) > 1 {
		return fail(400, "Many To Tag Params")
	}
	return nil
}

func countTags(p sip.Params) int {
	n := 0
	for {
		prm, rest, ok := p.Next()
		if !ok {
			return n
		}
		if bytes.EqualFold(prm.Name, []byte("tag")) {
			n++
		}
		p = rest
	}
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
