package sip

import "testing"

// benchInvite is a realistic ~1 KB INVITE with SDP, as a softphone sends it.
const benchInvite = "INVITE sip:+14155550123@sip.example.com;user=phone SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-524287-1---2a8ecb4e5f5c4f3b;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"Contact: <sip:alice@198.51.100.7:5060;transport=udp>\r\n" +
	"To: <sip:+14155550123@sip.example.com;user=phone>\r\n" +
	"From: \"Alice Liddell\" <sip:alice@sip.example.com>;tag=8f3c2a1b\r\n" +
	"Call-ID: 3c26700d8e5a4a7e9f3b0b1f2d4c6e8a@198.51.100.7\r\n" +
	"CSeq: 2 INVITE\r\n" +
	"Route: <sip:edge.example.com;lr>\r\n" +
	"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n" +
	"Supported: replaces, norefersub, extended-refer, timer, outbound, path, X-cisco-serviceuri\r\n" +
	"User-Agent: Zoiper rv2.10.19.5\r\n" +
	"Allow-Events: presence, kpml, talk\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length: 428\r\n" +
	"\r\n" +
	"v=0\r\n" +
	"o=Z 1700000000000 1 IN IP4 198.51.100.7\r\n" +
	"s=Z\r\n" +
	"c=IN IP4 198.51.100.7\r\n" +
	"t=0 0\r\n" +
	"m=audio 8000 RTP/AVP 106 9 98 101 0 8 3\r\n" +
	"a=rtpmap:106 opus/48000/2\r\n" +
	"a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1\r\n" +
	"a=rtpmap:98 telephone-event/48000\r\n" +
	"a=fmtp:98 0-16\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=fmtp:101 0-16\r\n" +
	"a=sendrecv\r\n" +
	"a=rtcp-mux\r\n" +
	"a=ssrc:1204010930 cname:a1b2c3d4e5f6a7b8\r\n" +
	"a=candidate:1 1 UDP 2130706431 198.51.100.7 8000 typ host\r\n" +
	"a=ice-ufrag:8hhY\r\n" +
	"a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n" +
	"a=ptime:20\r\n"

const benchRegister = "REGISTER sip:sip.example.com SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-524287-1---9f0e1d2c3b4a5968;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"Contact: <sip:alice@198.51.100.7:5060;rinstance=3a1b2c3d4e5f6a7b;transport=udp>;expires=3600\r\n" +
	"To: <sip:alice@sip.example.com>\r\n" +
	"From: <sip:alice@sip.example.com>;tag=5e6f7a8b\r\n" +
	"Call-ID: 9a8b7c6d5e4f3a2b1c0d@198.51.100.7\r\n" +
	"CSeq: 3 REGISTER\r\n" +
	"Expires: 3600\r\n" +
	"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n" +
	"Supported: replaces, outbound, path\r\n" +
	"User-Agent: Zoiper rv2.10.19.5\r\n" +
	"Authorization: Digest username=\"alice\",realm=\"sip.example.com\",nonce=\"ZmQ0Y2I3YjQtNWQ3ZC00ZDFhLWJmNjUtZDYxYjA5\"," +
	"uri=\"sip:sip.example.com\",response=\"6629fae49393a05397450978507c4ef1\",cnonce=\"0a4f113b\",nc=00000001,qop=auth,algorithm=MD5\r\n" +
	"Allow-Events: presence, kpml, talk\r\n" +
	"Content-Length: 0\r\n" +
	"\r\n"

// coreFields reads what every request handler reads: the Request-URI,
// top Via, From/To with tags, Call-ID, CSeq and Max-Forwards.
func coreFields(b *testing.B, m *Message) {
	if _, err := m.RequestURI(); err != nil {
		b.Fatal(err)
	}
	if _, err := m.TopVia(); err != nil {
		b.Fatal(err)
	}
	if m.FromTag() == nil || m.CallID() == nil {
		b.Fatal("missing From tag or Call-ID")
	}
	m.ToTag()
	if _, err := m.CSeq(); err != nil {
		b.Fatal(err)
	}
	if _, err := m.MaxForwards(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkParseInvite(b *testing.B) {
	buf := []byte(benchInvite)
	var m Message
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(buf, Datagram); err != nil {
			b.Fatal(err)
		}
		coreFields(b, &m)
	}
}

func BenchmarkParseRegisterAuth(b *testing.B) {
	buf := []byte(benchRegister)
	var m Message
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(buf, Datagram); err != nil {
			b.Fatal(err)
		}
		coreFields(b, &m)
		d, err := ParseDigest(m.Header(HdrAuthorization))
		if err != nil || len(d.Response) == 0 {
			b.Fatal(err)
		}
		it := m.Values(HdrContact)
		c, _ := it.Next()
		if _, err := ParseNameAddr(c.Bytes); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateInvite(b *testing.B) {
	buf := []byte(benchInvite)
	var m Message
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(buf, Datagram); err != nil {
			b.Fatal(err)
		}
		if err := m.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProxyHop is the message work of one stateful proxy hop: parse,
// read the core fields, add our Via and a Record-Route, decrement
// Max-Forwards, pop the Route naming us, serialise.
func BenchmarkProxyHop(b *testing.B) {
	buf := []byte(benchInvite)
	var m Message
	out := make([]byte, 0, 2048)
	via := []byte("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-olelo-0123456789abcdef")
	rr := []byte("<sip:192.0.2.1;lr>")
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(buf, Datagram); err != nil {
			b.Fatal(err)
		}
		coreFields(b, &m)
		m.PrependVia(via)
		m.InsertHeaderBefore(int(m.first[HdrRoute])-1, "Record-Route", rr)
		mf, _ := m.MaxForwards()
		m.SetMaxForwards(mf - 1)
		it := m.Values(HdrRoute)
		if r, ok := it.Next(); ok {
			m.RemoveValue(r)
		}
		out = m.AppendTo(out[:0])
	}
}
