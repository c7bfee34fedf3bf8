package registrar

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/modules/usrloc"
	"github.com/olelo-sip/olelo/sip"
)

// save() flags (Kamailio's REG_SAVE_*).
const (
	saveMemOnly    = 0x01
	saveNoReply    = 0x02
	saveOneContact = 0x04
	saveNoRandom   = 0x08
)

// regError is a REGISTER refused with a SIP reply: the status, the
// reason phrase, the P-Registrar-Error text and extra header lines.
type regError struct {
	code    int
	reason  string
	text    string
	headers string
	ret     int // the script return code
}

func (e *regError) Error() string { return fmt.Sprintf("%d %s: %s", e.code, e.reason, e.text) }

func badRequest(text string) *regError {
	return &regError{code: 400, reason: "Bad Request", text: text, ret: -1}
}

// contactIn is one Contact of a REGISTER, checked before anything is
// stored.
type contactIn struct {
	addr     string
	expires  int64 // seconds; 0 removes
	q        int32
	instance string
	regID    int32
	methods  int32
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// aorOf extracts the AoR from a URI as registrar stores it: the
// unescaped user, "@host" with use_domain (realm_prefix removed from the
// host), lower case unless case_sensitive.
func (m *Instance) aorOf(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty URI")
	}
	if !strings.Contains(raw, ":") {
		raw = "sip:" + raw
	}
	u, err := sip.ParseURI([]byte(raw))
	if err != nil {
		return "", err
	}
	if u.Scheme != sip.SchemeSIP && u.Scheme != sip.SchemeSIPS && u.Scheme != sip.SchemeTel {
		return "", fmt.Errorf("unsupported URI scheme in %q", raw)
	}
	user := string(sip.Unescape(nil, u.User))
	aor := user
	if m.ul.UseDomainEnabled() {
		host := strings.ToLower(string(u.Host))
		if m.RealmPrefix != "" {
			host = strings.TrimPrefix(host, strings.ToLower(m.RealmPrefix))
		}
		if user == "" {
			aor = host
		} else {
			aor = user + "@" + host
		}
	}
	if aor == "" {
		return "", fmt.Errorf("no user in %q", raw)
	}
	if m.CaseSensitive == 0 {
		aor = strings.ToLower(aor)
	}
	return aor, nil
}

// table returns the location table named by the first argument.
func (m *Instance) table(c *module.Ctx, a *module.Arg) (*usrloc.Table, error) {
	if m.ul == nil {
		return nil, errors.New(`registrar is not linked to usrloc (loadmodule "usrloc.so")`)
	}
	name, err := a.GetStr(c)
	if err != nil {
		return nil, err
	}
	return m.ul.Table(name)
}

// ---- save ----

func (m *Instance) runSave(c *module.Ctx, args []*module.Arg) int {
	t, err := m.table(c, args[0])
	if err != nil {
		logger(c).Error("registrar: save", "err", err)
		return -1
	}
	var flags int64
	if len(args) > 1 {
		if flags, err = args[1].GetInt(c); err != nil {
			logger(c).Error("registrar: save: bad flags", "err", err)
			return -1
		}
	}
	uri := ""
	if len(args) > 2 {
		if uri, err = args[2].GetStr(c); err != nil {
			return -1
		}
	}
	return m.save(c, t, int(flags), uri)
}

// save is save(): it returns 1 inserted, 2 updated, 3 deleted, 4 query
// only, -1 error (replied), -2 too many contacts.
func (m *Instance) save(c *module.Ctx, t *usrloc.Table, flags int, uri string) int {
	req := c.Msg
	if req == nil || !req.IsRequest() {
		return -1
	}
	now := time.Now()
	res, hdrs, rerr := m.process(c, t, flags, uri, now)
	if rerr != nil {
		logger(c).Info("registrar: REGISTER refused", "code", rerr.code, "reason", rerr.text)
		h := "P-Registrar-Error: " + rerr.text + "\r\n" + rerr.headers
		if flags&saveNoReply == 0 {
			sl.SendReply(c, rerr.code, rerr.reason, h)
		}
		return rerr.ret
	}
	if flags&saveNoReply == 0 {
		sl.SendReply(c, 200, "OK", hdrs)
	}
	return res
}

