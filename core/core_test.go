package core

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

type recordingHandler struct {
	requests chan string
}

func (h recordingHandler) HandleRequest(ctx context.Context, req *Msg) {
	h.requests <- req.String()
}
func (h recordingHandler) HandleResponse(ctx context.Context, resp *Msg) {}

// startCore runs a Core behind a UDP listener on a free loopback port.
func startCore(t *testing.T, h Handler) (*Core, *transport.Manager, *Host) {
	t.Helper()
	spec, err := transport.ParseListen("udp:127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := New(h, nil, nil)
	tm, err := transport.NewManager(transport.Config{Listen: []transport.ListenSpec{spec}, UDPReaders: 1}, c)
	if err != nil {
		t.Fatal(err)
	}
	c.SetSender(tm)
	if err := tm.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.Close() })
	return c, tm, NewHost(tm, []string{"sip.example.com", "alias.example.net:5070"})
}

func TestReceivedAndRPort(t *testing.T) {
	h := recordingHandler{requests: make(chan string, 1)}
	_, tm, _ := startCore(t, h)
	conn, err := net.Dial("udp", tm.Listeners()[0].Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().(*net.UDPAddr)
	conn.Write([]byte("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n" +
		"From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
	select {
	case got := <-h.requests:
		want := "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=" + strconv.Itoa(local.Port) + ";received=127.0.0.1\r\n"
		if !strings.Contains(got, want) {
			t.Fatalf("request seen by the handler lacks %q:\n%s", want, got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no request")
	}
}

func TestIsMyself(t *testing.T) {
	_, tm, host := startCore(t, recordingHandler{})
	port := tm.Listeners()[0].Addr().Port()
	tests := []struct {
		host string
		port uint16
		want bool
	}{
		{"127.0.0.1", port, true},
		{"127.0.0.1", 0, true},
		{"127.0.0.1", port + 1, false},
		{"SIP.example.com", 5060, true},
		{"alias.example.net", 5070, true},
		{"alias.example.net", 5071, false},
		{"192.0.2.1", port, false},
	}
	for _, tt := range tests {
		if got := host.IsMyself(tt.host, tt.port); got != tt.want {
			t.Errorf("IsMyself(%s, %d) = %v, want %v", tt.host, tt.port, got, tt.want)
		}
	}
}

// TestForwardReply: a reply whose top Via is ours loses it and goes to
// the next Via's received/rport address.
func TestForwardReply(t *testing.T) {
	c, tm, host := startCore(t, recordingHandler{})
	peer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	me := tm.Listeners()[0].Addr()
	pport := peer.LocalAddr().(*net.UDPAddr).Port
	reply := "SIP/2.0 200 OK\r\n" +
		"Via: SIP/2.0/UDP " + me.String() + ";branch=z9hG4bKproxy\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKuac;received=127.0.0.1;rport=" + strconv.Itoa(pport) + "\r\n" +
		"From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	x := c.pool.Get().(*Msg)
	if err := x.Parse([]byte(reply), sip.Datagram); err != nil {
		t.Fatal(err)
	}
	if err := ForwardReply(context.Background(), host, x); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := peer.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	if strings.Contains(got, "z9hG4bKproxy") || !strings.Contains(got, "z9hG4bKuac") {
		t.Fatalf("forwarded reply:\n%s", got)
	}

	// Not ours: dropped.
	var y Msg
	y.Message = new(sip.Message)
	y.Parse([]byte(strings.Replace(reply, me.String(), "192.0.2.99:5060", 1)), sip.Datagram)
	if err := ForwardReply(context.Background(), host, &y); err != ErrNotForUs {
		t.Fatalf("foreign reply: %v, want ErrNotForUs", err)
	}
}
