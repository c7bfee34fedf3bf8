package permissions

import (
	"context"
	"time"

	"github.com/olelo-sip/olelo/module"
)

// RPCs lists the module's control commands (Kamailio's names and result
// shapes).
func (m *Instance) RPCs() []module.RPC {
	return []module.RPC{
		{Name: "permissions.addressReload", Doc: "reload the address table", Run: m.rpcAddressReload},
		{Name: "permissions.addressDump", Doc: "list the exact addresses of the address table", Run: m.rpcAddressDump},
		{Name: "permissions.subnetDump", Doc: "list the subnets of the address table", Run: m.rpcSubnetDump},
		{Name: "permissions.domainDump", Doc: "list the domain names of the address table", Run: m.rpcDomainDump},
		{Name: "permissions.trustedReload", Doc: "reload the trusted table", Run: m.rpcTrustedReload},
		{Name: "permissions.trustedDump", Doc: "list the trusted table", Run: m.rpcTrustedDump},
		{Name: "permissions.testUri", Doc: "check a URI and Contact pair against basename.allow/basename.deny", Run: m.rpcTestURI},
		{Name: "permissions.allowUri", Doc: "same as permissions.testUri", Run: m.rpcTestURI},
	}
}

// reloadAllowed applies reload_delta: two reloads of the same table less
// than reload_delta seconds apart are refused, as in Kamailio, so that a
// loop of reload commands cannot keep the database busy.
func (m *Instance) reloadAllowed(what string) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	now := time.Now()
	if last, ok := m.lastReload[what]; ok && m.ReloadDelta > 0 && now.Sub(last) < time.Duration(m.ReloadDelta)*time.Second {
		return module.RPCErrorf(500, "ongoing reload: the %s table was reloaded less than %d s ago (reload_delta)", what, m.ReloadDelta)
	}
	if m.lastReload == nil {
		m.lastReload = map[string]time.Time{}
	}
	m.lastReload[what] = now
	return nil
}

func (m *Instance) rpcAddressReload(ctx context.Context, _ module.RPCParams) (any, error) {
	if m.LoadBackends&1 == 0 || (m.AddressFile == "" && m.DBURL == "") {
		return nil, module.RPCErrorf(500, "Reload failed: the address table is not in use (set db_url or address_file)")
	}
	if err := m.reloadAllowed("address"); err != nil {
		return nil, err
	}
	t, err := m.loadAddresses(ctx)
	if err != nil {
		return nil, module.RPCErrorf(500, "Reload failed, the old table is kept: %v", err)
	}
	m.addr.Store(t)
	return "Reload OK", nil
}

func (m *Instance) rpcTrustedReload(ctx context.Context, _ module.RPCParams) (any, error) {
	if m.LoadBackends&2 == 0 || m.DBURL == "" {
		return nil, module.RPCErrorf(500, "Reload failed: the trusted table is not in use (set db_url)")
	}
	if m.DBMode != 1 {
		return nil, module.RPCErrorf(500, "Reload failed: the trusted table is not cached (db_mode 0 reads it on every call)")
	}
	if err := m.reloadAllowed("trusted"); err != nil {
		return nil, err
	}
	t, err := m.loadTrusted(ctx)
	if err != nil {
		return nil, module.RPCErrorf(500, "Reload failed, the old table is kept: %v", err)
	}
	m.trusted.Store(t)
	return "Reload OK", nil
}

// addressItems lists the exact entries in group order.
func (t *addressTable) exactEntries() []addrEntry {
	if t == nil {
		return nil
	}
	var out []addrEntry
	for _, es := range t.byIP {
		out = append(out, es...)
	}
	sortEntries(out)
	return out
}

func (m *Instance) rpcAddressDump(ctx context.Context, _ module.RPCParams) (any, error) {
	out := []any{}
	for i, e := range m.addr.Load().exactEntries() {
		out = append(out, map[string]any{
			"table": i, "group": e.group,
			"item": map[string]any{"ip": e.prefix.Addr().String(), "port": e.port, "tag": e.tag},
		})
	}
	return out, nil
}

func (m *Instance) rpcSubnetDump(ctx context.Context, _ module.RPCParams) (any, error) {
	out := []any{}
	if t := m.addr.Load(); t != nil {
		for i, e := range t.subnets {
			out = append(out, map[string]any{
				"id": i, "group": e.group,
				"item": map[string]any{"ip": e.prefix.Addr().String(), "mask": e.prefix.Bits(), "port": e.port, "tag": e.tag},
			})
		}
	}
	return out, nil
}

func (m *Instance) rpcDomainDump(ctx context.Context, _ module.RPCParams) (any, error) {
	out := []any{}
	if t := m.addr.Load(); t != nil {
		for i, e := range t.domains {
			out = append(out, map[string]any{
				"table": i, "group": e.group,
				"item": map[string]any{"domain_name": e.domain, "port": e.port, "tag": e.tag},
			})
		}
	}
	return out, nil
}

func (m *Instance) rpcTrustedDump(ctx context.Context, _ module.RPCParams) (any, error) {
	if m.DBMode != 1 {
		return nil, module.RPCErrorf(500, "the trusted table is not cached (db_mode 0)")
	}
	out := []any{}
	if t := m.trusted.Load(); t != nil {
		for i, e := range t.all {
			out = append(out, map[string]any{
				"table": i,
				"item": map[string]any{
					"ip": e.srcIP, "proto": e.proto, "pattern": e.fromRaw, "ruri_pattern": e.ruriRaw,
					"tag": e.tag, "priority": e.priority,
				},
			})
		}
	}
	return out, nil
}

// rpcTestURI checks a (URI, Contact) pair against a basename's files,
// which must have been loaded by the configuration (as in Kamailio).
func (m *Instance) rpcTestURI(ctx context.Context, p module.RPCParams) (any, error) {
	base, err := p.Str(0)
	if err != nil {
		return nil, err
	}
	uri, err := p.Str(1)
	if err != nil {
		return nil, err
	}
	contact, err := p.Str(2)
	if err != nil {
		return nil, err
	}
	m.ruleMu.Lock()
	rs, ok := m.ruleSets[base]
	m.ruleMu.Unlock()
	if !ok {
		return nil, module.RPCErrorf(404, "rule files %q are not used by the configuration", base)
	}
	if rs.empty() || rs.check(uri, contact) {
		return "Allowed", nil
	}
	return "Denied", nil
}
