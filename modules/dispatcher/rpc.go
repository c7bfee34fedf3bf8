package dispatcher

import (
	"context"
	"maps"
	"math"
	"net"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
)

// RPCs exports Kamailio's dispatcher.* commands with its result shapes.
func (m *Instance) RPCs() []module.RPC {
	return []module.RPC{
		{Name: "dispatcher.list", Doc: "list the destination sets and the state of their destinations", Run: m.rpcList},
		{Name: "dispatcher.reload", Doc: "reload the destination sets (the old ones stay when it fails)", Run: m.rpcReload},
		{Name: "dispatcher.set_state", Doc: "set the state of a destination: state(a|i|t|d[p]) group address|all", Run: m.rpcSetState},
		{Name: "dispatcher.set_duid_state", Doc: "set the state of the destination with a duid attribute: state(a|i|t|d[p]) group duid|all", Run: m.rpcSetDUIDState},
		{Name: "dispatcher.oclist", Doc: "list the overload control data of a group's destinations: group", Run: m.rpcOCList},
		{Name: "dispatcher.ping_active", Doc: "show or set (0|1) whether keepalives are sent", Run: m.rpcPingActive},
		{Name: "dispatcher.add", Doc: "add a destination (in memory): group uri [flags [priority [attrs]]]", Run: m.rpcAdd},
		{Name: "dispatcher.remove", Doc: "remove a destination (in memory): group uri", Run: m.rpcRemove},
		{Name: "dispatcher.hash", Doc: "compute the dispatcher hash: nslots val1 [val2]", Run: m.rpcHash},
	}
}

// rpcList is dispatcher.list [short|full]: {NRSETS, RECORDS: [{SET: {ID,
// TARGETS: [{DEST: {URI, FLAGS, PRIORITY, ...}}]}}]}, as Kamailio 5.6
// prints it: ATTRS for destinations with attributes (never in short
// mode), LATENCY with ds_ping_latency_stats, RUNTIME with ds_hash_size.
// Full mode adds 5.6's address fields and 5.8's overload control fields,
// and ATTRS for every destination with 5.8's PROBING_COUNT, OCMIN and
// OCMAX.
func (m *Instance) rpcList(ctx context.Context, p module.RPCParams) (any, error) {
	mode, _ := p.OptStr(0, "")
	short, full := strings.EqualFold(mode, "short"), strings.EqualFold(mode, "full")
	l := m.data.Load()
	if l == nil {
		return nil, module.RPCErrorf(500, "No Destination Sets")
	}
	records := make([]any, 0, len(l.sets))
	for _, s := range l.sets {
		s.mu.Lock()
		targets := make([]any, 0, len(s.dests))
		for _, d := range s.dests {
			dst := map[string]any{"URI": d.uri, "FLAGS": stateText(d.flags), "PRIORITY": d.priority}
			if full {
				ip := ""
				if len(d.ips) > 0 {
					ip = d.ips[0].String()
				}
				sec, usec := ocTime(d.oc.until)
				maps.Copy(dst, map[string]any{
					"HOST": d.host, "IPADDR": ip, "PORT": d.port, "PROTOID": d.proto.KamailioID(),
					"DNSTIME_SEC": 0, "DNSTIME_USEC": 0, // olelo resolves at load only
					"OCRATE": d.oc.rate, "OCIDX": d.oc.idx, "OCSEQ": d.oc.seq, "OCTIME_SEC": sec, "OCTIME_USEC": usec,
				})
			}
			if (d.attrs.body != "" && !short) || full {
				a := map[string]any{
					"BODY": d.attrs.body, "DUID": nullStr(d.attrs.duid), "MAXLOAD": d.attrs.maxload,
					"WEIGHT": d.attrs.weight, "RWEIGHT": d.attrs.rweight, "SOCKET": nullStr(d.attrs.socket),
					"SOCKNAME": nullStr(d.attrs.sockname), "OBPROXY": nullStr(d.attrs.obproxy),
				}
				if full {
					maps.Copy(a, map[string]any{"PROBING_COUNT": d.probeCount, "OCMIN": d.attrs.ocmin, "OCMAX": d.attrs.ocmax})
				}
				dst["ATTRS"] = a
			}
			if m.PingLatencyStats != 0 {
				dst["LATENCY"] = map[string]any{
					"AVG": round3(d.lat.avg), "STD": round3(d.lat.std()), "EST": round3(d.lat.est),
					"MAX": d.lat.max, "TIMEOUT": d.lat.timeout,
				}
			}
			if m.HashSize > 0 {
				dst["RUNTIME"] = map[string]any{"DLGLOAD": d.dload}
			}
			targets = append(targets, map[string]any{"DEST": dst})
		}
		s.mu.Unlock()
		records = append(records, map[string]any{"SET": map[string]any{"ID": s.id, "TARGETS": targets}})
	}
	return map[string]any{"NRSETS": len(l.sets), "RECORDS": records}, nil
}

