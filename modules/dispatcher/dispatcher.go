package dispatcher

import (
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
)

// What a selection sets: $du, the R-URI host, or only the XAVP.
const (
	modeDst = iota
	modeDomain
	modeXAVP
)

// Algorithms.
const (
	algCallID     = 0
	algFrom       = 1
	algTo         = 2
	algRURI       = 3
	algRoundRobin = 4
	algAuthUser   = 5
	algRandom     = 6
	algPV         = 7
	algSerial     = 8
	algWeight     = 9
	algCallLoad   = 10
	algRWeight    = 11
	algParallel   = 12
	algLatency    = 13
	algPrioRR     = 14
	algOverload   = 64
)

// flags modparam bits.
const (
	dsHashUserOnly = 1
	dsFailoverOn   = 2
)

func skip(flags int) bool { return flags&(flagInactive|flagDisabled) != 0 }

// xrec is one record of the failover list: a destination and the group
// it was selected from (ds_select_routes mixes groups in one list).
type xrec struct {
	grp int
	alg int
	d   *dest
}

// selection is what the groups of one call share (Kamailio's select
// state): ds_select_dst selects from one group, ds_select_routes from
// group after group into the same failover list.
type selection struct {
	mode  int    // what a group sets: modeDst, modeDomain or modeXAVP
	limit int    // failover records at most (the chosen one of a group always goes in)
	recs  []xrec // the failover list so far
	set   bool   // a group has set $du or the R-URI: the next ones only add records
}

// unlimited is the failover limit when none is given (or 0).
const unlimited = int(^uint(0) >> 1)

// selectDst is ds_select_dst / ds_select_domain / ds_select: 1 selected,
// -1 no such set, no active destination, or $du set with force_dst 0.
func (m *Instance) selectDst(c *module.Ctx, setID, alg int, limit int, mode int) int {
	if limit <= 0 {
		limit = unlimited
	}
	st := &selection{mode: mode, limit: limit}
	rc := m.selectGroup(c, setID, alg, st)
	if rc < 0 {
		return rc
	}
	m.storeXAVP(c, st.recs, true)
	return rc
}

// selectRoutes is ds_select_routes(rules, mode [, limit]): rules
// "set=alg;set=alg..." are tried in turn; the first group that yields a
// destination sets $du ('d' or '0'), the R-URI host ('r' or '1') or
// nothing ('x' or '2'), the later ones only add their records to the
// failover list, which the limit caps over all groups (the chosen
// destination of each group is added even past it, as in Kamailio). A
// group that is missing or has no usable destination is passed over. 1
// when a group selected, else -1 (also for a bad rule or mode).
func (m *Instance) selectRoutes(c *module.Ctx, rules, mode string, limit int) int {
	if limit <= 0 {
		limit = unlimited
	}
	st := &selection{limit: limit}
	rc, got := -1, -1
	for rest := rules; rest != ""; {
		var setID, alg int
		var ok bool
		if setID, alg, rest, ok = nextRule(rest); !ok {
			c.Log.Error("dispatcher: bad ds_select_routes rules (want set=alg;set=alg...)", "rules", rules)
			// What earlier groups selected stays, as in Kamailio.
			m.storeXAVP(c, st.recs, false)
			return -1
		}
		st.mode = modeXAVP
		if !st.set {
			if st.mode, ok = routesMode(mode); !ok {
				c.Log.Error("dispatcher: bad ds_select_routes mode (want d, r or x)", "mode", mode)
				m.storeXAVP(c, st.recs, false)
				return -1
			}
		}
		if rc = m.selectGroup(c, setID, alg, st); rc > 0 {
			got = rc
		}
	}
	if got < 0 {
		return rc // the last group's failure
	}
	m.storeXAVP(c, st.recs, true)
	return got
}

// nextRule reads one "set=alg" of ds_select_routes and returns the rest
// after its ';'. Like Kamailio it takes digits only and a missing number
// as 0 ("1" is set 1 with algorithm 0).
func nextRule(s string) (setID, alg int, rest string, ok bool) {
	i := 0
	num := func(stop byte) (int, bool) {
		n := 0
		for ; i < len(s) && s[i] != stop; i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			if n < 1<<30 { // a larger id matches no set anyway
				n = n*10 + int(s[i]-'0')
			}
		}
		if i < len(s) {
			i++ // the stop character
		}
		return n, true
	}
	if setID, ok = num('='); !ok {
		return 0, 0, "", false
	}
	if alg, ok = num(';'); !ok {
		return 0, 0, "", false
	}
	return setID, alg, s[i:], true
}

