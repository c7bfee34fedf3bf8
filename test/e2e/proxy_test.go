package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStatelessProxyCall: SIPp's built-in UAC calls SIPp's built-in UAS
// through olelo running examples/stateless-proxy.cfg. INVITE, ACK and BYE
// are forwarded with forward(); 180, 200 and the BYE's 200 come back
// through the reply route along the Via headers. Every call must succeed.
func TestStatelessProxyCall(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	uasPort := freePort(t)
	uasDir := t.TempDir()
	startPeer(t, sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", fmt.Sprint(uasPort), "-nostdin", "-trace_err",
		"-error_file", filepath.Join(uasDir, "err.log"))
	s := startOlelo(t, "-f", example("stateless-proxy.cfg"), "-A", "NEXT_HOP_PORT="+fmt.Sprint(uasPort))
	dir := t.TempDir()
	out, err := runPeer(t, 60*time.Second, sipp, s.addr, "-sn", "uac", "-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)),
		"-m", "20", "-r", "20", "-timeout", "30s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	if err != nil {
		t.Fatalf("sipp uac through olelo: %v\n%s\nolelo log:\n%s", err, lastLines(out, 30), lastLines(s.log(), 30))
	}
	log := s.log()
	for _, want := range []string{"forwarding INVITE sip:service@", "forwarding ACK", "forwarding BYE", "reply 180 Ringing for INVITE", "reply 200 OK for BYE"} {
		if !strings.Contains(log, want) {
			t.Errorf("olelo log lacks %q", want)
		}
	}
}