// ocTime is an overload control deadline as Kamailio's timeval (0, 0
// when never set).
func ocTime(t time.Time) (sec, usec int64) {
	if t.IsZero() {
		return 0, 0
	}
	return t.Unix(), int64(t.Nanosecond() / 1000)
}

// rpcOCList is dispatcher.oclist group: one record per destination of
// the group with its overload control data, in Kamailio 5.8's shape.
func (m *Instance) rpcOCList(ctx context.Context, p module.RPCParams) (any, error) {
	g, err := p.Int(0)
	if err != nil {
		return nil, err
	}
	l := m.data.Load()
	if l == nil || l.byID[int(g)] == nil {
		return nil, module.RPCErrorf(404, "Destination Group Not Found")
	}
	s := l.byID[int(g)]
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]any, 0, len(s.dests))
	for _, d := range s.dests {
		sec, usec := ocTime(d.oc.until)
		out = append(out, map[string]any{
			"group": s.id, "uri": d.uri, "flags": d.flags, "priority": d.priority,
			"ocrate": d.oc.rate, "ocidx": d.oc.idx, "ocseq": d.oc.seq,
			"octime_sec": sec, "octime_usec": usec, "ocmin": d.attrs.ocmin, "ocmax": d.attrs.ocmax,
		})
	}
	return out, nil
}

// nullStr is a string attribute: JSON null when unset (kamcmd prints
// "<null string>").
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func (m *Instance) rpcReload(ctx context.Context, p module.RPCParams) (any, error) {
	if !m.reloadMu.TryLock() {
		return nil, module.RPCErrorf(500, "Ongoing reload")
	}
	m.reloadMu.Unlock()
	if err := m.reload(ctx); err != nil {
		return nil, module.RPCErrorf(500, "Dispatcher reload failed: %v", err)
	}
	return "Ok. Dispatcher successfully reloaded.", nil
}

// rpcSetState is dispatcher.set_state state group address|all. As in
// Kamailio, it raises no event.
func (m *Instance) rpcSetState(ctx context.Context, p module.RPCParams) (any, error) {
	return m.rpcState(p, func(d *dest, addr string) bool { return strings.EqualFold(d.uri, addr) })
}

// rpcSetDUIDState is dispatcher.set_duid_state state group duid|all: the
// first destination whose duid attribute is duid (case-insensitive).
func (m *Instance) rpcSetDUIDState(ctx context.Context, p module.RPCParams) (any, error) {
	return m.rpcState(p, func(d *dest, duid string) bool { return strings.EqualFold(d.attrs.duid, duid) })
}

// rpcState is the body of both: it changes the first destination of the
// group that match takes for the third parameter, or every one for
// "all" (then, as in Kamailio, a missing group is not an error).
func (m *Instance) rpcState(p module.RPCParams, match func(d *dest, key string) bool) (any, error) {
	st, err := p.Str(0)
	if err != nil {
		return nil, err
	}
	g, err := p.Int(1)
	if err != nil {
		return nil, err
	}
	key, err := p.Str(2)
	if err != nil {
		return nil, err
	}
	if st == "" {
		return nil, module.RPCErrorf(500, "Invalid State Parameter")
	}
	state, ok := parseRPCState(st)
	if !ok {
		return nil, module.RPCErrorf(500, "Unknown State Value")
	}
	if key == "all" {
		m.setState(int(g), func(*dest) bool { return true }, true, state, stateRPC, 0, "")
		return "Ok. Dispatcher state updated.", nil
	}
	if !m.setState(int(g), func(d *dest) bool { return match(d, key) }, false, state, stateRPC, 0, "") {
		return nil, module.RPCErrorf(500, "State Update Failed")
	}
	return "Ok. Dispatcher state updated.", nil
}

// parseRPCState reads the state of the RPC commands as Kamailio does: the
// first character is the state (a/1 active, i/0 inactive, d/2 disabled,
// t/3 trying, any case), a second p adds probing (not to disabled); the
// rest is ignored ("dx" is disabled).
func parseRPCState(s string) (int, bool) {
	probing := len(s) > 1 && (s[1] == 'p' || s[1] == 'P')
	st := 0
	switch s[0] {
	case 'a', 'A', '1':
	case 'i', 'I', '0':
		st = flagInactive
	case 'd', 'D', '2':
		return flagDisabled, true
	case 't', 'T', '3':
		st = flagTrying
	default:
		return 0, false
	}
	if probing {
		st |= flagProbing
	}
	return st, true
}

