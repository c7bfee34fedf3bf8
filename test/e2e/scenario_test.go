package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// uacScenario is a SIPp client scenario: one request per call, the call
// succeeds only when the final answer has the expected status. An INVITE
// answered with a final status gets its ACK.
var uacScenario = template.Must(template.New("uac").Parse(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{{.Method}} expecting {{.Expect}}">
  <send retrans="500">
    <![CDATA[
      {{.Method}} sip:{{.User}}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: {{.MaxForwards}}
      From: <sip:alice@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:{{.User}}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 {{.Method}}
      Contact: <sip:alice@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
{{- if eq .Method "INVITE"}}
  <recv response="100" optional="true" />
{{- end}}
  <recv response="{{.Expect}}" />
{{- if eq .Method "INVITE"}}
  <send>
    <![CDATA[
      ACK sip:{{.User}}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: 70
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 1 ACK
      Content-Length: 0

    ]]>
  </send>
{{- end}}
</scenario>
`))

type uac struct {
	Method      string
	User        string
	Expect      int
	MaxForwards string // default "70"
}

// runUAC runs calls of the scenario against s over transport ("u1" or
// "t1") and fails the test unless every call got the expected status.
func runUAC(t *testing.T, s *server, u uac, calls int, transport string) {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	if u.User == "" {
		u.User = "bob"
	}
	if u.MaxForwards == "" {
		u.MaxForwards = "70"
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "uac.xml")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := uacScenario.Execute(f, u); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := runPeer(t, 60*time.Second, sipp, s.addr, "-sf", file, "-t", transport,
		"-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)), "-m", fmt.Sprint(calls), "-r", "50",
		"-timeout", "30s", "-timeout_error", "-trace_err", "-default_behaviors", "none", "-error_file", filepath.Join(dir, "err.log"))
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Fatalf("sipp %s expecting %d over %s: %v\n%s\nsipp errors:\n%s\nolelo log:\n%s", u.Method, u.Expect, transport, err, lastLines(out, 30), errs, lastLines(s.log(), 40))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
