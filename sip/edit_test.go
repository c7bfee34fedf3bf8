package sip

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

const inviteMsg = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"Route: <sip:proxy.atlanta.example.com;lr>, <sip:edge.biloxi.example.com;lr>\r\n" +
	"To: Bob <sip:bob@biloxi.example.com>\r\n" +
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" +
	"CSeq: 314159 INVITE\r\n" +
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length: 4\r\n" +
	"\r\n" +
	"v=0\n"

func mustParse(t testing.TB, s string) *Message {
	t.Helper()
	m := new(Message)
	if err := m.Parse([]byte(s), Datagram); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m
}

// golden compares got with testdata/golden/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sip -run %s -update to create it)", err, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden file:\n got %q\nwant %q", name, got, want)
	}
}

func TestEdits(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *Message)
	}{
		{"proxy_hop.golden", func(m *Message) {
			m.PrependVia([]byte("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKolelo1"))
			m.InsertHeaderBefore(m.HeaderIndex("Route"), "Record-Route", []byte("<sip:192.0.2.1;lr>"))
			mf, _ := m.MaxForwards()
			m.SetMaxForwards(mf - 1)
			r := m.Values(HdrRoute)
			first, _ := r.Next()
			m.RemoveValue(first)
			m.SetRequestURI([]byte("sip:bob@192.0.2.4:5062"))
		}},
		{"pop_last_route.golden", func(m *Message) {
			it := m.Values(HdrRoute)
			it.Next()
			second, _ := it.Next()
			m.RemoveValue(second)
		}},
		{"pop_both_routes.golden", func(m *Message) {
			it := m.Values(HdrRoute)
			a, _ := it.Next()
			b, _ := it.Next()
			m.RemoveValue(a)
			m.RemoveValue(b)
		}},
		{"set_body.golden", func(m *Message) {
			m.SetBody([]byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"), "application/sdp")
		}},
		{"append_remove_header.golden", func(m *Message) {
			m.AppendHeaderString("X-Olelo", "1")
			m.RemoveHeader(m.HeaderIndex("Contact"))
			m.InsertHeader("P-First", []byte("yes"))
		}},
		{"via_received.golden", func(m *Message) {
			if err := m.SetViaReceived([]byte("203.0.113.9"), 40123, false); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, inviteMsg)
			tt.edit(m)
			out := m.AppendTo(nil)
			// The result must itself be a valid message.
			var again Message
			if err := again.Parse(out, Datagram); err != nil {
				t.Fatalf("edited message does not parse: %v\n%s", err, out)
			}
			if err := again.Validate(); err != nil {
				t.Fatalf("edited message does not validate: %v\n%s", err, out)
			}
			golden(t, tt.name, out)
		})
	}
}

func TestStreamFramingNeedsContentLength(t *testing.T) {
	msg := strings.Replace(inviteMsg, "Content-Length: 4\r\n", "", 1)
	var m Message
	if err := m.Parse([]byte(msg), Stream); err == nil {
		t.Fatal("stream message without Content-Length accepted")
	}
	if err := m.Parse([]byte(msg), Datagram); err != nil || string(m.Body()) != "v=0\n" {
		t.Fatalf("datagram without Content-Length: err %v body %q", err, m.Body())
	}
	m.EnsureContentLength()
	if !strings.Contains(m.String(), "Content-Length: 4\r\n\r\nv=0\n") {
		t.Fatalf("EnsureContentLength: %q", m.String())
	}
}

func TestReply(t *testing.T) {
	m := mustParse(t, inviteMsg)
	if err := m.SetViaReceived([]byte("203.0.113.9"), 40123, false); err != nil {
		t.Fatal(err)
	}
	m.PrependVia([]byte("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKnot-in-reply"))
	out := AppendReply(nil, m, 486, "Busy Here", &ReplyOptions{ToTag: []byte("olelo-tag"), Headers: []byte("Server: olelo\r\n")})
	golden(t, "reply_486.golden", out)
	var r Message
	if err := r.Parse(out, Datagram); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if string(r.ToTag()) != "olelo-tag" || r.StatusCode() != 486 {
		t.Fatalf("reply: to-tag %q status %d", r.ToTag(), r.StatusCode())
	}
}

