package dispatcher

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// runSelectRoutes is ds_select_routes(rules, mode [, limit]).
func (m *Instance) runSelectRoutes(c *module.Ctx, args []*module.Arg) int {
	rules, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	mode, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	limit, err := optInt(c, args, 2)
	if err != nil {
		return -1
	}
	return m.selectRoutes(c, rules, mode, int(limit))
}

// optInt returns argument i as an integer, 0 when the call has none.
func optInt(c *module.Ctx, args []*module.Arg, i int) (int64, error) {
	if i >= len(args) {
		return 0, nil
	}
	return args[i].GetInt(c)
}

// runOCSetAttrs is ds_oc_set_attrs(set, uri, rate, interval_ms, seq).
func (m *Instance) runOCSetAttrs(c *module.Ctx, args []*module.Arg) int {
	set, err := args[0].GetInt(c)
	if err != nil {
		return -1
	}
	uri, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	var n [3]int64 // rate, interval, seq
	for k := range n {
		if n[k], err = args[2+k].GetInt(c); err != nil {
			return -1
		}
	}
	return m.ocSetAttrs(int(set), uri, int(n[0]), int(n[1]), int(n[2]))
}

func (m *Instance) runMarkDst(c *module.Ctx, args []*module.Arg) int {
	st, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	return m.markDst(c, st)
}

// ds_is_from_list match mode bits.
const (
	matchNoPort   = 1
	matchNoProto  = 2
	matchActive   = 4
	matchSocket   = 8
	matchBestPick = 16
)

// runIsFromList is ds_is_from_list([group [, mode [, uri]]]).
func (m *Instance) runIsFromList(c *module.Ctx, args []*module.Arg) int {
	group, mode := -1, matchNoProto // no mode: the protocol is ignored
	if len(args) > 0 {
		g, err := args[0].GetInt(c)
		if err != nil {
			return -1
		}
		group = int(g)
	}
	if len(args) > 1 {
		md, err := args[1].GetInt(c)
		if err != nil {
			return -1
		}
		mode = int(md)
	}
	addr, proto := c.Msg.Remote, c.Msg.Proto
	if len(args) > 2 {
		raw, err := args[2].GetStr(c)
		if err != nil {
			return -1
		}
		a, p, ok := uriAddr(c.Context, raw)
		if !ok {
			return -1
		}
		addr, proto = a, p
	}
	l := m.data.Load()
	if l == nil {
		return -1
	}
	type hit struct {
		setID int
		attrs string
		score int
	}
	var best *hit
	for _, s := range l.sets {
		if group != -1 && s.id != group {
			continue
		}
		s.mu.Lock()
		for _, d := range s.dests {
			if mode&matchActive != 0 && skip(d.flags) {
				continue
			}
			score, ok := d.matches(addr, proto, c.Msg.Local, mode)
			if !ok {
				continue
			}
			if best == nil || score > best.score {
				best = &hit{s.id, d.attrs.body, score}
			}
			if mode&matchBestPick == 0 {
				break
			}
		}
		s.mu.Unlock()
		if best != nil && mode&matchBestPick == 0 {
			break
		}
	}
	if best == nil {
		return -1
	}
	if m.setidPV != nil {
		m.setidPV.Set(c, module.IntValue(int64(best.setID)))
	}
	if m.attrsPV != nil && best.attrs != "" {
		m.attrsPV.Set(c, module.StrValue(best.attrs))
	}
	return 1
}

// matches compares d with an address; the score counts what matched
// (ip 1, port 2, proto 4, socket 8) for the best-match mode.
func (d *dest) matches(addr netip.AddrPort, proto transport.Proto, local netip.AddrPort, mode int) (int, bool) {
	ip := addr.Addr().Unmap()
	found := false
	for _, x := range d.ips {
		if x == ip {
			found = true
			break
		}
	}
	if !found {
		return 0, false
	}
	score := 1
	if mode&matchNoPort == 0 {
		port := d.port
		if port == 0 {
			port = 5060
			if d.proto.Secure() {
				port = 5061
			}
		}
		if port != addr.Port() {
			return 0, false
		}
		score += 2
	}
	if mode&matchNoProto == 0 {
		p := d.proto
		if p == 0 {
			p = transport.ProtoUDP
		}
		if p != proto {
			return 0, false
		}
		score += 4
	}
	if mode&matchSocket != 0 {
		if !d.local.IsValid() || d.local != local {
			return 0, false
		}
		score += 8
	}
	return score, true
}

