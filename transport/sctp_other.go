//go:build !(sctp && linux)

package transport

import (
	"errors"
	"fmt"
	"net/netip"
)

const sctpBuilt = false

var errNoSCTP = errors.New("olelo was built without SCTP support (build tag sctp)")

type sctpSocket struct{}

func (*sctpSocket) close() {}

func listenSCTP(netip.AddrPort) (*sctpSocket, netip.AddrPort, error) {
	return nil, netip.AddrPort{}, errNoSCTP
}

func (m *Manager) readSCTP(l *Listener) { m.wg.Done() }

func (m *Manager) sendSCTP(t Target, _ []byte) error {
	return fmt.Errorf("transport: send sctp %s: %w", t.Addr, errNoSCTP)
}
