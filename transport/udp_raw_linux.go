//go:build linux

package transport

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux, UDP datagrams are read and written with raw system calls on
// the socket's descriptor, through syscall.RawConn. The socket stays
// non-blocking and a reader still parks on the netpoller when nothing is
// waiting, but the calls themselves skip the runtime's syscall
// bookkeeping: recvfrom and sendto on a non-blocking UDP socket never
// block, and entering the scheduler's syscall state for them costs, on
// every datagram, the sysmon wakeups that a proxy's profile shows.

// udpBatch is how many datagrams one recvmmsg call can return.
const udpBatch = 8

// mmsghdr is the kernel's struct mmsghdr: a msghdr and the length
// received into it.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// rawUDPReader reads datagrams from one socket, up to udpBatch per system
// call (recvmmsg), each into its own buffer. Its read function is made
// once, so that a read allocates nothing.
//
// It cannot skip the call that finds the queue empty (EAGAIN) after a
// short batch: RawConn.Read clears the readiness the netpoller recorded
// before it calls the read function, so a datagram that arrived while the
// previous one was being handled would wait for the next one.
type rawUDPReader struct {
	rc    syscall.RawConn
	bufs  [udpBatch][]byte
	hdrs  [udpBatch]mmsghdr
	iovs  [udpBatch]unix.Iovec
	addrs [udpBatch]syscall.RawSockaddrInet6 // large enough for either family

	n, next int // datagrams in hdrs, and the next one to hand out
	errno   syscall.Errno
	fn      func(fd uintptr) bool
}

// newRawUDPReader makes a reader whose buffers are udpBatch copies of
// len(buf) bytes (buf itself is the first).
func newRawUDPReader(c *net.UDPConn, buf []byte) (*rawUDPReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rawUDPReader{rc: rc}
	for i := range r.bufs {
		if i == 0 {
			r.bufs[i] = buf
		} else {
			r.bufs[i] = make([]byte, len(buf))
		}
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(len(buf))
		h := &r.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.addrs[i]))
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
	}
	r.fn = func(fd uintptr) bool {
		for i := range r.hdrs {
			r.hdrs[i].hdr.Namelen = uint32(unsafe.Sizeof(r.addrs[i]))
			r.hdrs[i].hdr.Flags = 0
		}
		for {
			n, _, e := syscall.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), udpBatch, 0, 0, 0)
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // nothing waiting: park on the netpoller
			}
			r.n, r.next, r.errno = int(n), 0, e
			return true
		}
	}
	return r, nil
}

// read returns the next datagram (valid until the next read) and its
// source.
func (r *rawUDPReader) read() ([]byte, netip.AddrPort, error) {
	if r.next >= r.n {
		r.n, r.next = 0, 0
		if err := r.rc.Read(r.fn); err != nil {
			return nil, netip.AddrPort{}, err
		}
		if r.errno != 0 {
			return nil, netip.AddrPort{}, r.errno
		}
		if r.n == 0 {
			return nil, netip.AddrPort{}, syscall.EAGAIN
		}
	}
	i := r.next
	r.next++
	return r.bufs[i][:r.hdrs[i].len], sockaddrToAddrPort(&r.addrs[i]), nil
}

// sockaddrToAddrPort reads the address the kernel wrote into sa.
func sockaddrToAddrPort(sa *syscall.RawSockaddrInet6) netip.AddrPort {
	b := (*[unsafe.Sizeof(*sa)]byte)(unsafe.Pointer(sa))
	port := binary.BigEndian.Uint16(b[2:4])
	switch sa.Family {
	case syscall.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port)
	case syscall.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port)
	}
	return netip.AddrPort{}
}

// rawUDPWriter is one send in progress; writers are pooled so that their
// write functions are made once.
type rawUDPWriter struct {
	data  []byte
	sa    syscall.RawSockaddrInet6
	salen uint32
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

var rawUDPWriters = sync.Pool{New: func() any {
	w := new(rawUDPWriter)
	w.fn = func(fd uintptr) bool {
		for {
			var p unsafe.Pointer
			if len(w.data) > 0 {
				p = unsafe.Pointer(&w.data[0])
			}
			_, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(p), uintptr(len(w.data)),
				0, uintptr(unsafe.Pointer(&w.sa)), uintptr(w.salen))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // socket buffer full: wait until writable
			}
			w.errno = e
			return true
		}
	}
	return w
}}

// rawConns returns the raw connections of the sockets, made once at bind
// time (SyscallConn allocates), or nil when one cannot be had.
func rawConns(cs []*net.UDPConn) []syscall.RawConn {
	out := make([]syscall.RawConn, len(cs))
	for i, c := range cs {
		rc, err := c.SyscallConn()
		if err != nil {
			return nil
		}
		out[i] = rc
	}
	return out
}

// writeRawUDP sends data to dst on the socket rc; v6 says whether it is
// an IPv6 socket (an IPv4 destination is then written as IPv4-mapped).
func writeRawUDP(rc syscall.RawConn, data []byte, dst netip.AddrPort, v6 bool) error {
	w := rawUDPWriters.Get().(*rawUDPWriter)
	defer func() {
		w.data = nil
		rawUDPWriters.Put(w)
	}()
	w.data, w.errno = data, 0
	w.sa = syscall.RawSockaddrInet6{}
	b := (*[unsafe.Sizeof(w.sa)]byte)(unsafe.Pointer(&w.sa))
	binary.BigEndian.PutUint16(b[2:4], dst.Port())
	addr := dst.Addr()
	if v6 {
		w.sa.Family = syscall.AF_INET6
		w.sa.Addr = addr.As16()
		w.salen = syscall.SizeofSockaddrInet6
	} else {
		if !addr.Unmap().Is4() {
			return &net.AddrError{Err: "IPv6 destination on an IPv4 socket", Addr: dst.String()}
		}
		w.sa.Family = syscall.AF_INET
		a4 := addr.Unmap().As4()
		copy(b[4:8], a4[:])
		w.salen = syscall.SizeofSockaddrInet4
	}
	if err := rc.Write(w.fn); err != nil {
		return err
	}
	if w.errno != 0 {
		return w.errno
	}
	return nil
}
