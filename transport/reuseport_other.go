//go:build !linux

package transport

import "syscall"

// Elsewhere SO_REUSEPORT does not balance datagrams across sockets (or does
// not exist): one socket is shared by the readers.
const reusePortSupported = false

func reusePortControl(network, address string, rc syscall.RawConn) error { return nil }
