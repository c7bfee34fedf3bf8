package tm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

func localOptions(timeout time.Duration) LocalRequest {
	return LocalRequest{
		Method: "OPTIONS", URI: "sip:203.0.113.1:5060",
		From: "<sip:dispatcher@localhost>", To: "<sip:203.0.113.1:5060>",
		Dst:     transport.Target{Proto: transport.ProtoUDP, Addr: uas1},
		ViaHost: "192.0.2.10", ViaPort: 5060, Timeout: timeout,
	}
}

type outcome struct {
	calls  int
	code   int
	reason string
}

func (o *outcome) done(code int, resp *sip.Message) {
	o.calls++
	o.code = code
	if resp != nil {
		o.reason = string(resp.Reason())
	}
}

func TestLocalRequest(t *testing.T) {
	tests := []struct {
		name string
		// replies are (code, reason) sent after the request, in order
		replies  []int
		advance  time.Duration
		wantCode int
		// wantSent is the number of requests sent (with retransmissions)
		// when the test ends
		wantSentMin int
	}{
		{name: "200 answers", replies: []int{200}, wantCode: 200, wantSentMin: 1},
		{name: "404 is final too", replies: []int{404}, wantCode: 404, wantSentMin: 1},
		{name: "provisional then 200", replies: []int{100, 200}, wantCode: 200, wantSentMin: 1},
		{name: "retransmitted 200 calls back once", replies: []int{200, 200}, wantCode: 200, wantSentMin: 1},
		{name: "no answer is a local 408", advance: 3 * time.Second, wantCode: 408, wantSentMin: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, s := newManager(nil)
			var o outcome
			if err := m.SendLocal(context.Background(), localOptions(2*time.Second), o.done); err != nil {
				t.Fatal(err)
			}
			sent := s.take()
			if len(sent) != 1 {
				t.Fatalf("sent %d messages, want 1", len(sent))
			}
			req := sent[0].data
			for _, want := range []string{"OPTIONS sip:203.0.113.1:5060 SIP/2.0\r\n", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK", "From: <sip:dispatcher@localhost>;tag=", "To: <sip:203.0.113.1:5060>\r\n", "CSeq: 10 OPTIONS\r\n", "Content-Length: 0\r\n\r\n"} {
				if !strings.Contains(req, want) {
					t.Errorf("request lacks %q:\n%s", want, req)
				}
			}
			br := branchOf(t, sent, uas1)
			for _, code := range tt.replies {
				if !m.HandleReply(context.Background(), reply(t, br, code, "Whatever", "OPTIONS", "x")) {
					t.Errorf("reply %d not consumed", code)
				}
			}
			if tt.advance > 0 {
				for d := time.Duration(0); d <= tt.advance; d += 100 * time.Millisecond {
					m.Advance(d)
				}
			}
			if o.calls != 1 || o.code != tt.wantCode {
				t.Errorf("done called %d times with %d, want once with %d", o.calls, o.code, tt.wantCode)
			}
			if n := 1 + len(s.take()); n < tt.wantSentMin {
				t.Errorf("sent %d requests, want at least %d", n, tt.wantSentMin)
			}
			// The transaction goes after the wait timer.
			m.Advance(tt.advance + 10*time.Second)
			if m.Len() != 0 {
				t.Errorf("%d transactions left", m.Len())
			}
		})
	}
}

func TestLocalRequestRetransmitsOverUDP(t *testing.T) {
	m, s := newManager(nil)
	var o outcome
	if err := m.SendLocal(context.Background(), localOptions(0), o.done); err != nil {
		t.Fatal(err)
	}
	s.take()
	// T1 500 ms, doubling to T2: 0.5, 1.5, 3.5, 7.5 s ...
	for d := time.Duration(0); d <= 4*time.Second; d += 10 * time.Millisecond {
		m.Advance(d)
	}
	if n := len(s.take()); n != 3 {
		t.Errorf("%d retransmissions in 4 s, want 3", n)
	}
	if o.calls != 0 {
		t.Errorf("done called before the timeout")
	}
	for d := 4 * time.Second; d <= 31*time.Second; d += 10 * time.Millisecond {
		m.Advance(d)
	}
	if o.calls != 1 || o.code != 408 {
		t.Errorf("done = %d calls, code %d; want one 408", o.calls, o.code)
	}
}

func TestLocalRequestBad(t *testing.T) {
	m, _ := newManager(nil)
	r := localOptions(0)
	r.From = ""
	if err := m.SendLocal(context.Background(), r, func(int, *sip.Message) {}); err == nil {
		t.Error("a request without From was accepted")
	}
}
