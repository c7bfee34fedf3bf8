package pv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
)

// msgOf returns the message of c, or nil (no message: a timer or an
// event route without one). Reads then give null.
func msgOf(c *module.Ctx) *core.Msg {
	if c == nil || c.Msg == nil || c.Msg.Message == nil {
		return nil
	}
	return c.Msg
}

// ruriCacheKey keys, in Ctx.Store, the parsed form of Ctx.NewURI, so that
// reads of $rU, $rd ... after an assignment do not parse it again.
type ruriCacheKey struct{}

type ruriCache struct {
	raw string
	uri sip.URI
	err error
}

// currentRURI returns the current Request-URI, parsed: the script's
// NewURI when set, else the received one (parsed once by sip.Message).
// ok is false for a reply or when there is no message.
func currentRURI(c *module.Ctx) (u *sip.URI, ok bool, err error) {
	if c == nil {
		return nil, false, nil
	}
	if c.NewURI != "" {
		return parsedNewURI(c)
	}
	m := msgOf(c)
	if m == nil || !m.IsRequest() {
		return nil, false, nil
	}
	u, err = m.RequestURI()
	if err != nil {
		return nil, false, err
	}
	return u, true, nil
}

func parsedNewURI(c *module.Ctx) (*sip.URI, bool, error) {
	if rc, ok := c.Store[ruriCacheKey{}].(*ruriCache); ok && rc.raw == c.NewURI {
		return &rc.uri, rc.err == nil, rc.err
	}
	rc := &ruriCache{raw: c.NewURI}
	rc.uri, rc.err = sip.ParseURI([]byte(c.NewURI))
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[ruriCacheKey{}] = rc
	return &rc.uri, rc.err == nil, rc.err
}

// originalRURI is the Request-URI as received ($ou and friends).
func originalRURI(c *module.Ctx) (*sip.URI, bool, error) {
	m := msgOf(c)
	if m == nil || !m.IsRequest() {
		return nil, false, nil
	}
	u, err := m.RequestURI()
	return u, err == nil, err
}

// uriGetter builds a getter of one part of a URI.
func uriGetter(src func(c *module.Ctx) (*sip.URI, bool, error), part func(u *sip.URI) (module.Value, error)) getter {
	return func(c *module.Ctx) (module.Value, error) {
		u, ok, err := src(c)
		if err != nil {
			return module.Null, err
		}
		if !ok {
			return module.Null, nil
		}
		return part(u)
	}
}

func uriUser(u *sip.URI) (module.Value, error) {
	if !u.HasUser {
		return module.Null, nil
	}
	return strVal(string(u.User))
}

func uriHost(u *sip.URI) (module.Value, error) { return bytesVal(u.Host) }

// uriPort is the port as written; a URI without one gives "5060", as
// Kamailio's $rp does (whatever the scheme).
func uriPort(u *sip.URI) (module.Value, error) {
	if !u.HasPort {
		return strVal("5060")
	}
	return strVal(strconv.Itoa(int(u.Port)))
}

func uriWhole(u *sip.URI) (module.Value, error) { return strVal(u.String()) }

// uriScheme follows Kamailio, which reads sip:...;user=phone as a tel URI.
func uriScheme(u *sip.URI) (module.Value, error) {
	s := strings.ToLower(string(u.SchemeRaw))
	if (u.Scheme == sip.SchemeSIP || u.Scheme == sip.SchemeSIPS) && string(u.UserParam) == "phone" {
		s = strings.Replace(s, "sip", "tel", 1)
	}
	return strVal(s)
}

// uriTransport is the transport parameter as written; "UDP" when absent,
// as Kamailio reports for $rP.
func uriTransport(u *sip.URI) (module.Value, error) {
	if len(u.Transport) == 0 {
		return strVal("UDP")
	}
	return strVal(string(u.Transport))
}

