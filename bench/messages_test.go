package bench

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// The two messages below are copies of benchInvite and benchRegister in
// ../sip/bench_test.go, so that olelo's in-package numbers and the
// olelo-vs-sipgo numbers in this module are measured on the same bytes.
// TestMessagesMatchSipPackage fails when they drift apart.

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

// TestMessagesMatchSipPackage evaluates the benchInvite and benchRegister
// constants of ../sip/bench_test.go (string literals joined with +) and
// compares them with the copies above.
func TestMessagesMatchSipPackage(t *testing.T) {
	path := filepath.Join("..", "sip", "bench_test.go")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatalf("reading the olelo benchmarks: %v", err)
	}
	want := map[string]string{"benchInvite": benchInvite, "benchRegister": benchRegister}
	found := map[string]bool{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				w, ok := want[name.Name]
				if !ok || i >= len(vs.Values) {
					continue
				}
				got, err := evalStringConcat(vs.Values[i])
				if err != nil {
					t.Fatalf("%s in %s: %v", name.Name, path, err)
				}
				if got != w {
					t.Errorf("%s in bench/ differs from %s (%d vs %d bytes): copy it again", name.Name, path, len(w), len(got))
				}
				found[name.Name] = true
			}
		}
	}
	for name := range want {
		if !found[name] {
			t.Errorf("constant %s not found in %s", name, path)
		}
	}
}

// evalStringConcat evaluates an expression made of string literals joined
// with +.
func evalStringConcat(e ast.Expr) (string, error) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", fmt.Errorf("literal of kind %v, want a string", e.Kind)
		}
		return strconv.Unquote(e.Value)
	case *ast.ParenExpr:
		return evalStringConcat(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", fmt.Errorf("operator %v, want +", e.Op)
		}
		l, err := evalStringConcat(e.X)
		if err != nil {
			return "", err
		}
		r, err := evalStringConcat(e.Y)
		if err != nil {
			return "", err
		}
		return l + r, nil
	}
	return "", fmt.Errorf("unsupported expression %T", e)
}
