//go:build sctp && linux

package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
)

// SCTP support: one one-to-many socket (SOCK_SEQPACKET, RFC 6458) per
// listener. Each received SCTP message is one SIP message (RFC 4168), so no
// stream framing is needed. Associations are set up implicitly by the
// kernel when a datagram is sent to a new peer. Multi-homing, stream
// selection and association events are not used.

const sctpBuilt = true

var errNoSCTP = errors.New("SCTP is not available")

const (
	msgNotification = 0x8000 // MSG_NOTIFICATION (linux/sctp.h)
	msgEOR          = syscall.MSG_EOR
)

type sctpSocket struct {
	f  *os.File
	rc syscall.RawConn
}

func (s *sctpSocket) close() { s.f.Close() }

func sockaddrOf(ap netip.AddrPort) syscall.Sockaddr {
	if ap.Addr().Is4() {
		return &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	sa := &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	if z := ap.Addr().Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa
}

func addrPortOfSockaddr(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		return unmapAP(netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)))
	}
	return netip.AddrPort{}
}

func listenSCTP(addr netip.AddrPort) (*sctpSocket, netip.AddrPort, error) {
	fam := syscall.AF_INET6
	if addr.Addr().Is4() {
		fam = syscall.AF_INET
	}
	fd, err := syscall.Socket(fam, syscall.SOCK_SEQPACKET|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("sctp socket: %w", err)
	}
	fail := func(what string, err error) (*sctpSocket, netip.AddrPort, error) {
		syscall.Close(fd)
		return nil, netip.AddrPort{}, fmt.Errorf("sctp %s: %w", what, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if fam == syscall.AF_INET6 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := syscall.Bind(fd, sockaddrOf(addr)); err != nil {
		return fail("bind", err)
	}
	if err := syscall.Listen(fd, 128); err != nil {
		return fail("listen", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	bound := addrPortOfSockaddr(sa)
	if bound.Addr().IsUnspecified() || !bound.Addr().IsValid() {
		bound = netip.AddrPortFrom(addr.Addr(), bound.Port())
	}
	f := os.NewFile(uintptr(fd), "sctp:"+bound.String())
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, netip.AddrPort{}, fmt.Errorf("sctp: %w", err)
	}
	return &sctpSocket{f: f, rc: rc}, bound, nil
}

func (s *sctpSocket) recv(buf []byte) (n, flags int, from syscall.Sockaddr, err error) {
	cerr := s.rc.Read(func(fd uintptr) bool {
		n, _, flags, from, err = syscall.Recvmsg(int(fd), buf, nil, 0)
		return err != syscall.EAGAIN
	})
	if cerr != nil {
		return 0, 0, nil, cerr
	}
	return n, flags, from, err
}

func (s *sctpSocket) send(data []byte, to netip.AddrPort) error {
	sa := sockaddrOf(to)
	var err error
	cerr := s.rc.Write(func(fd uintptr) bool {
		err = syscall.Sendto(int(fd), data, 0, sa)
		return err != syscall.EAGAIN
	})
	if cerr != nil {
		return cerr
	}
	return err
}

func (m *Manager) readSCTP(l *Listener) {
	defer m.wg.Done()
	max := m.cfg.MaxMessageSize
	buf := make([]byte, max+1)
	p := &Packet{Proto: ProtoSCTP, Local: l.addr, Listener: l}
	partial := false // inside a message that did not fit
	errs := 0
	for {
		n, flags, from, err := l.sctp.recv(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) || m.ctx.Err() != nil {
				return
			}
			errs++
			m.log.Debug("transport: sctp read", "listen", l.String(), "err", err)
			if errs > 10 && !m.pause(10e6) {
				return
			}
			continue
		}
		errs = 0
		if flags&msgNotification != 0 {
			continue
		}
		if flags&msgEOR == 0 || partial {
			// Too large for the buffer: drop every piece up to the end
			// of the message.
			partial = flags&msgEOR == 0
			m.log.Debug("transport: sctp message too large, dropped", "listen", l.String(), "max", max)
			continue
		}
		if n > max || onlyWhitespace(buf[:n]) {
			continue
		}
		p.Data = buf[:n]
		p.Remote = addrPortOfSockaddr(from)
		m.deliver(p)
		p.Data = nil
	}
}

func (m *Manager) sendSCTP(t Target, data []byte) error {
	l := m.pickListener(ProtoSCTP, t.Addr, t.Local)
	if l == nil {
		return fmt.Errorf("transport: send sctp %s: %w", t.Addr, ErrNoListener)
	}
	if err := l.sctp.send(data, t.Addr); err != nil {
		return fmt.Errorf("transport: send sctp %s: %w", t.Addr, err)
	}
	return nil
}
