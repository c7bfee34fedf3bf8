package dispatcher

import (
	"context"
	"math"
	"net"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

// RPCs exports Kamailio's dispatcher.* commands with its result shapes.
func (m *Instance) RPCs() []module.RPC {
	return []module.RPC{
		{Name: "dispatcher.list", Doc: "list the destination sets and the state of their destinations", Run: m.rpcList},
		{Name: "dispatcher.reload", Doc: "reload the destination sets (the old ones stay when it fails)", Run: m.rpcReload},
		{Name: "dispatcher.set_state", Doc: "set the state of a destination: state(a|i|t|d[p]) group address|all", Run: m.rpcSetState},
		{Name: "dispatcher.ping_active", Doc: "show or set (0|1) whether keepalives are sent", Run: m.rpcPingActive},
		{Name: "dispatcher.add", Doc: "add a destination (in memory): group uri [flags [priority [attrs]]]", Run: m.rpcAdd},
		{Name: "dispatcher.remove", Doc: "remove a destination (in memory): group uri", Run: m.rpcRemove},
		{Name: "dispatcher.hash", Doc: "compute the dispatcher hash: nslots val1 [val2]", Run: m.rpcHash},
	}
}

// rpcList is dispatcher.list: {NRSETS, RECORDS: [{SET: {ID, TARGETS:
// [{DEST: {URI, FLAGS, PRIORITY, ATTRS?, LATENCY?, RUNTIME?}}]}}]}, as
// Kamailio 5.6 prints it (ATTRS only for destinations with attributes,
// LATENCY with ds_ping_latency_stats, RUNTIME with ds_hash_size).
func (m *Instance) rpcList(ctx context.Context, p module.RPCParams) (any, error) {
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
			if d.attrs.body != "" {
				dst["ATTRS"] = map[string]any{
					"BODY": d.attrs.body, "DUID": nullStr(d.attrs.duid), "MAXLOAD": d.attrs.maxload,
					"WEIGHT": d.attrs.weight, "RWEIGHT": d.attrs.rweight, "SOCKET": nullStr(d.attrs.socket),
					"SOCKNAME": nullStr(d.attrs.sockname), "OBPROXY": nullStr(d.attrs.obproxy),
				}
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
	st, err := p.Str(0)
	if err != nil {
		return nil, err
	}
	g, err := p.Int(1)
	if err != nil {
		return nil, err
	}
	addr, err := p.Str(2)
	if err != nil {
		return nil, err
	}
	state, ok := parseState(st)
	if !ok {
		return nil, module.RPCErrorf(500, "Bad state value")
	}
	if !m.updateState(int(g), addr, state, stateRPC, 0, "") {
		return nil, module.RPCErrorf(500, "State update failed")
	}
	return "Ok. Dispatcher state updated.", nil
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
	m.data.Store(l)
	return nil
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
