package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/db"
)

// The end-to-end proofs of issue 5 that the other files do not give:
// the Kamailio 101 part 8 configs (registrar with digest auth, carriers
// by address group 200) through olelo and through Kamailio 5.6, and 10,000
// digest registrations from a SIPp injection file. (Registrations that
// survive a restart on db_text are a case of TestRegistrarRestart.)

const (
	issue5Callee   = "bob"
	issue5CalleePw = "b0b-s3cret"
	issue5Caller   = "alice"
	issue5CallerPw = "al1ce-pw"
)

// regAuthScenario registers -s USER with the Contact 127.0.0.1:[contact_port]
// (a callee SIPp), answering the 401 with the credentials %s/%s.
const regAuthScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="REGISTER a callee with digest auth">
  <send retrans="500">
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@127.0.0.1:[contact_port];transport=udp>
      Expires: 300
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true" />
  <send retrans="500">
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[service]@127.0.0.1:[contact_port];transport=udp>
      [authentication username=%s password=%s]
      Expires: 300
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" />
</scenario>
`

// inviteAuthScenario calls -s USER as the subscriber %s: INVITE, 407,
// ACK, INVITE with the credentials %s/%s, answer, ACK and BYE along the
// Record-Route set.
const inviteAuthScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="call with proxy authentication">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:%[1]s@[local_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:%[1]s@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true" />
  <recv response="407" auth="true" />
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:%[1]s@[local_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 2 INVITE
      Contact: <sip:%[1]s@[local_ip]:[local_port];transport=[transport]>
      [authentication username=%[1]s password=%[2]s]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=%[1]s 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true" />
  <recv response="180" optional="true" />
  <recv response="200" rrs="true" />
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="100" />
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" />
</scenario>
`

// part8DB makes the database of the part 8 configs the way the post
// does, with olelo's tools: the tables (kamdbctl create), two subscribers
// (kamctl add) and the carrier 127.0.0.2 in address group 200, any port
// (kamctl address add). It returns the URL in the form both servers read
// as an absolute path (four slashes).
func part8DB(t *testing.T) string {
	t.Helper()
	url := "sqlite:///" + filepath.Join(t.TempDir(), "part8.db")
	mustOlelo(t, "db", "create", "--db", url)
	mustOlelo(t, "ctl", "--db", url, "add", issue5Callee, issue5CalleePw)
	mustOlelo(t, "ctl", "--db", url, "add", issue5Caller, issue5CallerPw)
	mustOlelo(t, "ctl", "--db", url, "address", "add", "200", "127.0.0.2", "32", "0", "Carrier IP address")
	return url
}

// sippStep runs one SIPp caller (scenario arguments args, -s service)
// from the loopback address ip to server, and returns the status lines
// of the replies it received, retransmissions folded (code and CSeq), as
// "CODE REASON". A failed scenario fails the test.
func sippStep(t *testing.T, server, ip, service string, serverLog func() string, args ...string) []string {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	dir := t.TempDir()
	trace := filepath.Join(dir, "msg.log")
	all := append([]string{server}, args...)
	all = append(all, "-s", service, "-i", ip, "-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", "1", "-nostdin",
		"-timeout", "20s", "-timeout_error", "-max_recv_loops", "1000",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_msg", "-message_file", trace)
	out, err := runPeer(t, 40*time.Second, sipp, all...)
	msgs, _ := os.ReadFile(trace)
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Errorf("SIPp %v from %s failed: %v\n%s\nsipp errors:\n%s\nmessages:\n%s\nserver log:\n%s",
			args, ip, err, lastLines(out, 15), lastLines(string(errs), 20), lastLines(string(msgs), 60), lastLines(serverLog(), 30))
	}
	return replyLines(string(msgs))
}

