package registrar

import (
	"fmt"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/usrloc"
)

// ulcKey keys a fetched profile in Ctx.Store.
type ulcKey struct{ profile string }

// fetched is a profile filled by reg_fetch_contacts.
type fetched struct {
	aor, domain string
	hash        uint32
	contacts    []usrloc.Contact
}

// runFetch is reg_fetch_contacts(table, uri, profile): 1 when the AoR
// has contacts, -1 when it has none (the profile then has count 0).
func (m *Instance) runFetch(c *module.Ctx, args []*module.Arg) int {
	t, err := m.table(c, args[0])
	if err != nil {
		logger(c).Error("registrar: reg_fetch_contacts", "err", err)
		return -1
	}
	uri, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	profile, err := args[2].GetStr(c)
	if err != nil || profile == "" {
		return -1
	}
	aor, err := m.aorOf(uri)
	if err != nil {
		logger(c).Info("registrar: reg_fetch_contacts: bad URI", "uri", uri, "err", err)
		return -1
	}
	user, domain := aor, ""
	if m.ul.UseDomainEnabled() {
		user, domain = usrloc.SplitAoR(aor)
	}
	f := &fetched{aor: user, domain: domain, hash: usrloc.HashID(aor)}
	for _, uc := range t.Get(aor) {
		if uc.Valid(nowUnix()) {
			f.contacts = append(f.contacts, uc)
		}
	}
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[ulcKey{profile}] = f
	if len(f.contacts) == 0 {
		return -1
	}
	return 1
}

// runFree is reg_free_contacts(profile): 1.
func (m *Instance) runFree(c *module.Ctx, args []*module.Arg) int {
	profile, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	delete(c.Store, ulcKey{profile})
	return 1
}

// ulcPV is $ulc(profile=>attr).
type ulcPV struct {
	profile, attr string
}

var ulcAttrs = map[string]bool{
	"aor": true, "domain": true, "aorhash": true, "count": true, "addr": true, "path": true, "received": true,
	"expires": true, "callid": true, "q": true, "cseq": true, "flags": true, "cflags": true, "user_agent": true,
	"socket": true, "modified": true, "methods": true, "ruid": true, "regid": true, "instance": true,
	"conid": true, "server_id": true,
}

func newULCPV(arg string) (module.PV, error) {
	profile, attr, ok := strings.Cut(arg, "=>")
	profile, attr = strings.TrimSpace(profile), strings.TrimSpace(attr)
	if !ok || profile == "" {
		return nil, fmt.Errorf("$ulc(%s): want $ulc(profile=>attribute)", arg)
	}
	if !ulcAttrs[attr] {
		return nil, fmt.Errorf("$ulc(%s): unknown attribute %q", arg, attr)
	}
	return &ulcPV{profile: profile, attr: attr}, nil
}

// Get returns the attribute of the first contact.
func (p *ulcPV) Get(c *module.Ctx) (module.Value, error) { return p.GetAt(c, 0) }

// GetAt returns the attribute of contact idx ($(ulc(p=>addr)[idx])).
func (p *ulcPV) GetAt(c *module.Ctx, idx int) (module.Value, error) {
	f, _ := c.Store[ulcKey{p.profile}].(*fetched)
	if f == nil {
		return module.Null, nil
	}
	switch p.attr {
	case "aor":
		return module.StrValue(f.aor), nil
	case "domain":
		if f.domain == "" {
			return module.Null, nil
		}
		return module.StrValue(f.domain), nil
	case "aorhash":
		return module.IntValue(int64(f.hash)), nil
	case "count":
		return module.IntValue(int64(len(f.contacts))), nil
	}
	if idx < 0 {
		idx += len(f.contacts)
	}
	if idx < 0 || idx >= len(f.contacts) {
		return module.Null, nil
	}
	uc := &f.contacts[idx]
	str := func(s string) (module.Value, error) {
		if s == "" {
			return module.Null, nil
		}
		return module.StrValue(s), nil
	}
	switch p.attr {
	case "addr":
		return str(uc.Address)
	case "path":
		return str(uc.Path)
	case "received":
		return str(uc.Received)
	case "expires":
		return module.IntValue(uc.Expires), nil
	case "callid":
		return str(uc.CallID)
	case "q":
		return module.IntValue(int64(uc.Q)), nil
	case "cseq":
		return module.IntValue(int64(uc.CSeq)), nil
	case "flags":
		return module.IntValue(int64(uc.Flags)), nil
	case "cflags":
		return module.IntValue(int64(uc.CFlags)), nil
	case "user_agent":
		return str(uc.UserAgent)
	case "socket":
		return str(uc.Socket)
	case "modified":
		return module.IntValue(uc.LastModified), nil
	case "methods":
		return module.IntValue(int64(uc.Methods)), nil
	case "ruid":
		return str(uc.RUID)
	case "regid":
		return module.IntValue(int64(uc.RegID)), nil
	case "instance":
		return str(uc.Instance)
	case "conid":
		return module.IntValue(int64(uc.ConnID)), nil
	case "server_id":
		return module.IntValue(int64(uc.ServerID)), nil
	}
	return module.Null, nil
}

func nowUnix() int64 { return time.Now().Unix() }
