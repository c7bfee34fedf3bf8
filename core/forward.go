package core

import (
	"context"
	"errors"
	"net"
	"net/netip"

	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// ErrNotForUs is returned by ForwardReply when the reply's top Via is not
// this server's: such a reply is dropped (RFC 3261 16.7 / 18.1.2).
var ErrNotForUs = errors.New("core: reply's top Via is not ours")

// ForwardReply forwards a reply statelessly (RFC 3261 16.11): it removes
// the top Via, which must be ours, and sends the reply to the next Via's
// address per RFC 3261 18.2.2 and RFC 3581 (received, rport, sent-by,
// maddr is not supported), over that Via's transport.
func ForwardReply(ctx context.Context, h *Host, resp *Msg) error {
	top, err := resp.TopVia()
	if err != nil {
		return err
	}
	if !h.IsMyself(string(top.Host), top.Port) {
		return ErrNotForUs
	}
	it := resp.Values(sip.HdrVia)
	first, _ := it.Next()
	second, ok := it.Next()
	if !ok {
		return errors.New("core: reply has no Via left to forward to")
	}
	next, err := sip.ParseVia(second.Bytes)
	if err != nil {
		return err
	}
	proto, err := transport.ParseProto(string(next.Transport))
	if err != nil {
		return err
	}
	addr, err := viaTarget(ctx, &next)
	if err != nil {
		return err
	}
	if addr.Addr().IsMulticast() || addr.Addr() == netip.IPv4Unspecified() || addr.Addr() == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		// RFC 4475 3.3.10: never answer to a broadcast address.
		return errors.New("core: refusing to send a reply to " + addr.String())
	}
	resp.RemoveValue(first)
	if proto.Stream() {
		resp.EnsureContentLength()
	}
	resp.out = resp.AppendTo(resp.out[:0])
	return h.Send(ctx, transport.Target{Proto: proto, Addr: addr}, resp.out)
}

// viaTarget is where a reply goes for a Via: received (or sent-by) host at
// rport (or sent-by port, or 5060).
func viaTarget(ctx context.Context, v *sip.Via) (netip.AddrPort, error) {
	host := string(v.Received)
	if host == "" {
		host = string(v.Host)
	}
	if len(host) > 1 && host[0] == '[' {
		host = host[1 : len(host)-1]
	}
	port := v.Port
	if len(v.RPort) > 0 {
		if p, ok := parsePort(v.RPort); ok {
			port = p
		}
	}
	if port == 0 {
		port = 5060
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		ips, rerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if rerr != nil || len(ips) == 0 {
			return netip.AddrPort{}, errors.New("core: cannot resolve Via host " + host)
		}
		ip = ips[0]
	}
	return netip.AddrPortFrom(ip.Unmap(), port), nil
}

func parsePort(b []byte) (uint16, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, false
		}
	}
	return uint16(n), n > 0
}