// routesMode reads the mode of ds_select_routes by its first character.
func routesMode(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	switch s[0] {
	case '0', 'd', 'D':
		return modeDst, true
	case '1', 'r', 'R':
		return modeDomain, true
	case '2', 'x', 'X':
		return modeXAVP, true
	}
	return 0, false
}

// selectGroup selects from one group (Kamailio's ds_manage_routes): it
// applies the chosen destination as st.mode says, adds branches for
// algorithm 12, and appends the group's failover records to st. 1, or
// -1 when the set is missing, nothing is usable, or $du is set with
// force_dst 0.
func (m *Instance) selectGroup(c *module.Ctx, setID, alg int, st *selection) int {
	l := m.data.Load()
	if l == nil {
		return -1
	}
	if st.mode == modeDst && m.ForceDst == 0 && c.DstURI != "" {
		c.Log.Error("dispatcher: destination already set ($du) and force_dst is 0")
		return -1
	}
	s := l.byID[setID]
	if s == nil || len(s.dests) == 0 {
		c.Log.Debug("dispatcher: destination set not found", "set", setID)
		return -1
	}
	// The hash input is read outside the set's lock.
	var hash uint32
	hashed := true
	switch alg {
	case algCallID:
		hash = dsHash(trim(c.Msg.CallID()), nil)
	case algFrom, algTo, algRURI:
		var raw []byte
		switch alg {
		case algFrom:
			if f, err := c.Msg.From(); err == nil {
				raw = f.URIRaw
			}
		case algTo:
			if t, err := c.Msg.To(); err == nil {
				raw = t.URIRaw
			}
		default:
			raw = []byte(c.RequestURI())
		}
		k1, k2, ok := uriKeys(raw, m.Flags&dsHashUserOnly != 0)
		if !ok {
			c.Log.Error("dispatcher: cannot hash the URI", "alg", alg)
			return -1
		}
		hash = dsHash(k1, k2)
	case algAuthUser:
		if u := authUser(c.Msg.Message); u != nil {
			hash = dsHash(u, nil)
		} else {
			hashed = false // no credentials: round robin
			alg = algRoundRobin
		}
	case algPV:
		if m.hashPV == nil {
			c.Log.Error("dispatcher: algorithm 7 needs the hash_pvar modparam")
			return -1
		}
		v, err := m.hashPV.Eval(c)
		if err != nil || strings.TrimSpace(v) == "" {
			c.Log.Error("dispatcher: empty hash_pvar value", "err", err)
			return -1
		}
		hash = dsHash([]byte(strings.TrimSpace(v)), nil)
	default:
		hashed = false
	}
	if alg == algCallLoad && c.Msg.Method() == sip.MethodINVITE && m.XAVPDst == "" {
		c.Log.Error("dispatcher: algorithm 10 needs xavp_dst")
		return -1
	}
	var now time.Time
	if alg == algOverload {
		now = m.clock()
	}

	s.mu.Lock()
	n := len(s.dests)
	var idx int
	switch {
	case hashed:
		idx = int(hash % uint32(n))
	case alg == algRoundRobin, alg == algOverload:
		idx = s.last % n
	case alg == algRandom:
		idx = rand.IntN(n)
	case alg == algSerial:
		idx = 0
	case alg == algWeight:
		idx = int(s.wlist[s.wlast]) % n
		s.wlast = (s.wlast + 1) % 100
	case alg == algRWeight:
		idx = int(s.rwlist[s.rwlast]) % n
		s.rwlast = (s.rwlast + 1) % 100
	case alg == algCallLoad:
		if s.dests[0].attrs.duid == "" {
			s.mu.Unlock()
			c.Log.Error("dispatcher: algorithm 10 needs duid on every destination", "set", setID)
			return -1
		}
		if c.Msg.Method() != sip.MethodINVITE {
			idx, alg = 0, algCallID // not tracked
			break
		}
		idx = leastLoaded(s)
		if idx < 0 {
			s.mu.Unlock()
			return -1
		}
	case alg == algLatency:
		return m.selectLatency(c, s, st) // unlocks s
	case alg == algPrioRR:
		idx = 0
		if samePriority(s) {
			idx = s.last % n
		}
	case alg == algParallel:
		idx = 0
	default:
		idx = 0
	}
	useDef := m.UseDefault != 0 && n > 1
	if useDef {
		idx %= n - 1
	}
	// Overload control passes over a destination like a state does, but
	// only for algorithm 64 (and it uses up a slot of the skipped one).
	unusable := func(i int) bool {
		d := s.dests[i]
		return skip(d.flags) || (alg == algOverload && d.oc.skip(now))
	}
	start := idx
	for unusable(idx) {
		if useDef {
			idx = (idx + 1) % (n - 1)
		} else {
			idx = (idx + 1) % n
		}
		if idx == start {
			if useDef && !unusable(n-1) {
				idx = n - 1
				break
			}
			s.mu.Unlock()
			return -1
		}
	}
	if alg == algRoundRobin || alg == algPrioRR || alg == algOverload {
		s.last = (idx + 1) % n
	}
	if alg == algCallLoad && c.Msg.Method() == sip.MethodINVITE {
		if !m.loads.add(string(trim(c.Msg.CallID())), s, s.dests[idx]) {
			alg = algCallID // no load table (ds_hash_size 0): classic dispatching
		}
	}
	chosen := s.dests[idx]
	var branches []*dest
	if alg == algParallel {
		// Only ds_select keeps the chosen one out of $du: it is a
		// branch like the others then.
		from := idx + 1
		if st.mode == modeXAVP {
			from = idx
		}
		for _, d := range s.dests[from:] {
			if !skip(d.flags) {
				branches = append(branches, d)
			}
		}
	} else if m.Flags&dsFailoverOn != 0 && m.XAVPDst != "" {
		st.recs = appendFailover(st.recs, s, idx, st.limit, alg, useDef)
	}
	s.mu.Unlock()

	if st.mode != modeXAVP {
		applyDest(c, chosen, st.mode)
		st.set = true
	}
	for _, d := range branches {
		b := module.Branch{URI: c.RequestURI(), DstURI: d.uri, Q: -1}
		if st.mode == modeDomain {
			b = module.Branch{URI: withHost(c.RequestURI(), d), Q: -1}
		}
		c.Branches = append(c.Branches, b)
	}
	return 1
}

