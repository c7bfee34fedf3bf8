package e2e

import "testing"

// TestSIPpOptions drives the built-in responder with SIPp (a real SIP
// peer): 200 OPTIONS over UDP and 200 over TCP, every one answered 200.
func TestSIPpOptions(t *testing.T) {
	s := startOlelo(t)
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 200}, 200, "u1")
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 200}, 200, "t1")
}
