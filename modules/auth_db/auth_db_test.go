package auth_db

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/db/dbtest"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/auth"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
	"github.com/olelo-sip/olelo/sip"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

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

// subscriber is one row of the test table.
type subscriber struct{ user, domain, password string }

var subscribers = []subscriber{
	{"alice", "example.com", "secret"},
	{"alice", "other.org", "elsewhere"},
	{"bob", "example.com", "b0b"},
}

func hexMD5(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func hexSHA256(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// newDB creates a SQLite subscriber table with subscribers (password,
// ha1 and ha1b filled as kamctl does) and returns its URL.
func newDB(t testing.TB, sha bool) string {
	t.Helper()
	url := dbtest.SQLite(t)
	ctx := context.Background()
	conn, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := db.CreateTables(ctx, conn, "subscriber"); err != nil {
		t.Fatal(err)
	}
	h := hexMD5
	if sha {
		h = hexSHA256
	}
	for _, s := range subscribers {
		err := conn.Insert(ctx, "subscriber", []string{"username", "domain", "password", "ha1", "ha1b"},
			[]any{s.user, s.domain, s.password, h(s.user + ":" + s.domain + ":" + s.password), h(s.user + "@" + s.domain + ":" + s.domain + ":" + s.password)})
		if err != nil {
			t.Fatal(err)
		}
	}
	return url
}

// setup loads auth and auth_db with params and starts them.
func setup(t testing.TB, url string, authParams, params map[string]any) (*auth.Instance, *Instance) {
	t.Helper()
	am, _ := module.Lookup("auth")
	a := am.New().(*auth.Instance)
	for k, v := range authParams {
		if err := module.SetParam(a, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Link(nil); err != nil {
		t.Fatal(err)
	}
	dm, _ := module.Lookup("auth_db")
	m := dm.New().(*Instance)
	if err := module.SetParam(m, "db_url", url); err != nil {
		t.Fatal(err)
	}
	for k, v := range params {
		if err := module.SetParam(m, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Link(func(name string) module.Instance {
		if name == "auth" {
			return a
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The compiler checks constant arguments before the start.
	modtest.Args(modtest.Find(t, m, "www_authorize", 2), "example.com", "subscriber")
	if err := m.Start(context.Background(), &modtest.Host{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop() })
	return a, m
}

// signed challenges raw through auth and returns raw with credentials
// for user/password added (qop=auth when qop).
func signed(t testing.TB, a *auth.Instance, raw, user, realm, password string, alg auth.Algorithm, qop bool) string {
	t.Helper()
	c, h, _ := modtest.NewCtx(t, raw)
	proxy := !strings.HasPrefix(raw, "REGISTER")
	flags := 0
	if qop {
		flags = 1
	}
	if code := a.Challenge(c, realm, flags, proxy); code != 1 {
		t.Fatalf("challenge: %d", code)
	}
	var r sip.Message
	if err := r.Parse([]byte(h.Last(t).Data), sip.Datagram); err != nil {
		t.Fatal(err)
	}
	v := r.Header(sip.HdrWWWAuthenticate)
	name := "Authorization"
	if proxy {
		v, name = r.Header(sip.HdrProxyAuthenticate), "Proxy-Authorization"
	}
	d, err := sip.ParseDigest(v)
	if err != nil {
		t.Fatal(err)
	}
	hash := hexMD5
	algParam := ""
	if alg == auth.SHA256 {
		hash, algParam = hexSHA256, ", algorithm=SHA-256"
	}
	var msg sip.Message
	msg.Parse([]byte(raw), sip.Datagram)
	method := msg.Method().String()
	uri := string(msg.RequestURIBytes())
	ha1 := hash(user + ":" + realm + ":" + password)
	ha2 := hash(method + ":" + uri)
	resp := hash(ha1 + ":" + string(d.Nonce) + ":" + ha2)
	qopParams := ""
	if qop {
		resp = hash(ha1 + ":" + string(d.Nonce) + ":00000001:cn:auth:" + ha2)
		qopParams = `, qop=auth, nc=00000001, cnonce="cn"`
	}
	line := fmt.Sprintf(`%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"%s%s`+"\r\n",
		name, user, realm, d.Nonce, uri, resp, algParam, qopParams)
	return strings.Replace(raw, "Content-Length:", line+"Content-Length:", 1)
}

func TestLinkNeedsAuth(t *testing.T) {
	dm, _ := module.Lookup("auth_db")
	m := dm.New().(*Instance)
	err := m.Link(func(string) module.Instance { return nil })
	if err == nil || !strings.Contains(err.Error(), `loadmodule "auth.so"`) {
		t.Errorf("got %v", err)
	}
}

func TestDefaults(t *testing.T) {
	dm, _ := module.Lookup("auth_db")
	m := dm.New().(*Instance)
	if m.DBURL != "mysql://kamailio:kamailiorw@localhost/kamailio" || m.PasswordColumn != "ha1" || m.PasswordColumn2 != "ha1b" ||
		m.UserColumn != "username" || m.DomainColumn != "domain" || m.CalculateHA1 != 0 || m.UseDomain != 0 || m.VersionTable != 1 {
		t.Errorf("defaults %+v", m)
	}
}

func TestAuthorize(t *testing.T) {
	url := newDB(t, false)
	shaURL := newDB(t, true)
	plain := map[string]any{"calculate_ha1": int64(1), "password_column": "password"}
	tests := []struct {
		name                  string
		url                   string
		authParams, params    map[string]any
		user, realm, password string
		alg                   auth.Algorithm
		fn                    string
		want                  int
	}{
		{"ha1 column", url, nil, nil, "alice", "example.com", "secret", auth.MD5, "www_authorize", auth.OK},
		{"ha1 column, wrong password", url, nil, nil, "alice", "example.com", "wrong", auth.MD5, "www_authorize", auth.InvalidPass},
		{"unknown user", url, nil, nil, "carol", "example.com", "x", auth.MD5, "www_authorize", auth.UserUnknown},
		{"plain password", url, nil, plain, "bob", "example.com", "b0b", auth.MD5, "www_authenticate", auth.OK},
		{"plain password, wrong", url, nil, plain, "bob", "example.com", "bob", auth.MD5, "www_authorize", auth.InvalidPass},
		{"use_domain takes the realm", url, nil, map[string]any{"use_domain": int64(1)}, "alice", "example.com", "secret", auth.MD5, "www_authorize", auth.OK},
		{"use_domain, other domain's password", url, nil, map[string]any{"use_domain": int64(1), "calculate_ha1": int64(1), "password_column": "password"}, "alice", "other.org", "elsewhere", auth.MD5, "www_authorize", auth.OK},
		{"user@domain uses ha1b", url, nil, map[string]any{"use_domain": int64(1)}, "alice@example.com", "example.com", "secret", auth.MD5, "www_authorize", auth.OK},
		{"sha-256 ha1 column", shaURL, map[string]any{"algorithm": "SHA-256"}, nil, "alice", "example.com", "secret", auth.SHA256, "www_authorize", auth.OK},
		{"sha-256 computed", url, map[string]any{"algorithm": "SHA-256"}, plain, "bob", "example.com", "b0b", auth.SHA256, "www_authorize", auth.OK},
		{"md5 ha1 with sha-256 configured", url, map[string]any{"algorithm": "SHA-256"}, nil, "alice", "example.com", "secret", auth.SHA256, "www_authorize", auth.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m := setup(t, tt.url, tt.authParams, tt.params)
			c, _, _ := modtest.NewCtx(t, signed(t, a, register, tt.user, tt.realm, tt.password, tt.alg, false))
			if got := modtest.Call(t, m, c, tt.fn, tt.realm, "subscriber"); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestProxyAuthorizeAndConsume(t *testing.T) {
	a, m := setup(t, newDB(t, false), nil, nil)
	c, _, _ := modtest.NewCtx(t, signed(t, a, modtest.Request, "alice", "example.com", "secret", auth.MD5, true))
	if got := modtest.Call(t, m, c, "proxy_authorize", "example.com", "subscriber"); got != auth.OK {
		t.Fatalf("proxy_authorize: %d", got)
	}
	if got := modtest.Call(t, a, c, "consume_credentials"); got != auth.OK {
		t.Fatalf("consume_credentials: %d", got)
	}
	if strings.Contains(modtest.Out(c), "Proxy-Authorization") {
		t.Error("credentials forwarded")
	}
	// www_authorize looks at Authorization only.
	c, _, _ = modtest.NewCtx(t, signed(t, a, modtest.Request, "alice", "example.com", "secret", auth.MD5, false))
	if got := modtest.Call(t, m, c, "www_authorize", "example.com", "subscriber"); got != auth.NoCredentials {
		t.Errorf("www_authorize with Proxy-Authorization: %d", got)
	}
}

func TestAuthCheck(t *testing.T) {
	a, m := setup(t, newDB(t, false), nil, nil)
	tests := []struct {
		name      string
		raw, user string
		flags     int
		want      int
	}{
		{"register own user", register, "alice", 1, auth.OK},
		{"register as another user", register, "bob", 1, auth.UserMismatch},
		{"register as another user, no check", register, "bob", 0, auth.OK},
		{"invite as From user", modtest.Request, "alice", 1, auth.OK},
		{"invite as another user", modtest.Request, "bob", 1, auth.UserMismatch},
		{"invite as another user, flags 3", modtest.Request, "bob", 3, auth.OK},
	}
	pw := map[string]string{"alice": "secret", "bob": "b0b"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := modtest.NewCtx(t, signed(t, a, tt.raw, tt.user, "example.com", pw[tt.user], auth.MD5, false))
			if got := modtest.Call(t, m, c, "auth_check", "example.com", "subscriber", tt.flags); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("no credentials", func(t *testing.T) {
		c, _, _ := modtest.NewCtx(t, register)
		if got := modtest.Call(t, m, c, "auth_check", "example.com", "subscriber", 1); got != auth.NoCredentials {
			t.Errorf("got %d", got)
		}
	})
	t.Run("ACK passes", func(t *testing.T) {
		ack := strings.Replace(strings.Replace(modtest.Request, "INVITE sip", "ACK sip", 1), "314159 INVITE", "314159 ACK", 1)
		c, _, _ := modtest.NewCtx(t, ack)
		if got := modtest.Call(t, m, c, "auth_check", "example.com", "subscriber", 1); got != auth.OK {
			t.Errorf("got %d", got)
		}
	})
	t.Run("empty realm at run time", func(t *testing.T) {
		c, _, _ := modtest.NewCtx(t, register)
		f := modtest.Find(t, m, "auth_check", 3)
		args := []*module.Arg{modtest.Dyn(module.ArgStr, module.StrValue("")), {Kind: module.ArgStr, Const: true, Str: "subscriber"}, {Kind: module.ArgInt, Const: true, Int: 1}}
		if got := f.Run(c, args); got != auth.Error {
			t.Errorf("got %d", got)
		}
	})
}

func TestLoadCredentials(t *testing.T) {
	a, m := setup(t, newDB(t, false), nil, map[string]any{"load_credentials": "$avp(dom)=domain; password"})
	c, _, _ := modtest.NewCtx(t, signed(t, a, register, "bob", "example.com", "b0b", auth.MD5, false))
	if got := modtest.Call(t, m, c, "www_authorize", "example.com", "subscriber"); got != auth.OK {
		t.Fatal(got)
	}
	if v := c.AVPs["dom"]; len(v) != 1 || v[0].Str != "example.com" {
		t.Errorf("$avp(dom) = %v", v)
	}
	if v := c.AVPs["password"]; len(v) != 1 || v[0].Str != "b0b" {
		t.Errorf("$avp(password) = %v", v)
	}
	// Not on a failure.
	c, _, _ = modtest.NewCtx(t, signed(t, a, register, "bob", "example.com", "nope", auth.MD5, false))
	if got := modtest.Call(t, m, c, "www_authorize", "example.com", "subscriber"); got != auth.InvalidPass || len(c.AVPs) != 0 {
		t.Errorf("failure: %d, AVPs %v", got, c.AVPs)
	}
}

func TestParseCredentials(t *testing.T) {
	for _, bad := range []string{"$var(x)=col", "$avp()=col", "$avp(x)= "} {
		if _, err := parseCredentials(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	got, err := parseCredentials("rpid; $avp(s:mail)=email_address ;")
	if err != nil || len(got) != 2 || got[0] != (credential{"rpid", "rpid"}) || got[1] != (credential{"email_address", "mail"}) {
		t.Errorf("got %v %v", got, err)
	}
}

func TestIsSubscriber(t *testing.T) {
	_, m := setup(t, newDB(t, false), nil, map[string]any{"load_credentials": "domain"})
	tests := []struct {
		uri   string
		flags int
		want  int
		avps  int
	}{
		{"sip:alice@example.com", 0, 1, 1},
		{"sip:alice@nowhere.net", 0, 1, 1},
		{"sip:alice@nowhere.net", 1, -2, 0},
		{"sip:bob@example.com", 3, 1, 0},
		{"sip:carol@example.com", 0, -2, 0},
		{"not a uri", 0, -1, 0},
	}
	for _, tt := range tests {
		c, _, _ := modtest.NewCtx(t, register)
		if got := modtest.Call(t, m, c, "is_subscriber", tt.uri, "subscriber", tt.flags); got != tt.want || len(c.AVPs["domain"]) != tt.avps {
			t.Errorf("is_subscriber(%s, %d) = %d, AVPs %v", tt.uri, tt.flags, got, c.AVPs)
		}
	}
}

func TestVersionCheck(t *testing.T) {
	url := newDB(t, false)
	conn, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Update(context.Background(), "version", []db.Cond{db.Eq("table_name", "subscriber")}, []string{"table_version"}, []any{6}); err != nil {
		t.Fatal(err)
	}
	am, _ := module.Lookup("auth")
	a := am.New().(*auth.Instance)
	a.Link(nil)
	dm, _ := module.Lookup("auth_db")
	m := dm.New().(*Instance)
	m.DBURL = url
	if err := m.Link(func(string) module.Instance { return a }); err != nil {
		t.Fatal(err)
	}
	modtest.Args(modtest.Find(t, m, "www_authorize", 2), "example.com", "subscriber")
	err = m.Start(context.Background(), &modtest.Host{})
	if err == nil || !strings.Contains(err.Error(), "version 6, want 7") {
		t.Errorf("got %v", err)
	}
	m.Stop()
	m.VersionTable = 0
	if err := m.Start(context.Background(), &modtest.Host{}); err != nil {
		t.Errorf("version_table 0: %v", err)
	}
	m.Stop()
}

// BenchmarkAuthorize measures www_authorize with one SQLite query per
// request (no cache).
func BenchmarkAuthorize(b *testing.B) {
	a, m := setup(b, newDB(b, false), nil, nil)
	c, _, _ := modtest.NewCtx(b, signed(b, a, register, "alice", "example.com", "secret", auth.MD5, false))
	b.ReportAllocs()
	for b.Loop() {
		if code, _ := m.Authorize(c, "example.com", "subscriber", false); code != auth.OK {
			b.Fatal(code)
		}
	}
}