// process checks the REGISTER, applies it to the table and returns the
// return code and the header lines of the 200 reply.
func (m *Instance) process(c *module.Ctx, t *usrloc.Table, flags int, uri string, now time.Time) (int, string, *regError) {
	req := c.Msg
	if uri == "" {
		to, err := req.To()
		if err != nil {
			return 0, "", badRequest("Error while parsing To header")
		}
		uri = string(to.URIRaw)
	}
	aor, err := m.aorOf(uri)
	if err != nil {
		return 0, "", badRequest("Error while extracting Address Of Record")
	}
	callID := string(bytes.TrimSpace(req.CallID()))
	cseq, err := req.CSeq()
	if err != nil || callID == "" {
		return 0, "", badRequest("Error while parsing headers")
	}

	path, pathReply, perr := m.path(c)
	if perr != nil {
		return 0, "", perr
	}
	hdrExpires, err := req.Expires()
	if err != nil {
		hdrExpires = -1 // an unreadable Expires is ignored, as Kamailio does
	}

	contacts, star, rerr := m.contacts(c, hdrExpires, flags, now)
	if rerr != nil {
		return 0, "", rerr
	}

	received := m.received(c, path)
	ua := string(bytes.TrimSpace(req.Header(sip.HdrUserAgent)))
	if len(ua) > 255 {
		ua = ua[:255]
	}
	socket := c.Msg.Proto.String() + ":" + c.Msg.Local.Addr().String() + ":" + strconv.Itoa(int(c.Msg.Local.Port()))
	connID := int32(-1)
	if c.Msg.Proto.Reliable() && c.Msg.ConnID != 0 {
		connID = int32(c.Msg.ConnID)
	}
	var cflags uint32 = uint32(c.BranchFlags)
	var ulFlags uint32
	if flags&saveMemOnly != 0 {
		ulFlags |= usrloc.FlagMem
	}

	ret := 4
	var hdrs string
	err = t.Update(aor, func(r *usrloc.Record) error {
		nowUnix := now.Unix()
		if star {
			ret = 3
			r.RemoveAll()
			return nil
		}
		if len(contacts) > 0 {
			// Count the bindings this REGISTER leaves, before changing
			// anything, so that a refused one changes nothing.
			if m.MaxContacts > 0 {
				n := r.Valid(nowUnix)
				for _, ci := range contacts {
					i := m.match(r, ci, callID, path)
					switch {
					case i < 0 && ci.expires > 0:
						n++
					case i >= 0 && ci.expires == 0 && r.Contacts[i].Valid(nowUnix):
						n--
					}
				}
				if flags&saveOneContact != 0 {
					n = 1
				}
				if n > m.MaxContacts {
					h := ""
					if m.RetryAfter > 0 {
						h = "Retry-After: " + strconv.Itoa(m.RetryAfter) + "\r\n"
					}
					return &regError{code: 503, reason: "Service Unavailable", text: "Too many registered contacts", headers: h, ret: -2}
				}
			}
			inserted, updated, deleted := false, false, false
			keep := ""
			for _, ci := range contacts {
				i := m.match(r, ci, callID, path)
				if i >= 0 {
					old := &r.Contacts[i]
					if old.CallID == callID && int64(old.CSeq) >= int64(cseq.Num) {
						// A retransmission or a REGISTER out of order:
						// answered, not applied.
						keep = old.RUID
						continue
					}
					if ci.expires == 0 {
						r.Remove(i)
						deleted = true
						continue
					}
				} else if ci.expires == 0 {
					continue
				}
				uc := usrloc.Contact{
					Address: ci.addr, Received: received, Path: path, Expires: nowUnix + ci.expires,
					Q: ci.q, CallID: callID, CSeq: int32(cseq.Num), Flags: ulFlags, CFlags: cflags,
					UserAgent: ua, Socket: socket, Methods: ci.methods, Instance: ci.instance, RegID: ci.regID,
					ServerID: m.ul.ServerIDValue(), ConnID: connID, LastModified: nowUnix, LastKeepalive: nowUnix,
				}
				var saved *usrloc.Contact
				if i >= 0 {
					saved = r.Update(i, uc)
					updated = true
				} else {
					saved = r.Insert(uc)
					inserted = true
				}
				keep = saved.RUID
			}
			if flags&saveOneContact != 0 && keep != "" {
				for i := len(r.Contacts) - 1; i >= 0; i-- {
					if r.Contacts[i].RUID != keep {
						r.Remove(i)
					}
				}
			}
			switch {
			case inserted:
				ret = 1
			case updated:
				ret = 2
			case deleted:
				ret = 3
			default:
				ret = 2 // nothing changed (retransmission): answered as a refresh
			}
		}
		hdrs = m.contactList(r, nowUnix)
		return nil
	})
	if err != nil {
		var re *regError
		if errors.As(err, &re) {
			return 0, "", re
		}
		logger(c).Error("registrar: cannot save", "aor", aor, "err", err)
		return 0, "", &regError{code: 500, reason: "Server Internal Error", text: "Error while accessing location database", ret: -1}
	}
	return ret, hdrs + pathReply, nil
}