// uriAddr resolves the host:port and transport of a URI.
func uriAddr(ctx context.Context, raw string) (netip.AddrPort, transport.Proto, bool) {
	u, err := sip.ParseURI([]byte(raw))
	if err != nil {
		return netip.AddrPort{}, 0, false
	}
	proto := transport.ProtoUDP
	if len(u.Transport) > 0 {
		if proto, err = transport.ParseProto(string(u.Transport)); err != nil {
			return netip.AddrPort{}, 0, false
		}
	} else if u.Scheme == sip.SchemeSIPS {
		proto = transport.ProtoTLS
	}
	port := u.Port
	if port == 0 {
		port = proto.DefaultPort()
	}
	host := strings.Trim(string(u.Host), "[]")
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if ctx == nil {
			ctx = context.Background()
		}
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil || len(ips) == 0 {
			return netip.AddrPort{}, 0, false
		}
		ip = ips[0]
	}
	return netip.AddrPortFrom(ip.Unmap(), port), proto, true
}

func (m *Instance) runListExists(c *module.Ctx, args []*module.Arg) int {
	g, err := args[0].GetInt(c)
	if err != nil {
		return -2
	}
	if l := m.data.Load(); l != nil && l.byID[int(g)] != nil {
		return 1
	}
	return -1
}

// runIsActive is ds_is_active(group [, uri]).
func (m *Instance) runIsActive(c *module.Ctx, args []*module.Arg) int {
	g, err := args[0].GetInt(c)
	if err != nil {
		return -1
	}
	uri := ""
	if len(args) > 1 {
		if uri, err = args[1].GetStr(c); err != nil {
			return -1
		}
	}
	l := m.data.Load()
	if l == nil || l.byID[int(g)] == nil {
		return -1
	}
	s := l.byID[int(g)]
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dests {
		if (uri == "" || strings.EqualFold(d.uri, uri)) && !skip(d.flags) {
			return 1
		}
	}
	return -1
}

// runLoadUpdate is ds_load_update(): a BYE or CANCEL releases the call's
// load, a 2xx to an INVITE confirms it. 1, -1 on a message without
// Call-ID or CSeq.
func (m *Instance) runLoadUpdate(c *module.Ctx, _ []*module.Arg) int {
	callID := string(trim(c.Msg.CallID()))
	cs, err := c.Msg.CSeq()
	if callID == "" || err != nil {
		return -1
	}
	if c.Msg.IsRequest() {
		switch c.Msg.Method() {
		case sip.MethodBYE, sip.MethodCANCEL:
			m.loads.remove(callID)
		}
		return 1
	}
	if cs.Method == sip.MethodINVITE && c.Msg.StatusCode()/100 == 2 {
		m.loads.confirm(callID)
	}
	return 1
}

// runLoadUnset is ds_load_unset(): release the call's load (after a
// failed INVITE). -1 when the call is not tracked.
func (m *Instance) runLoadUnset(c *module.Ctx, _ []*module.Arg) int {
	if m.XAVPDst == "" {
		return -1
	}
	if c.Msg.IsRequest() && c.Msg.Method() == sip.MethodINVITE {
		recs := c.XAVPs[m.XAVPDst]
		if len(recs) == 0 {
			return -1
		}
		if _, ok := recs[0]["dstid"]; !ok {
			return -1
		}
	}
	if !m.loads.remove(string(trim(c.Msg.CallID()))) {
		return -1
	}
	return 1
}

func (m *Instance) runReload(c *module.Ctx, _ []*module.Arg) int {
	if err := m.reload(c.Context); err != nil {
		c.Log.Error("dispatcher: reload failed, the old sets stay", "err", err)
		return -1
	}
	return 1
}

// dsvPV is $dsv(key) in event_route[dispatcher:dst-*].
type dsvPV struct{ key string }

func newDSV(arg string) (module.PV, error) {
	switch arg {
	case "code", "reason", "uri", "flags", "setid", "group":
		return dsvPV{arg}, nil
	}
	return nil, fmt.Errorf("unknown $dsv key %q (code, reason, uri, flags, setid, group)", arg)
}

func (p dsvPV) Get(c *module.Ctx) (module.Value, error) {
	if c == nil || c.Context == nil {
		return module.Null, nil
	}
	e, ok := c.Context.Value(dsvKey{}).(stateEvent)
	if !ok {
		return module.Null, nil
	}
	switch p.key {
	case "code":
		return module.IntValue(int64(e.code)), nil
	case "reason":
		return module.StrValue(e.reason), nil
	case "uri":
		return module.StrValue(e.uri), nil
	case "flags":
		return module.IntValue(int64(e.flags)), nil
	}
	return module.IntValue(int64(e.setID)), nil
}
