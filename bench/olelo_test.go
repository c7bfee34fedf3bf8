package bench

import (
	"testing"

	"github.com/olelo-sip/olelo/sip"
)

// oleloCore reads the core fields, as coreFields in ../sip/bench_test.go
// does (through the exported API only) and returns the values read.
func oleloCore(tb testing.TB, m *sip.Message) (ruri *sip.URI, branch, fromTag, toTag, callID []byte, cseq sip.CSeq, mf int) {
	ruri, err := m.RequestURI()
	if err != nil {
		tb.Fatal(err)
	}
	via, err := m.TopVia()
	if err != nil {
		tb.Fatal(err)
	}
	branch = via.Branch
	fromTag, callID = m.FromTag(), m.CallID()
	if fromTag == nil || callID == nil {
		tb.Fatal("missing From tag or Call-ID")
	}
	toTag = m.ToTag()
	if cseq, err = m.CSeq(); err != nil {
		tb.Fatal(err)
	}
	if mf, err = m.MaxForwards(); err != nil {
		tb.Fatal(err)
	}
	return
}

func oleloParseInvite(b *testing.B) {
	buf := []byte(benchInvite)
	var m sip.Message
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(buf, sip.Datagram); err != nil {
			b.Fatal(err)
		}
		oleloCore(b, &m)
	}
}

func oleloParseRegisterAuth(b *testing.B) {
	buf := []byte(benchRegister)
	var m sip.Message
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(buf, sip.Datagram); err != nil {
			b.Fatal(err)
		}
		oleloRegisterFields(b, &m)
	}
}

// oleloRegisterFields reads the digest response and the Contact URI.
func oleloRegisterFields(tb testing.TB, m *sip.Message) (response []byte, contact sip.NameAddr) {
	oleloCore(tb, m)
	d, err := sip.ParseDigest(m.Header(sip.HdrAuthorization))
	if err != nil || len(d.Response) == 0 {
		tb.Fatal(err)
	}
	it := m.Values(sip.HdrContact)
	c, _ := it.Next()
	na, err := sip.ParseNameAddr(c.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return d.Response, na
}

// oleloHop does the proxy hop's edits on a parsed m and appends the result
// to out.
func oleloHop(tb testing.TB, m *sip.Message, out, via, rr []byte) []byte {
	oleloCore(tb, m)
	m.PrependVia(via)
	m.InsertHeaderBefore(m.HeaderIndex("Route"), "Record-Route", rr)
	mf, _ := m.MaxForwards()
	m.SetMaxForwards(mf - 1)
	it := m.Values(sip.HdrRoute)
	if r, ok := it.Next(); ok {
		m.RemoveValue(r)
	}
	return m.AppendTo(out)
}

func oleloProxyHop(b *testing.B) {
	buf := []byte(benchInvite)
	var m sip.Message
	out := make([]byte, 0, 2048)
	via := []byte(hopVia)
	rr := []byte(hopRR)
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(buf, sip.Datagram); err != nil {
			b.Fatal(err)
		}
		out = oleloHop(b, &m, out[:0], via, rr)
	}
}