// match finds the stored contact a REGISTER's contact refers to: by
// +sip.instance and reg-id when it has them, else by usrloc's
// matching_mode.
func (m *Instance) match(r *usrloc.Record, ci contactIn, callID, path string) int {
	if ci.instance != "" {
		if i := r.FindInstance(ci.instance, ci.regID); i >= 0 {
			return i
		}
	}
	return r.Find(ci.addr, callID, path)
}

// contacts parses and checks the Contact headers: star is set for a
// valid "Contact: *".
func (m *Instance) contacts(c *module.Ctx, hdrExpires int64, flags int, now time.Time) ([]contactIn, bool, *regError) {
	req := c.Msg
	var out []contactIn
	star := false
	n := 0
	reqMethods := int32(usrloc.MethodsAll)
	if req.Has(sip.HdrAllow) {
		reqMethods = methodsMask(string(req.Header(sip.HdrAllow)))
	}
	it := req.Values(sip.HdrContact)
	lineStart, line := 0, -1
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		n++
		if v.Header != line {
			// Contacts of one header line are applied last first, as
			// Kamailio's parser lists them (it shows in the order of
			// equal-q bindings).
			slices.Reverse(out[lineStart:])
			lineStart, line = len(out), v.Header
		}
		b := bytes.TrimSpace(v.Bytes)
		if string(b) == "*" {
			star = true
			continue
		}
		na, err := sip.ParseNameAddr(b)
		if err != nil {
			return nil, false, badRequest("Error while parsing Contact header")
		}
		if m.ContactMaxSize > 0 && len(na.URIRaw) > m.ContactMaxSize {
			return nil, false, badRequest("Contact header is too long")
		}
		ci := contactIn{addr: string(na.URIRaw), q: int32(m.DefaultQ), methods: reqMethods}
		if qv, ok := na.Params.Get("q"); ok {
			q, err := parseQ(string(qv))
			if err != nil {
				return nil, false, badRequest("Invalid q parameter")
			}
			ci.q = q
		}
		exp := hdrExpires
		if ev, ok := na.Params.Get("expires"); ok {
			if x, err := strconv.ParseUint(string(bytes.TrimSpace(ev)), 10, 32); err == nil {
				exp = int64(x)
			} else {
				exp = -1
			}
		}
		if exp < 0 {
			exp = m.defaultExpires(flags)
		}
		if exp > 0 {
			if exp < int64(m.MinExpires) {
				if m.MinExpiresMode == 1 {
					return nil, false, &regError{code: 423, reason: "Interval Too Brief", text: "Interval too brief",
						headers: "Min-Expires: " + strconv.Itoa(m.MinExpires) + "\r\n", ret: -1}
				}
				exp = int64(m.MinExpires)
			}
			if m.MaxExpires > 0 && exp > int64(m.MaxExpires) {
				exp = int64(m.MaxExpires)
			}
		}
		ci.expires = exp
		if iv, ok := na.Params.Get("+sip.instance"); ok {
			ci.instance = string(iv)
		}
		if rv, ok := na.Params.Get("reg-id"); ok {
			if x, err := strconv.Atoi(string(rv)); err == nil {
				ci.regID = int32(x)
			}
		}
		if mv, ok := na.Params.Get("methods"); ok {
			ci.methods = methodsMask(strings.Trim(string(mv), "\""))
		}
		out = append(out, ci)
	}
	slices.Reverse(out[lineStart:])
	if star {
		if n > 1 {
			return nil, false, badRequest("* used in contact and more than one contact")
		}
		if hdrExpires != 0 {
			return nil, false, badRequest("* used in contact and expires is not zero")
		}
	}
	return out, star, nil
}

