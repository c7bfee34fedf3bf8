package dispatcher

import (
	"math/rand/v2"
	"sort"
	"strings"

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

// selectDst is ds_select_dst / ds_select_domain / ds_select: 1 selected,
// -1 no such set, no active destination, or $du already set with
// force_dst 0.
func (m *Instance) selectDst(c *module.Ctx, setID, alg int, limit int, mode int) int {
	l := m.data.Load()
	if l == nil {
		return -1
	}
	s := l.byID[setID]
	if s == nil || len(s.dests) == 0 {
		c.Log.Debug("dispatcher: destination set not found", "set", setID)
		return -1
	}
	if mode == modeDst && m.ForceDst == 0 && c.DstURI != "" {
		c.Log.Error("dispatcher: destination already set ($du) and force_dst is 0")
		return -1
	}
	if limit <= 0 {
		limit = 1000
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

	s.mu.Lock()
	n := len(s.dests)
	var idx int
	switch {
	case hashed:
		idx = int(hash % uint32(n))
	case alg == algRoundRobin:
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
		return m.selectLatency(c, s, limit, mode) // unlocks s
	case alg == algPrioRR:
		idx = 0
		if samePriority(s) {
			idx = s.last % n
		}
	case alg == algOverload:
		idx = s.last % n
	case alg == algParallel:
		idx = 0
	default:
		idx = 0
	}
	useDef := m.UseDefault != 0 && n > 1
	if useDef {
		idx %= n - 1
	}
	start := idx
	for skip(s.dests[idx].flags) {
		if useDef {
			idx = (idx + 1) % (n - 1)
		} else {
			idx = (idx + 1) % n
		}
		if idx == start {
			if useDef && !skip(s.dests[n-1].flags) {
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
		for _, d := range s.dests[idx+1:] {
			if !skip(d.flags) {
				branches = append(branches, d)
			}
		}
	}
	var order []*dest
	if m.Flags&dsFailoverOn != 0 && alg != algParallel {
		order = failoverOrder(s, idx, limit, alg, useDef)
	}
	s.mu.Unlock()

	if mode != modeXAVP {
		applyDest(c, chosen, mode)
	}
	for _, d := range branches {
		b := module.Branch{URI: c.RequestURI(), DstURI: d.uri, Q: -1}
		if mode == modeDomain {
			b = module.Branch{URI: withHost(c.RequestURI(), d), Q: -1}
		}
		c.Branches = append(c.Branches, b)
	}
	if m.Flags&dsFailoverOn != 0 && m.XAVPDst != "" && alg != algParallel {
		m.fillXAVP(c, setID, alg, order)
	}
	return 1
}

// failoverOrder is the XAVP order: the selected destination, those
// after it, then those before it, skipping inactive and disabled ones
// (and, for the call load algorithm, those at their maxload), cut at
// limit; the default destination last (s.mu held).
func failoverOrder(s *dset, idx, limit, alg int, useDef bool) []*dest {
	n := len(s.dests)
	out := []*dest{s.dests[idx]}
	usable := func(i int) bool {
		d := s.dests[i]
		if skip(d.flags) || (useDef && i == n-1) {
			return false
		}
		return !(alg == algCallLoad && d.attrs.maxload != 0 && d.dload >= d.attrs.maxload)
	}
	for i := idx + 1; i < n && len(out) < limit; i++ {
		if usable(i) {
			out = append(out, s.dests[i])
		}
	}
	for i := 0; i < idx && len(out) < limit; i++ {
		if usable(i) {
			out = append(out, s.dests[i])
		}
	}
	if useDef && idx != n-1 && len(out) < limit {
		out = append(out, s.dests[n-1])
	}
	return out
}

// fillXAVP replaces the xavp_dst records with order and sets
// xavp_ctx=>cnt.
func (m *Instance) fillXAVP(c *module.Ctx, setID, alg int, order []*dest) {
	if c.XAVPs == nil {
		c.XAVPs = map[string][]map[string]module.Value{}
	}
	recs := make([]map[string]module.Value, 0, len(order))
	for _, d := range order {
		r := map[string]module.Value{
			"grp": module.IntValue(int64(setID)),
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
		if alg == algCallLoad && d.attrs.duid != "" {
			r["dstid"] = module.StrValue(d.attrs.duid)
		}
		if d.attrs.body != "" && m.XAVPDstMode&1 == 0 {
			r["attrs"] = module.StrValue(d.attrs.body)
		}
		recs = append(recs, r)
	}
	c.XAVPs[m.XAVPDst] = recs
	if m.XAVPCtx != "" {
		c.XAVPs[m.XAVPCtx] = []map[string]module.Value{{"cnt": module.IntValue(int64(len(recs)))}}
	}
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
// destinations by priority lowered by their estimated latency (s.mu held;
// unlocked here).
func (m *Instance) selectLatency(c *module.Ctx, s *dset, limit, mode int) int {
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
	if mode != modeXAVP {
		applyDest(c, cands[0].d, mode)
	}
	if m.Flags&dsFailoverOn != 0 && m.XAVPDst != "" {
		order := make([]*dest, 0, len(cands))
		for _, x := range cands {
			if len(order) >= limit {
				break
			}
			order = append(order, x.d)
		}
		m.fillXAVP(c, s.id, algLatency, order)
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
