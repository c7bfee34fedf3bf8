package auth

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"log/slog"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/sip"
)

// Kamailio's return codes of the authentication functions.
const (
	OK            = 1
	Error         = -1
	InvalidPass   = -2
	UserUnknown   = -3
	StaleNonce    = -4
	NoCredentials = -5
	NonceReused   = -6
	UserMismatch  = -8
)

// Challenge flags (www_challenge, proxy_challenge, auth_challenge).
const (
	FlagQOPAuth    = 1  // add qop="auth"
	FlagQOPAuthInt = 2  // add qop="auth-int"
	FlagNo500      = 4  // do not answer 500 when the challenge fails
	FlagStale      = 16 // add stale=true
)

// Credentials are the digest credentials of a request chosen for a realm.
type Credentials struct {
	// Header is the index in the message's Headers of the header line
	// they came from (consume_credentials removes it).
	Header int
	Digest sip.Digest
	// Username is the digest username as sent; User and Domain are its
	// parts before and after the first '@' (Domain empty without one).
	Username, User, Domain string
	// Realm is the realm the function was called with, realm_prefix
	// removed: the one HA1 is computed with.
	Realm string
	// Alg and Sess are the credentials' algorithm.
	Alg  Algorithm
	Sess bool
}

// HA1Func supplies the HA1 (lowercase hex of the module's algorithm) for
// credentials: code 0 with the HA1, UserUnknown, or Error.
type HA1Func func(c *module.Ctx, cr *Credentials) (ha1 []byte, code int)

type authorizedKey struct{}

// StripRealm removes realm_prefix from realm, as Kamailio does before it
// matches credentials and builds a challenge.
func (m *Instance) StripRealm(realm string) string {
	if m.RealmPrefix != "" && len(realm) > len(m.RealmPrefix) && strings.HasPrefix(realm, m.RealmPrefix) {
		return realm[len(m.RealmPrefix):]
	}
	return realm
}

// Algorithm is the module's digest algorithm (the algorithm modparam).
func (m *Instance) Algorithm() Algorithm { return m.alg }

// findCredentials returns the first credentials of header type id whose
// realm is realm; code NoCredentials when none, Error on a malformed
// header.
func findCredentials(msg *sip.Message, id sip.HeaderID, realm string) (Credentials, int) {
	for i, h := range msg.Headers() {
		if h.ID != id {
			continue
		}
		d, err := sip.ParseDigest(h.Value)
		if err != nil {
			return Credentials{}, Error
		}
		if !d.IsDigest() || !strings.EqualFold(string(d.Realm), realm) {
			continue
		}
		return Credentials{Header: i, Digest: d}, OK
	}
	return Credentials{}, NoCredentials
}

// Authorize checks the credentials of the request of c for realm
// (Authorization when proxy is false, Proxy-Authorization when true),
// getting the HA1 from lookup. It returns Kamailio's code and, when
// credentials were found, them. ACK, CANCEL and PRACK pass without
// credentials (they cannot be challenged), as in Kamailio.
func (m *Instance) Authorize(c *module.Ctx, realm string, proxy bool, lookup HA1Func) (int, *Credentials) {
	msg := c.Msg.Message
	switch msg.Method() {
	case sip.MethodACK, sip.MethodCANCEL, sip.MethodPRACK:
		return OK, nil
	}
	realm = m.StripRealm(realm)
	id := sip.HdrAuthorization
	if proxy {
		id = sip.HdrProxyAuthorization
	}
	cr, code := findCredentials(msg, id, realm)
	if code != OK {
		if code == Error {
			logger(c).Debug("auth: malformed credentials")
		}
		return code, nil
	}
	cr.Realm = realm
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[authorizedKey{}] = cr.Header
	d := &cr.Digest
	if code := m.checkFields(&cr); code != OK {
		logger(c).Debug("auth: incomplete or unsupported credentials")
		return code, &cr
	}
	switch m.nonces.check(d.Nonce, m.checksFor(msg), func(checks int) []byte { return checkData(c, checks) }, d.NC) {
	case nonceStale:
		return StaleNonce, &cr
	case nonceReused:
		return NonceReused, &cr
	case nonceInvalid, nonceBadNC:
		logger(c).Debug("auth: invalid nonce", "user", cr.Username)
		return Error, &cr
	}
	ha1, code := lookup(c, &cr)
	if code != 0 {
		return code, &cr
	}
	if len(ha1) != m.alg.HexLen() {
		logger(c).Error("auth: stored HA1 has the wrong length for the algorithm", "user", cr.Username, "algorithm", m.alg.String())
		return Error, &cr
	}
	if !m.responseMatches(c, &cr, ha1) {
		return InvalidPass, &cr
	}
	if m.AddAuthInfo != 0 {
		m.addAuthInfo(c, &cr, ha1)
	}
	return OK, &cr
}

