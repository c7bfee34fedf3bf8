//go:build sctp && linux

package transport

import (
	"context"
	"syscall"
	"testing"
)

func requireSCTP(t *testing.T) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_SEQPACKET, syscall.IPPROTO_SCTP)
	if err != nil {
		t.Skipf("no kernel SCTP: %v", err)
	}
	syscall.Close(fd)
}

func TestSCTPRoundTrip(t *testing.T) {
	requireSCTP(t)
	bcol := newCollector()
	b := startManager(t, Config{Listen: mustListen(t, "sctp:127.0.0.1:0")}, bcol)
	acol := newCollector()
	a := startManager(t, Config{Listen: mustListen(t, "sctp:127.0.0.1:0")}, acol)
	baddr := b.Listeners()[0].Addr()
	if baddr.Port() == 0 {
		t.Fatal("no port")
	}
	ctx := context.Background()
	if err := a.Send(ctx, Target{Proto: ProtoSCTP, Addr: baddr}, []byte(msg("OPTIONS", ""))); err != nil {
		t.Fatal(err)
	}
	g := bcol.next(t)
	if g.Data != msg("OPTIONS", "") || g.Proto != ProtoSCTP || g.Remote.Port() != a.Listeners()[0].Addr().Port() {
		t.Fatalf("b got %+v", g)
	}
	if err := b.Send(ctx, Target{Proto: ProtoSCTP, Addr: g.Remote}, []byte(msg("SIP/2.0", ""))); err != nil {
		t.Fatal(err)
	}
	if r := acol.next(t); r.Data != msg("SIP/2.0", "") {
		t.Fatalf("a got %+v", r)
	}
}
