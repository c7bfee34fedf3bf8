package core

import (
	"net"
	"net/netip"
	"sync"
)

var (
	localIPsOnce sync.Once
	localIPs     []netip.Addr
)

// isLocalIP reports whether ip is configured on one of this machine's
// interfaces (what a wildcard listener answers on).
func isLocalIP(ip netip.Addr) bool {
	localIPsOnce.Do(func() {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if p, ok := netip.AddrFromSlice(n.IP); ok {
					localIPs = append(localIPs, p.Unmap())
				}
			}
		}
	})
	ip = ip.Unmap()
	for _, l := range localIPs {
		if l == ip {
			return true
		}
	}
	return false
}