// appendFailover appends a group's failover records to recs: the
// selected destination (always), then while there are fewer than limit
// records those after it and those before it, skipping inactive and
// disabled ones (and, for the call load algorithm, those at their
// maxload); the default destination last (s.mu held).
func appendFailover(recs []xrec, s *dset, idx, limit, alg int, useDef bool) []xrec {
	n := len(s.dests)
	add := func(i int) { recs = append(recs, xrec{grp: s.id, alg: alg, d: s.dests[i]}) }
	usable := func(i int) bool {
		d := s.dests[i]
		if skip(d.flags) || (useDef && i == n-1) {
			return false
		}
		return !(alg == algCallLoad && d.attrs.maxload != 0 && d.dload >= d.attrs.maxload)
	}
	add(idx)
	for i := idx + 1; i < n && len(recs) < limit; i++ {
		if usable(i) {
			add(i)
		}
	}
	for i := 0; i < idx && len(recs) < limit; i++ {
		if usable(i) {
			add(i)
		}
	}
	if useDef && idx != n-1 && len(recs) < limit {
		add(n - 1)
	}
	return recs
}

// storeXAVP replaces the xavp_dst records with recs (there are none
// with failover off) and, after a successful selection (done), sets
// xavp_ctx=>cnt to their number, 0 with failover off, as Kamailio does.
func (m *Instance) storeXAVP(c *module.Ctx, recs []xrec, done bool) {
	if c.XAVPs == nil {
		c.XAVPs = map[string][]map[string]module.Value{}
	}
	if len(recs) > 0 && m.XAVPDst != "" {
		list := make([]map[string]module.Value, 0, len(recs))
		for _, x := range recs {
			list = append(list, m.xavpRecord(x))
		}
		c.XAVPs[m.XAVPDst] = list
	}
	if done && m.XAVPCtx != "" {
		c.XAVPs[m.XAVPCtx] = []map[string]module.Value{{"cnt": module.IntValue(int64(len(recs)))}}
	}
}

