package sip

import (
	"errors"
	"strings"
	"testing"
)

const frameMax = 65535

func TestFrameStream(t *testing.T) {
	inv := "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello"
	reg := "REGISTER sip:example.com SIP/2.0\r\nl: 0\r\n\r\n"
	tests := []struct {
		name string
		in   string
		max  int
		want int // -1: len(in)
		err  error
	}{
		{"empty", "", frameMax, 0, nil},
		{"whole", inv, frameMax, len(inv), nil},
		{"compact zero body", reg, frameMax, len(reg), nil},
		{"two pipelined", inv + reg, frameMax, len(inv), nil},
		{"body incomplete", inv[:len(inv)-1], frameMax, 0, nil},
		{"headers incomplete", inv[:40], frameMax, 0, nil},
		{"lower case name", "OPTIONS sip:a SIP/2.0\r\ncontent-length:3\r\n\r\nabc", frameMax, -1, nil},
		{"upper case name", "OPTIONS sip:a SIP/2.0\r\nCONTENT-LENGTH: 3\r\n\r\nabc", frameMax, -1, nil},
		{"compact upper", "OPTIONS sip:a SIP/2.0\r\nL : 3\r\n\r\nabc", frameMax, -1, nil},
		{"LWS before colon", "OPTIONS sip:a SIP/2.0\r\nContent-Length \t: 2\r\n\r\nab", frameMax, -1, nil},
		{"folded value", "OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nab", frameMax, -1, nil},
		{"bare LF", "OPTIONS sip:a SIP/2.0\nContent-Length: 2\n\nab", frameMax, -1, nil},
		{"CRLF then LF", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 2\r\n\nab", frameMax, -1, nil},
		{"other l header", "OPTIONS sip:a SIP/2.0\r\nLocation: x\r\nl: 1\r\n\r\nab", frameMax, 45, nil},
		{"same value twice", "OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nab", frameMax, 51, nil},
		{"missing", "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n", frameMax, 0, ErrFrameNoContentLength},
		{"name only prefix", "OPTIONS sip:a SIP/2.0\r\nContent-Lengthx: 1\r\n\r\n", frameMax, 0, ErrFrameNoContentLength},
		{"negative", "OPTIONS sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n", frameMax, 0, ErrFrameBadContentLength},
		{"not a number", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 1a\r\n\r\n", frameMax, 0, ErrFrameBadContentLength},
		{"two numbers", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 1 2\r\n\r\n", frameMax, 0, ErrFrameBadContentLength},
		{"empty value", "OPTIONS sip:a SIP/2.0\r\nContent-Length: \r\n\r\n", frameMax, 0, ErrFrameBadContentLength},
		{"conflicting", "OPTIONS sip:a SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab", frameMax, 0, ErrFrameBadContentLength},
		{"huge value", "OPTIONS sip:a SIP/2.0\r\nl: 99999999999999999999999999\r\n\r\n", frameMax, 0, ErrFrameTooLarge},
		{"body over max", "OPTIONS sip:a SIP/2.0\r\nl: 100\r\n\r\n", 100, 0, ErrFrameTooLarge},
		{"headers over max", "OPTIONS sip:a SIP/2.0\r\nVia: " + strings.Repeat("x", 200), 100, 0, ErrFrameTooLarge},
		{"exactly max", "OPTIONS sip:a SIP/2.0\r\nl: 2\r\n\r\nab", 33, -1, nil},
		{"one over max", "OPTIONS sip:a SIP/2.0\r\nl: 2\r\n\r\nab", 32, 0, ErrFrameTooLarge},
		{"leading CRLF", "\r\nOPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n", frameMax, 0, ErrFrameLeadingCRLF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want < 0 {
				tc.want = len(tc.in)
			}
			n, err := FrameStream([]byte(tc.in), tc.max)
			if n != tc.want || !errors.Is(err, tc.err) {
				t.Fatalf("FrameStream(%q) = %d, %v; want %d, %v", tc.in, n, err, tc.want, tc.err)
			}
		})
	}
}

// Every prefix of a message must report "need more" (or the same error the
// whole message does), and the whole message must frame exactly: this is a
// message split at every byte boundary.
func TestFrameStreamEveryPrefix(t *testing.T) {
	msgs := []string{
		"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello",
		"OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nab",
		"OPTIONS sip:a SIP/2.0\nl: 0\n\n",
		"SIP/2.0 200 OK\r\nl:0\r\n\r\n",
	}
	for _, m := range msgs {
		for i := 0; i < len(m); i++ {
			n, err := FrameStream([]byte(m[:i]), frameMax)
			if n != 0 || err != nil {
				t.Fatalf("prefix %q: got %d, %v; want 0, nil", m[:i], n, err)
			}
		}
		if n, err := FrameStream([]byte(m), frameMax); n != len(m) || err != nil {
			t.Fatalf("%q: got %d, %v", m, n, err)
		}
		// Followed by the start of the next message.
		if n, err := FrameStream([]byte(m+"REG"), frameMax); n != len(m) || err != nil {
			t.Fatalf("%q+REG: got %d, %v", m, n, err)
		}
	}
}

// Feed a stream of pipelined messages and keep-alives split at every byte
// boundary into two reads, framing the way a transport does.
func TestFrameStreamSplitReads(t *testing.T) {
	a := "MESSAGE sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabc"
	b := "SIP/2.0 200 OK\r\nl: 0\r\n\r\n"
	stream := "\r\n\r\n" + a + "\r\n" + b + "\r\n\r\n"
	for cut := 0; cut <= len(stream); cut++ {
		var got []string
		pings := 0
		buf := []byte{}
		for _, part := range []string{stream[:cut], stream[cut:]} {
			buf = append(buf, part...)
			for {
				k, ping := SkipKeepalive(buf)
				if ping {
					pings++
				}
				buf = buf[k:]
				if len(buf) == 0 || buf[0] == '\r' || buf[0] == '\n' {
					break
				}
				n, err := FrameStream(buf, frameMax)
				if err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
				if n == 0 {
					break
				}
				got = append(got, string(buf[:n]))
				buf = buf[n:]
			}
		}
		if len(got) != 2 || got[0] != a || got[1] != b {
			t.Fatalf("cut %d: got %q", cut, got)
		}
		if pings != 2 {
			t.Fatalf("cut %d: %d pings, want 2", cut, pings)
		}
		if len(buf) != 0 {
			t.Fatalf("cut %d: left %q", cut, buf)
		}
	}
}

func TestSkipKeepalive(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		ping bool
	}{
		{"", 0, false},
		{"INVITE", 0, false},
		{"\r\nINVITE", 2, false},
		{"\r\n\r\nINVITE", 4, true},
		{"\r\n\r\n", 4, true},
		{"\r\n", 0, false}, // could be the start of a ping
		{"\r", 0, false},
		{"\r\n\r", 0, false},
		{"\n", 1, false},
		{"\n\r\n", 1, false},
		{"\n\nX", 2, false},
		{"\r\n\r\n\r\n", 4, true},
		{"\r\n\r\n\r\n\r\n", 8, true},
		{"\n\r\n\r\nX", 5, true},
	}
	for _, tc := range tests {
		n, ping := SkipKeepalive([]byte(tc.in))
		if n != tc.n || ping != tc.ping {
			t.Errorf("SkipKeepalive(%q) = %d, %v; want %d, %v", tc.in, n, ping, tc.n, tc.ping)
		}
	}
}

func TestFrameStreamNoAlloc(t *testing.T) {
	b := []byte("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello")
	allocs := testing.AllocsPerRun(100, func() {
		if n, err := FrameStream(b, frameMax); n != len(b) || err != nil {
			t.Fatal(n, err)
		}
		SkipKeepalive(b)
	})
	if allocs != 0 {
		t.Fatalf("%v allocs", allocs)
	}
}

func BenchmarkFrameStream(b *testing.B) {
	msg := []byte("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b43\r\n" +
		"Max-Forwards: 70\r\n" +
		"Route: <sip:ss1.atlanta.example.com;lr>\r\n" +
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n" +
		"To: Bob <sip:bob@biloxi.example.com>\r\n" +
		"Call-ID: 3848276298220188511@atlanta.example.com\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\r\n" +
		"Content-Type: application/sdp\r\n" +
		"Content-Length: 151\r\n\r\n" +
		"v=0\r\no=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		n, err := FrameStream(msg, frameMax)
		if err != nil || n != len(msg) {
			b.Fatal(n, err)
		}
	}
}
