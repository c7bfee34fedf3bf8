package pv

import (
	"testing"
)

// BenchmarkGetRURIUser reads $rU from a received request: the hot read
// path (the Request-URI is parsed once by sip.Message and cached).
func BenchmarkGetRURIUser(b *testing.B) {
	c := newCtx(b, inviteText)
	v := mustParse(b, "$rU")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Get(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetRURIUserRewritten reads $rU after the script changed $ru
// (the new URI is parsed once per message and cached in Ctx.Store).
func BenchmarkGetRURIUserRewritten(b *testing.B) {
	c := newCtx(b, inviteText)
	c.NewURI = "sip:bob@example.net"
	v := mustParse(b, "$rU")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Get(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFormatEval expands a typical xlog line.
func BenchmarkFormatEval(b *testing.B) {
	c := newCtx(b, inviteText)
	f, err := ParseFormat("$rm from $fu to $ru ($si:$sp)", CoreLookup)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Eval(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeaderIndexed(b *testing.B) {
	c := newCtx(b, inviteText)
	v := mustParse(b, "$(hdr(X-Multi)[-1])")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Get(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTransformChain(b *testing.B) {
	c := newCtx(b, inviteText)
	v := mustParse(b, "$(ru{uri.user}{s.substr,1,3}{s.len})")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Get(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFormat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFormat("$rm from $fu to $(ru{uri.user}) ($si:$sp) $hdr(User-Agent)", CoreLookup); err != nil {
			b.Fatal(err)
		}
	}
}
