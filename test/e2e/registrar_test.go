package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/db/dbtest"
)

// registrarCfg is a registrar and call router; DBURL/DBMODE switch on
// the database.
const registrarCfg = `#!KAMAILIO
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "rr.so"

modparam("registrar", "min_expires_mode", 1)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "max_contacts", 3)
#!ifdef USE_PATH
modparam("registrar", "use_path", 1)
#!endif
#!ifdef DBURL
modparam("usrloc", "db_url", DBURL)
modparam("usrloc", "db_mode", DBMODE)
modparam("usrloc", "timer_interval", 1)
#!endif

request_route {
	if (loose_route()) {
		t_relay();
		exit;
	}
	if (method == "REGISTER") {
		save("location");
		exit;
	}
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	if (method == "INVITE") {
		record_route();
	}
	t_relay();
}
`

func writeRegistrarCfg(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "registrar.cfg")
	if err := os.WriteFile(p, []byte(registrarCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// proc is an olelo started by these tests, which may kill it with
// SIGKILL (startOlelo treats any early exit as a failure).
type proc struct {
	cmd  *exec.Cmd
	addr string
	rpc  string
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *proc) log() string { p.mu.Lock(); defer p.mu.Unlock(); return p.out.String() }

// startRegistrar starts olelo on cfg at addr (a free port when "") with
// its control socket in a temporary folder.
func startRegistrar(t *testing.T, cfg, addr string, defines ...string) *proc {
	t.Helper()
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	}
	p := &proc{addr: addr, rpc: "unix:" + filepath.Join(t.TempDir(), "ctl.sock"), done: make(chan struct{})}
	args := []string{"-f", cfg, "-E", "-l", "udp:" + addr, "-l", "tcp:" + addr, "--rpc", p.rpc}
	for _, d := range defines {
		args = append(args, "-A", d)
	}
	p.cmd = exec.Command(oleloBin, args...)
	pr, pw := io.Pipe()
	p.cmd.Stderr, p.cmd.Stdout = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() { p.cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.log(), "olelo started") {
		select {
		case <-p.done:
			t.Fatalf("olelo exited at start:\n%s", p.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("olelo did not start within 15s:\n%s", p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// kill stops olelo with SIGKILL (a crash: nothing is flushed).
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

// rpcCall runs `olelo rpc -r METHOD ARGS` against p.
func (p *proc) rpcCall(t *testing.T, method string, args ...string) (string, error) {
	t.Helper()
	out, err := runPeer(t, 10*time.Second, oleloBin, append([]string{"rpc", "-s", p.rpc, "-r", method}, args...)...)
	return out, err
}

// sipExchange sends a request (with PORT replaced by the local port) over
// UDP to addr and returns the first final reply.
func sipExchange(t *testing.T, addr, msg string) string {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "PORT", strconv.Itoa(port)), "\n", "\r\n")
	raddr, _ := net.ResolveUDPAddr("udp", addr)
	buf := make([]byte, 65535)
	for attempt := 0; attempt < 3; attempt++ {
		if _, err := conn.WriteToUDP([]byte(msg), raddr); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				break
			}
			reply := string(buf[:n])
			if !strings.HasPrefix(reply, "SIP/2.0 1") {
				return reply
			}
		}
	}
	t.Fatalf("no reply from %s to:\n%s", addr, msg)
	return ""
}

var regSeq int

func registerMsg(user, callID string, cseq int, lines ...string) string {
	regSeq++
	return fmt.Sprintf("REGISTER sip:127.0.0.1 SIP/2.0\n"+
		"Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-reg-%d-%d;rport\n"+
		"Max-Forwards: 70\n"+
		"From: <sip:%s@127.0.0.1>;tag=f%d\n"+
		"To: <sip:%s@127.0.0.1>\n"+
		"Call-ID: %s\n"+
		"CSeq: %d REGISTER\n"+
		"%s\n"+
		"Content-Length: 0\n\n", regSeq, time.Now().UnixNano(), user, regSeq, user, callID, cseq, strings.Join(lines, "\n"))
}

func replyHeader(reply, name string) string {
	for _, l := range strings.Split(reply, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	return ""
}

// TestRegistrarCallToRegisteredUAS: a SIPp UAS registers its own address
// with a REGISTER scenario, a SIPp UAC calls the AoR through olelo and
// the UAS answers; ul.dump shows the binding in Kamailio's shape.
func TestRegistrarCallToRegisteredUAS(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	cfg := writeRegistrarCfg(t)
	s := startRegistrar(t, cfg, "")
	uasPort := freePort(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uas := exec.CommandContext(ctx, sipp, "-sf", filepath.Join("testdata", "callflow", "uas_answer.xml"),
		"-i", "127.0.0.1", "-p", strconv.Itoa(uasPort), "-t", "u1", "-m", "1", "-nostdin", "-mp", strconv.Itoa(freeMediaPort(t)),
		"-trace_err", "-error_file", filepath.Join(dir, "uas_err.log"))
	var uasOut bytes.Buffer
	uas.Stdout, uas.Stderr = &uasOut, &uasOut
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	uasDone := make(chan error, 1)
	go func() { uasDone <- uas.Wait() }()

	out, err := runPeer(t, 15*time.Second, sipp, s.addr, "-sf", filepath.Join("testdata", "callflow", "uac_register.xml"),
		"-s", "alice", "-key", "contact_port", strconv.Itoa(uasPort), "-key", "contact_transport", "udp",
		"-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t)), "-t", "u1", "-m", "1", "-nostdin", "-timeout", "10s", "-timeout_error")
	if err != nil {
		t.Fatalf("REGISTER failed: %v\n%s\nolelo:\n%s", err, lastLines(out, 15), lastLines(s.log(), 30))
	}

	dump, err := s.rpcCall(t, "ul.dump")
	if err != nil {
		t.Fatalf("ul.dump: %v\n%s", err, dump)
	}
	var d struct {
		Domains []struct {
			Domain struct {
				Domain string
				AoRs   []struct {
					Info struct {
						AoR      string
						Contacts []struct{ Contact map[string]any }
					}
				}
				Stats map[string]any
			}
		}
	}
	if err := json.Unmarshal([]byte(dump), &d); err != nil || len(d.Domains) != 1 || len(d.Domains[0].Domain.AoRs) != 1 {
		t.Fatalf("ul.dump: %v\n%s", err, dump)
	}
	info := d.Domains[0].Domain.AoRs[0].Info
	wantAddr := fmt.Sprintf("sip:alice@127.0.0.1:%d;transport=udp", uasPort)
	if info.AoR != "alice" || len(info.Contacts) != 1 || info.Contacts[0].Contact["Address"] != wantAddr {
		t.Fatalf("ul.dump has %+v, want alice -> %s", info, wantAddr)
	}

	out, err = runPeer(t, 20*time.Second, sipp, s.addr, "-sf", filepath.Join("testdata", "callflow", "uac_call.xml"),
		"-s", "alice", "-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t)), "-t", "u1", "-m", "1", "-nostdin",
		"-mp", strconv.Itoa(freeMediaPort(t)), "-timeout", "15s", "-timeout_error")
	if err != nil {
		t.Fatalf("call to the registered UAS failed: %v\n%s\nolelo:\n%s", err, lastLines(out, 20), lastLines(s.log(), 30))
	}
	select {
	case err := <-uasDone:
		if err != nil {
			errs, _ := os.ReadFile(filepath.Join(dir, "uas_err.log"))
			t.Fatalf("UAS: %v\n%s\n%s", err, lastLines(uasOut.String(), 15), errs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the UAS did not finish its call")
	}

	// An unknown user gets the config's 404.
	reply := sipExchange(t, s.addr, "INVITE sip:nobody@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-nobody\n"+
		"Max-Forwards: 70\nFrom: <sip:x@127.0.0.1>;tag=1\nTo: <sip:nobody@127.0.0.1>\nCall-ID: nobody\nCSeq: 1 INVITE\nContent-Length: 0\n\n")
	if !strings.HasPrefix(reply, "SIP/2.0 404") {
		t.Errorf("INVITE to an unregistered user: %q", reply)
	}
}

// TestRegistrar10kUsers registers 10,000 users from a SIPp injection
// file at a high rate; every REGISTER must get its 200 and every user
// must be in the table.
func TestRegistrar10kUsers(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	const users = 10000
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("SEQUENTIAL\n")
	for i := range users {
		fmt.Fprintf(&csv, "user%05d;%d\n", i, 20000+i%40000)
	}
	csvPath := filepath.Join(dir, "users.csv")
	os.WriteFile(csvPath, []byte(csv.String()), 0o644)
	scen := `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="REGISTER users from a CSV">
  <send retrans="500">
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field0]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[field0]@127.0.0.1:[field1]>
      Expires: 600
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" />
</scenario>
`
	scenPath := filepath.Join(dir, "register_csv.xml")
	os.WriteFile(scenPath, []byte(scen), 0o644)
	s := startRegistrar(t, writeRegistrarCfg(t), "")
	out, err := runPeer(t, 60*time.Second, sipp, s.addr, "-sf", scenPath, "-inf", csvPath,
		"-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t)), "-t", "u1", "-m", strconv.Itoa(users),
		"-r", "2000", "-l", "500", "-nostdin", "-timeout", "50s", "-timeout_error", "-recv_timeout", "5000",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Fatalf("SIPp: %v\n%s\n%s", err, lastLines(out, 20), lastLines(string(errs), 20))
	}
	dump, err := s.rpcCall(t, "ul.dump", "brief")
	if err != nil {
		t.Fatalf("ul.dump: %v\n%s", err, lastLines(dump, 5))
	}
	var d struct {
		Domains []struct {
			Domain struct{ Stats struct{ Records int } }
		}
	}
	if err := json.Unmarshal([]byte(dump), &d); err != nil || len(d.Domains) != 1 {
		t.Fatalf("ul.dump: %v", err)
	}
	if n := d.Domains[0].Domain.Stats.Records; n != users {
		t.Errorf("%d AoRs registered, want %d", n, users)
	}
}

// TestRegistrarRestart: registrations survive a restart with db_mode 1
// (killed with SIGKILL right after the 200) and db_mode 2 (killed after
// its flush interval), on SQLite, MariaDB, PostgreSQL and db_text.
func TestRegistrarRestart(t *testing.T) {
	backends := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return dbtest.SQLite(t) }},
		{"mysql", func(t *testing.T) string { return dbtest.MySQL(t) }},
		{"postgres", func(t *testing.T) string { return dbtest.Postgres(t) }},
		{"text", func(t *testing.T) string { return dbtest.Text(t) }},
	}
	for _, be := range backends {
		for _, mode := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/db_mode%d", be.name, mode), func(t *testing.T) {
				url := be.url(t)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				conn, err := db.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				if err := db.CreateTables(ctx, conn, "location"); err != nil {
					t.Fatal(err)
				}
				conn.Close()
				cfg := writeRegistrarCfg(t)
				defs := []string{fmt.Sprintf("DBURL=%q", url), fmt.Sprintf("DBMODE=%d", mode)}
				s := startRegistrar(t, cfg, "", defs...)
				reply := sipExchange(t, s.addr, registerMsg("alice", "restart-1", 1,
					"Contact: <sip:alice@192.0.2.1:5060>;q=0.5, <sip:alice@192.0.2.2:5060>", "Expires: 600"))
				if !strings.HasPrefix(reply, "SIP/2.0 200") {
					t.Fatalf("REGISTER: %q", reply)
				}
				if mode == 2 {
					// Written back at the next timer run (timer_interval 1).
					deadline := time.Now().Add(15 * time.Second)
					for {
						out, _ := s.rpcCall(t, "ul.lookup", "location", "alice")
						if strings.Count(out, `"CS_SYNC"`) == 2 {
							break
						}
						if time.Now().After(deadline) {
							t.Fatalf("contacts not written back: %s\n%s", out, lastLines(s.log(), 20))
						}
						time.Sleep(100 * time.Millisecond)
					}
				}
				s.kill()

				again := startRegistrar(t, cfg, s.addr, defs...)
				out, err := again.rpcCall(t, "ul.lookup", "location", "alice")
				if err != nil {
					t.Fatalf("after restart: ul.lookup: %v %s\n%s", err, out, lastLines(again.log(), 20))
				}
				if !strings.Contains(out, `"sip:alice@192.0.2.1:5060"`) || !strings.Contains(out, `"sip:alice@192.0.2.2:5060"`) {
					t.Fatalf("after restart: %s", out)
				}
				// The loaded contacts are used: a query-only REGISTER
				// lists both, the q=0.5 one first.
				reply = sipExchange(t, again.addr, registerMsg("alice", "restart-2", 1))
				want := regexp.MustCompile(`^<sip:alice@192\.0\.2\.1:5060>;q=0\.5;expires=\d+, <sip:alice@192\.0\.2\.2:5060>;expires=\d+$`)
				if c := replyHeader(reply, "Contact"); !want.MatchString(c) {
					t.Errorf("query after restart: Contact %q", c)
				}
			})
		}
	}
}

// TestRegistrarDifferential sends the same REGISTERs to Kamailio 5.6 and
// olelo running the same config and compares the replies: status,
// Contact list with expires (±1 s), Min-Expires and P-Registrar-Error.
func TestRegistrarDifferential(t *testing.T) {
	lookPath(t, "kamailio", "kamailio")
	cfg := writeRegistrarCfg(t)
	k := startKamailio(t, cfg)
	o := startRegistrar(t, cfg, "")
	cases := []struct {
		name  string
		steps [][]string // REGISTERs in order (header lines), for one user
	}{
		{"one contact", [][]string{{"Contact: <sip:u@192.0.2.1:5060>", "Expires: 300"}}},
		{"contact param wins", [][]string{{"Contact: <sip:u@192.0.2.1:5060>;expires=120", "Expires: 300"}}},
		{"q order", [][]string{{"Contact: <sip:a@192.0.2.1>;q=0.2, <sip:b@192.0.2.2>;q=0.9, <sip:c@192.0.2.3>", "Expires: 300"}}},
		{"too brief", [][]string{{"Contact: <sip:u@192.0.2.1>", "Expires: 10"}}},
		{"capped", [][]string{{"Contact: <sip:u@192.0.2.1>", "Expires: 7200"}}},
		{"default expires capped", [][]string{{"Contact: <sip:u@192.0.2.1>"}}},
		{"star not zero", [][]string{{"Contact: *", "Expires: 30"}}},
		{"star", [][]string{{"Contact: <sip:u@192.0.2.1>", "Expires: 300"}, {"Contact: *", "Expires: 0"}}},
		{"remove one", [][]string{{"Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>", "Expires: 300"}, {"Contact: <sip:a@192.0.2.1>;expires=0"}}},
		{"query", [][]string{{"Contact: <sip:a@192.0.2.1>", "Expires: 300"}, {}}},
		{"too many contacts", [][]string{{"Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>, <sip:c@192.0.2.3>, <sip:d@192.0.2.4>"}}},
	}
	expiresRe := regexp.MustCompile(`expires=(\d+)`)
	norm := func(reply string) (status, contact, other string) {
		status, _, _ = strings.Cut(reply, "\r\n")
		contact = replyHeader(reply, "Contact")
		other = replyHeader(reply, "Min-Expires") + "|" + replyHeader(reply, "P-Registrar-Error") + "|" + replyHeader(reply, "Retry-After")
		return
	}
	for i, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			user := fmt.Sprintf("diff%d", i)
			for j, lines := range tc.steps {
				callID := fmt.Sprintf("diff-%d-%d", i, time.Now().UnixNano())
				kr := sipExchange(t, k.addr, registerMsg(user, callID, j+1, lines...))
				or := sipExchange(t, o.addr, registerMsg(user, callID, j+1, lines...))
				ks, kc, ko := norm(kr)
				os, oc, oo := norm(or)
				if ks != os || ko != oo {
					t.Errorf("step %d: Kamailio %q %q, olelo %q %q", j+1, ks, ko, os, oo)
				}
				ke, oe := expiresRe.FindAllStringSubmatch(kc, -1), expiresRe.FindAllStringSubmatch(oc, -1)
				if expiresRe.ReplaceAllString(kc, "expires=N") != expiresRe.ReplaceAllString(oc, "expires=N") || len(ke) != len(oe) {
					t.Errorf("step %d: Contact\n Kamailio %q\n olelo    %q", j+1, kc, oc)
					continue
				}
				for n := range ke {
					a, _ := strconv.Atoi(ke[n][1])
					b, _ := strconv.Atoi(oe[n][1])
					if a-b > 1 || b-a > 1 {
						t.Errorf("step %d: expires %d vs %d", j+1, a, b)
					}
				}
			}
		})
	}
}

