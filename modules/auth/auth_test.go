package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/sip"
)

// register is a REGISTER as a phone sends it first.
const register = "REGISTER sip:example.com SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-reg1\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: <sip:alice@example.com>\r\n" +
	"From: <sip:alice@example.com>;tag=fr1\r\n" +
	"Call-ID: reg-call-1\r\n" +
	"CSeq: 1 REGISTER\r\n" +
	"Contact: <sip:alice@198.51.100.1>\r\n" +
	"Content-Length: 0\r\n" +
	"\r\n"

func newAuth(t testing.TB, params map[string]any) *Instance {
	t.Helper()
	m := module.Module{}
	m, _ = module.Lookup("auth")
	inst := m.New().(*Instance)
	for k, v := range params {
		if err := module.SetParam(inst, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := inst.Link(nil); err != nil {
		t.Fatal(err)
	}
	return inst
}

// challenge runs fn (www_challenge ...) on raw and returns the parsed
// challenge of the reply and the reply.
func challenge(t testing.TB, inst *Instance, raw, fn string, flags int) (sip.Digest, string) {
	t.Helper()
	c, h, _ := modtest.NewCtx(t, raw)
	if code := modtest.Call(t, inst, c, fn, "example.com", flags); code != 1 {
		t.Fatalf("%s = %d", fn, code)
	}
	reply := h.Last(t).Data
	var r sip.Message
	if err := r.Parse([]byte(reply), sip.Datagram); err != nil {
		t.Fatal(err)
	}
	v := r.Header(sip.HdrWWWAuthenticate)
	if v == nil {
		v = r.Header(sip.HdrProxyAuthenticate)
	}
	d, err := sip.ParseDigest(v)
	if err != nil {
		t.Fatalf("challenge %q: %v", v, err)
	}
	return d, reply
}

// answer is what a client computes from a challenge, written
// independently of the module's code (plain string concatenation).
type answer struct {
	user, password, method, uri string
	alg                         string // "", "SHA-256" ...
	qop, nc, cnonce             string
	body                        string
}

func hashHex(alg, s string) string {
	switch strings.ToUpper(alg) {
	case "SHA-256":
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	case "SHA-512-256":
		h := sha512.Sum512_256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func (a answer) response(realm, nonce string) string {
	ha1 := hashHex(a.alg, a.user+":"+realm+":"+a.password)
	ha2 := hashHex(a.alg, a.method+":"+a.uri)
	if a.qop == "auth-int" {
		ha2 = hashHex(a.alg, a.method+":"+a.uri+":"+hashHex(a.alg, a.body))
	}
	if a.qop != "" {
		return hashHex(a.alg, ha1+":"+nonce+":"+a.nc+":"+a.cnonce+":"+a.qop+":"+ha2)
	}
	return hashHex(a.alg, ha1+":"+nonce+":"+ha2)
}

// header builds an Authorization (or Proxy-Authorization) line.
func (a answer) header(name, realm, nonce string) string {
	s := fmt.Sprintf(`%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"`,
		name, a.user, realm, nonce, a.uri, a.response(realm, nonce))
	if a.alg != "" {
		s += ", algorithm=" + a.alg
	}
	if a.qop != "" {
		s += fmt.Sprintf(`, qop=%s, nc=%s, cnonce="%s"`, a.qop, a.nc, a.cnonce)
	}
	return s + "\r\n"
}

// withHeader inserts a header line before Content-Length.
func withHeader(raw, line string) string {
	return strings.Replace(raw, "Content-Length:", line+"Content-Length:", 1)
}

// TestDigestVectors checks the hashing against the published examples of
// RFC 2617 3.5 and RFC 7616 3.9.1 (the values were computed with the
// code below and agree with the RFCs').
func TestDigestVectors(t *testing.T) {
	tests := []struct {
		name                           string
		alg                            Algorithm
		user, realm, pw, nonce, cnonce string
		wantHA1, wantResponse          string
	}{
		{"RFC 2617 MD5", MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b",
			"939e7578ed9e3c518a452acee763bce9", "6629fae49393a05397450978507c4ef1"},
		{"RFC 7616 MD5", MD5, "Mufasa", "http-auth@example.org", "Circle of Life", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			"", "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 SHA-256", SHA256, "Mufasa", "http-auth@example.org", "Circle of Life", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			"", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ha1 := HA1(tt.alg, tt.user, tt.realm, tt.pw)
			if tt.wantHA1 != "" && ha1 != tt.wantHA1 {
				t.Errorf("HA1 = %s, want %s", ha1, tt.wantHA1)
			}
			var buf []byte
			in := responseInput{alg: tt.alg, ha1: []byte(ha1), nonce: []byte(tt.nonce), nc: []byte("00000001"),
				cnonce: []byte(tt.cnonce), qop: []byte("auth"), method: []byte("GET"), uri: []byte("/dir/index.html")}
			if got := string(appendResponse(nil, &in, &buf)); got != tt.wantResponse {
				t.Errorf("response = %s, want %s", got, tt.wantResponse)
			}
		})
	}
}

// TestResponseVariants checks every algorithm, qop and -sess against the
// independent client computation.
func TestResponseVariants(t *testing.T) {
	for _, alg := range []Algorithm{MD5, SHA256, SHA512256} {
		for _, qop := range []string{"", "auth", "auth-int"} {
			a := answer{user: "bob@example.com", password: "p4ss", method: "INVITE", uri: "sip:carol@example.com",
				alg: alg.String(), qop: qop, nc: "0000000a", cnonce: "xyz", body: "v=0\r\n"}
			want := a.response("example.com", "N0nce")
			var buf []byte
			in := responseInput{alg: alg, ha1: []byte(HA1(alg, a.user, "example.com", a.password)), nonce: []byte("N0nce"),
				method: []byte(a.method), uri: []byte(a.uri), body: []byte(a.body)}
			if qop != "" {
				in.qop, in.nc, in.cnonce = []byte(qop), []byte(a.nc), []byte(a.cnonce)
			}
			if got := string(appendResponse(nil, &in, &buf)); got != want {
				t.Errorf("%s qop=%q: response %s, want %s", alg, qop, got, want)
			}
		}
		// -sess: HA1 = H(H(u:r:p):nonce:cnonce)
		base := HA1(alg, "u", "r", "p")
		sessHA1 := hashHex(alg.String(), base+":n:c")
		want := hashHex(alg.String(), sessHA1+":n:00000001:c:auth:"+hashHex(alg.String(), "REGISTER:sip:r"))
		var buf []byte
		in := responseInput{alg: alg, sess: true, ha1: []byte(base), nonce: []byte("n"), nc: []byte("00000001"), cnonce: []byte("c"),
			qop: []byte("auth"), method: []byte("REGISTER"), uri: []byte("sip:r")}
		if got := string(appendResponse(nil, &in, &buf)); got != want {
			t.Errorf("%s-sess: %s, want %s", alg, got, want)
		}
	}
}

func TestParseAlgorithm(t *testing.T) {
	tests := []struct {
		in   string
		alg  Algorithm
		sess bool
		ok   bool
	}{
		{"", MD5, false, true}, {"md5", MD5, false, true}, {"MD5-sess", MD5, true, true},
		{"SHA-256", SHA256, false, true}, {"sha-256-SESS", SHA256, true, true}, {"SHA-512-256", SHA512256, false, true},
		{"SHA-1", 0, false, false}, {"-sess", 0, false, false}, {"AKAv1-MD5", 0, false, false},
	}
	for _, tt := range tests {
		alg, sess, ok := ParseAlgorithm(tt.in)
		if ok != tt.ok || (ok && (alg != tt.alg || sess != tt.sess)) {
			t.Errorf("ParseAlgorithm(%q) = %v %v %v", tt.in, alg, sess, ok)
		}
	}
}

func TestChallengeReplies(t *testing.T) {
	inst := newAuth(t, nil)
	tests := []struct {
		fn, raw   string
		flags     int
		wantFirst string
		wantHdr   string
		wantIn    []string
		wantOut   []string
	}{
		{"www_challenge", register, 0, "SIP/2.0 401 Unauthorized", "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"", nil, []string{"qop=", "stale", "algorithm"}},
		{"proxy_challenge", modtest.Request, 1, "SIP/2.0 407 Proxy Authentication Required", "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"", []string{`, qop="auth"`}, []string{"stale"}},
		{"auth_challenge", register, 2, "SIP/2.0 401 Unauthorized", "WWW-Authenticate:", []string{`qop="auth-int"`}, nil},
		{"auth_challenge", modtest.Request, 16, "SIP/2.0 407 ", "Proxy-Authenticate:", []string{", stale=true"}, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.fn, tt.flags), func(t *testing.T) {
			_, reply := challenge(t, inst, tt.raw, tt.fn, tt.flags)
			if !strings.HasPrefix(reply, tt.wantFirst) {
				t.Errorf("reply starts %q", reply[:40])
			}
			if !strings.Contains(reply, tt.wantHdr) {
				t.Errorf("no %q in\n%s", tt.wantHdr, reply)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(reply, s) {
					t.Errorf("no %q in\n%s", s, reply)
				}
			}
			for _, s := range tt.wantOut {
				if strings.Contains(reply, s) {
					t.Errorf("unexpected %q in\n%s", s, reply)
				}
			}
		})
	}
}

func TestChallengeModparams(t *testing.T) {
	// The qop modparam does not change *_challenge (Kamailio 5.6 adds
	// qop only for flags 1 and 2).
	inst := newAuth(t, map[string]any{"algorithm": "SHA-256", "qop": "auth", "realm_prefix": "sip."})
	c, h, _ := modtest.NewCtx(t, register)
	if code := modtest.Call(t, inst, c, "www_challenge", "sip.example.com", 0); code != 1 {
		t.Fatal(code)
	}
	reply := h.Last(t).Data
	for _, s := range []string{`realm="example.com"`, "algorithm=SHA-256"} {
		if !strings.Contains(reply, s) {
			t.Errorf("no %q in\n%s", s, reply)
		}
	}
	if strings.Contains(reply, "qop") {
		t.Errorf("qop in\n%s", reply)
	}
}

func TestChallengeACKCancel(t *testing.T) {
	inst := newAuth(t, nil)
	ack := strings.Replace(strings.Replace(modtest.Request, "INVITE sip", "ACK sip", 1), "314159 INVITE", "314159 ACK", 1)
	c, h, _ := modtest.NewCtx(t, ack)
	if code := modtest.Call(t, inst, c, "auth_challenge", "example.com", 0); code != 1 || h.Count() != 0 {
		t.Fatalf("auth_challenge on ACK = %d, sent %d", code, h.Count())
	}
}

func TestBadModparams(t *testing.T) {
	for _, p := range []map[string]any{
		{"algorithm": "SHA-1"}, {"algorithm": "MD5-sess"}, {"qop": "both"}, {"nonce_expire": int64(0)},
		{"auth_checks_register": int64(16)}, {"nonce_count": int64(1), "nc_array_size": int64(0)},
	} {
		m, _ := module.Lookup("auth")
		inst := m.New().(*Instance)
		for k, v := range p {
			if err := module.SetParam(inst, k, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := inst.Link(nil); err == nil {
			t.Errorf("%v accepted", p)
		}
	}
}

// authorize challenges raw, answers with a, and runs fn (pv_*) on the
// answered request with password pw. It returns the code and the ctx.
func authorize(t testing.TB, inst *Instance, raw string, a answer, pw string) (int, *module.Ctx) {
	t.Helper()
	d, _ := challenge(t, inst, raw, "auth_challenge", qopFlags(a.qop))
	return authorizeNonce(t, inst, raw, a, string(d.Nonce), pw)
}

func qopFlags(qop string) int {
	switch qop {
	case "auth":
		return 1
	case "auth-int":
		return 2
	}
	return 0
}

func authorizeNonce(t testing.TB, inst *Instance, raw string, a answer, nonce, pw string) (int, *module.Ctx) {
	t.Helper()
	name, fn := "Proxy-Authorization", "pv_proxy_authenticate"
	if strings.HasPrefix(raw, "REGISTER") {
		name, fn = "Authorization", "pv_www_authenticate"
	}
	c, _, _ := modtest.NewCtx(t, withHeader(raw, a.header(name, "example.com", nonce)))
	return modtest.Call(t, inst, c, fn, "example.com", pw, 0), c
}

func TestAuthorize(t *testing.T) {
	alice := answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com"}
	// modtest.Request's body is "v=0\n".
	invite := answer{user: "alice", password: "secret", method: "INVITE", uri: "sip:bob@example.org", body: "v=0\n"}
	tests := []struct {
		name   string
		params map[string]any
		raw    string
		a      answer
		pw     string
		want   int
	}{
		{"md5 ok", nil, register, alice, "secret", OK},
		{"wrong password", nil, register, alice, "Secret", InvalidPass},
		{"qop auth", nil, register, with(alice, "auth"), "secret", OK},
		{"qop auth-int over the body", nil, modtest.Request, with(invite, "auth-int"), "secret", OK},
		{"sha-256", map[string]any{"algorithm": "SHA-256"}, register, withAlg(alice, "SHA-256"), "secret", OK},
		{"sha-512-256 qop", map[string]any{"algorithm": "SHA-512-256"}, register, withAlg(with(alice, "auth"), "SHA-512-256"), "secret", OK},
		{"md5 answer to a sha-256 server", map[string]any{"algorithm": "SHA-256"}, register, alice, "secret", Error},
		{"username with domain hashes as sent", nil, register, answer{user: "alice@example.com", password: "secret", method: "REGISTER", uri: "sip:example.com"}, "secret", OK},
		{"invite proxy auth", nil, modtest.Request, invite, "secret", OK},
		{"method is part of the response", nil, modtest.Request, answer{user: "alice", password: "secret", method: "BYE", uri: "sip:bob@example.org"}, "secret", InvalidPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := newAuth(t, tt.params)
			if got, _ := authorize(t, inst, tt.raw, tt.a, tt.pw); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func with(a answer, qop string) answer {
	a.qop, a.nc, a.cnonce = qop, "00000001", "c1"
	return a
}

func withAlg(a answer, alg string) answer { a.alg = alg; return a }

func TestAuthorizeHA1Flag(t *testing.T) {
	inst := newAuth(t, nil)
	a := answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com"}
	d, _ := challenge(t, inst, register, "www_challenge", 0)
	c, _, _ := modtest.NewCtx(t, withHeader(register, a.header("Authorization", "example.com", string(d.Nonce))))
	ha1 := strings.ToUpper(HA1(MD5, "alice", "example.com", "secret"))
	if code := modtest.Call(t, inst, c, "pv_www_authenticate", "example.com", ha1, 1); code != OK {
		t.Fatalf("HA1 flag: %d", code)
	}
}

func TestAuthorizeNonceStates(t *testing.T) {
	a := answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com"}

	t.Run("no credentials", func(t *testing.T) {
		inst := newAuth(t, nil)
		c, _, _ := modtest.NewCtx(t, register)
		if code := modtest.Call(t, inst, c, "pv_www_authenticate", "example.com", "secret", 0); code != NoCredentials {
			t.Errorf("got %d", code)
		}
	})
	t.Run("credentials for another realm", func(t *testing.T) {
		inst := newAuth(t, nil)
		d, _ := challenge(t, inst, register, "www_challenge", 0)
		c, _, _ := modtest.NewCtx(t, withHeader(register, a.header("Authorization", "other.org", string(d.Nonce))))
		if code := modtest.Call(t, inst, c, "pv_www_authenticate", "example.com", "secret", 0); code != NoCredentials {
			t.Errorf("got %d", code)
		}
	})
	t.Run("forged nonce", func(t *testing.T) {
		inst := newAuth(t, nil)
		d, _ := challenge(t, inst, register, "www_challenge", 0)
		n := []byte(d.Nonce)
		n[10] ^= 1
		if code, _ := authorizeNonce(t, inst, register, a, string(n), "secret"); code != Error {
			t.Errorf("flipped bit: %d", code)
		}
		if code, _ := authorizeNonce(t, inst, register, a, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "secret"); code != Error {
			t.Errorf("foreign nonce: %d", code)
		}
	})
	t.Run("another secret", func(t *testing.T) {
		issuer := newAuth(t, map[string]any{"secret": "one"})
		verifier := newAuth(t, map[string]any{"secret": "two"})
		d, _ := challenge(t, issuer, register, "www_challenge", 0)
		verifier.nonces.upSince -= 10
		if code, _ := authorizeNonce(t, verifier, register, a, string(d.Nonce), "secret"); code != Error {
			t.Errorf("got %d", code)
		}
		shared := newAuth(t, map[string]any{"secret": "one"})
		shared.nonces.upSince -= 10
		if code, _ := authorizeNonce(t, shared, register, a, string(d.Nonce), "secret"); code != OK {
			t.Errorf("same secret, another instance: %d", code)
		}
	})
	t.Run("expired nonce is stale", func(t *testing.T) {
		inst := newAuth(t, map[string]any{"nonce_expire": int64(30)})
		d, _ := challenge(t, inst, register, "www_challenge", 0)
		inst.nonces.now = func() time.Time { return time.Now().Add(31 * time.Second) }
		if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != StaleNonce {
			t.Errorf("got %d", code)
		}
	})
	t.Run("nonce from the future is stale", func(t *testing.T) {
		inst := newAuth(t, nil)
		inst.nonces.now = func() time.Time { return time.Now().Add(time.Minute) }
		d, _ := challenge(t, inst, register, "www_challenge", 0)
		inst.nonces.now = time.Now
		if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != StaleNonce {
			t.Errorf("got %d", code)
		}
	})
	t.Run("nonce of an earlier start is stale", func(t *testing.T) {
		inst := newAuth(t, nil)
		d, _ := challenge(t, inst, register, "www_challenge", 0)
		inst.nonces.now = func() time.Time { return time.Now().Add(10 * time.Second) }
		inst.nonces.upSince = inst.nonces.now().Unix()
		if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != StaleNonce {
			t.Errorf("got %d", code)
		}
	})
	t.Run("incomplete credentials", func(t *testing.T) {
		inst := newAuth(t, nil)
		d, _ := challenge(t, inst, register, "www_challenge", 0)
		for _, h := range []string{
			`Authorization: Digest username="alice", realm="example.com", nonce="` + string(d.Nonce) + `", response="00"` + "\r\n",
			`Authorization: Digest username="alice", realm="example.com", nonce="` + string(d.Nonce) + `", uri="sip:example.com", response="6629fae49393a05397450978507c4ef1", qop=auth` + "\r\n",
			`Authorization: Digest username="alice", realm="example.com", nonce="` + string(d.Nonce) + `", uri="sip:example.com", response="short"` + "\r\n",
			`Authorization: Digest username="alice", realm="example.com", nonce="` + string(d.Nonce) + `", uri="sip:example.com", response="6629fae49393a05397450978507c4ef1", algorithm=SHA-1` + "\r\n",
			`Authorization: Digest username="alice", realm="example.com", nonce="` + "\r\n",
		} {
			c, _, _ := modtest.NewCtx(t, withHeader(register, h))
			if code := modtest.Call(t, inst, c, "pv_www_authenticate", "example.com", "secret", 0); code != Error {
				t.Errorf("%s: got %d", h, code)
			}
		}
	})
}

func TestNonceCount(t *testing.T) {
	inst := newAuth(t, map[string]any{"nonce_count": int64(1), "nc_array_size": int64(16)})
	d, _ := challenge(t, inst, register, "www_challenge", 1)
	a := answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com", qop: "auth", cnonce: "c"}
	steps := []struct {
		nc   string
		want int
	}{
		{"00000001", OK}, {"00000002", OK}, {"00000002", StaleNonce}, {"00000001", StaleNonce},
		{"00000005", OK}, {"000000ff", OK}, {"00000100", StaleNonce}, {"xyz", Error},
	}
	for _, s := range steps {
		a.nc = s.nc
		if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != s.want {
			t.Errorf("nc %s: got %d, want %d", s.nc, code, s.want)
		}
	}
	// The table is bounded: after 16 more challenges the first nonce's
	// slot is reused, and the nonce is stale.
	for range 16 {
		challenge(t, inst, register, "www_challenge", 1)
	}
	a.nc = "00000001"
	d2, _ := challenge(t, inst, register, "www_challenge", 1)
	if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != StaleNonce {
		t.Errorf("nonce past the window: %d", code)
	}
	if code, _ := authorizeNonce(t, inst, register, a, string(d2.Nonce), "secret"); code != OK {
		t.Errorf("fresh nonce: %d", code)
	}
}

func TestOneTimeNonce(t *testing.T) {
	inst := newAuth(t, map[string]any{"one_time_nonce": int64(1), "otn_in_flight_no": int64(8)})
	a := answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com"}
	d, _ := challenge(t, inst, register, "www_challenge", 0)
	if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != OK {
		t.Fatalf("first use: %d", code)
	}
	if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != NonceReused {
		t.Errorf("second use: %d", code)
	}
}

func TestAuthChecks(t *testing.T) {
	inst := newAuth(t, map[string]any{"auth_checks_register": int64(CheckCallID | CheckSrcIP)})
	a := answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com"}
	d, _ := challenge(t, inst, register, "www_challenge", 0)
	if code, _ := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret"); code != OK {
		t.Errorf("same Call-ID: %d", code)
	}
	other := strings.Replace(register, "reg-call-1", "reg-call-2", 1)
	if code, _ := authorizeNonce(t, inst, other, a, string(d.Nonce), "secret"); code != StaleNonce {
		t.Errorf("other Call-ID: %d", code)
	}
	// A nonce issued without checks does not satisfy a request kind that
	// requires them.
	plain := newAuth(t, map[string]any{"secret": "s"})
	d2, _ := challenge(t, plain, register, "www_challenge", 0)
	strict := newAuth(t, map[string]any{"secret": "s", "auth_checks_register": int64(CheckCallID)})
	strict.nonces.upSince -= 10
	if code, _ := authorizeNonce(t, strict, register, a, string(d2.Nonce), "secret"); code != StaleNonce {
		t.Errorf("nonce without the required checks: %d", code)
	}
}

func TestConsumeAndHasCredentials(t *testing.T) {
	inst := newAuth(t, nil)
	a := answer{user: "alice", password: "secret", method: "INVITE", uri: "sip:bob@example.org"}
	c0, _, _ := modtest.NewCtx(t, modtest.Request)
	if code := modtest.Call(t, inst, c0, "consume_credentials"); code != Error {
		t.Errorf("consume without authorization: %d", code)
	}
	if code := modtest.Call(t, inst, c0, "has_credentials", "example.com"); code != Error {
		t.Errorf("has_credentials without any: %d", code)
	}
	code, c := authorize(t, inst, modtest.Request, a, "secret")
	if code != OK {
		t.Fatal(code)
	}
	if code := modtest.Call(t, inst, c, "has_credentials", "example.com"); code != OK {
		t.Errorf("has_credentials: %d", code)
	}
	if code := modtest.Call(t, inst, c, "has_credentials", "other.org"); code != Error {
		t.Errorf("has_credentials other realm: %d", code)
	}
	if code := modtest.Call(t, inst, c, "consume_credentials"); code != OK {
		t.Errorf("consume: %d", code)
	}
	if out := modtest.Out(c); strings.Contains(out, "Proxy-Authorization") || !strings.Contains(out, "Call-ID") {
		t.Errorf("after consume:\n%s", out)
	}
}

func TestACKCancelPRACKPass(t *testing.T) {
	inst := newAuth(t, nil)
	for _, method := range []string{"ACK", "CANCEL", "PRACK"} {
		raw := strings.Replace(strings.Replace(modtest.Request, "INVITE sip", method+" sip", 1), "314159 INVITE", "314159 "+method, 1)
		c, _, _ := modtest.NewCtx(t, raw)
		if code := modtest.Call(t, inst, c, "pv_proxy_authenticate", "example.com", "x", 0); code != OK {
			t.Errorf("%s: %d", method, code)
		}
	}
}

func TestPVAuthCheckIdentity(t *testing.T) {
	inst := newAuth(t, nil)
	tests := []struct {
		name string
		raw  string
		user string
		want int
	}{
		{"register same user", register, "alice", OK},
		{"register other user", register, "mallory", UserMismatch},
		{"invite From user", modtest.Request, "alice", OK},
		{"invite other user", modtest.Request, "bob", UserMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "REGISTER"
			uri := "sip:example.com"
			if !strings.HasPrefix(tt.raw, "REGISTER") {
				method, uri = "INVITE", "sip:bob@example.org"
			}
			a := answer{user: tt.user, password: "pw", method: method, uri: uri, body: "v=0\r\n"}
			d, _ := challenge(t, inst, tt.raw, "auth_challenge", 0)
			name := "Proxy-Authorization"
			if method == "REGISTER" {
				name = "Authorization"
			}
			c, _, _ := modtest.NewCtx(t, withHeader(tt.raw, a.header(name, "example.com", string(d.Nonce))))
			if code := modtest.Call(t, inst, c, "pv_auth_check", "example.com", "pw", 0, 1); code != tt.want {
				t.Errorf("got %d, want %d", code, tt.want)
			}
		})
	}
}

func TestAddAuthInfo(t *testing.T) {
	inst := newAuth(t, map[string]any{"add_authinfo_hdr": int64(1)})
	a := with(answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com"}, "auth")
	d, _ := challenge(t, inst, register, "www_challenge", 1)
	code, c := authorizeNonce(t, inst, register, a, string(d.Nonce), "secret")
	if code != OK {
		t.Fatal(code)
	}
	rsp := a
	rsp.method = "" // rspauth: the response with an empty method (RFC 2617 3.2.3)
	want := `Authentication-Info: nextnonce="` + string(d.Nonce) + `", qop=auth, rspauth="` + rsp.response("example.com", string(d.Nonce)) + `", cnonce="c1", nc=00000001` + "\r\n"
	if got := sl.ExtraReplyHeaders(c); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestEmptyRealmAt500(t *testing.T) {
	inst := newAuth(t, nil)
	f := modtest.Find(t, inst, "www_challenge", 2)
	if _, err := modtest.Args(f, "", 0); err == nil {
		t.Error("empty constant realm accepted")
	}
	c, h, _ := modtest.NewCtx(t, register)
	args := []*module.Arg{modtest.Dyn(module.ArgStr, module.StrValue("")), {Kind: module.ArgInt, Const: true}}
	if code := f.Run(c, args); code != Error || !strings.HasPrefix(h.Last(t).Data, "SIP/2.0 500") {
		t.Errorf("empty realm: %d", code)
	}
	c, h, _ = modtest.NewCtx(t, register)
	args[1].Int = 4
	if code := f.Run(c, args); code != Error || h.Count() != 0 {
		t.Errorf("empty realm, flag 4: %d, sent %d", code, h.Count())
	}
}

// BenchmarkAuthorize measures the check of credentials against a known
// password (the auth side of the authorize path, without a database).
func BenchmarkAuthorize(b *testing.B) {
	for _, params := range []map[string]any{nil, {"algorithm": "SHA-256", "nonce_count": int64(1)}} {
		inst := newAuth(b, params)
		alg := ""
		qop := ""
		if params != nil {
			alg, qop = "SHA-256", "auth"
		}
		d, _ := challenge(b, inst, register, "www_challenge", qopFlags(qop))
		a := answer{user: "alice", password: "secret", method: "REGISTER", uri: "sip:example.com", alg: alg, qop: qop, nc: "00000001", cnonce: "c"}
		c, _, _ := modtest.NewCtx(b, withHeader(register, a.header("Authorization", "example.com", string(d.Nonce))))
		ha1 := []byte(HA1(inst.alg, "alice", "example.com", "secret"))
		lookup := func(*module.Ctx, *Credentials) ([]byte, int) { return ha1, 0 }
		inst.NonceCount = 0
		inst.nonces.useNC = false // the same nc over and over
		b.Run(inst.alg.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code, _ := inst.Authorize(c, "example.com", false, lookup); code != OK {
					b.Fatal(code)
				}
			}
		})
	}
}
