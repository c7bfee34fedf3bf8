package usrloc

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
)

// RPCs exports Kamailio's ul.* commands with their result shapes.
func (m *Instance) RPCs() []module.RPC {
	return []module.RPC{
		{Name: "ul.dump", Doc: "list every AoR with its contacts (\"brief\": the AoRs only)", Run: m.rpcDump},
		{Name: "ul.lookup", Doc: "show the contacts of an AoR: ul.lookup table AoR", Run: m.rpcLookup},
		{Name: "ul.rm", Doc: "remove an AoR with all its contacts: ul.rm table AoR", Run: m.rpcRm},
		{Name: "ul.rm_contact", Doc: "remove one contact of an AoR: ul.rm_contact table AoR contact", Run: m.rpcRmContact},
		{Name: "ul.add", Doc: "add or update a contact: ul.add table AoR contact expires q path flags cflags methods [received [socket]]", Run: m.rpcAdd},
		{Name: "ul.flush", Doc: "run the timer now: expire contacts and write pending changes to the database", Run: m.rpcFlush},
	}
}

const notSet = "[not set]"

func orNotSet(s string) string {
	if s == "" {
		return notSet
	}
	return s
}

// contactInfo is the Contact struct of ul.dump and ul.lookup.
func contactInfo(c *Contact, now int64) map[string]any {
	var expires any
	switch {
	case c.Expires == 0:
		expires = "permanent"
	case c.Expires <= now:
		expires = "expired"
	default:
		expires = c.Expires - now
	}
	var q any = -1
	if c.Q != QUnset {
		q = float64(c.Q) / 1000
	}
	state := "CS_NEW"
	if int(c.State) < len(stateNames) {
		state = stateNames[c.State]
	}
	return map[string]any{"Contact": map[string]any{
		"Address":        c.Address,
		"Expires":        expires,
		"Q":              q,
		"Call-ID":        c.CallID,
		"CSeq":           c.CSeq,
		"User-Agent":     c.UserAgent,
		"Received":       orNotSet(c.Received),
		"Path":           orNotSet(c.Path),
		"State":          state,
		"Flags":          c.Flags,
		"CFlags":         c.CFlags,
		"Socket":         orNotSet(c.Socket),
		"Methods":        c.Methods,
		"Ruid":           c.RUID,
		"Instance":       orNotSet(c.Instance),
		"Reg-Id":         c.RegID,
		"Server-Id":      c.ServerID,
		"Tcpconn-Id":     c.ConnID,
		"Keepalive":      c.Keepalive,
		"Last-Keepalive": c.LastKeepalive,
		"KA-Roundtrip":   0,
		"Last-Modified":  c.LastModified,
	}}
}

func contactList(r *Record, now int64) []any {
	out := make([]any, 0, len(r.Contacts))
	for i := range r.Contacts {
		out = append(out, contactInfo(&r.Contacts[i], now))
	}
	return out
}

func (m *Instance) rpcDump(ctx context.Context, p module.RPCParams) (any, error) {
	brief := false
	if p.Len() > 0 {
		s, _ := p.Str(0)
		brief = s == "brief"
	}
	now := time.Now().Unix()
	m.mu.Lock()
	tables := make([]*Table, 0, len(m.tables))
	for _, t := range m.tables {
		tables = append(tables, t)
	}
	m.mu.Unlock()
	domains := make([]any, 0, len(tables))
	for _, t := range tables {
		aors := []any{}
		records, maxSlot := 0, 0
		for i := range t.shards {
			sh := &t.shards[i]
			sh.mu.Lock()
			if n := len(sh.aors); n > maxSlot {
				maxSlot = n
			}
			for _, r := range sh.aors {
				records++
				info := map[string]any{"AoR": r.AoR}
				if !brief {
					info["HashID"] = HashID(r.AoR)
					info["Contacts"] = contactList(r, now)
				}
				aors = append(aors, map[string]any{"Info": info})
			}
			sh.mu.Unlock()
		}
		domains = append(domains, map[string]any{"Domain": map[string]any{
			"Domain": t.Name,
			"Size":   t.Size(),
			"AoRs":   aors,
			"Stats":  map[string]any{"Records": records, "Max-Slots": maxSlot},
		}})
	}
	return map[string]any{"Domains": domains}, nil
}

// tableAoR reads the table and AoR parameters; without use_domain the
// domain part of the AoR is dropped, as registrar stores AoRs.
func (m *Instance) tableAoR(p module.RPCParams) (*Table, string, error) {
	name, err := p.Str(0)
	if err != nil {
		return nil, "", err
	}
	aor, err := p.Str(1)
	if err != nil {
		return nil, "", err
	}
	t := m.LookupTable(name)
	if t == nil {
		return nil, "", module.RPCErrorf(500, "table %q not found", name)
	}
	aor = strings.TrimPrefix(strings.TrimPrefix(aor, "sip:"), "sips:")
	if m.UseDomain == 0 {
		aor, _ = SplitAoR(aor)
	}
	if aor == "" {
		return nil, "", module.RPCErrorf(400, "empty AoR")
	}
	return t, aor, nil
}

