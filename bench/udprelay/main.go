// Command udprelay is the floor under olelo's call benchmark: it moves the
// datagrams of bench/sipp/calls.sh between the SIPp UAC and UAS through
// olelo's own UDP transport (the same sockets, readers and sends as the
// olelo binary) and does no SIP work at all. What it costs per call is
// what the Go runtime and the kernel charge for receiving and sending
// those datagrams; a proxy cannot cost less with this transport.
//
//	udprelay -l 127.0.0.1:5060 -uas 127.0.0.1:5080 [-readers 2]
//
// Every datagram from the UAS goes to the last address that was not the
// UAS (the UAC); every other datagram goes to the UAS. SIPp addresses its
// requests to the socket it was given, so the call completes without any
// header being touched. (The proxy also sends a 100 Trying; the relay
// does not, so its floor is one datagram per call low.)
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/olelo-sip/olelo/transport"
)

func main() {
	listen := flag.String("l", "127.0.0.1:5060", "UDP address to listen on")
	uasFlag := flag.String("uas", "127.0.0.1:5080", "UDP address of the SIPp UAS")
	readers := flag.Int("readers", 2, "UDP sockets and reader goroutines (olelo's -n)")
	flag.Parse()
	if err := run(*listen, *uasFlag, *readers); err != nil {
		fmt.Fprintln(os.Stderr, "udprelay:", err)
		os.Exit(1)
	}
}

func run(listen, uasAddr string, readers int) error {
	uas, err := netip.ParseAddrPort(uasAddr)
	if err != nil {
		return fmt.Errorf("-uas: %w", err)
	}
	spec, err := transport.ParseListen("udp:" + listen)
	if err != nil {
		return fmt.Errorf("-l: %w", err)
	}
	var uac atomic.Pointer[netip.AddrPort]
	var m *transport.Manager
	relay := transport.HandlerFunc(func(ctx context.Context, p *transport.Packet) {
		to := uas
		if p.Remote == uas {
			last := uac.Load()
			if last == nil {
				return
			}
			to = *last
		} else if last := uac.Load(); last == nil || *last != p.Remote {
			from := p.Remote
			uac.Store(&from)
		}
		if err := m.Send(ctx, transport.Target{Proto: transport.ProtoUDP, Addr: to}, p.Data); err != nil {
			log.Print(err)
		}
	})
	m, err = transport.NewManager(transport.Config{Listen: []transport.ListenSpec{spec}, UDPReaders: readers}, relay)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Start(ctx); err != nil {
		return err
	}
	log.Printf("relaying udp:%s <-> %s", listen, uas)
	<-ctx.Done()
	return m.Close()
}
