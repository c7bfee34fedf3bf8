package core

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/transport"
)

// Host is the server as scripts and modules see it: how to send, which
// address to put in a Via, and which names are "myself". It implements
// module.Host.
type Host struct {
	tm      *transport.Manager
	aliases []hostPort
}

type hostPort struct {
	host string // lower case, IPv6 without brackets
	port uint16 // 0 = any port
}

// NewHost returns the Host for a started transport manager. aliases are
// Kamailio alias= values ("example.com", "example.com:5060").
func NewHost(tm *transport.Manager, aliases []string) *Host {
	h := &Host{tm: tm}
	for _, a := range aliases {
		name, port := a, uint16(0)
		if i := strings.LastIndexByte(a, ':'); i > 0 && !strings.HasSuffix(a, "]") {
			if p, err := strconv.ParseUint(a[i+1:], 10, 16); err == nil {
				name, port = a[:i], uint16(p)
			}
		}
		h.aliases = append(h.aliases, hostPort{host: normHost(name), port: port})
	}
	return h
}

func normHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
}

// Send sends data to t.
func (h *Host) Send(ctx context.Context, t transport.Target, data []byte) error {
	return h.tm.Send(ctx, t, data)
}

// ViaAddress returns the address to advertise for messages sent with proto
// from local: the advertise address of the listener used, else its bound
// address (for a wildcard listener, local's address when known).
func (h *Host) ViaAddress(proto transport.Proto, local netip.AddrPort) (string, uint16) {
	var best *transport.Listener
	for _, l := range h.tm.Listeners() {
		if l.Proto() != proto {
			continue
		}
		if best == nil || l.Addr() == local {
			best = l
		}
	}
	if best == nil {
		return local.Addr().String(), local.Port()
	}
	spec := best.Spec()
	addr := best.Addr()
	host, port := addr.Addr().String(), addr.Port()
	if addr.Addr().IsUnspecified() && local.Addr().IsValid() && !local.Addr().IsUnspecified() {
		host = local.Addr().String()
	}
	if addr.Addr().Is6() && !addr.Addr().Is4In6() {
		host = "[" + host + "]"
	}
	if spec.AdvertiseHost != "" {
		host = spec.AdvertiseHost
	}
	if spec.AdvertisePort != 0 {
		port = spec.AdvertisePort
	}
	return host, port
}

// IsMyself reports whether host and port name this server: a listen
// address (port 0 matches any listener port), an advertised address or an
// alias.
func (h *Host) IsMyself(host string, port uint16) bool {
	host = normHost(host)
	for _, a := range h.aliases {
		if a.host == host && (a.port == 0 || port == 0 || a.port == port) {
			return true
		}
	}
	ip, ipErr := netip.ParseAddr(host)
	for _, l := range h.tm.Listeners() {
		addr, spec := l.Addr(), l.Spec()
		portOK := func(p uint16) bool { return port == 0 || port == p }
		if spec.AdvertiseHost != "" && normHost(spec.AdvertiseHost) == host {
			p := spec.AdvertisePort
			if p == 0 {
				p = addr.Port()
			}
			if portOK(p) {
				return true
			}
		}
		if ipErr != nil || !portOK(addr.Port()) {
			continue
		}
		if addr.Addr().Unmap() == ip.Unmap() {
			return true
		}
		if addr.Addr().IsUnspecified() && (ip.IsLoopback() || isLocalIP(ip)) {
			return true
		}
	}
	return false
}