// setRURIPart returns a setter that changes one part of the current
// Request-URI and stores the result in Ctx.NewURI.
func setRURIPart(what string, edit func(u *sip.URI, v module.Value) error) setter {
	return func(c *module.Ctx, v module.Value) error {
		cur, ok, err := currentRURI(c)
		if err != nil {
			return fmt.Errorf("cannot set %s: the Request-URI does not parse: %w", what, err)
		}
		if !ok {
			return fmt.Errorf("cannot set %s: no request", what)
		}
		u := *cur
		if err := edit(&u, v); err != nil {
			return fmt.Errorf("cannot set %s: %w", what, err)
		}
		c.NewURI = u.String()
		return nil
	}
}

func setRURI(c *module.Ctx, v module.Value) error {
	if v.IsNull() || v.String() == "" {
		return errors.New("cannot set $ru to an empty value")
	}
	s := v.String()
	if _, err := sip.ParseURI([]byte(s)); err != nil {
		return fmt.Errorf("cannot set $ru to %q: %w", s, err)
	}
	if m := msgOf(c); m != nil && m.IsRequest() && s == string(m.RequestURIBytes()) {
		s = "" // back to the received one: nothing to rewrite
	}
	c.NewURI = s
	return nil
}

func editUser(u *sip.URI, v module.Value) error {
	s := v.String()
	if s == "" {
		u.User, u.Password, u.HasUser = nil, nil, false
		return nil
	}
	u.User, u.HasUser = []byte(s), true
	return nil
}

func editHost(u *sip.URI, v module.Value) error {
	s := v.String()
	if s == "" {
		return errors.New("the host cannot be empty")
	}
	u.Host = []byte(s)
	return nil
}

func editPort(u *sip.URI, v module.Value) error {
	if v.IsNull() || v.String() == "" {
		u.Port, u.HasPort = 0, false
		return nil
	}
	n, ok := v.AsInt()
	if !ok || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number", v.String())
	}
	if n == 0 {
		u.Port, u.HasPort = 0, false
		return nil
	}
	u.Port, u.HasPort = uint16(n), true
	return nil
}

// dstURI parses $du.
func dstURI(c *module.Ctx) (*sip.URI, bool, error) {
	if c == nil || c.DstURI == "" {
		return nil, false, nil
	}
	u, err := sip.ParseURI([]byte(c.DstURI))
	if err != nil {
		return nil, false, err
	}
	return &u, true, nil
}

// nextHop is $du when set, else the current Request-URI ($nh).
func nextHop(c *module.Ctx) (*sip.URI, bool, error) {
	if c != nil && c.DstURI != "" {
		return dstURI(c)
	}
	return currentRURI(c)
}

// nameAddrHeader returns the parsed From or To.
func fromHeader(c *module.Ctx) (*sip.NameAddr, error) {
	m := msgOf(c)
	if m == nil || !m.Has(sip.HdrFrom) {
		return nil, nil
	}
	return m.From()
}

func toHeader(c *module.Ctx) (*sip.NameAddr, error) {
	m := msgOf(c)
	if m == nil || !m.Has(sip.HdrTo) {
		return nil, nil
	}
	return m.To()
}

func nameAddrGetter(src func(c *module.Ctx) (*sip.NameAddr, error), part func(na *sip.NameAddr) (module.Value, error)) getter {
	return func(c *module.Ctx) (module.Value, error) {
		na, err := src(c)
		if err != nil {
			return module.Null, err
		}
		if na == nil {
			return module.Null, nil
		}
		return part(na)
	}
}

// firstNameAddr parses the first value of a header holding name-addrs
// (Contact, P-Asserted-Identity, Diversion ...).
func firstNameAddr(id sip.HeaderID, name string) func(c *module.Ctx) (*sip.NameAddr, error) {
	return func(c *module.Ctx) (*sip.NameAddr, error) {
		m := msgOf(c)
		if m == nil {
			return nil, nil
		}
		var v []byte
		if id != sip.HdrOther {
			it := m.Values(id)
			val, ok := it.Next()
			if !ok {
				return nil, nil
			}
			v = val.Bytes
		} else {
			v = m.HeaderByName(name)
			if v == nil {
				return nil, nil
			}
			if i := indexUnquoted(string(v), ','); i >= 0 {
				v = v[:i]
			}
		}
		if string(v) == "*" {
			return nil, nil
		}
		na, err := sip.ParseNameAddr(v)
		if err != nil {
			return nil, err
		}
		return &na, nil
	}
}

