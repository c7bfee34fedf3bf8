package permissions

import (
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
)

// setTag pushes the tag of a matching entry into peer_tag_avp.
func (m *Instance) setTag(c *module.Ctx, tag string, has bool) {
	if m.tagAVP == "" || !has {
		return
	}
	if c.AVPs == nil {
		c.AVPs = map[string][]module.Value{}
	}
	s := c.AVPs[m.tagAVP]
	// A new slice, not an in-place shift: a transaction may keep a copy
	// of the old one (as pv does).
	ns := make([]module.Value, len(s)+1)
	ns[0] = module.StrValue(tag)
	copy(ns[1:], s)
	c.AVPs[m.tagAVP] = ns
}

func (m *Instance) allowSourceAddress(c *module.Ctx, args []*module.Arg) int {
	group := int64(1)
	if len(args) == 1 {
		g, err := args[0].GetInt(c)
		if err != nil {
			c.Log.Error("allow_source_address: group", "err", err)
			return -1
		}
		group = g
	}
	if c.Msg == nil {
		return -1
	}
	ip := c.Msg.Remote.Addr().Unmap().WithZone("")
	e, ok := m.addr.Load().match(group, ip, c.Msg.Remote.Port(), m.SubnetMatchMode == 1)
	if !ok {
		return -1
	}
	m.setTag(c, e.tag, e.hasTag)
	return 1
}

func (m *Instance) allowSourceAddressGroup(c *module.Ctx, args []*module.Arg) int {
	if c.Msg == nil {
		return -1
	}
	ip := c.Msg.Remote.Addr().Unmap().WithZone("")
	return int(m.addr.Load().group(ip, c.Msg.Remote.Port()))
}

// addrArgs reads the address and port arguments. A port outside 0-65535
// matches nothing (ok false).
func addrArgs(c *module.Ctx, fn string, addrArg, portArg *module.Arg) (addr string, port uint16, ok bool) {
	addr, err := addrArg.GetStr(c)
	if err != nil {
		c.Log.Error(fn+": address", "err", err)
		return "", 0, false
	}
	p, err := portArg.GetInt(c)
	if err != nil || p < 0 || p > 65535 {
		c.Log.Error(fn+": bad port", "port", p, "err", err)
		return "", 0, false
	}
	return addr, uint16(p), true
}

func (m *Instance) allowAddress(c *module.Ctx, args []*module.Arg) int {
	group, err := args[0].GetInt(c)
	if err != nil {
		c.Log.Error("allow_address: group", "err", err)
		return -1
	}
	addr, port, ok := addrArgs(c, "allow_address", args[1], args[2])
	if !ok {
		return -1
	}
	t := m.addr.Load()
	var e addrEntry
	if ip, isIP := parseIP(addr); isIP {
		e, ok = t.match(group, ip, port, m.SubnetMatchMode == 1)
	} else {
		e, ok = t.matchDomain(group, addr, port)
	}
	if !ok {
		return -1
	}
	m.setTag(c, e.tag, e.hasTag)
	return 1
}

func (m *Instance) allowAddressGroup(c *module.Ctx, args []*module.Arg) int {
	addr, port, ok := addrArgs(c, "allow_address_group", args[0], args[1])
	if !ok {
		return -1
	}
	t := m.addr.Load()
	if ip, isIP := parseIP(addr); isIP {
		return int(t.group(ip, port))
	}
	return int(t.domainGroup(addr, port))
}

// fromURI returns the URI of the From header as written.
func fromURI(c *module.Ctx) (string, bool) {
	if c.Msg == nil || c.Msg.Message == nil || !c.Msg.Has(sip.HdrFrom) {
		return "", false
	}
	na, err := c.Msg.From()
	if err != nil {
		return "", false
	}
	return string(na.URIRaw), true
}

