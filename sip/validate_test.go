package sip

import (
	"errors"
	"strings"
	"testing"
)

// TestValidate covers what Validate refuses in a request (with the status
// to answer) and what it leaves unread in a response.
func TestValidate(t *testing.T) {
	const (
		reqLine  = "INVITE sip:bob@example.org SIP/2.0\r\n"
		respLine = "SIP/2.0 180 Ringing\r\n"
		via      = "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
		from     = "From: <sip:alice@example.com>;tag=a\r\n"
		to       = "To: <sip:bob@example.org>\r\n"
		callID   = "Call-ID: validate-1\r\n"
		cseq     = "CSeq: 1 INVITE\r\n"
		end      = "Content-Length: 0\r\n\r\n"
		badFrom  = "From: <sip:alice@example.com;tag=a\r\n" // no closing >
		badVia   = "Via: SIP/2.0/UDP ;branch=z9hG4bK-2\r\n" // no sent-by
	)
	tests := []struct {
		name   string
		msg    string
		status int // 0: valid
	}{
		{"request", reqLine + via + from + to + callID + cseq + end, 0},
		{"request without To", reqLine + via + from + callID + cseq + end, 400},
		{"request with a bad From", reqLine + via + badFrom + to + callID + cseq + end, 400},
		{"request with a bad lower Via", reqLine + via + badVia + from + to + callID + cseq + end, 400},
		{"request with a CSeq of another method", reqLine + via + from + to + callID + "CSeq: 1 BYE\r\n" + end, 400},
		{"response", respLine + via + from + to + callID + cseq + end, 0},
		// A proxy relays a reply without reading From, To, Contact or
		// the Vias below its own: they are checked when used.
		{"response with a bad From", respLine + via + badFrom + to + callID + cseq + end, 0},
		{"response with a bad lower Via", respLine + via + badVia + from + to + callID + cseq + end, 0},
		{"response with a bad Contact", respLine + via + from + to + callID + cseq + "Contact: <sip:x\r\n" + end, 0},
		{"response without To", respLine + via + from + callID + cseq + end, 400},
		{"response with two From", respLine + via + from + from + to + callID + cseq + end, 400},
		{"response with a bad top Via", respLine + badVia + from + to + callID + cseq + end, 400},
		{"response with a bad CSeq", respLine + via + from + to + callID + "CSeq: x INVITE\r\n" + end, 400},
		{"response with an empty Call-ID", respLine + via + from + to + "Call-ID: \r\n" + cseq + end, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := new(Message)
			if err := m.Parse([]byte(tt.msg), Datagram); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err := m.Validate()
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate: %v, want a *ParseError with status %d", err, tt.status)
			}
			if pe.Status != tt.status {
				t.Fatalf("Validate: status %d (%v), want %d", pe.Status, err, tt.status)
			}
		})
	}
}

// TestValidateResponseParsesLazily: a response's From is not read by
// Validate, and reading it later reports the error.
func TestValidateResponseParsesLazily(t *testing.T) {
	msg := "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n" +
		"From: <sip:alice@example.com;tag=a\r\nTo: <sip:bob@example.org>;tag=b\r\n" +
		"Call-ID: lazy\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	m := new(Message)
	if err := m.Parse([]byte(msg), Datagram); err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if _, err := m.From(); err == nil {
		t.Fatal("From of an unterminated name-addr: no error")
	}
	if tag := m.ToTag(); !strings.EqualFold(string(tag), "b") {
		t.Fatalf("ToTag = %q, want b", tag)
	}
}
