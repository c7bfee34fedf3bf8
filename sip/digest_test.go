package sip

import (
	"strings"
	"testing"
)

// A typical REGISTER Authorization value (RFC 3261 22.4 / RFC 2617 style).
const digestAuthorization = `Digest username="alice", realm="atlanta.example.com", nonce="84a4cc6f3082121f32b42a2187831a9e", uri="sip:atlanta.example.com", response="7587245234b3434cc3412213e5f113a5", algorithm=MD5, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001`

// digestWant lists the expected fields; "-" marks nil.
type digestWant struct {
	scheme                                                                                   string
	username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc, domain, stale string
}

var digestGood = []struct {
	in   string
	want digestWant
	dig  bool
}{
	{digestAuthorization, digestWant{"Digest", "alice", "atlanta.example.com", "84a4cc6f3082121f32b42a2187831a9e", "sip:atlanta.example.com", "7587245234b3434cc3412213e5f113a5", "MD5", "0a4f113b", "5ccc069c403ebaf9f0171e9517f40e41", "auth", "00000001", "-", "-"}, true},
	// a WWW-Authenticate challenge, with an empty quoted value
	{`Digest realm="atlanta.example.com", domain="sip:boxesbybob.example.com", qop="auth,auth-int", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5`, digestWant{"Digest", "-", "atlanta.example.com", "f84f1cec41e6cbe5aea9c8e88d359", "-", "-", "MD5", "-", "", "auth,auth-int", "-", "sip:boxesbybob.example.com", "FALSE"}, true},
	// names and scheme in any case; LWS (with line folding) around '=' and ','
	{"digest USERNAME = \"bob\" ,REALM=\"biloxi.com\",\r\n  Nonce\t=\t\"n\"  ", digestWant{"digest", "bob", "biloxi.com", "n", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, true},
	// duplicates: the first wins; empty list elements are skipped
	{`Digest realm="a", realm="b",, , nonce="n",`, digestWant{"Digest", "-", "a", "n", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, true},
	// escapes are kept raw, ',' inside quotes is not a separator
	{`Digest username="a\"b,c", realm="r\\"`, digestWant{"Digest", `a\"b,c`, `r\\`, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, true},
	// unknown parameters are ignored; an unquoted uri is accepted
	{`Digest username=bob, uri=sip:bob@biloxi.com, auts="x", x-foo=bar`, digestWant{"Digest", "bob", "-", "-", "sip:bob@biloxi.com", "-", "-", "-", "-", "-", "-", "-", "-"}, true},
	// regaut01.dat: an unknown scheme parses
	{"NoOneKnowsThisScheme opaque-data=here", digestWant{"NoOneKnowsThisScheme", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, false},
	{"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", digestWant{"Basic", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, false},
	{"Basic", digestWant{"Basic", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, false},
	{`Bearer realm="example", error="invalid_token"`, digestWant{"Bearer", "-", "example", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, false},
	{`Strange a b c "quoted, string"`, digestWant{"Strange", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"}, false},
}

var digestBad = []struct{ in, err string }{
	{"", "empty value"},
	{"  \r\n ", "empty value"},
	{"Digest", "Digest without parameters"},
	{"Digest   ", "Digest without parameters"},
	{`Digest username="alice`, "unterminated quoted value of username"},
	{`Digest username="alice\"`, "unterminated quoted value of username"},
	{`"Digest" realm="x"`, "invalid character '\"' in auth scheme"},
	{`Digest, realm="x"`, "invalid character ',' after auth scheme"},
	{`Digest realm`, "parameter realm has no '=' value"},
	{`Digest realm, nonce="x"`, "parameter realm has no '=' value"},
	{`Digest realm=`, "parameter realm has an empty value"},
	{`Digest realm=,nonce=x`, "parameter realm has an empty value"},
	{`Digest realm="a" nonce="b"`, "expected ',' after the value of realm"},
	{`Digest realm=a"b"`, "expected ',' after the value of realm"},
	{`Digest =x`, "invalid character '=' in parameter name"},
	{`Digest realm="x", @=y`, "invalid character '@' in parameter name"},
	{`NoOneKnowsThisScheme x="abc`, "unterminated quoted value of x"},
	{`Basic abc"def`, "unterminated quoted string"},
}

func TestParseDigest(t *testing.T) {
	for _, tc := range digestGood {
		d, err := ParseDigest([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseDigest(%q): %v", tc.in, err)
			continue
		}
		w := tc.want
		for _, f := range []struct {
			name      string
			got       []byte
			want      string
			nilIsDash bool
		}{
			{"Scheme", d.Scheme, w.scheme, false},
			{"Username", d.Username, w.username, true},
			{"Realm", d.Realm, w.realm, true},
			{"Nonce", d.Nonce, w.nonce, true},
			{"URI", d.URI, w.uri, true},
			{"Response", d.Response, w.response, true},
			{"Algorithm", d.Algorithm, w.algorithm, true},
			{"CNonce", d.CNonce, w.cnonce, true},
			{"Opaque", d.Opaque, w.opaque, true},
			{"QOP", d.QOP, w.qop, true},
			{"NC", d.NC, w.nc, true},
			{"Domain", d.Domain, w.domain, true},
			{"Stale", d.Stale, w.stale, true},
		} {
			got := string(f.got)
			if f.nilIsDash && f.got == nil {
				got = "-"
			}
			if got != f.want {
				t.Errorf("%q: %s = %q, want %q", tc.in, f.name, got, f.want)
			}
		}
		if d.IsDigest() != tc.dig {
			t.Errorf("%q: IsDigest() = %v", tc.in, !tc.dig)
		}
		if want := strings.TrimSpace(tc.in[len(w.scheme):]); string(d.Params) != want {
			t.Errorf("%q: Params = %q, want %q", tc.in, d.Params, want)
		}
	}
}

func TestParseDigestErrors(t *testing.T) {
	for _, tc := range digestBad {
		d, err := ParseDigest([]byte(tc.in))
		if err == nil {
			t.Errorf("ParseDigest(%q) = %+v, want error containing %q", tc.in, d, tc.err)
			continue
		}
		if !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "sip: bad credentials ") {
			t.Errorf("ParseDigest(%q) error = %q, want it to contain %q", tc.in, err, tc.err)
		}
	}
}

func TestParseDigestErrorText(t *testing.T) {
	_, err := ParseDigest([]byte(`Digest username="alice`))
	want := `sip: bad credentials "Digest username=\"alice": unterminated quoted value of username (at offset 16)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestDigestNoAlloc(t *testing.T) {
	ins := [][]byte{
		[]byte(digestAuthorization),
		[]byte("NoOneKnowsThisScheme opaque-data=here"),
		[]byte("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, in := range ins {
			if _, err := ParseDigest(in); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkParseDigest(b *testing.B) {
	in := []byte(digestAuthorization)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseDigest(in); err != nil {
			b.Fatal(err)
		}
	}
}