// xavpRecord is one xavp_dst record: grp, uri, and as configured sock,
// socket, sockname, dstid (algorithm 10) and attrs.
func (m *Instance) xavpRecord(x xrec) map[string]module.Value {
	d := x.d
	r := map[string]module.Value{
		"grp": module.IntValue(int64(x.grp)),
		"uri": module.StrValue(d.uri),
	}
	if d.attrs.socket != "" {
		r["sock"] = module.StrValue(d.attrs.socket)
		if m.XAVPDstMode&2 != 0 {
			r["socket"] = module.StrValue(d.attrs.socket)
		}
	}
	if d.attrs.sockname != "" && m.XAVPDstMode&4 != 0 {
		r["sockname"] = module.StrValue(d.attrs.sockname)
	}
	if x.alg == algCallLoad && d.attrs.duid != "" {
		r["dstid"] = module.StrValue(d.attrs.duid)
	}
	if d.attrs.body != "" && m.XAVPDstMode&1 == 0 {
		r["attrs"] = module.StrValue(d.attrs.body)
	}
	return r
}

// applyDest sets $du (and the outbound proxy) or the R-URI host.
func applyDest(c *module.Ctx, d *dest, mode int) {
	switch mode {
	case modeDst:
		c.DstURI = d.uri
	case modeDomain:
		c.NewURI = withHost(c.RequestURI(), d)
	}
}

// withHost returns ruri with the host:port (and transport) of d.
func withHost(ruri string, d *dest) string {
	u, err := sip.ParseURI([]byte(d.uri))
	if err != nil {
		return ruri
	}
	r, err := sip.ParseURI([]byte(ruri))
	if err != nil {
		return ruri
	}
	var b strings.Builder
	b.WriteString(string(r.SchemeRaw))
	b.WriteByte(':')
	if r.HasUser {
		b.Write(r.User)
		if r.Password != nil {
			b.WriteByte(':')
			b.Write(r.Password)
		}
		b.WriteByte('@')
	}
	b.Write(u.Host)
	if u.HasPort {
		b.WriteByte(':')
		b.WriteString(itoa(int(u.Port)))
	}
	b.Write(r.Params)
	if r.Headers != nil {
		b.WriteByte('?')
		b.Write(r.Headers)
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// leastLoaded is algorithm 10's choice: the active destination below its
// maxload with the fewest calls, the first one on ties (s.mu held).
func leastLoaded(s *dset) int {
	j, t := -1, int(^uint(0)>>1)
	for k, d := range s.dests {
		if !skip(d.flags) && (d.attrs.maxload == 0 || d.dload < d.attrs.maxload) && d.dload < t {
			j, t = k, d.dload
		}
	}
	return j
}

func samePriority(s *dset) bool {
	p := s.dests[0].priority
	if p <= 0 {
		return false
	}
	for _, d := range s.dests {
		if d.priority != p {
			return false
		}
	}
	return true
}

// selectLatency is algorithm 13: from the round-robin start, the active
// destinations by priority lowered by their estimated latency; the
// failover records follow that order, as many as fit under st.limit
// (s.mu held; unlocked here).
func (m *Instance) selectLatency(c *module.Ctx, s *dset, st *selection) int {
	n := len(s.dests)
	type cand struct {
		d   *dest
		adj int
	}
	var cands []cand
	for k := 0; k < n; k++ {
		d := s.dests[(s.last+k)%n]
		if skip(d.flags) {
			continue
		}
		adj := d.priority
		est := int(d.lat.est)
		if d.attrs.cc != 0 {
			est = int(d.lat.est - d.lat.avg)
		}
		if d.priority > 0 && est > d.priority {
			adj = d.priority - est/d.priority
		}
		if adj < 1 {
			adj = 1
		}
		cands = append(cands, cand{d, adj})
	}
	s.last = (s.last + 1) % n
	s.mu.Unlock()
	if len(cands) == 0 {
		return -1
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].adj > cands[j].adj })
	if st.mode != modeXAVP {
		applyDest(c, cands[0].d, st.mode)
		st.set = true
	}
	if m.Flags&dsFailoverOn != 0 && m.XAVPDst != "" {
		for _, x := range cands {
			if len(st.recs) >= st.limit {
				break
			}
			st.recs = append(st.recs, xrec{grp: s.id, alg: algLatency, d: x.d})
		}
	}
	return 1
}