func (m *Instance) rpcPingActive(ctx context.Context, p module.RPCParams) (any, error) {
	old := 0
	if m.pingActive.Load() {
		old = 1
	}
	if p.Len() == 0 {
		return map[string]any{"OldPingState": old}, nil
	}
	v, err := p.Int(0)
	if err != nil {
		return nil, err
	}
	m.pingActive.Store(v != 0)
	nv := 0
	if v != 0 {
		nv = 1
	}
	return map[string]any{"NewPingState": nv, "OldPingState": old}, nil
}

// rpcAdd adds a destination in memory (the list file or table is not
// changed); the sets are rebuilt, the states of the others kept.
func (m *Instance) rpcAdd(ctx context.Context, p module.RPCParams) (any, error) {
	g, err := p.Int(0)
	if err != nil {
		return nil, err
	}
	uri, err := p.Str(1)
	if err != nil {
		return nil, err
	}
	flags, err := p.OptInt(2, 0)
	if err != nil {
		return nil, err
	}
	prio, err := p.OptInt(3, 0)
	if err != nil {
		return nil, err
	}
	attrs, err := p.OptStr(4, "")
	if err != nil {
		return nil, err
	}
	e := entry{setid: int(g), uri: uri, flags: int(flags), priority: int(prio), attrs: attrs, where: "dispatcher.add"}
	if err := m.edit(ctx, func(es []entry) []entry { return append(es, e) }); err != nil {
		return nil, module.RPCErrorf(500, "Error adding dispatcher destination: %v", err)
	}
	return "Ok. Dispatcher destination added.", nil
}

func (m *Instance) rpcRemove(ctx context.Context, p module.RPCParams) (any, error) {
	g, err := p.Int(0)
	if err != nil {
		return nil, err
	}
	uri, err := p.Str(1)
	if err != nil {
		return nil, err
	}
	found := false
	err = m.edit(ctx, func(es []entry) []entry {
		out := es[:0]
		for _, e := range es {
			if e.setid == int(g) && strings.EqualFold(e.uri, uri) {
				found = true
				continue
			}
			out = append(out, e)
		}
		return out
	})
	if err != nil || !found {
		return nil, module.RPCErrorf(500, "Error deleting dispatcher destination")
	}
	return "Ok. Dispatcher destination removed.", nil
}

// edit rebuilds the sets from the current ones changed by f, keeping
// the state of the destinations that stay.
func (m *Instance) edit(ctx context.Context, f func([]entry) []entry) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	old := m.data.Load()
	var es []entry
	if old != nil {
		// Back to load order: the sets hold highest priority first,
		// equal priorities reversed.
		for _, s := range old.sets {
			s.mu.Lock()
			for i := len(s.dests) - 1; i >= 0; i-- {
				d := s.dests[i]
				es = append(es, entry{setid: s.id, uri: d.uri, flags: d.flags, priority: d.priority, attrs: d.attrs.body, desc: d.desc, where: "dispatcher set"})
			}
			s.mu.Unlock()
		}
	}
	es = f(es)
	l, err := buildLists(ctx, es, net.DefaultResolver)
	if err != nil {
		return err
	}
	if old != nil {
		keepOverload(old, l)
	}
	m.data.Store(l)
	return nil
}

// keepOverload carries the overload control state of the destinations
// that stay over a dispatcher.add or dispatcher.remove (Kamailio 5.8
// copies it too); a reload starts afresh.
func keepOverload(old, l *lists) {
	for _, s := range l.sets {
		prev := old.byID[s.id]
		if prev == nil {
			continue
		}
		prev.mu.Lock()
		for _, d := range s.dests {
			for _, o := range prev.dests {
				if o.uri == d.uri {
					d.oc = o.oc
					break
				}
			}
		}
		prev.mu.Unlock()
	}
}

func (m *Instance) rpcHash(ctx context.Context, p module.RPCParams) (any, error) {
	n, err := p.Int(0)
	if err != nil {
		return nil, err
	}
	v1, err := p.Str(1)
	if err != nil {
		return nil, err
	}
	var k2 []byte
	if p.Len() > 2 {
		v2, _ := p.Str(2)
		k2 = []byte(v2)
	}
	h := dsHash([]byte(v1), k2)
	slot := uint32(0)
	if n > 0 {
		slot = h % uint32(n)
	}
	// Kamailio prints the hash as a signed int.
	return map[string]any{"hashid": int32(h), "slot": slot}, nil
}
