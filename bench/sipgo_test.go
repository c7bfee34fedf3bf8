package bench

import (
	"bytes"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// The sipgo side uses sipgo's ordinary API: a Parser made once
// (sip.NewParser, as sipgo's transport layer does), ParseSIP per message,
// the typed accessors on *sip.Request, and for the digest
// github.com/icholy/digest, which sipgo itself uses (and its register
// example parses Authorization with). sipgo allocates a new Request per
// message; it has no reuse API, so that is what a sipgo server does.

var sipgoParser = sip.NewParser()

func sipgoParse(tb testing.TB, buf []byte) *sip.Request {
	msg, err := sipgoParser.ParseSIP(buf)
	if err != nil {
		tb.Fatal(err)
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		tb.Fatalf("parsed a %T, want a request", msg)
	}
	return req
}

// sipgoCore reads the same core fields as oleloCore.
func sipgoCore(tb testing.TB, req *sip.Request) (ruri *sip.Uri, branch, fromTag, toTag, callID string, cseq *sip.CSeqHeader, mf uint32) {
	ruri = &req.Recipient // parsed with the request line
	via := req.Via()
	if via == nil {
		tb.Fatal("no Via")
	}
	branch, _ = via.Params.Get("branch")
	from, to, cid := req.From(), req.To(), req.CallID()
	if from == nil || to == nil || cid == nil {
		tb.Fatal("missing From, To or Call-ID")
	}
	fromTag, ok := from.Params.Get("tag")
	if !ok {
		tb.Fatal("missing From tag")
	}
	toTag, _ = to.Params.Get("tag")
	callID = cid.Value()
	if cseq = req.CSeq(); cseq == nil {
		tb.Fatal("missing CSeq")
	}
	m := req.MaxForwards()
	if m == nil {
		tb.Fatal("missing Max-Forwards")
	}
	return ruri, branch, fromTag, toTag, callID, cseq, m.Val()
}

func sipgoParseInvite(b *testing.B) {
	buf := []byte(benchInvite)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		sipgoCore(b, sipgoParse(b, buf))
	}
}

// sipgoRegisterFields reads the digest response and the Contact URI.
func sipgoRegisterFields(tb testing.TB, req *sip.Request) (response string, contact *sip.ContactHeader) {
	sipgoCore(tb, req)
	h := req.GetHeader("Authorization")
	if h == nil {
		tb.Fatal("no Authorization")
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Response == "" {
		tb.Fatal(err)
	}
	c := req.Contact()
	if c == nil || c.Address.Host == "" {
		tb.Fatal("no Contact")
	}
	return cred.Response, c
}

func sipgoParseRegisterAuth(b *testing.B) {
	buf := []byte(benchRegister)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		sipgoRegisterFields(b, sipgoParse(b, buf))
	}
}

// sipgoHop does the proxy hop's changes on a parsed request and writes the
// result to out. The Via and Record-Route are built per message, as a
// proxy must (the Via's branch is per transaction); this is what sipgo's
// own ClientRequestAddVia and ClientRequestAddRecordRoute do, in that
// order (so the Record-Route ends up first: header order across names is
// not significant, RFC 3261 7.3.1).
func sipgoHop(tb testing.TB, req *sip.Request, out *bytes.Buffer) {
	sipgoCore(tb, req)
	req.PrependHeader(&sip.ViaHeader{
		ProtocolName:    "SIP",
		ProtocolVersion: "2.0",
		Transport:       "UDP",
		Host:            hopViaHost,
		Port:            hopViaPort,
		Params:          sip.HeaderParams{{K: "branch", V: hopViaBranch}},
	})
	req.PrependHeader(&sip.RecordRouteHeader{Address: sip.Uri{
		Scheme:    "sip",
		Host:      hopViaHost,
		UriParams: sip.HeaderParams{{K: "lr", V: ""}},
	}})
	if mf := req.MaxForwards(); mf != nil {
		mf.Dec()
	}
	req.RemoveHeader("Route")
	req.StringWrite(out)
}

func sipgoProxyHop(b *testing.B) {
	buf := []byte(benchInvite)
	var out bytes.Buffer
	out.Grow(2048)
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		sipgoHop(b, sipgoParse(b, buf), &out)
	}
}