// authUser returns the digest username of Proxy-Authorization, else
// Authorization (the part before '@'), or nil.
func authUser(msg *sip.Message) []byte {
	for _, h := range []sip.HeaderID{sip.HdrProxyAuthorization, sip.HdrAuthorization} {
		v := msg.Header(h)
		if len(v) == 0 {
			continue
		}
		i := indexFold(v, "username")
		if i < 0 {
			continue
		}
		rest := trim(v[i+len("username"):])
		if len(rest) == 0 || rest[0] != '=' {
			continue
		}
		rest = trim(rest[1:])
		var user []byte
		if len(rest) > 0 && rest[0] == '"' {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				end++
			}
			user = rest[1:end]
		} else {
			end := 0
			for end < len(rest) && rest[end] != ',' && rest[end] != ' ' {
				end++
			}
			user = rest[:end]
		}
		if at := indexByte(user, '@'); at >= 0 {
			user = user[:at]
		}
		return user
	}
	return nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func indexFold(b []byte, s string) int {
	return strings.Index(strings.ToLower(string(b)), s)
}

// nextDst is ds_next_dst / ds_next_domain: drop the current XAVP record
// and apply the next one. 1, or -1 when failover is off or none is left.
func (m *Instance) nextDst(c *module.Ctx, mode int) int {
	if m.Flags&dsFailoverOn == 0 || m.XAVPDst == "" {
		c.Log.Warn("dispatcher: failover support disabled (flags 2)")
		return -1
	}
	recs := c.XAVPs[m.XAVPDst]
	if len(recs) == 0 {
		return -1
	}
	old := recs[0]
	recs = recs[1:]
	if len(recs) == 0 {
		delete(c.XAVPs, m.XAVPDst)
		return -1
	}
	c.XAVPs[m.XAVPDst] = recs
	next := recs[0]
	// A dstid means the call load algorithm: the call's load moves.
	if id, ok := next["dstid"]; ok {
		if _, was := old["dstid"]; was {
			grp, _ := next["grp"].AsInt()
			m.loads.replace(m, string(trim(c.Msg.CallID())), int(grp), id.String())
		}
	}
	return m.applyRecord(c, next, mode)
}

// setDst is ds_set_dst / ds_set_domain: apply the current record.
func (m *Instance) setDst(c *module.Ctx, mode int) int {
	if m.Flags&dsFailoverOn == 0 || m.XAVPDst == "" {
		return -1
	}
	recs := c.XAVPs[m.XAVPDst]
	if len(recs) == 0 {
		return -1
	}
	return m.applyRecord(c, recs[0], mode)
}

func (m *Instance) applyRecord(c *module.Ctx, r map[string]module.Value, mode int) int {
	uri := r["uri"].String()
	if uri == "" {
		return -1
	}
	switch mode {
	case modeDst:
		c.DstURI = uri
	case modeDomain:
		c.NewURI = withHost(c.RequestURI(), &dest{uri: uri})
	}
	return 1
}

// markDst is ds_mark_dst: set the state of the current XAVP record's
// destination. From the script "t" (trying) means inactive at once.
func (m *Instance) markDst(c *module.Ctx, state string) int {
	if m.Flags&dsFailoverOn == 0 || m.XAVPDst == "" {
		c.Log.Warn("dispatcher: failover support disabled (flags 2)")
		return -1
	}
	recs := c.XAVPs[m.XAVPDst]
	if len(recs) == 0 {
		return -1
	}
	st, ok := parseState(state)
	if !ok {
		return -1
	}
	if st&flagTrying != 0 {
		st = st&^flagTrying | flagInactive
	}
	grp, _ := recs[0]["grp"].AsInt()
	if !m.updateState(int(grp), recs[0]["uri"].String(), st, stateScript, 0, "") {
		return -1
	}
	return 1
}

// parseState reads a state: a/i/d/t, optionally followed by p (probing).
func parseState(s string) (int, bool) {
	st := 0
	for i, ch := range strings.ToLower(s) {
		switch {
		case ch == 'a':
		case ch == 'i':
			st |= flagInactive
		case ch == 'd':
			st |= flagDisabled
		case ch == 't':
			st |= flagTrying
		case ch == 'p' && i > 0:
			st |= flagProbing
		case ch == 'x' && i > 0:
		default:
			return 0, false
		}
	}
	return st, s != ""
}

// stateText is the FLAGS column of dispatcher.list.
func stateText(f int) string {
	b := [2]byte{'A', 'X'}
	switch {
	case f&flagInactive != 0:
		b[0] = 'I'
	case f&flagDisabled != 0:
		b[0] = 'D'
	case f&flagTrying != 0:
		b[0] = 'T'
	}
	switch {
	case f&flagProbing != 0:
		b[1] = 'P'
	case f&flagNoPing != 0:
		b[1] = 'N'
	}
	return string(b[:])
}
