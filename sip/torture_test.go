package sip

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tortureMessage is one file of the RFC 4475 / RFC 5118 corpus.
type tortureMessage struct {
	name  string
	class string
	data  []byte
}

// loadTorture reads a manifest and the messages it names. Files marked
// fix-cl carry the Content-Length printed in RFC 5118, which counts LF line
// ends; it is rewritten to the real body length as a sender would.
func loadTorture(t testing.TB, dir, manifest string) []tortureMessage {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "torture", manifest))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tortureMessage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		data, err := os.ReadFile(filepath.Join("testdata", "torture", dir, cols[0]))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(cols[2], "fix-cl") {
			data = fixContentLength(data)
		}
		out = append(out, tortureMessage{name: cols[0], class: cols[2], data: data})
	}
	return out
}

func fixContentLength(b []byte) []byte {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	body := len(b) - i - 4
	lines := bytes.Split(b[:i], []byte("\r\n"))
	for k, l := range lines {
		if bytes.HasPrefix(bytes.ToLower(l), []byte("content-length:")) {
			lines[k] = []byte("Content-Length: " + strconv.Itoa(body))
		}
	}
	return append(append(bytes.Join(lines, []byte("\r\n")), "\r\n\r\n"...), b[i+4:]...)
}

// tortureExpect is what olelo does with each message: 0 means it parses
// and validates; otherwise the status of the error (for responses, any
// error means the response is dropped; they are listed as 400).
var tortureExpect = map[string]int{
	// RFC 4475 3.1.1: valid messages.
	"wsinv.dat": 0, "intmeth.dat": 0, "esc01.dat": 0, "escnull.dat": 0,
	"esc02.dat": 0, "lwsdisp.dat": 0, "longreq.dat": 0, "dblreq.dat": 0,
	"semiuri.dat": 0, "transports.dat": 0, "mpart01.dat": 0,
	"unreason.dat": 0, "noreason.dat": 0,
	// 3.1.2: invalid messages.
	"badinv01.dat": 400, "clerr.dat": 400, "ncl.dat": 400, "scalar02.dat": 400,
	"scalarlg.dat": 400, "quotbal.dat": 400, "ltgtruri.dat": 400,
	"lwsruri.dat": 400, "lwsstart.dat": 400, "trws.dat": 400,
	"escruri.dat": 400, "baddate.dat": 400, "regbadct.dat": 400,
	"badaspec.dat": 400, "baddn.dat": 400, "badvers.dat": 505,
	"mismatch01.dat": 400, "mismatch02.dat": 400, "bigcode.dat": 400,
	// 3.2, 3.4: valid.
	"badbranch.dat": 0, "inv2543.dat": 0,
	// 3.3: semantic. Those a message layer can judge are refused; the
	// others parse and are left to the routing logic (420, 415, 401, 406,
	// 483 are decisions of a UAS or of the script).
	"insuf.dat": 400, "unkscm.dat": 416, "novelsc.dat": 416, "unksm2.dat": 0,
	"bext01.dat": 0, "invut.dat": 0, "regaut01.dat": 0, "multi01.dat": 400,
	"mcl01.dat": 400, "bcast.dat": 0, "zeromf.dat": 0, "cparam01.dat": 0,
	"cparam02.dat": 0, "regescrt.dat": 0, "sdp01.dat": 0,
	// RFC 5118.
	"ipv6-good": 0, "ipv6-bad": 400, "port-ambiguous": 0, "port-unambiguous": 0,
	"via-received-param-with-delim": 0, "via-received-param-no-delim": 0,
	"ipv6-in-sdp": 0, "mult-ip-in-header": 0, "mult-ip-in-sdp": 0,
	"ipv4-mapped-ipv6": 0, "ipv6-bug-abnf-3-colons": 0, "ipv6-correct-abnf-2-colons": 0,
}

func parseAndValidate(b []byte) (*Message, error) {
	m := new(Message)
	if err := m.Parse(b, Datagram); err != nil {
		return m, err
	}
	return m, m.Validate()
}

