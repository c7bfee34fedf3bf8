package e2e

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/sip"
)

// authCfg is a Kamailio 101 style configuration (parts 4+): REGISTER
// must authenticate (www_authorize), INVITE must proxy-authenticate;
// passwords are in a SQLite subscriber table. The codes tell the test
// what happened: 200 registered, 486 an authenticated INVITE, 403 a
// wrong password, 401/407 challenges (with stale=true after a stale
// nonce, as flag 16 asks). It runs unchanged on Kamailio 5.6.
const authCfg = `#!KAMAILIO
#!trydef DBURL "sqlite:///tmp/none.db"

debug=2
log_stderror=yes
children=2

loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "db_sqlite.so"
loadmodule "auth.so"
loadmodule "auth_db.so"

modparam("auth", "secret", "e2e-shared-secret")
#!ifdef WITH_QOP
modparam("auth", "nonce_count", 1)
#!endif
#!ifdef WITH_SHA256
modparam("auth", "algorithm", "SHA-256")
#!endif
#!ifdef WITH_SHORT_NONCE
modparam("auth", "nonce_expire", 1)
#!endif
modparam("auth_db", "db_url", DBURL)
modparam("auth_db", "calculate_ha1", 1)
modparam("auth_db", "password_column", "password")

request_route {
	# Challenge flags: 1 asks for qop="auth", 16 adds stale=true.
	$var(chf) = 0;
#!ifdef WITH_QOP
	$var(chf) = 1;
#!endif
	$var(stf) = $var(chf) + 16;
	if (is_method("ACK")) {
		exit;
	}
	if (is_method("REGISTER")) {
		if (!www_authorize("$fd", "subscriber")) {
			if ($rc == -2) {
				sl_send_reply("403", "Forbidden");
				exit;
			}
			if ($rc == -4) {
				www_challenge("$fd", "$var(stf)");
				exit;
			}
			www_challenge("$fd", "$var(chf)");
			exit;
		}
		consume_credentials();
		sl_send_reply("200", "OK");
		exit;
	}
	if (is_method("INVITE")) {
		if (!auth_check("$fd", "subscriber", "1")) {
			if ($rc == -8) {
				sl_send_reply("403", "Identity Mismatch");
				exit;
			}
			auth_challenge("$fd", "$var(chf)");
			exit;
		}
		consume_credentials();
		sl_send_reply("486", "Busy Here");
		exit;
	}
	sl_send_reply("405", "Method Not Allowed");
}
`

// authUsers are the subscribers of the test database.
var authUsers = map[string]string{"alice": "secret", "bob": "b0b"}

// newAuthDB creates a SQLite database with the subscriber table (with
// its version row) and authUsers, as `kamctl add` would, and returns its
// Kamailio URL.
func newAuthDB(t *testing.T) string {
	t.Helper()
	// Four slashes: Kamailio's db_sqlite drops the first one of the path.
	url := "sqlite:///" + filepath.Join(t.TempDir(), "auth.db")
	ctx := context.Background()
	conn, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := db.CreateTables(ctx, conn, "subscriber"); err != nil {
		t.Fatal(err)
	}
	for u, pw := range authUsers {
		ha1 := md5.Sum([]byte(u + ":example.com:" + pw))
		if err := conn.Insert(ctx, "subscriber", []string{"username", "domain", "password", "ha1", "ha1b"},
			[]any{u, "example.com", pw, hex.EncodeToString(ha1[:]), ""}); err != nil {
			t.Fatal(err)
		}
	}
	return url
}