func naURI(na *sip.NameAddr) (module.Value, error)  { return strVal(string(na.URIRaw)) }
func naUser(na *sip.NameAddr) (module.Value, error) { return uriUser(&na.URI) }
func naHost(na *sip.NameAddr) (module.Value, error) { return bytesVal(na.URI.Host) }
func naDisplay(na *sip.NameAddr) (module.Value, error) {
	if len(na.Display) == 0 {
		return module.Null, nil
	}
	return strVal(string(na.Display))
}
func naTag(na *sip.NameAddr) (module.Value, error) { return bytesVal(na.Tag()) }

// headerGetter reads the first header with an ID.
func headerGetter(id sip.HeaderID) getter {
	return func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return module.Null, nil
		}
		return bytesVal(m.Header(id))
	}
}

// authCredentials returns the digest credentials a request carries:
// Proxy-Authorization, or Authorization (preferred for REGISTER and
// PUBLISH, which are authenticated by the registrar, not a proxy).
func authCredentials(c *module.Ctx) (*sip.Digest, error) {
	m := msgOf(c)
	if m == nil || !m.IsRequest() {
		return nil, nil
	}
	first, second := sip.HdrProxyAuthorization, sip.HdrAuthorization
	if mt := m.Method(); mt == sip.MethodREGISTER || mt == sip.MethodPUBLISH {
		first, second = second, first
	}
	h := m.Header(first)
	if h == nil {
		h = m.Header(second)
	}
	if h == nil {
		return nil, nil
	}
	d, err := sip.ParseDigest(h)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func authGetter(part func(d *sip.Digest) (module.Value, error)) getter {
	return func(c *module.Ctx) (module.Value, error) {
		d, err := authCredentials(c)
		if err != nil || d == nil {
			return module.Null, err
		}
		return part(d)
	}
}

// viaGetter reads a field of the Via with index n (0 the top one, -1 the
// bottom one), counting via-parms, not header lines.
func viaGetter(n int, field func(v *sip.Via) (module.Value, error)) getter {
	return func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return module.Null, nil
		}
		if n == 0 {
			v, err := m.TopVia()
			if err != nil {
				if !m.Has(sip.HdrVia) {
					return module.Null, nil
				}
				return module.Null, err
			}
			return field(v)
		}
		var raw []byte
		it := m.Values(sip.HdrVia)
		for i := 0; ; i++ {
			val, ok := it.Next()
			if !ok {
				break
			}
			if n < 0 || i == n {
				raw = val.Bytes
				if n > 0 {
					break
				}
			}
		}
		if raw == nil {
			return module.Null, nil
		}
		v, err := sip.ParseVia(raw)
		if err != nil {
			return module.Null, err
		}
		return field(&v)
	}
}

func viaFields(n int) map[string]getter {
	return map[string]getter{
		"host":      viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.Host) }),
		"port":      viaGetter(n, func(v *sip.Via) (module.Value, error) { return intVal(int64(v.Port)) }),
		"proto":     viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.Transport) }),
		"transport": viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.Transport) }),
		"protocol":  viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.Protocol) }),
		"branch":    viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.Branch) }),
		"received":  viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.Received) }),
		"rport": viaGetter(n, func(v *sip.Via) (module.Value, error) {
			if !v.HasRPort {
				return module.Null, nil
			}
			return strVal(string(v.RPort))
		}),
		"maddr":  viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.MAddr) }),
		"ttl":    viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(v.TTL) }),
		"params": viaGetter(n, func(v *sip.Via) (module.Value, error) { return bytesVal(trimSemi(v.Params)) }),
		"i": viaGetter(n, func(v *sip.Via) (module.Value, error) {
			i, ok := v.Params.Get("i")
			if !ok {
				return module.Null, nil
			}
			return strVal(string(i))
		}),
	}
}