func (m *Instance) allowTrusted(c *module.Ctx, args []*module.Arg) int {
	if c.Msg == nil || c.Msg.Message == nil {
		return -1
	}
	var src, proto string
	if len(args) >= 2 {
		var err error
		if src, err = args[0].GetStr(c); err != nil || src == "" {
			c.Log.Error("allow_trusted: source address has no value", "err", err)
			return -1
		}
		if proto, err = args[1].GetStr(c); err != nil {
			c.Log.Error("allow_trusted: protocol", "err", err)
			return -1
		}
		proto = strings.ToLower(proto)
		if proto == "none" || !knownProto(proto) {
			c.Log.Error("allow_trusted: unknown protocol", "proto", proto)
			return -1
		}
	} else {
		src = c.Msg.Remote.Addr().Unmap().WithZone("").String()
		proto = c.Msg.Proto.String()
	}
	var from string
	if len(args) == 3 {
		var err error
		if from, err = args[2].GetStr(c); err != nil {
			c.Log.Error("allow_trusted: URI", "err", err)
			return -1
		}
	} else if c.Msg.IsRequest() {
		f, ok := fromURI(c)
		if !ok {
			c.Log.Error("allow_trusted: no parsable From header")
			return -1
		}
		from = f
	}
	ruri := string(c.Msg.RequestURIBytes())

	var entries []trustedEntry
	if m.DBMode == 1 {
		t := m.trusted.Load()
		if t == nil {
			return -1
		}
		entries = t.bySrc[src]
	} else {
		if m.db() == nil {
			return -1
		}
		var err error
		if entries, err = m.queryTrusted(c.Context, src); err != nil {
			c.Log.Error("allow_trusted", "err", err)
			return -1
		}
	}
	n := matchTrusted(entries, proto, from, ruri, m.PeerTagMode == 1, func(e *trustedEntry) {
		m.setTag(c, e.tag, e.hasTag)
	})
	if n == 0 {
		return -1
	}
	return n
}

func knownProto(p string) bool {
	for _, k := range knownProtos {
		if k == p {
			return true
		}
	}
	return false
}

// plainURI is Kamailio's reduced form of a URI for rule files:
// "sip:user@host", or "sip:host" without a user; the port is added with
// withPort.
func plainURI(u *sip.URI, withPort bool) string {
	var b strings.Builder
	b.WriteString("sip:")
	if len(u.User) > 0 {
		b.Write(u.User)
		b.WriteByte('@')
	}
	b.Write(u.Host)
	if withPort && u.HasPort {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(u.Port)))
	}
	return b.String()
}

func (m *Instance) allowRouting(c *module.Ctx, args []*module.Arg) int {
	rs := m.rules(c, args)
	if rs == nil {
		return -1
	}
	if rs.empty() {
		return 1
	}
	from, ok := fromURI(c)
	if !ok {
		c.Log.Error("allow_routing: no parsable From header")
		return -1
	}
	u, err := sip.ParseURI([]byte(c.RequestURI()))
	if err != nil {
		c.Log.Error("allow_routing: Request-URI", "err", err)
		return -1
	}
	// The Request-URI is always written with its '@', even without a
	// user (Kamailio does so here, unlike for branches).
	ruri := "sip:" + string(u.User) + "@" + string(u.Host)
	allCheck := m.CheckAllBranches != 0
	if rs.allow.matches(from, ruri) {
		if !allCheck {
			return 1
		}
	} else if rs.deny.matches(from, ruri) {
		return -1
	} else if !allCheck {
		return 1
	}
	for _, br := range c.Branches {
		bu, err := sip.ParseURI([]byte(br.URI))
		if err != nil {
			c.Log.Error("allow_routing: branch URI", "uri", br.URI, "err", err)
			return -1
		}
		if !rs.check(from, plainURI(&bu, false)) {
			return -1
		}
	}
	return 1
}

func (m *Instance) allowRegister(withPort bool) func(c *module.Ctx, args []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		rs := m.rules(c, args)
		if rs == nil {
			return -1
		}
		if rs.empty() {
			return 1
		}
		if c.Msg == nil || c.Msg.Message == nil || !c.Msg.Has(sip.HdrTo) {
			c.Log.Error("allow_register: no To header")
			return -1
		}
		to, err := c.Msg.To()
		if err != nil {
			c.Log.Error("allow_register: To header", "err", err)
			return -1
		}
		toURI := string(to.URIRaw)
		// A REGISTER without Contact (a query) or with "*" (remove all)
		// changes nothing that the rules protect.
		for it := c.Msg.Values(sip.HdrContact); ; {
			v, ok := it.Next()
			if !ok {
				break
			}
			if string(v.Bytes) == "*" {
				return 1
			}
			na, err := sip.ParseNameAddr(v.Bytes)
			if err != nil {
				c.Log.Error("allow_register: Contact", "err", err)
				return -1
			}
			contact := plainURI(&na.URI, withPort)
			if rs.allow.matches(toURI, contact) && m.CheckAllBranches != 0 {
				continue
			}
			if rs.deny.matches(toURI, contact) {
				return -1
			}
		}
		return 1
	}
}

func (m *Instance) allowURI(c *module.Ctx, args []*module.Arg) int {
	rs := m.rules(c, args[:1])
	if rs == nil {
		return -1
	}
	if rs.empty() {
		return 1
	}
	from, ok := fromURI(c)
	if !ok {
		c.Log.Error("allow_uri: no parsable From header")
		return -1
	}
	uri, err := args[1].GetStr(c)
	if err != nil {
		c.Log.Error("allow_uri: URI", "err", err)
		return -1
	}
	if rs.check(from, uri) {
		return 1
	}
	return -1
}