func writeAuthCfg(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "auth.cfg")
	if err := os.WriteFile(p, []byte(authCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// digestUA is a raw UDP client that answers challenges itself, so the
// test can send wrong passwords, replay nonce-counts and forge nonces.
type digestUA struct {
	t     *testing.T
	conn  net.Conn
	cseq  int
	local string
}

func newDigestUA(t *testing.T, addr string) *digestUA {
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &digestUA{t: t, conn: c, local: c.LocalAddr().String()}
}

// challenge is what a 401/407 asked for.
type challenge struct {
	code                         int
	realm, nonce, qop, algorithm string
	stale                        bool
}

func randHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// send sends method from user with the credentials line auth (may be
// empty) and returns the reply's code and its challenge.
func (u *digestUA) send(method, user, auth string) challenge {
	u.t.Helper()
	u.cseq++
	ruri := "sip:example.com"
	if method == "INVITE" {
		ruri = "sip:carol@example.com"
	}
	req := fmt.Sprintf("%s %s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@example.com>;tag=%s\r\n"+
		"To: <sip:%s@example.com>\r\n"+
		"Call-ID: auth-e2e-%s\r\n"+
		"CSeq: %d %s\r\n"+
		"Contact: <sip:%s@%s>\r\n"+
		"%s"+
		"Content-Length: 0\r\n\r\n",
		method, ruri, u.local, randHex(), user, randHex(), map[bool]string{true: "carol", false: user}[method == "INVITE"],
		randHex(), u.cseq, method, user, u.local, auth)
	reply, err := u.exchange([]byte(req))
	if err != nil {
		u.t.Fatalf("%s: %v", method, err)
	}
	var m sip.Message
	if err := m.Parse([]byte(reply), sip.Datagram); err != nil {
		u.t.Fatalf("reply: %v\n%s", err, reply)
	}
	ch := challenge{code: m.StatusCode()}
	v := m.Header(sip.HdrWWWAuthenticate)
	if v == nil {
		v = m.Header(sip.HdrProxyAuthenticate)
	}
	if v != nil {
		d, err := sip.ParseDigest(v)
		if err != nil {
			u.t.Fatalf("challenge %q: %v", v, err)
		}
		ch.realm, ch.nonce, ch.qop, ch.algorithm = string(d.Realm), string(d.Nonce), string(d.QOP), string(d.Algorithm)
		ch.stale = strings.EqualFold(string(d.Stale), "true")
	}
	return ch
}

// exchange sends req and returns the whole first reply.
func (u *digestUA) exchange(req []byte) (string, error) {
	if _, err := u.conn.Write(req); err != nil {
		return "", err
	}
	u.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65535)
	n, err := u.conn.Read(buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// credentials returns the credentials header line answering ch.
func credentials(ch challenge, method, user, password, nc string) string {
	h := func(s string) string {
		if strings.EqualFold(ch.algorithm, "SHA-256") {
			x := sha256.Sum256([]byte(s))
			return hex.EncodeToString(x[:])
		}
		x := md5.Sum([]byte(s))
		return hex.EncodeToString(x[:])
	}
	uri := "sip:example.com"
	name := "Authorization"
	if method == "INVITE" {
		uri, name = "sip:carol@example.com", "Proxy-Authorization"
	}
	ha1, ha2 := h(user+":"+ch.realm+":"+password), h(method+":"+uri)
	line := fmt.Sprintf(`%s: Digest username="%s", realm="%s", nonce="%s", uri="%s"`, name, user, ch.realm, ch.nonce, uri)
	if ch.qop != "" {
		line += fmt.Sprintf(`, response="%s", qop=auth, nc=%s, cnonce="e2e"`, h(ha1+":"+ch.nonce+":"+nc+":e2e:auth:"+ha2), nc)
	} else {
		line += fmt.Sprintf(`, response="%s"`, h(ha1+":"+ch.nonce+":"+ha2))
	}
	if ch.algorithm != "" {
		line += ", algorithm=" + ch.algorithm
	}
	return line + "\r\n"
}

// authSteps runs the digest conversation against a server and returns
// what each step saw ("step: code [stale]"), to compare between servers.
func authSteps(t *testing.T, addr string, qop bool) []string {
	u := newDigestUA(t, addr)
	var seen []string
	note := func(step string, ch challenge) {
		s := fmt.Sprintf("%s: %d", step, ch.code)
		if ch.stale {
			s += " stale"
		}
		if ch.qop != "" {
			s += " qop=" + ch.qop
		}
		if ch.algorithm != "" {
			s += " algorithm=" + ch.algorithm
		}
		seen = append(seen, s)
	}
	ch := u.send("REGISTER", "alice", "")
	note("register without credentials", ch)
	note("register", u.send("REGISTER", "alice", credentials(ch, "REGISTER", "alice", "secret", "00000001")))
	note("register wrong password", u.send("REGISTER", "alice", credentials(ch, "REGISTER", "alice", "wrong", "00000002")))
	note("register unknown user", u.send("REGISTER", "mallory", credentials(ch, "REGISTER", "mallory", "x", "00000003")))
	if qop {
		note("register replayed nc", u.send("REGISTER", "alice", credentials(ch, "REGISTER", "alice", "secret", "00000001")))
		note("register next nc", u.send("REGISTER", "alice", credentials(ch, "REGISTER", "alice", "secret", "00000004")))
	}
	// A nonce of the server with one character of its MAC changed.
	forged := ch
	b := []byte(ch.nonce)
	b[14] = map[bool]byte{true: 'B', false: 'A'}[b[14] == 'A']
	forged.nonce = string(b)
	note("register forged nonce", u.send("REGISTER", "alice", credentials(forged, "REGISTER", "alice", "secret", "00000005")))

	ich := u.send("INVITE", "bob", "")
	note("invite without credentials", ich)
	note("invite", u.send("INVITE", "bob", credentials(ich, "INVITE", "bob", "b0b", "00000001")))
	ich = u.send("INVITE", "alice", "")
	note("invite as someone else", u.send("INVITE", "alice", credentials(ich, "INVITE", "bob", "b0b", "00000001")))
	return seen
}

func authWant(qop bool, alg string) []string {
	sfx := ""
	if qop {
		sfx += " qop=auth"
	}
	if alg != "" {
		sfx += " algorithm=" + alg
	}
	w := []string{
		"register without credentials: 401" + sfx,
		"register: 200",
		"register wrong password: 403",
		"register unknown user: 401" + sfx,
	}
	if qop {
		w = append(w, "register replayed nc: 401 stale"+sfx, "register next nc: 200")
	}
	return append(w,
		"register forged nonce: 401"+sfx,
		"invite without credentials: 407"+sfx,
		"invite: 486",
		"invite as someone else: 403",
	)
}

var authVariants = []struct {
	name    string
	defines []string
	qop     bool
	alg     string
}{
	{"md5", nil, false, ""},
	{"md5-qop-nc", []string{"WITH_QOP"}, true, ""},
	{"sha256-qop-nc", []string{"WITH_QOP", "WITH_SHA256"}, true, "SHA-256"},
}

func testAuthDigest(t *testing.T, kind serverKind) {
	cfg := writeAuthCfg(t)
	for _, v := range authVariants {
		t.Run(v.name, func(t *testing.T) {
			defs := append(slices.Clone(v.defines), fmt.Sprintf("DBURL=\"%s\"", newAuthDB(t)))
			s := startServer(t, kind, cfg, defs...)
			got := authSteps(t, s.addr, v.qop)
			if want := authWant(v.qop, v.alg); !slices.Equal(got, want) {
				t.Errorf("%s replies:\n got %q\nwant %q\nlog:\n%s", kind, got, want, lastLines(s.log(), 30))
			}
		})
	}
}

// TestAuthDigestOlelo and TestAuthDigestKamailio run the same digest
// conversation (right and wrong passwords, unknown user, replayed nc,
// forged nonce, proxy authentication of INVITE, identity check) through
// olelo and through Kamailio 5.6 with the same configuration and
// database: the replies must be the same.
func TestAuthDigestOlelo(t *testing.T)    { testAuthDigest(t, oleloServer) }
func TestAuthDigestKamailio(t *testing.T) { testAuthDigest(t, kamailioServer) }

func testAuthStale(t *testing.T, kind serverKind) {
	cfg := writeAuthCfg(t)
	s := startServer(t, kind, cfg, "WITH_SHORT_NONCE", fmt.Sprintf("DBURL=\"%s\"", newAuthDB(t)))
	u := newDigestUA(t, s.addr)
	ch := u.send("REGISTER", "alice", "")
	if ch.code != 401 || ch.stale {
		t.Fatalf("first challenge: %+v", ch)
	}
	// nonce_expire is 1 s: wait until the nonce has expired for sure.
	time.Sleep(2500 * time.Millisecond)
	st := u.send("REGISTER", "alice", credentials(ch, "REGISTER", "alice", "secret", ""))
	if st.code != 401 || !st.stale || st.nonce == ch.nonce {
		t.Fatalf("%s: expired nonce answered %+v", kind, st)
	}
	if r := u.send("REGISTER", "alice", credentials(st, "REGISTER", "alice", "secret", "")); r.code != 200 {
		t.Errorf("%s: fresh nonce after stale: %d", kind, r.code)
	}
}

// TestAuthStaleOlelo / Kamailio: an expired nonce gets 401 with
// stale=true (flag 16 after -4) and the fresh nonce works.
func TestAuthStaleOlelo(t *testing.T)    { testAuthStale(t, oleloServer) }
func TestAuthStaleKamailio(t *testing.T) { testAuthStale(t, kamailioServer) }

// sippAuthScenario registers with [authentication] (SIPp computes the
// digest from the 401), then makes an INVITE that is challenged with 407
// and answered 486 once authenticated.
const sippAuthScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="digest register and invite">
  <send retrans="500"><![CDATA[
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@example.com>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@example.com>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@example.com>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@example.com>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
[authentication username=alice password=PASSWORD]
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
  <recv response="200"/>
  <send retrans="500"><![CDATA[
INVITE sip:carol@example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@example.com>;tag=[pid]SIPpTag01[call_number]
To: <sip:carol@example.com>
Call-ID: [call_id]
CSeq: 3 INVITE
Contact: <sip:[service]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[
ACK sip:carol@example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@example.com>;tag=[pid]SIPpTag01[call_number]
To: <sip:carol@example.com>[peer_tag_param]
Call-ID: [call_id]
CSeq: 3 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
INVITE sip:carol@example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@example.com>;tag=[pid]SIPpTag01[call_number]
To: <sip:carol@example.com>
Call-ID: [call_id]
CSeq: 4 INVITE
Contact: <sip:[service]@[local_ip]:[local_port]>
[authentication username=alice password=PASSWORD]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="100" optional="true"/>
  <recv response="486"/>
  <send><![CDATA[
ACK sip:carol@example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@example.com>;tag=[pid]SIPpTag01[call_number]
To: <sip:carol@example.com>[peer_tag_param]
Call-ID: [call_id]
CSeq: 4 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
`

// TestAuthSIPp drives olelo with SIPp computing the digest itself
// (MD5, and qop=auth with nonce counting), over UDP and TCP; a wrong
// password must fail the scenario (403 instead of 200).
func TestAuthSIPp(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	cfg := writeAuthCfg(t)
	for _, v := range authVariants[:2] {
		t.Run(v.name, func(t *testing.T) {
			defs := append(slices.Clone(v.defines), fmt.Sprintf("DBURL=\"%s\"", newAuthDB(t)))
			s := startServer(t, oleloServer, cfg, defs...)
			run := func(password, transport string) error {
				dir := t.TempDir()
				scen := filepath.Join(dir, "auth.xml")
				os.WriteFile(scen, []byte(strings.ReplaceAll(sippAuthScenario, "PASSWORD", password)), 0o644)
				out, err := runPeer(t, 20*time.Second, sipp, s.addr, "-sf", scen, "-s", "alice", "-i", "127.0.0.1",
					"-p", fmt.Sprint(freePort(t)), "-t", transport, "-m", "3", "-nostdin", "-timeout", "10s", "-timeout_error",
					"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_msg", "-message_file", filepath.Join(dir, "msg.log"))
				if err != nil {
					errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
					msgs, _ := os.ReadFile(filepath.Join(dir, "msg.log"))
					return fmt.Errorf("%v\n%s\n%s\nmessages:\n%s", err, lastLines(out, 10), lastLines(string(errs), 20), lastLines(string(msgs), 80))
				}
				return nil
			}
			for _, tr := range []string{"u1", "t1"} {
				if err := run("secret", tr); err != nil {
					t.Errorf("%s: %v\nolelo log:\n%s", tr, err, lastLines(s.log(), 30))
				}
			}
			if err := run("wrong", "u1"); err == nil {
				t.Error("SIPp with a wrong password succeeded")
			}
		})
	}
}

// TestAuthSipsak registers with sipsak's digest support (-a).
func TestAuthSipsak(t *testing.T) {
	sipsak := lookPath(t, "sipsak", "sipsak")
	cfg := writeAuthCfg(t)
	s := startServer(t, oleloServer, cfg, fmt.Sprintf("DBURL=\"%s\"", newAuthDB(t)))
	port := freePort(t)
	for _, tt := range []struct {
		password string
		ok       bool
	}{{"secret", true}, {"wrong", false}} {
		out, err := runPeer(t, 20*time.Second, sipsak, "-U", "-C", fmt.Sprintf("sip:alice@127.0.0.1:%d", port),
			"-s", "sip:alice@"+s.addr, "-H", "127.0.0.1", "-l", fmt.Sprint(port), "-p", s.addr, "-a", tt.password, "-vv")
		if (err == nil) != tt.ok {
			t.Errorf("sipsak -a %s: err %v\n%s\nolelo log:\n%s", tt.password, err, lastLines(out, 20), lastLines(s.log(), 20))
		}
	}
}
