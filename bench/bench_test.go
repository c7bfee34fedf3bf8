// Package bench compares olelo's SIP message layer with sipgo's
// (github.com/emiago/sipgo/sip) on the workloads of ../sip/bench_test.go,
// on the same message bytes. It is a separate module so that sipgo never
// enters olelo's own go.mod.
//
//	cd bench && go test -run XXX -bench . -benchmem -count 10 ./... > new.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl new.txt
//
// Each benchmark has an /olelo and a /sipgo sub-benchmark doing the same
// work with each library's ordinary API. See docs/BENCHMARKS.md.
package bench

import "testing"

// BenchmarkParseInvite: parse the ~1 KB INVITE and read the core fields
// (Request-URI, top Via branch, From tag, To tag, Call-ID, CSeq,
// Max-Forwards).
func BenchmarkParseInvite(b *testing.B) {
	b.Run("impl=olelo", oleloParseInvite)
	b.Run("impl=sipgo", sipgoParseInvite)
}

// BenchmarkParseRegisterAuth: parse the REGISTER, read the core fields,
// the Authorization digest response and the Contact.
func BenchmarkParseRegisterAuth(b *testing.B) {
	b.Run("impl=olelo", oleloParseRegisterAuth)
	b.Run("impl=sipgo", sipgoParseRegisterAuth)
}

// BenchmarkProxyHop: parse the INVITE, read the core fields, add a Via on
// top and a Record-Route, decrement Max-Forwards, remove the first Route,
// serialise to bytes.
func BenchmarkProxyHop(b *testing.B) {
	b.Run("impl=olelo", oleloProxyHop)
	b.Run("impl=sipgo", sipgoProxyHop)
}

// What the proxy hop adds, in both implementations.
const (
	hopViaHost   = "192.0.2.1"
	hopViaPort   = 5060
	hopViaBranch = "z9hG4bK-olelo-0123456789abcdef"
	hopVia       = "SIP/2.0/UDP 192.0.2.1:5060;branch=" + hopViaBranch
	hopRR        = "<sip:192.0.2.1;lr>"
)