func TestTortureCorpus(t *testing.T) {
	all := append(loadTorture(t, "rfc4475", "manifest-rfc4475.tsv"), loadTorture(t, "rfc5118", "manifest-rfc5118.tsv")...)
	if len(all) != 61 {
		t.Fatalf("corpus has %d messages, want 61", len(all))
	}
	for _, tm := range all {
		t.Run(tm.name, func(t *testing.T) {
			want, ok := tortureExpect[tm.name]
			if !ok {
				t.Fatalf("no expectation for %s (class %s)", tm.name, tm.class)
			}
			_, err := parseAndValidate(tm.data)
			if want == 0 {
				if err != nil {
					t.Fatalf("%s (%s): unexpected error: %v", tm.name, tm.class, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s (%s): accepted, want %d", tm.name, tm.class, want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%s: error %v is not a *ParseError", tm.name, err)
			}
			if pe.Status != want {
				t.Fatalf("%s: status %d (%v), want %d", tm.name, pe.Status, err, want)
			}
			t.Logf("%s refused: %v", tm.name, err)
		})
	}
}

// TestTortureRoundTrip: a parsed, unedited message serialises to exactly
// the bytes received (up to the end of the body framed by Content-Length).
func TestTortureRoundTrip(t *testing.T) {
	all := append(loadTorture(t, "rfc4475", "manifest-rfc4475.tsv"), loadTorture(t, "rfc5118", "manifest-rfc5118.tsv")...)
	for _, tm := range all {
		m := new(Message)
		if err := m.Parse(tm.data, Datagram); err != nil {
			continue
		}
		got := m.AppendTo(nil)
		want := tm.data
		if tm.name == "dblreq.dat" {
			want = tm.data[:bytes.Index(tm.data, []byte("\r\n\r\n"))+4]
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: round trip changed the bytes:\n got %q\nwant %q", tm.name, got, want)
		}
	}
}

// TestTortureFields checks the fields each RFC 4475/5118 message is about.
func TestTortureFields(t *testing.T) {
	load := func(dir, name string) *Message {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", "torture", dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(name, "ipv") || strings.HasPrefix(name, "mult-ip") {
			b = fixContentLength(b)
		}
		m, err := parseAndValidate(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	eq := func(name, what string, got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Errorf("%s: %s = %q, want %q", name, what, got, want)
		}
	}

	m := load("rfc4475", "wsinv.dat")
	eq("wsinv", "To tag", m.ToTag(), "1918181833n")
	eq("wsinv", "From tag", m.FromTag(), "98asjd8")
	if mf, _ := m.MaxForwards(); mf != 68 {
		t.Errorf("wsinv: Max-Forwards %d, want 68", mf)
	}
	if cs, _ := m.CSeq(); cs.Num != 9 || cs.Method != MethodINVITE {
		t.Errorf("wsinv: CSeq %+v", cs)
	}
	v, _ := m.TopVia()
	eq("wsinv", "top Via transport", v.Transport, "UDP")
	eq("wsinv", "top Via host", v.Host, "192.0.2.2")
	eq("wsinv", "top Via branch", v.Branch, "390skdjuw")
	var branches []string
	for it := m.Values(HdrVia); ; {
		val, ok := it.Next()
		if !ok {
			break
		}
		pv, err := ParseVia(val.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		branches = append(branches, string(pv.Branch))
	}
	if got := strings.Join(branches, ","); got != "390skdjuw,z9hG4bK9ikj8,z9hG4bK30239" {
		t.Errorf("wsinv: Via branches %s", got)
	}
	eq("wsinv", "Subject (empty, compact s)", m.Header(HdrSubject), "")
	eq("wsinv", "unknown header", m.HeaderByName("newfangledheader"), "newfangled value\r\n continued newfangled value")
	if len(m.Body()) != 150 {
		t.Errorf("wsinv: body %d bytes, want 150", len(m.Body()))
	}

	m = load("rfc4475", "esc02.dat")
	if m.Method() != MethodOther || string(m.MethodBytes()) != "RE%47IST%45R" {
		t.Errorf("esc02: method %v %q, want an unknown method RE%%47IST%%45R", m.Method(), m.MethodBytes())
	}

	m = load("rfc4475", "intmeth.dat")
	if m.Method() != MethodOther {
		t.Errorf("intmeth: method %q known", m.MethodBytes())
	}

	m = load("rfc4475", "dblreq.dat")
	if m.Method() != MethodREGISTER || len(m.Body()) != 0 {
		t.Errorf("dblreq: method %v body %q", m.Method(), m.Body())
	}

	m = load("rfc4475", "semiuri.dat")
	u, _ := m.RequestURI()
	eq("semiuri", "R-URI user", u.User, "user;par=u%40example.net")
	eq("semiuri", "R-URI host", u.Host, "example.com")
	var accept int
	for it := m.Values(HdrAccept); ; {
		if _, ok := it.Next(); !ok {
			break
		}
		accept++
	}
	if accept != 6 {
		t.Errorf("semiuri: %d Accept values, want 6", accept)
	}

	m = load("rfc4475", "transports.dat")
	var transports []string
	for it := m.Values(HdrVia); ; {
		val, ok := it.Next()
		if !ok {
			break
		}
		pv, _ := ParseVia(val.Bytes)
		transports = append(transports, string(pv.Transport))
	}
	if got := strings.Join(transports, ","); got != "UDP,SCTP,TLS,UNKNOWN,TCP" {
		t.Errorf("transports: %s", got)
	}

	m = load("rfc4475", "unreason.dat")
	if m.StatusCode() != 200 || !bytes.HasPrefix(m.Reason(), []byte("= 2**3 * 5**2")) {
		t.Errorf("unreason: %d %q", m.StatusCode(), m.Reason())
	}
	m = load("rfc4475", "noreason.dat")
	if m.StatusCode() != 100 || len(m.Reason()) != 0 {
		t.Errorf("noreason: %d %q", m.StatusCode(), m.Reason())
	}

	m = load("rfc4475", "inv2543.dat")
	if mf, _ := m.MaxForwards(); mf != -1 {
		t.Errorf("inv2543: Max-Forwards %d, want absent", mf)
	}

	m = load("rfc4475", "mpart01.dat")
	if len(m.Body()) != m.ContentLength() {
		t.Errorf("mpart01: body %d != Content-Length %d", len(m.Body()), m.ContentLength())
	}

	m = load("rfc5118", "ipv6-good")
	u, _ = m.RequestURI()
	eq("ipv6-good", "R-URI host", u.Host, "[2001:db8::10]")
	m = load("rfc5118", "port-ambiguous")
	u, _ = m.RequestURI()
	eq("port-ambiguous", "R-URI host", u.Host, "[2001:db8::10:5070]")
	if u.Port != 0 {
		t.Errorf("port-ambiguous: port %d, want none", u.Port)
	}
	m = load("rfc5118", "port-unambiguous")
	u, _ = m.RequestURI()
	if string(u.Host) != "[2001:db8::10]" || u.Port != 5070 {
		t.Errorf("port-unambiguous: %s %d", u.Host, u.Port)
	}
	m = load("rfc5118", "via-received-param-with-delim")
	v, _ = m.TopVia()
	eq("via-received-param-with-delim", "received", v.Received, "[2001:db8::9:255]")
	m = load("rfc5118", "via-received-param-no-delim")
	v, _ = m.TopVia()
	eq("via-received-param-no-delim", "received", v.Received, "2001:db8::9:255")
}