// TestRegistrarPathRoute: a contact registered through an edge proxy
// (RFC 3327 Path) is reached through that proxy: the request goes to the
// Path hop with a Route header naming it, the Request-URI is the contact.
func TestRegistrarPathRoute(t *testing.T) {
	p := startRegistrar(t, writeRegistrarCfg(t), "", "USE_PATH")
	edge, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer edge.Close()
	path := fmt.Sprintf("<sip:127.0.0.1:%d;lr>", edge.LocalAddr().(*net.UDPAddr).Port)
	reply := sipExchange(t, p.addr, registerMsg("pathuser", "path-reg-1", 1,
		"Contact: <sip:pathuser@192.0.2.99:5099>", "Path: "+path, "Supported: path", "Expires: 60"))
	if !strings.HasPrefix(reply, "SIP/2.0 200") {
		t.Fatalf("REGISTER with Path: %s", reply)
	}
	// The edge proxy answers whatever reaches it, after checking it.
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 65535)
		edge.SetReadDeadline(time.Now().Add(8 * time.Second))
		n, from, err := edge.ReadFromUDP(buf)
		if err != nil {
			got <- ""
			return
		}
		req := string(buf[:n])
		got <- req
		var hdrs []string
		for _, l := range strings.Split(req, "\r\n")[1:] {
			for _, h := range []string{"Via:", "From:", "Call-ID:", "CSeq:"} {
				if strings.HasPrefix(l, h) {
					hdrs = append(hdrs, l)
				}
			}
			if strings.HasPrefix(l, "To:") {
				hdrs = append(hdrs, l+";tag=edge")
			}
		}
		edge.WriteToUDP([]byte("SIP/2.0 200 OK\r\n"+strings.Join(hdrs, "\r\n")+"\r\nContent-Length: 0\r\n\r\n"), from)
	}()
	final := sipExchange(t, p.addr, "OPTIONS sip:pathuser@127.0.0.1 SIP/2.0\n"+
		"Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-path-opt;rport\n"+
		"Max-Forwards: 70\nFrom: <sip:caller@127.0.0.1>;tag=c1\nTo: <sip:pathuser@127.0.0.1>\n"+
		"Call-ID: path-opt-1\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n")
	req := <-got
	if req == "" {
		t.Fatalf("nothing reached the Path hop; caller got %q\nolelo:\n%s", final, p.log())
	}
	if !strings.HasPrefix(req, "OPTIONS sip:pathuser@192.0.2.99:5099 SIP/2.0") {
		t.Errorf("request at the Path hop has the wrong Request-URI:\n%s", req)
	}
	if !strings.Contains(req, "\r\nRoute: "+path+"\r\n") {
		t.Errorf("request at the Path hop has no Route: %s:\n%s", path, req)
	}
	if !strings.HasPrefix(final, "SIP/2.0 200") {
		t.Errorf("caller got %q, want the edge's 200", final)
	}
}