// checkFields checks that the credentials have what a response needs,
// in the form the module accepts (Kamailio's check_dig_cred): Error
// otherwise.
func (m *Instance) checkFields(cr *Credentials) int {
	d := &cr.Digest
	if len(d.Username) == 0 || d.Nonce == nil || d.URI == nil || d.Response == nil {
		return Error
	}
	if d.QOP != nil {
		if !bytes.Equal(d.QOP, []byte("auth")) && !bytes.Equal(d.QOP, []byte("auth-int")) {
			return Error
		}
		if len(d.CNonce) == 0 || len(d.NC) == 0 {
			return Error
		}
	}
	alg, sess, ok := ParseAlgorithm(string(d.Algorithm))
	if !ok || alg != m.alg {
		return Error
	}
	if sess && len(d.CNonce) == 0 {
		return Error
	}
	if len(d.Response) != m.alg.HexLen() {
		return Error
	}
	cr.Alg, cr.Sess = alg, sess
	cr.Username = string(d.Username)
	cr.User, cr.Domain, _ = strings.Cut(cr.Username, "@")
	return OK
}

// responseMatches recomputes the response and compares it with the one
// received, in constant time (a case-insensitive hex comparison).
func (m *Instance) responseMatches(c *module.Ctx, cr *Credentials, ha1 []byte) bool {
	d := &cr.Digest
	var want, got, buf [2 * 64]byte
	scratch := buf[:0]
	in := responseInput{
		alg: cr.Alg, sess: cr.Sess, ha1: lowerHex(ha1),
		nonce: d.Nonce, nc: d.NC, cnonce: d.CNonce, qop: d.QOP,
		method: c.Msg.MethodBytes(), uri: d.URI, body: c.Msg.Body(),
	}
	w := appendResponse(want[:0], &in, &scratch)
	g := append(got[:0], d.Response...)
	for i, b := range g {
		if 'A' <= b && b <= 'F' {
			g[i] = b + 'a' - 'A'
		}
	}
	return subtle.ConstantTimeCompare(w, g) == 1
}

func lowerHex(h []byte) []byte {
	for _, b := range h {
		if 'A' <= b && b <= 'F' {
			return bytes.ToLower(h)
		}
	}
	return h
}

// addAuthInfo adds Authentication-Info (RFC 2617 3.2.3) to the reply:
// rspauth proves the server knows the secret too.
func (m *Instance) addAuthInfo(c *module.Ctx, cr *Credentials, ha1 []byte) {
	d := &cr.Digest
	if d.QOP == nil {
		return
	}
	var buf [128]byte
	scratch := buf[:0]
	in := responseInput{
		alg: cr.Alg, sess: cr.Sess, ha1: lowerHex(ha1),
		nonce: d.Nonce, nc: d.NC, cnonce: d.CNonce, qop: d.QOP,
		uri: d.URI, body: c.Msg.Body(),
	}
	rsp := appendResponse(nil, &in, &scratch)
	sl.AppendToReply(c, "Authentication-Info: nextnonce=\""+string(d.Nonce)+"\", qop="+string(d.QOP)+
		", rspauth=\""+string(rsp)+"\", cnonce=\""+string(d.CNonce)+"\", nc="+string(d.NC)+"\r\n")
}

// checksFor returns the auth checks configured for the kind of msg.
func (m *Instance) checksFor(msg *sip.Message) int {
	switch {
	case msg.Method() == sip.MethodREGISTER:
		return m.ChecksRegister & 0x0f
	case len(msg.ToTag()) > 0:
		return m.ChecksInDlg & 0x0f
	}
	return m.ChecksNoDlg & 0x0f
}

// checkData returns the parts of the request of c the auth checks name,
// each with a length prefix so that no two sets read the same.
func checkData(c *module.Ctx, checks int) []byte {
	var b []byte
	add := func(p []byte) {
		b = append(b, byte(len(p)>>8), byte(len(p)))
		b = append(b, p...)
	}
	if checks&CheckRURI != 0 {
		add(c.Msg.RequestURIBytes())
	}
	if checks&CheckCallID != 0 {
		add(c.Msg.CallID())
	}
	if checks&CheckFromTag != 0 {
		add(c.Msg.FromTag())
	}
	if checks&CheckSrcIP != 0 {
		ip := c.Msg.Remote.Addr().Unmap().AsSlice()
		add(ip)
	}
	return b
}

// ErrEmptyRealm is the error of a challenge with an empty realm.
var ErrEmptyRealm = errors.New("auth: empty realm")

