//go:build !linux

package transport

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
)

// Elsewhere than Linux, UDP goes through the net package's calls (see
// udp_raw_linux.go for why Linux does not).

type rawUDPReader struct{}

func newRawUDPReader(*net.UDPConn, []byte) (*rawUDPReader, error) {
	return nil, errors.ErrUnsupported
}

func (*rawUDPReader) read() ([]byte, netip.AddrPort, error) {
	return nil, netip.AddrPort{}, errors.ErrUnsupported
}

func rawConns([]*net.UDPConn) []syscall.RawConn { return nil }

func writeRawUDP(syscall.RawConn, []byte, netip.AddrPort, bool) error {
	return errors.ErrUnsupported
}