func (m *Instance) rpcLookup(ctx context.Context, p module.RPCParams) (any, error) {
	t, aor, err := m.tableAoR(p)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = t.View(aor, func(r *Record) {
		if r != nil && len(r.Contacts) > 0 {
			out = map[string]any{"AoR": r.AoR, "Contacts": contactList(r, time.Now().Unix())}
		}
	})
	if err != nil {
		return nil, module.RPCErrorf(500, "lookup failed: %v", err)
	}
	if out == nil {
		return nil, module.RPCErrorf(404, "AOR not found in location table")
	}
	return out, nil
}

func (m *Instance) rpcRm(ctx context.Context, p module.RPCParams) (any, error) {
	t, aor, err := m.tableAoR(p)
	if err != nil {
		return nil, err
	}
	if _, err := t.Delete(aor); err != nil {
		return nil, module.RPCErrorf(500, "failed to delete AOR: %v", err)
	}
	return nil, nil
}

func (m *Instance) rpcRmContact(ctx context.Context, p module.RPCParams) (any, error) {
	t, aor, err := m.tableAoR(p)
	if err != nil {
		return nil, err
	}
	contact, err := p.Str(2)
	if err != nil {
		return nil, err
	}
	found, aorFound := false, false
	err = t.Update(aor, func(r *Record) error {
		aorFound = len(r.Contacts) > 0
		for i := range r.Contacts {
			if r.Contacts[i].Address == contact {
				r.Remove(i)
				found = true
				return nil
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, module.RPCErrorf(500, "failed to delete contact: %v", err)
	case !aorFound:
		return nil, module.RPCErrorf(404, "AOR not found")
	case !found:
		return nil, module.RPCErrorf(404, "Contact not found")
	}
	return nil, nil
}

// unsetParam reports whether an optional ul.add string is "." or "0"
// (kamcmd's way of leaving it out).
func unsetParam(s string) bool { return s == "" || s == "." || s == "0" }

func (m *Instance) rpcAdd(ctx context.Context, p module.RPCParams) (any, error) {
	t, aor, err := m.tableAoR(p)
	if err != nil {
		return nil, err
	}
	var c Contact
	if c.Address, err = p.Str(2); err != nil {
		return nil, err
	}
	expires, err := p.Int(3)
	if err != nil {
		return nil, err
	}
	qs, err := p.Str(4)
	if err != nil {
		return nil, err
	}
	q, err := strconv.ParseFloat(qs, 64)
	if err != nil || q < -1 || q > 1 {
		return nil, module.RPCErrorf(400, "bad q value %q", qs)
	}
	path, err := p.Str(5)
	if err != nil {
		return nil, err
	}
	flags, err := p.Int(6)
	if err != nil {
		return nil, err
	}
	cflags, err := p.Int(7)
	if err != nil {
		return nil, err
	}
	methods, err := p.Int(8)
	if err != nil {
		return nil, err
	}
	received, _ := p.OptStr(9, "")
	socket, _ := p.OptStr(10, "")
	now := time.Now()
	if expires > 0 {
		c.Expires = now.Unix() + expires
	}
	c.Q = int32(q*1000 + 0.5)
	if q < 0 {
		c.Q = QUnset
	}
	if !unsetParam(path) {
		c.Path = path
	}
	if !unsetParam(received) {
		c.Received = received
	}
	if !unsetParam(socket) {
		c.Socket = socket
	}
	c.Flags, c.CFlags, c.Methods = uint32(flags), uint32(cflags), int32(methods)
	// Contacts added by RPC have a fixed Call-ID and User-Agent, as in
	// Kamailio (whose values differ).
	c.CallID = "ul.add@olelo.rpc"
	c.CSeq = 1
	c.UserAgent = "olelo RPC"
	c.ConnID = -1
	c.ServerID = int32(m.ServerID)
	c.LastModified, c.LastKeepalive = now.Unix(), now.Unix()
	err = t.Update(aor, func(r *Record) error {
		if i := r.Find(c.Address, c.CallID, c.Path); i >= 0 {
			r.Update(i, c)
		} else {
			r.Insert(c)
		}
		return nil
	})
	if err != nil {
		return nil, module.RPCErrorf(500, "failed to add contact: %v", err)
	}
	return nil, nil
}

func (m *Instance) rpcFlush(ctx context.Context, p module.RPCParams) (any, error) {
	m.RunTimer()
	return nil, nil
}