// ChallengeHeader returns the WWW-Authenticate (proxy false) or
// Proxy-Authenticate header line, CRLF-terminated, with a new nonce for
// the request of c.
func (m *Instance) ChallengeHeader(c *module.Ctx, realm string, flags int, proxy bool) (string, error) {
	realm = m.StripRealm(realm)
	if realm == "" {
		return "", ErrEmptyRealm
	}
	b := make([]byte, 0, 192)
	if proxy {
		b = append(b, "Proxy-Authenticate: Digest realm=\""...)
	} else {
		b = append(b, "WWW-Authenticate: Digest realm=\""...)
	}
	b = append(b, realm...)
	b = append(b, "\", nonce=\""...)
	checks := m.checksFor(c.Msg.Message)
	b = m.nonces.appendNonce(b, checks, checkData(c, checks))
	b = append(b, '"')
	switch {
	case flags&FlagQOPAuthInt != 0:
		b = append(b, ", qop=\"auth-int\""...)
	case flags&FlagQOPAuth != 0:
		b = append(b, ", qop=\"auth\""...)
	}
	if flags&FlagStale != 0 {
		b = append(b, ", stale=true"...)
	}
	if m.alg != MD5 {
		b = append(b, ", algorithm="...)
		b = append(b, m.alg.String()...)
	}
	b = append(b, "\r\n"...)
	return string(b), nil
}

// Challenge answers the request of c with 401 and WWW-Authenticate
// (proxy false) or 407 and Proxy-Authenticate, through its transaction
// when it has one (unless force_stateless_reply), else statelessly.
// It returns Kamailio's codes: 1 sent, -1 bad parameters, -3 not sent.
func (m *Instance) Challenge(c *module.Ctx, realm string, flags int, proxy bool) int {
	hdr, err := m.ChallengeHeader(c, realm, flags, proxy)
	if err != nil {
		logger(c).Error("auth: cannot build a challenge", "err", err)
		if flags&FlagNo500 == 0 {
			if m.reply(c, 500, "Internal Server Error", "") < 0 {
				return -4
			}
		}
		return Error
	}
	code, reason := 401, "Unauthorized"
	if proxy {
		code, reason = 407, "Proxy Authentication Required"
	}
	if m.reply(c, code, reason, hdr) < 0 {
		return -3
	}
	return OK
}

// reply sends a reply with the extra header line hdr.
func (m *Instance) reply(c *module.Ctx, code int, reason, hdr string) int {
	if m.ForceStateless == 0 {
		return sl.SendReply(c, code, reason, hdr)
	}
	if err := sl.Reply(c, code, reason, &sip.ReplyOptions{Headers: []byte(hdr)}); err != nil {
		logger(c).Error("auth: cannot send reply", "code", code, "err", err)
		return -1
	}
	return 1
}

// ConsumeCredentials removes the credentials header that the last
// authorization used: 1, or -1 when there is none.
func (m *Instance) ConsumeCredentials(c *module.Ctx) int {
	i, ok := c.Store[authorizedKey{}].(int)
	if !ok {
		switch c.Msg.Method() {
		case sip.MethodACK, sip.MethodCANCEL, sip.MethodPRACK:
		default:
			logger(c).Error("auth: no authorized credentials to consume")
		}
		return Error
	}
	delete(c.Store, authorizedKey{})
	c.Msg.RemoveHeader(i)
	return OK
}

// HasCredentials reports (1/-1) whether the request has credentials
// (Authorization or Proxy-Authorization) for realm.
func (m *Instance) HasCredentials(c *module.Ctx, realm string) int {
	realm = m.StripRealm(realm)
	for _, id := range []sip.HeaderID{sip.HdrAuthorization, sip.HdrProxyAuthorization} {
		if _, code := findCredentials(c.Msg.Message, id, realm); code == OK {
			return OK
		}
	}
	return Error
}

// CheckIdentity is the identity check of auth_check (flag 1): the
// digest user must be the From user (the To user for REGISTER and
// PUBLISH, where From and To must match, and for PUBLISH the R-URI too;
// with useDomain the hosts as well). skipFwd skips the digest-user check
// for INVITE, BYE, PRACK, UPDATE and MESSAGE. It returns 1, UserMismatch
// or Error.
func CheckIdentity(c *module.Ctx, cr *Credentials, useDomain, skipFwd bool) int {
	msg := c.Msg.Message
	from, err := msg.From()
	if err != nil {
		return Error
	}
	furi := &from.URI
	uri := furi
	var turi *sip.URI
	method := msg.Method()
	regOrPub := method == sip.MethodREGISTER || method == sip.MethodPUBLISH
	if regOrPub {
		to, err := msg.To()
		if err != nil {
			return Error
		}
		turi = &to.URI
		uri = turi
	}
	skip := skipFwd && (method == sip.MethodINVITE || method == sip.MethodBYE || method == sip.MethodPRACK ||
		method == sip.MethodUPDATE || method == sip.MethodMESSAGE)
	if !skip && cr.User != string(uri.User) {
		return UserMismatch
	}
	if regOrPub {
		if !bytes.Equal(furi.User, turi.User) {
			return UserMismatch
		}
		if useDomain && !bytes.Equal(furi.Host, turi.Host) {
			return UserMismatch
		}
		if method == sip.MethodPUBLISH {
			ruri, err := sip.ParseURI([]byte(c.RequestURI()))
			if err != nil {
				return Error
			}
			if !bytes.Equal(furi.User, ruri.User) {
				return UserMismatch
			}
			if useDomain && !bytes.Equal(furi.Host, ruri.Host) {
				return UserMismatch
			}
		}
	}
	return OK
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