func init() {
	rU := uriGetter(currentRURI, uriUser)
	noArgRW("ru", "Request-URI (current, as rewritten by the script)", func(c *module.Ctx) (module.Value, error) {
		// The text itself: no need to parse and print it again.
		if m := msgOf(c); c == nil || c.NewURI == "" && (m == nil || !m.IsRequest()) {
			return null()
		}
		return strVal(c.RequestURI())
	}, setRURI, "ruri")
	noArgRW("rU", "Request-URI user", rU, setRURIPart("$rU", editUser), "ruri.user")
	noArgRW("rd", "Request-URI host", uriGetter(currentRURI, uriHost), setRURIPart("$rd", editHost), "ruri.domain")
	noArgRW("rp", "Request-URI port (5060 when absent)", uriGetter(currentRURI, uriPort), setRURIPart("$rp", editPort))
	noArg("rP", "Request-URI transport parameter (UDP when absent)", uriGetter(currentRURI, uriTransport))
	noArg("rz", "Request-URI scheme (sip, sips, tel; tel for user=phone)", uriGetter(currentRURI, uriScheme))
	noArg("ou", "original Request-URI", uriGetter(originalRURI, uriWhole))
	noArg("oU", "original Request-URI user", uriGetter(originalRURI, uriUser))
	noArg("od", "original Request-URI host", uriGetter(originalRURI, uriHost))
	noArg("op", "original Request-URI port", uriGetter(originalRURI, uriPort))
	noArg("oP", "original Request-URI transport", uriGetter(originalRURI, uriTransport))
	noArg("rv", "SIP version of the start line", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		return bytesVal(m.Version())
	})

	noArgRW("du", "destination URI (outbound proxy, next hop); $null resets it", func(c *module.Ctx) (module.Value, error) {
		if c == nil || c.DstURI == "" {
			return null()
		}
		return strVal(c.DstURI)
	}, func(c *module.Ctx, v module.Value) error {
		s := v.String()
		if s != "" {
			if _, err := sip.ParseURI([]byte(s)); err != nil {
				return fmt.Errorf("cannot set $du to %q: %w", s, err)
			}
		}
		c.DstURI = s
		return nil
	}, "duri")
	noArg("dd", "destination URI host", uriGetter(dstURI, uriHost))
	noArg("dp", "destination URI port", uriGetter(dstURI, uriPort))
	noArg("dP", "destination URI transport", uriGetter(dstURI, uriTransport))
	keyed("nh", "next hop ($du, else the Request-URI): u, U, d, p, P", map[string]getter{
		"u": uriGetter(nextHop, uriWhole),
		"U": uriGetter(nextHop, uriUser),
		"d": uriGetter(nextHop, uriHost),
		"p": uriGetter(nextHop, uriPort),
		"P": uriGetter(nextHop, uriTransport),
	})

	noArg("fu", "From URI", nameAddrGetter(fromHeader, naURI), "from")
	noArg("fU", "From URI user", nameAddrGetter(fromHeader, naUser))
	noArg("fd", "From URI host", nameAddrGetter(fromHeader, naHost))
	noArg("fn", "From display name, as written", nameAddrGetter(fromHeader, naDisplay))
	noArg("ft", "From tag", nameAddrGetter(fromHeader, naTag))
	noArg("tu", "To URI", nameAddrGetter(toHeader, naURI), "to")
	noArg("tU", "To URI user", nameAddrGetter(toHeader, naUser))
	noArg("td", "To URI host", nameAddrGetter(toHeader, naHost))
	noArg("tn", "To display name, as written", nameAddrGetter(toHeader, naDisplay))
	noArg("tt", "To tag", nameAddrGetter(toHeader, naTag))

	noArg("ci", "Call-ID", headerGetter(sip.HdrCallID))
	noArg("cs", "CSeq number", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil || !m.Has(sip.HdrCSeq) {
			return null()
		}
		cs, err := m.CSeq()
		if err != nil {
			return module.Null, err
		}
		return strVal(strconv.FormatUint(uint64(cs.Num), 10))
	})
	noArg("csb", "CSeq header body", headerGetter(sip.HdrCSeq))
	noArg("ct", "first Contact header body", headerGetter(sip.HdrContact))
	noArg("ctu", "first Contact URI", nameAddrGetter(firstNameAddr(sip.HdrContact, ""), naURI))
	noArg("cT", "Content-Type", headerGetter(sip.HdrContentType))
	noArg("cl", "Content-Length", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil || !m.Has(sip.HdrContentLength) {
			return null()
		}
		return intVal(int64(m.ContentLength()))
	})
	noArg("ua", "User-Agent", headerGetter(sip.HdrUserAgent))
	noArg("ai", "P-Asserted-Identity URI", nameAddrGetter(firstNameAddr(sip.HdrPAssertedIdentity, ""), naURI))
	noArg("pU", "P-Preferred-Identity URI user", nameAddrGetter(firstNameAddr(sip.HdrPPreferredIdentity, ""), naUser))
	noArg("pd", "P-Preferred-Identity URI host", nameAddrGetter(firstNameAddr(sip.HdrPPreferredIdentity, ""), naHost))
	noArg("pu", "P-Preferred-Identity URI", nameAddrGetter(firstNameAddr(sip.HdrPPreferredIdentity, ""), naURI))
	noArg("di", "Diversion URI", nameAddrGetter(firstNameAddr(sip.HdrDiversion, ""), naURI))
	noArg("re", "Remote-Party-ID URI", nameAddrGetter(firstNameAddr(sip.HdrOther, "Remote-Party-ID"), naURI))
	noArg("rt", "Refer-To URI", nameAddrGetter(firstNameAddr(sip.HdrReferTo, ""), naURI))

	noArg("au", "authentication user name, user part", authGetter(func(d *sip.Digest) (module.Value, error) {
		if d.Username == nil {
			return null()
		}
		u, _, _ := strings.Cut(string(d.Username), "@")
		return strVal(u)
	}))
	noArg("aU", "authentication user name, whole", authGetter(func(d *sip.Digest) (module.Value, error) {
		return bytesVal(d.Username)
	}))
	noArg("ad", "authentication user name, domain part (the realm when none)", authGetter(func(d *sip.Digest) (module.Value, error) {
		if _, dom, ok := strings.Cut(string(d.Username), "@"); ok {
			return strVal(dom)
		}
		return bytesVal(d.Realm)
	}))
	noArg("ar", "authentication realm", authGetter(func(d *sip.Digest) (module.Value, error) { return bytesVal(d.Realm) }))
	noArg("adu", "authentication digest URI", authGetter(func(d *sip.Digest) (module.Value, error) { return bytesVal(d.URI) }))

	noArg("rm", "method (the CSeq method in a reply)", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		if m.IsRequest() {
			// Known methods have a constant name: no copy.
			if mt := m.Method(); mt != sip.MethodOther {
				return strVal(mt.String())
			}
			return bytesVal(m.MethodBytes())
		}
		cs, err := m.CSeq()
		if err != nil {
			return module.Null, err
		}
		return bytesVal(cs.MethodRaw)
	})
	noArg("rs", "reply status code", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil || m.IsRequest() {
			return null()
		}
		return intVal(int64(m.StatusCode()))
	})
	noArg("rr", "reply reason phrase", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil || m.IsRequest() {
			return null()
		}
		return strVal(string(m.Reason()))
	})
	noArg("mt", "message type: 1 request, 2 reply", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		if m.IsRequest() {
			return intVal(1)
		}
		return intVal(2)
	})
	noArg("ml", "message length", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		return intVal(int64(m.Len()))
	})
	noArg("mb", "message as received", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		return strVal(string(m.Bytes()))
	})
	noArg("mbu", "message with the script's changes applied", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		return strVal(m.String())
	})
	noArg("rb", "message body", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		return strVal(string(m.Body()))
	})
	noArg("bs", "body size", func(c *module.Ctx) (module.Value, error) {
		m := msgOf(c)
		if m == nil {
			return null()
		}
		return intVal(int64(len(m.Body())))
	})

	for i, name := range []string{"via0", "via1"} {
		keyed(name, fmt.Sprintf("attribute of Via number %d: host, port, proto, protocol, branch, received, rport, maddr, ttl, i, params", i), viaFields(i))
	}
	keyed("viaZ", "attribute of the bottom Via (see $via0)", viaFields(-1))

	headerClasses()
}
