package pv

import (
	"net/netip"
	"strconv"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/transport"
)

// addrGetter builds a getter of the source (Remote) or receiving socket
// (Local) address of the message.
func addrGetter(local bool, f func(ap netip.AddrPort, proto transport.Proto) (module.Value, error)) getter {
	return func(c *module.Ctx) (module.Value, error) {
		if c == nil || c.Msg == nil {
			return null()
		}
		ap := c.Msg.Remote
		if local {
			ap = c.Msg.Local
		}
		if !ap.IsValid() {
			return null()
		}
		return f(ap, c.Msg.Proto)
	}
}

func ipText(ap netip.AddrPort) string { return ap.Addr().Unmap().String() }

// ipRef is the address as a URI host: IPv6 in brackets.
func ipRef(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

func addrURI(ap netip.AddrPort, proto transport.Proto, withTransport bool) string {
	s := "sip:" + ipRef(ap) + ":" + strconv.Itoa(int(ap.Port()))
	if withTransport || proto != transport.ProtoUDP {
		s += ";transport=" + proto.String()
	}
	return s
}

func init() {
	noArg("si", "source IP address", addrGetter(false, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
		return strVal(ipText(ap))
	}), "src_ip")
	noArg("siz", "source IP address, IPv6 in brackets", addrGetter(false, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
		return strVal(ipRef(ap))
	}))
	noArg("sp", "source port", addrGetter(false, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
		return intVal(int64(ap.Port()))
	}))
	noArg("su", "source as a sip: URI (transport added when not UDP)", addrGetter(false, func(ap netip.AddrPort, p transport.Proto) (module.Value, error) {
		return strVal(addrURI(ap, p, false))
	}))
	noArg("sut", "source as a sip: URI with the transport", addrGetter(false, func(ap netip.AddrPort, p transport.Proto) (module.Value, error) {
		return strVal(addrURI(ap, p, true))
	}))
	noArg("Ri", "receiving socket IP address", addrGetter(true, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
		return strVal(ipText(ap))
	}))
	noArg("Rp", "receiving socket port", addrGetter(true, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
		return intVal(int64(ap.Port()))
	}))
	noArg("Ru", "receiving socket as a sip: URI", addrGetter(true, func(ap netip.AddrPort, p transport.Proto) (module.Value, error) {
		return strVal(addrURI(ap, p, false))
	}))
	noArg("Rut", "receiving socket as a sip: URI with the transport", addrGetter(true, func(ap netip.AddrPort, p transport.Proto) (module.Value, error) {
		return strVal(addrURI(ap, p, true))
	}))
	// Advertised addresses are not configurable in olelo yet: they are
	// the real ones, which is Kamailio's fallback too.
	noArg("RAi", "advertised receiving IP (the real one)", addrGetter(true, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
		return strVal(ipText(ap))
	}))
	noArg("RAp", "advertised receiving port (the real one)", addrGetter(true, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
		return intVal(int64(ap.Port()))
	}))
	noArg("pr", "receiving protocol: udp, tcp, tls, sctp, ws, wss", func(c *module.Ctx) (module.Value, error) {
		if c == nil || c.Msg == nil || c.Msg.Proto == 0 {
			return null()
		}
		return strVal(c.Msg.Proto.String())
	}, "proto")
	noArg("prid", "receiving protocol id (Kamailio's numbering: udp 1, tcp 2, tls 3, sctp 4, ws 5, wss 6)", func(c *module.Ctx) (module.Value, error) {
		if c == nil || c.Msg == nil || c.Msg.Proto == 0 {
			return null()
		}
		return intVal(int64(c.Msg.Proto.KamailioID()))
	})
	noArg("conid", "TCP connection id (null for UDP)", func(c *module.Ctx) (module.Value, error) {
		if c == nil || c.Msg == nil || !c.Msg.Proto.Stream() {
			return null()
		}
		return intVal(int64(c.Msg.ConnID))
	})
	keyed("af", "receiving socket address family: id (2 or 10), name (IPv4 or IPv6)", map[string]getter{
		"id": addrGetter(true, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
			if ap.Addr().Unmap().Is4() {
				return intVal(2)
			}
			return intVal(10)
		}),
		"name": addrGetter(true, func(ap netip.AddrPort, _ transport.Proto) (module.Value, error) {
			if ap.Addr().Unmap().Is4() {
				return strVal("IPv4")
			}
			return strVal("IPv6")
		}),
	})
}
