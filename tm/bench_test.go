package tm

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// setBranch rewrites the top Via branch of a request in place (same
// length), so that every iteration is a new transaction.
func setBranch(b []byte, n int) {
	i := strings.Index(invite, "z9hG4bK776asdhds") + 7
	for k := i + 8; k >= i; k-- {
		b[k] = "0123456789abcdef"[n&15]
		n >>= 4
	}
}

// BenchmarkTransactionLookup creates a transaction and looks it up
// (what a retransmission costs), then deletes it.
func BenchmarkTransactionLookup(b *testing.B) {
	m := New(Config{}, &fakeSender{}, nil)
	raw := []byte(invite)
	msg := new(sip.Message)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		setBranch(raw, i)
		if err := msg.Parse(raw, sip.Datagram); err != nil {
			b.Fatal(err)
		}
		tx, err := m.NewTx(msg, raw, info(), DefaultTimers)
		if err != nil {
			b.Fatal(err)
		}
		tx.Unlock()
		t2, match := m.Lookup(msg)
		if match != Retransmission {
			b.Fatal(match)
		}
		m.remove(t2)
		t2.Unlock()
	}
}

const replyRest = "\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds\r\n" +
	"To: Bob <sip:bob@example.org>;tag=b1\r\nFrom: Alice <sip:alice@example.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"

// BenchmarkProxyTransaction is a whole proxied INVITE in memory: INVITE
// in, 100 out, branch out, 100/180/200 in, 180 and 200 relayed.
func BenchmarkProxyTransaction(b *testing.B) {
	s := &fakeSender{}
	m := New(Config{}, s, nil)
	raw := []byte(invite)
	req := &core.Msg{Message: new(sip.Message), Proto: transport.ProtoUDP, Remote: upstream, Local: local}
	resp := &core.Msg{Message: new(sip.Message), Proto: transport.ProtoUDP, Remote: uas1, Local: local}
	dst := transport.Target{Proto: transport.ProtoUDP, Addr: uas1}
	var replies [3][]byte
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		setBranch(raw, i)
		req.Message.Parse(raw, sip.Datagram)
		tx, err := m.NewTx(req.Message, raw, info(), DefaultTimers)
		if err != nil {
			b.Fatal(err)
		}
		tx.SendTrying(ctx, req.Message, "Trying")
		bi := tx.AddBranch(BranchSpec{Dst: dst, ViaHost: "192.0.2.10", ViaPort: 5060})
		tx.SendBranch(ctx, bi)
		var bb [64]byte
		branch := m.appendBranch(bb[:0], tx.id, bi)
		tx.Unlock()
		for k, code := range [...]string{"100 Trying", "180 Ringing", "200 OK"} {
			r := append(replies[k][:0], "SIP/2.0 "...)
			r = append(r, code...)
			r = append(r, "\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch="...)
			r = append(r, branch...)
			r = append(r, replyRest...)
			replies[k] = r
		}
		for k := range replies {
			resp.Message.Parse(replies[k], sip.Datagram)
			if !m.HandleReply(ctx, resp) {
				b.Fatal("reply not matched")
			}
		}
		LockTx(tx)
		m.remove(tx)
		tx.Unlock()
	}
}

// TestMemoryPerTransaction creates 100k INVITE transactions with a
// branch each (waiting for a reply, as during ringing) and reports the
// heap they take.
func TestMemoryPerTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 100000
	m := New(Config{MaxTransactions: n}, &fakeSender{}, nil)
	raw := []byte(invite)
	msg := new(sip.Message)
	dst := transport.Target{Proto: transport.ProtoUDP, Addr: uas1}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		setBranch(raw, i)
		msg.Parse(raw, sip.Datagram)
		tx, err := m.NewTx(msg, raw, info(), DefaultTimers)
		if err != nil {
			t.Fatal(err)
		}
		bi := tx.AddBranch(BranchSpec{Dst: dst, ViaHost: "192.0.2.10", ViaPort: 5060})
		tx.SendBranch(context.Background(), bi)
		tx.Unlock()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapAlloc - before.HeapAlloc) / n
	t.Logf("%d transactions: %d MB heap, %d bytes each (request of %d bytes)", n, (after.HeapAlloc-before.HeapAlloc)>>20, per, len(invite))
	if total := after.HeapAlloc - before.HeapAlloc; total > 200<<20 {
		t.Errorf("%d MB for %d transactions", total>>20, n)
	}
	if m.Len() != n {
		t.Fatal(m.Len())
	}
	_ = strconv.Itoa
}
