package e2e

import "testing"

// TestSIPpDefaultConfig drives the built-in configuration with SIPp (a
// real SIP peer), 200 requests of each kind over UDP and over TCP: a
// REGISTER without credentials is challenged (401) and a request for a
// user who is not registered gets 404.
func TestSIPpDefaultConfig(t *testing.T) {
	s := startOlelo(t)
	for _, transport := range []string{"u1", "t1"} {
		runUAC(t, s, uac{Method: "REGISTER", User: "alice", Expect: 401}, 200, transport)
		runUAC(t, s, uac{Method: "OPTIONS", User: "nobody", Expect: 404}, 200, transport)
	}
}