// defaultExpires is default_expires, randomised by default_expires_range
// percent either way unless save flag 8 is given.
func (m *Instance) defaultExpires(flags int) int64 {
	d := int64(m.DefaultExpires)
	if m.DefaultExpiresRange > 0 && flags&saveNoRandom == 0 && d > 0 {
		span := d * int64(m.DefaultExpiresRange) / 100
		if span > 0 {
			d = d - span + rand.Int64N(2*span+1)
		}
	}
	return d
}

// parseQ reads a q value (0 to 1, up to three decimals) as q * 1000.
func parseQ(s string) (int32, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || f > 1 {
		return 0, fmt.Errorf("bad q %q", s)
	}
	return int32(f*1000 + 0.5), nil
}

// formatQ writes q * 1000 as a q value ("0.5", "1").
func formatQ(q int32) string {
	s := strconv.FormatFloat(float64(q)/1000, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// path returns the Path vector to store and the Path header line of the
// 200 reply, per use_path and path_mode.
func (m *Instance) path(c *module.Ctx) (string, string, *regError) {
	if m.UsePath == 0 || !c.Msg.Has(sip.HdrPath) {
		return "", "", nil
	}
	var parts []string
	it := c.Msg.Values(sip.HdrPath)
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		parts = append(parts, string(bytes.TrimSpace(v.Bytes)))
	}
	path := strings.Join(parts, ",")
	supported := false
	sit := c.Msg.Values(sip.HdrSupported)
	for v, ok := sit.Next(); ok; v, ok = sit.Next() {
		if strings.EqualFold(string(bytes.TrimSpace(v.Bytes)), "path") {
			supported = true
		}
	}
	switch m.PathMode {
	case 2:
		if !supported {
			return "", "", &regError{code: 420, reason: "Bad Extension", text: "Path header present but not supported by UA",
				headers: "Unsupported: path\r\n", ret: -1}
		}
		return path, "Path: " + path + "\r\n", nil
	case 1:
		if supported {
			return path, "Path: " + path + "\r\n", nil
		}
	}
	return path, "", nil
}

// received is the address to store as the contact's received: the
// received_avp (set by fix_nated_register), or with path_use_received
// the received parameter of the first Path URI.
func (m *Instance) received(c *module.Ctx, path string) string {
	if m.PathUseReceived != 0 && path != "" {
		first, _, _ := strings.Cut(path, ",")
		first = strings.Trim(strings.TrimSpace(first), "<>")
		if u, err := sip.ParseURI([]byte(first)); err == nil {
			if v, ok := u.Param("received"); ok && len(v) > 0 {
				return strings.Trim(string(sip.Unescape(nil, v)), "\"")
			}
		}
	}
	if m.receivedAV != "" {
		if vals := c.AVPs[m.receivedAV]; len(vals) > 0 && !vals[0].IsNull() {
			return vals[0].String()
		}
	}
	return ""
}

// contactList is the Contact header of the 200 reply: every live
// binding with its remaining time, q and received.
func (m *Instance) contactList(r *usrloc.Record, now int64) string {
	var b strings.Builder
	for i := range r.Contacts {
		uc := &r.Contacts[i]
		if !uc.Valid(now) {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("Contact: ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString("<" + uc.Address + ">")
		if uc.Q != usrloc.QUnset {
			b.WriteString(";q=" + formatQ(uc.Q))
		}
		left := int64(0)
		if uc.Expires > 0 {
			left = uc.Expires - now
		}
		b.WriteString(";expires=" + strconv.FormatInt(left, 10))
		if uc.Received != "" && m.ReceivedParam != "" {
			b.WriteString(";" + m.ReceivedParam + "=\"" + uc.Received + "\"")
		}
		if uc.Instance != "" {
			b.WriteString(";+sip.instance=" + uc.Instance)
		}
		if uc.RegID > 0 {
			b.WriteString(";reg-id=" + strconv.Itoa(int(uc.RegID)))
		}
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteString("\r\n")
	return b.String()
}

// methodBits are Kamailio's METHOD_* values, as stored in the methods
// column.
var methodBits = map[string]int32{
	"INVITE": 1, "CANCEL": 2, "ACK": 4, "BYE": 8, "INFO": 16, "REGISTER": 32, "SUBSCRIBE": 64,
	"NOTIFY": 128, "MESSAGE": 256, "OPTIONS": 512, "PRACK": 1024, "UPDATE": 2048, "REFER": 4096,
	"PUBLISH": 8192, "KDMQ": 16384, "GET": 32768, "POST": 65536, "PUT": 131072, "DELETE": 262144,
}

const methodOther = 524288

// methodsMask turns an Allow list into a methods mask.
func methodsMask(list string) int32 {
	var mask int32
	for _, m := range strings.Split(list, ",") {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" {
			continue
		}
		if bit, ok := methodBits[m]; ok {
			mask |= bit
		} else {
			mask |= methodOther
		}
	}
	return mask
}

// methodBit is the bit of a request method.
func methodBit(method string) int32 {
	if bit, ok := methodBits[strings.ToUpper(method)]; ok {
		return bit
	}
	return methodOther
}

// ---- lookup ----

func (m *Instance) runLookup(c *module.Ctx, args []*module.Arg) int {
	t, err := m.table(c, args[0])
	if err != nil {
		logger(c).Error("registrar: lookup", "err", err)
		return -3
	}
	uri := c.RequestURI()
	if len(args) > 1 {
		if uri, err = args[1].GetStr(c); err != nil {
			return -3
		}
	}
	return m.lookup(c, t, uri, true)
}

// found is a contact lookup uses, copied out of the table.
type found struct {
	addr, received, path string
	q                    int32
	cflags               uint32
}

// contactsFor returns the live contacts of aor in q order, without those
// that do not accept method when method_filtering is on; filtered tells
// that some were left out for that reason.
func (m *Instance) contactsFor(t *usrloc.Table, aor, method string) (out []found, filtered bool, err error) {
	now := time.Now().Unix()
	bit := methodBit(method)
	err = t.View(aor, func(r *usrloc.Record) {
		if r == nil {
			return
		}
		for i := range r.Contacts {
			uc := &r.Contacts[i]
			if !uc.Valid(now) {
				continue
			}
			if m.MethodFiltering != 0 && uc.Methods != usrloc.MethodsAll && uc.Methods&bit == 0 {
				filtered = true
				continue
			}
			out = append(out, found{addr: uc.Address, received: uc.Received, path: uc.Path, q: uc.Q, cflags: uc.CFlags})
		}
	})
	return out, filtered, err
}

// dst is the $du for a contact: the first Path hop (or the received
// address with path_use_received), else the received address.
func (m *Instance) dst(f *found) string {
	if f.path != "" {
		if m.PathUseReceived != 0 && f.received != "" {
			return f.received
		}
		first, _, _ := strings.Cut(f.path, ",")
		return strings.Trim(strings.TrimSpace(first), "<>")
	}
	return f.received
}

// lookup is lookup(): 1 found, -1 not found, -2 found but no contact
// accepts the method, -3 error. setRURI false adds every contact as a
// branch (lookup_branches for a branch).
func (m *Instance) lookup(c *module.Ctx, t *usrloc.Table, uri string, setRURI bool) int {
	aor, err := m.aorOf(uri)
	if err != nil {
		logger(c).Info("registrar: lookup: bad URI", "uri", uri, "err", err)
		return -3
	}
	method := ""
	if c.Msg != nil {
		method = string(c.Msg.MethodBytes())
	}
	contacts, filtered, err := m.contactsFor(t, aor, method)
	if err != nil {
		logger(c).Error("registrar: lookup failed", "aor", aor, "err", err)
		return -3
	}
	if len(contacts) == 0 {
		if filtered {
			return -2
		}
		return -1
	}
	rest := contacts
	if setRURI {
		f := &contacts[0]
		c.NewURI = f.addr
		if du := m.dst(f); du != "" {
			c.DstURI = du
		}
		c.Path = f.path
		c.BranchFlags = uint64(f.cflags)
		rest = contacts[1:]
		if m.AppendBranches == 0 {
			rest = nil
		}
	}
	for i := range rest {
		f := &rest[i]
		c.Branches = append(c.Branches, module.Branch{URI: f.addr, DstURI: m.dst(f), Q: int(f.q), Flags: uint64(f.cflags), Path: f.path})
	}
	return 1
}

// runLookupBranches is lookup_branches(): lookup for the Request-URI and
// for each branch; a branch found is replaced by its contacts.
func (m *Instance) runLookupBranches(c *module.Ctx, args []*module.Arg) int {
	t, err := m.table(c, args[0])
	if err != nil {
		logger(c).Error("registrar: lookup_branches", "err", err)
		return -3
	}
	branches := append([]module.Branch(nil), c.Branches...)
	c.Branches = c.Branches[:0]
	ret := m.lookup(c, t, c.RequestURI(), true)
	for _, b := range branches {
		n := len(c.Branches)
		if r := m.lookup(c, t, b.URI, false); r == 1 {
			ret = 1
			continue
		}
		c.Branches = append(c.Branches[:n], b)
	}
	return ret
}

// ---- registered, unregister ----

func (m *Instance) runRegistered(c *module.Ctx, args []*module.Arg) int {
	t, err := m.table(c, args[0])
	if err != nil {
		logger(c).Error("registrar: registered", "err", err)
		return -1
	}
	uri := c.RequestURI()
	if len(args) > 1 {
		if uri, err = args[1].GetStr(c); err != nil {
			return -1
		}
	}
	var option, action int64
	if len(args) > 2 {
		if option, err = args[2].GetInt(c); err != nil {
			return -1
		}
	}
	if len(args) > 3 {
		if action, err = args[3].GetInt(c); err != nil {
			return -1
		}
	}
	aor, err := m.aorOf(uri)
	if err != nil {
		return -1
	}
	callID, received, contact := m.matchValues(c)
	now := time.Now().Unix()
	hit := false
	match := func(r *usrloc.Record) {
		for i := range r.Contacts {
			uc := &r.Contacts[i]
			if !uc.Valid(now) ||
				(option&1 != 0 && uc.CallID != callID) ||
				(option&2 != 0 && uc.Received != received) ||
				(option&4 != 0 && uc.Address != contact) {
				continue
			}
			hit = true
			if action&1 != 0 {
				uc.LastKeepalive = now
			}
			return
		}
	}
	if action&1 != 0 {
		err = t.Update(aor, func(r *usrloc.Record) error { match(r); return nil })
	} else {
		err = t.View(aor, func(r *usrloc.Record) {
			if r != nil {
				match(r)
			}
		})
	}
	if err != nil || !hit {
		return -1
	}
	return 1
}

// matchValues are what registered() compares with match_option: the
// match_callid, match_received and match_contact keys of the xavp_cfg
// record when set, else the request's Call-ID, source address and
// Contact URI.
func (m *Instance) matchValues(c *module.Ctx) (callID, received, contact string) {
	if c.Msg != nil {
		callID = string(bytes.TrimSpace(c.Msg.CallID()))
		received = "sip:" + c.Msg.Remote.Addr().String() + ":" + strconv.Itoa(int(c.Msg.Remote.Port()))
		if v := c.Msg.Header(sip.HdrContact); len(v) > 0 {
			if na, err := sip.ParseNameAddr(bytes.TrimSpace(v)); err == nil {
				contact = string(na.URIRaw)
			}
		}
	}
	if m.XAVPCfg != "" {
		if recs := c.XAVPs[m.XAVPCfg]; len(recs) > 0 {
			if v, ok := recs[0]["match_callid"]; ok {
				callID = v.String()
			}
			if v, ok := recs[0]["match_received"]; ok {
				received = v.String()
			}
			if v, ok := recs[0]["match_contact"]; ok {
				contact = v.String()
			}
		}
	}
	return callID, received, contact
}

// runUnregister is unregister(table, uri[, ruid]): 1 removed, -1 bad
// AoR, -2 error, -3 no contact with that ruid.
func (m *Instance) runUnregister(c *module.Ctx, args []*module.Arg) int {
	t, err := m.table(c, args[0])
	if err != nil {
		logger(c).Error("registrar: unregister", "err", err)
		return -2
	}
	uri, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	aor, err := m.aorOf(uri)
	if err != nil {
		return -1
	}
	ruid := ""
	if len(args) > 2 {
		if ruid, err = args[2].GetStr(c); err != nil {
			return -2
		}
	}
	found := true
	err = t.Update(aor, func(r *usrloc.Record) error {
		if ruid == "" {
			r.RemoveAll()
			return nil
		}
		i := r.FindRUID(ruid)
		if i < 0 {
			found = false
			return nil
		}
		r.Remove(i)
		return nil
	})
	switch {
	case err != nil:
		logger(c).Error("registrar: unregister", "aor", aor, "err", err)
		return -2
	case !found:
		return -3
	}
	return 1
}
