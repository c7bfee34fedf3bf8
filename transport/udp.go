package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

func (m *Manager) bindUDP(ctx context.Context, l *Listener) error {
	nw := network("udp", l.spec.Addr.Addr())
	n := m.cfg.UDPReaders
	if !reusePortSupported {
		n = 1
	}
	var lc net.ListenConfig
	if n > 1 {
		if l.spec.Addr.Port() != 0 {
			// SO_REUSEPORT would let us share a port that another
			// process (of the same user) already holds, splitting the
			// traffic silently. Probe with a plain bind first.
			probe, err := lc.ListenPacket(ctx, nw, l.spec.Addr.String())
			if err != nil {
				return err
			}
			probe.Close()
		}
		lc.Control = reusePortControl
	}
	first, err := lc.ListenPacket(ctx, nw, l.spec.Addr.String())
	if err != nil {
		return err
	}
	uc := first.(*net.UDPConn)
	l.udp = append(l.udp, uc)
	l.addr = addrPortOf(uc.LocalAddr())
	for i := 1; i < n; i++ {
		pc, err := lc.ListenPacket(ctx, nw, l.addr.String())
		if err != nil {
			for _, c := range l.udp {
				c.Close()
			}
			l.udp = nil
			return fmt.Errorf("SO_REUSEPORT socket %d: %w", i+1, err)
		}
		l.udp = append(l.udp, pc.(*net.UDPConn))
	}
	for _, c := range l.udp {
		// Best effort: room for bursts. The kernel caps it at rmem_max.
		_ = c.SetReadBuffer(4 << 20)
	}
	l.udpRaw = rawConns(l.udp)
	l.udpV6 = !l.addr.Addr().Is4()
	return nil
}

func (m *Manager) serveUDP(l *Listener) {
	readers := 1
	if len(l.udp) == 1 {
		readers = m.cfg.UDPReaders // no SO_REUSEPORT: share one socket
	}
	for _, c := range l.udp {
		for range readers {
			m.wg.Add(1)
			go m.readUDP(l, c)
		}
	}
}

// readUDP is one UDP worker: it reads a datagram into its own buffer and
// runs the handler on it before reading the next one.
func (m *Manager) readUDP(l *Listener, c *net.UDPConn) {
	defer m.wg.Done()
	max := m.cfg.MaxMessageSize
	buf := make([]byte, max+1)
	p := &Packet{Proto: ProtoUDP, Local: l.addr, Listener: l}
	errs := 0
	raw, rawErr := newRawUDPReader(c, buf)
	for {
		var (
			data []byte
			from netip.AddrPort
			err  error
		)
		if rawErr == nil {
			data, from, err = raw.read()
		} else {
			var n int
			n, from, err = c.ReadFromUDPAddrPort(buf)
			if n > 0 {
				data = buf[:n]
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) || m.ctx.Err() != nil {
				return
			}
			errs++
			m.log.Debug("transport: udp read", "listen", l.String(), "err", err)
			if errs > 10 && !m.pause(10*time.Millisecond) {
				return
			}
			continue
		}
		errs = 0
		if len(data) > max {
			m.log.Debug("transport: udp datagram too large, dropped", "listen", l.String(), "remote", from.String(), "max", max)
			continue
		}
		if onlyWhitespace(data) {
			continue // keep-alive
		}
		p.Data = data
		p.Remote = unmapAP(from)
		m.deliver(p)
		p.Data = nil
	}
}

// pause sleeps for d unless the manager is closing (then it returns false).
func (m *Manager) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func onlyWhitespace(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' && c != 0 {
			return false
		}
	}
	return true
}

func (m *Manager) sendUDP(t Target, data []byte) error {
	l := m.pickListener(ProtoUDP, t.Addr, t.Local)
	if l == nil {
		return fmt.Errorf("transport: send udp %s: %w", t.Addr, ErrNoListener)
	}
	i := 0
	if len(l.udp) > 1 {
		i = int(l.udpNext.Add(1)) % len(l.udp)
	}
	var err error
	if l.udpRaw != nil {
		err = writeRawUDP(l.udpRaw[i], data, t.Addr, l.udpV6)
	} else {
		_, err = l.udp[i].WriteToUDPAddrPort(data, t.Addr)
	}
	if err != nil {
		return fmt.Errorf("transport: send udp %s from %s: %w", t.Addr, l.addr, err)
	}
	return nil
}