// replyLines is callerReplies keeping the reason phrases.
func replyLines(trace string) []string {
	var lines []string
	last := ""
	for _, p := range receivedRe.Split(strings.ReplaceAll(trace, "\r", ""), -1)[1:] {
		status, _, _ := strings.Cut(p, "\n")
		m := statusRe.FindStringSubmatch(status)
		if m == nil {
			continue
		}
		cs := ""
		if c := cseqRe.FindStringSubmatch(p); c != nil {
			cs = strings.TrimSpace(c[1])
		}
		if key := m[1] + " " + cs; key != last {
			last = key
			lines = append(lines, strings.TrimPrefix(status, "SIP/2.0 "))
		}
	}
	return lines
}

// part8Step is one SIPp caller of the part 8 proof and the replies it
// must see (status lines; an entry of just a code matches any reason).
type part8Step struct {
	name    string
	ip      string
	service string
	args    []string
	want    []string
}

func codeOf(line string) string { c, _, _ := strings.Cut(line, " "); return c }

// matchReplies reports whether got are the replies of want (codes, and
// reasons where want gives one).
func matchReplies(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if strings.Contains(want[i], " ") && got[i] != want[i] || codeOf(got[i]) != codeOf(want[i]) {
			return false
		}
	}
	return true
}

// runPart8 runs the part 8 proof through kind on cfg: a SIPp callee
// (uas_answer.xml) is registered as bob with digest auth, then the steps
// call. It returns what each step saw, in order.
func runPart8(t *testing.T, kind serverKind, cfg, url string, steps []part8Step, calleeCalls int) [][]string {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	if kind == oleloServer {
		skipIfOleloLacks(t, cfg, `DBURL="`+url+`"`)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	uasPort := freePort(t)
	uas := exec.CommandContext(ctx, sipp, "-sf", absPath(t, filepath.Join("testdata", "callflow", "uas_answer.xml")),
		"-i", "127.0.0.1", "-p", fmt.Sprint(uasPort), "-t", "u1", "-m", fmt.Sprint(calleeCalls), "-nostdin",
		"-mp", fmt.Sprint(freeMediaPort(t)), "-trace_err", "-error_file", filepath.Join(dir, "uas_err.log"))
	var uasOut strings.Builder
	uas.Stdout, uas.Stderr = &uasOut, &uasOut
	uas.Dir = dir
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	uasDone := make(chan error, 1)
	go func() { uasDone <- uas.Wait() }()
	t.Cleanup(func() { cancel(); <-uasDone })
	for deadline := time.Now().Add(15 * time.Second); !portBusy(uasPort, "u1"); {
		if time.Now().After(deadline) {
			t.Fatal("the callee SIPp did not bind its port")
		}
		time.Sleep(20 * time.Millisecond)
	}

	s := startServer(t, kind, cfg, `DBURL="`+url+`"`)
	regScen := writeFile(t, "register_auth.xml", fmt.Sprintf(regAuthScenario, issue5Callee, issue5CalleePw))
	reg := sippStep(t, s.addr, "127.0.0.1", issue5Callee, s.log, "-sf", regScen, "-key", "contact_port", fmt.Sprint(uasPort))
	if !matchReplies(reg, []string{"401", "200"}) {
		t.Fatalf("%s: REGISTER with digest auth saw %q, want 401 then 200", kind, reg)
	}
	results := [][]string{reg}
	for _, st := range steps {
		got := sippStep(t, s.addr, st.ip, st.service, s.log, st.args...)
		if !matchReplies(got, st.want) {
			t.Errorf("%s: %s: the caller saw %q, want %q", kind, st.name, got, st.want)
		}
		results = append(results, got)
	}
	t.Logf("%s: the callers saw %q", kind, results)
	select {
	case err := <-uasDone:
		uasDone <- err // for the cleanup
		if err != nil {
			errs, _ := os.ReadFile(filepath.Join(dir, "uas_err.log"))
			t.Errorf("%s: the callee failed: %v\n%s\n%s", kind, err, lastLines(uasOut.String(), 15), lastLines(string(errs), 30))
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s: the callee did not finish its %d call(s)", kind, calleeCalls)
	}
	return results
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// kamailioSQLite skips the test when Kamailio or its db_sqlite module is
// not installed.
func kamailioSQLite(t *testing.T) {
	t.Helper()
	lookPath(t, "kamailio", "kamailio")
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so"); err != nil {
		t.Skip("Kamailio's db_sqlite module is not installed (Debian package kamailio-sqlite-modules)")
	}
}

// TestIssue5Kamailio101Part8 runs the seeds' Kamailio 101 part 8 configs
// (examples/kamailio101-part8*.cfg) through Kamailio 5.6 and olelo with
// the same database, made by `olelo db create`, `olelo ctl add` and
// `olelo ctl address add`: a SIPp callee registers as bob with digest
// auth (401, then 200); an INVITE from the carrier 127.0.0.2 (group 200)
// reaches it and is answered; one for an unregistered user gets 404; an
// INVITE from 127.0.0.3 gets 407 (part 8: a user must authenticate, and
// then the call goes through) or "403 Nope. Don't know who you are" (the
// carriers-only step of the post). Both servers must give the caller the
// same replies, reason phrases included.
func TestIssue5Kamailio101Part8(t *testing.T) {
	loopbackAlias(t)
	lookPath(t, "sipp", "sip-tester")
	callAsCarrier := part8Step{name: "INVITE from the carrier", ip: "127.0.0.2", service: issue5Callee,
		args: []string{"-sf", absPath(t, filepath.Join("testdata", "callflow", "uac_call.xml"))},
		want: []string{"100", "180", "200", "200"}}
	unregistered := part8Step{name: "carrier INVITE to an unregistered user", ip: "127.0.0.2", service: "carol",
		args: []string{"-sf", uacFile(t, uac{Method: "INVITE", User: "carol", Expect: 404})},
		want: []string{"404 User not Registered"}}
	variants := []struct {
		cfg         string
		steps       []part8Step
		calleeCalls int
	}{
		{"kamailio101-part8.cfg", []part8Step{
			callAsCarrier, unregistered,
			{name: "INVITE from elsewhere without credentials", ip: "127.0.0.3", service: issue5Callee,
				args: []string{"-sf", uacFile(t, uac{Method: "INVITE", User: issue5Callee, Expect: 407})},
				want: []string{"407"}},
			{name: "INVITE from a user with credentials", ip: "127.0.0.3", service: issue5Callee,
				args: []string{"-sf", writeFile(t, "invite_auth.xml", fmt.Sprintf(inviteAuthScenario, issue5Caller, issue5CallerPw))},
				want: []string{"407", "100", "180", "200", "200"}},
		}, 2},
		{"kamailio101-part8-carriers-only.cfg", []part8Step{
			callAsCarrier, unregistered,
			{name: "INVITE from elsewhere", ip: "127.0.0.3", service: issue5Callee,
				args: []string{"-sf", uacFile(t, uac{Method: "INVITE", User: issue5Callee, Expect: 403})},
				want: []string{"403 Nope. Don't know who you are"}},
		}, 1},
	}
	for _, v := range variants {
		t.Run(strings.TrimSuffix(v.cfg, ".cfg"), func(t *testing.T) {
			cfg := absPath(t, example(v.cfg))
			url := part8DB(t)
			got := map[serverKind][][]string{}
			for _, kind := range []serverKind{kamailioServer, oleloServer} {
				t.Run(string(kind), func(t *testing.T) {
					if kind == kamailioServer {
						kamailioSQLite(t)
					}
					got[kind] = runPart8(t, kind, cfg, url, v.steps, v.calleeCalls)
				})
			}
			k, o := got[kamailioServer], got[oleloServer]
			if k == nil || o == nil {
				return // one side skipped or failed to start: nothing to compare
			}
			names := []string{"REGISTER"}
			for _, st := range v.steps {
				names = append(names, st.name)
			}
			for i := range names {
				if i >= len(k) || i >= len(o) || !slices.Equal(k[i], o[i]) {
					var ki, oi []string
					if i < len(k) {
						ki = k[i]
					}
					if i < len(o) {
						oi = o[i]
					}
					t.Errorf("DIFFERENCE on %s, %s: through Kamailio the caller saw %q, through olelo %q", v.cfg, names[i], ki, oi)
				}
			}
		})
	}
}

// TestIssue5Register10kDigest: 10,000 subscribers (inserted in one
// transaction into a database made by `olelo db create`) register with
// digest auth from a SIPp injection file at 500 registrations/s, using
// the benchmark's scenario and config (bench/sipp); every one must get
// its 200, and ul.dump must then list 10,000 AoRs.
func TestIssue5Register10kDigest(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	const users = 10000
	dir := t.TempDir()
	url := "sqlite:///" + filepath.Join(dir, "register.db")
	mustOlelo(t, "db", "create", "--db", url)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := conn.(db.SQLConn)
	if !ok {
		conn.Close()
		t.Fatal("the SQLite connection is not an SQLConn")
	}
	tx, err := sc.SQL().BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (%s, %s, %s, '', '')",
		sc.Placeholder(1), sc.Placeholder(2), sc.Placeholder(3)))
	if err != nil {
		tx.Rollback()
		conn.Close()
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("SEQUENTIAL\n")
	for i := range users {
		user, pass := fmt.Sprintf("user%05d", i), fmt.Sprintf("pass%05d", i)
		if _, err := stmt.ExecContext(ctx, user, "bench.example", pass); err != nil {
			tx.Rollback()
			conn.Close()
			t.Fatalf("insert %s: %v", user, err)
		}
		fmt.Fprintf(&csv, "%s;[authentication username=%s password=%s]\n", user, user, pass)
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "subscriber", []string{"username"}, []db.Cond{db.Eq("username", "user09999")}, "")
	conn.Close()
	if err != nil || len(rows) != 1 {
		t.Fatalf("the last subscriber is not in the table: %v %v", rows, err)
	}
	csvPath := writeFile(t, "users.csv", csv.String())

	// The e2e binary is built with the race detector, which slows olelo
	// down several times over: 500/s keeps it well ahead of SIPp (the
	// benchmark, bench/sipp/register.sh, measures the real build).
	s := startRegistrar(t, absPath(t, filepath.Join("..", "..", "bench", "sipp", "register.cfg")), "", `DBURL="`+url+`"`)
	start := time.Now()
	out, err := runPeer(t, 60*time.Second, sipp, s.addr,
		"-sf", absPath(t, filepath.Join("..", "..", "bench", "sipp", "register_uac.xml")), "-inf", csvPath,
		"-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", fmt.Sprint(users),
		"-r", "500", "-l", "1000", "-nostdin", "-timeout", "55s", "-timeout_error", "-recv_timeout", "10000",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	took := time.Since(start)
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Fatalf("SIPp after %v: %v\n%s\n%s\nolelo:\n%s", took.Round(time.Millisecond), err, lastLines(out, 25), lastLines(string(errs), 20), lastLines(s.log(), 20))
	}
	t.Logf("%d digest registrations in %v", users, took.Round(time.Millisecond))
	if !strings.Contains(out, "Successful call") {
		t.Errorf("SIPp printed no statistics:\n%s", lastLines(out, 25))
	}

	dump, err := s.rpcCall(t, "ul.dump", "brief")
	if err != nil {
		t.Fatalf("ul.dump: %v\n%s", err, lastLines(dump, 5))
	}
	var d struct {
		Domains []struct {
			Domain struct {
				AoRs []struct {
					Info struct{ AoR string }
				}
				Stats struct{ Records int }
			}
		}
	}
	if err := json.Unmarshal([]byte(dump), &d); err != nil || len(d.Domains) != 1 {
		t.Fatalf("ul.dump brief: %v\n%s", err, lastLines(dump, 5))
	}
	if n := d.Domains[0].Domain.Stats.Records; n != users {
		t.Errorf("ul.dump says %d records, want %d", n, users)
	}
	seen := map[string]bool{}
	for _, a := range d.Domains[0].Domain.AoRs {
		seen[a.Info.AoR] = true
	}
	for i := range users {
		if u := fmt.Sprintf("user%05d", i); !seen[u] {
			t.Errorf("ul.dump lacks %s (%d distinct AoRs listed)", u, len(seen))
			break
		}
	}
}