func TestCancelAndAck(t *testing.T) {
	sent := mustParse(t, inviteMsg)
	cancel := AppendCancel(nil, sent)
	golden(t, "cancel.golden", cancel)
	resp := mustParse(t, "SIP/2.0 486 Busy Here\r\n"+
		"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"+
		"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"+
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"+
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"+
		"CSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n")
	ack := AppendAck(nil, sent, resp)
	golden(t, "ack.golden", ack)
	for _, b := range [][]byte{cancel, ack} {
		if _, err := parseAndValidate(b); err != nil {
			t.Errorf("%v in\n%s", err, b)
		}
	}
	req := Request{Method: "OPTIONS", URI: []byte("sip:gw1.example.com"),
		Via: []byte("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKprobe1"), From: []byte("<sip:olelo@192.0.2.1>;tag=p1"),
		To: []byte("<sip:gw1.example.com>"), CallID: []byte("probe-1"), CSeq: 10, MaxForwards: 70}
	opt := req.AppendTo(nil)
	golden(t, "options.golden", opt)
	if _, err := parseAndValidate(opt); err != nil {
		t.Error(err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, msg, want string
	}{
		{"empty", "", "empty message"},
		{"no header end", "OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n", "not terminated"},
		{"bad header", "OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\n\r\n", "has no name"},
		{"two content-length", "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\nContent-Length: 0\r\n\r\n", "more than one Content-Length"},
		{"version", "OPTIONS sip:a@b SIP/3.0\r\n\r\n", "SIP/3.0 is not supported"},
		{"status", "SIP/2.0 99 Hm\r\n\r\n", "not 3 digits"},
		{"status range", "SIP/2.0 700 Hm\r\n\r\n", "out of range"},
		{"long content-length", "OPTIONS sip:a@b SIP/2.0\r\nl: 10\r\n\r\nabc", "larger than the 3 body bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			err := m.Parse([]byte(tt.msg), Datagram)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLookupHeader(t *testing.T) {
	for id := HdrOther + 1; id < hdrCount; id++ {
		name := id.String()
		for _, n := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
			if got := LookupHeader([]byte(n)); got != id {
				t.Errorf("LookupHeader(%q) = %v, want %v", n, got, id)
			}
		}
	}
	for c, id := range compactForms {
		if id == HdrOther {
			continue
		}
		for _, n := range []string{string(rune('a' + c)), string(rune('A' + c))} {
			if got := LookupHeader([]byte(n)); got != id {
				t.Errorf("LookupHeader(%q) = %v, want %v", n, got, id)
			}
		}
	}
}

func TestMessageReuseDoesNotAllocate(t *testing.T) {
	b := []byte(inviteMsg)
	var m Message
	var out []byte
	allocs := testing.AllocsPerRun(100, func() {
		if err := m.Parse(b, Datagram); err != nil {
			t.Fatal(err)
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		m.PrependVia([]byte("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx"))
		mf, _ := m.MaxForwards()
		m.SetMaxForwards(mf - 1)
		out = m.AppendTo(out[:0])
	})
	if allocs != 0 {
		t.Fatalf("parse+validate+edit+serialise allocates %v times per message", allocs)
	}
}

func TestAppendContentLengthIfMissing(t *testing.T) {
	tests := []struct{ rest, want string }{
		{"To: a\r\n\r\nbody", "Content-Length: 4\r\n"},
		{"To: a\r\nl: 4\r\n\r\nbody", ""},
		{"To: a\r\ncontent-length : 0\r\n\r\n", ""},
		{"To: a\r\n\r\n", "Content-Length: 0\r\n"},
	}
	for _, tt := range tests {
		if got := string(AppendContentLengthIfMissing(nil, []byte(tt.rest))); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.rest, got, tt.want)
		}
	}
}
