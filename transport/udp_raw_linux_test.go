//go:build linux

package transport

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestRawUDPReaderBatches reads bursts larger and smaller than one
// recvmmsg batch, a queue of several batches left from before the first
// read, and datagrams that arrive while the previous one is being
// handled (a reader that trusted the netpoller's readiness there would
// wait for a datagram that is already queued).
func TestRawUDPReaderBatches(t *testing.T) {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := net.DialUDP("udp", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	r, err := newRawUDPReader(srv, make([]byte, 1501))
	if err != nil {
		t.Fatal(err)
	}
	// A queue of several batches before the first read: only one edge
	// (at most) is left for them, so the reader must keep reading while
	// batches come back full.
	queued := 3*udpBatch + 1
	for i := 0; i < queued; i++ {
		if _, err := cli.Write([]byte(fmt.Sprintf("burst %d #%d", queued, i))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	type result struct {
		data string
		err  error
	}
	got := make(chan result, 64)
	go func() {
		for {
			data, from, err := r.read()
			if err == nil && from.Port() != uint16(cli.LocalAddr().(*net.UDPAddr).Port) {
				err = fmt.Errorf("source %v, want %v", from, cli.LocalAddr())
			}
			got <- result{string(data), err}
			if err != nil {
				return
			}
			if strings.HasPrefix(string(data), "slow") {
				time.Sleep(20 * time.Millisecond) // handling it
			}
		}
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case g := <-got:
			if g.err != nil || g.data != want {
				t.Fatalf("read %q, %v; want %q", g.data, g.err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no datagram %q within 5 s", want)
		}
	}
	for i := 0; i < queued; i++ {
		expect(fmt.Sprintf("burst %d #%d", queued, i))
	}
	for _, burst := range []int{1, 3, udpBatch, 3*udpBatch + 1, 1} {
		for i := 0; i < burst; i++ {
			if _, err := cli.Write([]byte(fmt.Sprintf("burst %d #%d", burst, i))); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < burst; i++ {
			expect(fmt.Sprintf("burst %d #%d", burst, i))
		}
		// The reader is now waiting on an empty queue.
		time.Sleep(20 * time.Millisecond)
	}
	// One at a time, each sent while the reader handles the one before.
	for i := 0; i < 5; i++ {
		if _, err := cli.Write([]byte(fmt.Sprintf("slow #%d", i))); err != nil {
			t.Fatal(err)
		}
		expect(fmt.Sprintf("slow #%d", i))
	}
}
