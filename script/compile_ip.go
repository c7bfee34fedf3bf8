package script

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
)

// myselfCompare compiles "X == myself" / "X != myself".
func (c *compiler) myselfCompare(b *Binary, other Expr) (cexpr, bool) {
	var ne bool
	switch b.Op {
	case OpEq, OpStrEq:
	case OpNe, OpStrNe:
		ne = true
	default:
		c.errorf(b.Pos, "myself can only be compared with == or !=, not %s", b.Op)
		return badExpr, false
	}
	var test func(ctx *module.Ctx) bool
	if k, ok := other.(*Keyword); ok {
		switch k.Name {
		case "uri", "status":
			test = func(ctx *module.Ctx) bool {
				u, err := currentURI(ctx)
				return err == nil && uriIsMyself(ctx, u)
			}
		case "from_uri", "to_uri":
			from := k.Name == "from_uri"
			test = func(ctx *module.Ctx) bool {
				na, ok := addrParsed(ctx, from)
				return ok && uriIsMyself(ctx, &na.URI)
			}
		case "src_ip", "dst_ip":
			src := k.Name == "src_ip"
			test = func(ctx *module.Ctx) bool {
				if ctx.Msg == nil || ctx.Host == nil {
					return false
				}
				a := ctx.Msg.Local.Addr()
				if src {
					a = ctx.Msg.Remote.Addr()
				}
				return ctx.Host.IsMyself(a.Unmap().String(), 0)
			}
		case "myself":
			c.errorf(b.Pos, "myself == myself compares nothing")
			return badExpr, false
		default:
			c.errorf(k.Pos, "%s cannot be compared with myself (use uri, from_uri, to_uri, src_ip or dst_ip)", k.Name)
			return badExpr, false
		}
	} else {
		x, ok := c.expr(other)
		if !ok {
			return badExpr, false
		}
		xf := x.fn
		test = func(ctx *module.Ctx) bool {
			v, err := xf(ctx)
			if err != nil || v.IsNull() || ctx.Host == nil {
				return false
			}
			return valueIsMyself(ctx, v.String())
		}
	}
	return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
		return boolValue(test(ctx) != ne), nil
	}}, true
}

// valueIsMyself checks a string that is a URI or a host[:port].
func valueIsMyself(ctx *module.Ctx, s string) bool {
	if strings.Contains(s, ":") && (strings.HasPrefix(strings.ToLower(s), "sip") || strings.HasPrefix(strings.ToLower(s), "tel")) {
		if u, err := sip.ParseURI([]byte(s)); err == nil {
			return uriIsMyself(ctx, &u)
		}
	}
	host, port := s, uint16(0)
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err == nil {
			host, port = h, uint16(n)
		}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return ctx.Host.IsMyself(host, port)
}

// ipMatcher tests an address against an address, a network or the
// addresses of a host name.
type ipMatcher struct {
	prefix netip.Prefix // valid for an address or network
	host   string       // a host name, resolved on first use
	once   sync.Once
	addrs  []netip.Addr
}

func (m *ipMatcher) match(a netip.Addr) bool {
	a = a.Unmap()
	if m.prefix.IsValid() {
		return m.prefix.Contains(a)
	}
	m.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", m.host)
		if err == nil {
			for _, ip := range ips {
				m.addrs = append(m.addrs, ip.Unmap())
			}
		}
	})
	for _, x := range m.addrs {
		if x == a {
			return true
		}
	}
	return false
}

// parseIPOrNet parses "1.2.3.4", "10.0.0.0/8", "10.0.0.0/255.0.0.0",
// "[2001:db8::1]" and "2001:db8::/32".
func parseIPOrNet(addr, mask string) (netip.Prefix, bool) {
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if mask == "" {
		if a, m, ok := strings.Cut(addr, "/"); ok {
			addr, mask = a, m
		}
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	bits := a.BitLen()
	if mask != "" {
		if n, err := strconv.Atoi(mask); err == nil {
			bits = n
		} else if m, err := netip.ParseAddr(mask); err == nil && m.Is4() {
			b4 := m.As4()
			v := uint32(b4[0])<<24 | uint32(b4[1])<<16 | uint32(b4[2])<<8 | uint32(b4[3])
			bits = 0
			for v&(1<<31) != 0 {
				bits++
				v <<= 1
			}
		} else {
			return netip.Prefix{}, false
		}
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p, true
}

// ipCompare compiles src_ip / dst_ip compared with an address, a network,
// a host name or an expression.
func (c *compiler) ipCompare(b *Binary, kw *Keyword, other Expr, op Op) (cexpr, bool) {
	var get func(ctx *module.Ctx) (netip.Addr, bool)
	switch kw.Name {
	case "src_ip":
		get = func(ctx *module.Ctx) (netip.Addr, bool) {
			if ctx.Msg == nil {
				return netip.Addr{}, false
			}
			return ctx.Msg.Remote.Addr(), true
		}
	case "dst_ip":
		get = func(ctx *module.Ctx) (netip.Addr, bool) {
			if ctx.Msg == nil {
				return netip.Addr{}, false
			}
			return ctx.Msg.Local.Addr(), true
		}
	default: // snd_ip, to_ip: not known (onsend_route is not run)
		get = func(*module.Ctx) (netip.Addr, bool) { return netip.Addr{}, false }
	}
	var ne bool
	switch op {
	case OpEq, OpStrEq:
	case OpNe, OpStrNe:
		ne = true
	case OpMatch:
		x, ok1 := c.expr(kw)
		y, ok2 := c.expr(other)
		if !ok1 || !ok2 {
			return badExpr, false
		}
		return c.genericCompare(b, op, x, y)
	default:
		c.errorf(b.Pos, "%s can only be compared with ==, != or =~, not %s", kw.Name, op)
		return badExpr, false
	}
	var m *ipMatcher
	switch v := other.(type) {
	case *IPLit:
		p, ok := parseIPOrNet(v.Addr, v.Mask)
		if !ok {
			c.errorf(v.Pos, "bad address or network %s", ipText(v))
			return badExpr, false
		}
		m = &ipMatcher{prefix: p}
	case *Ident:
		if p, ok := parseIPOrNet(v.Name, ""); ok {
			m = &ipMatcher{prefix: p}
		} else {
			m = &ipMatcher{host: v.Name}
		}
	case *StrLit:
		if p, ok := parseIPOrNet(v.Value, ""); ok {
			m = &ipMatcher{prefix: p}
		} else {
			m = &ipMatcher{host: v.Value}
		}
	}
	if m != nil {
		return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
			a, ok := get(ctx)
			return boolValue((ok && m.match(a)) != ne), nil
		}}, true
	}
	y, ok := c.expr(other)
	if !ok {
		return badExpr, false
	}
	yf := y.fn
	return cexpr{typ: tInt, fn: func(ctx *module.Ctx) (module.Value, error) {
		r, err := yf(ctx)
		if err != nil {
			return r, err
		}
		a, ok := get(ctx)
		hit := false
		if ok {
			if p, isIP := parseIPOrNet(r.String(), ""); isIP {
				hit = p.Contains(a.Unmap())
			}
		}
		return boolValue(hit != ne), nil
	}}, true
}
