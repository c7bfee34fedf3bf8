package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSIPpOptions drives olelo with SIPp (a real SIP peer): 200 OPTIONS
// at 100 per second over UDP, every one must be answered 200.
func TestSIPpOptions(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	s := startOlelo(t)
	scenario, err := filepath.Abs(filepath.Join("testdata", "options_uac.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, proto := range []string{"u1", "t1"} {
		out, err := runPeer(t, 60*time.Second, sipp, s.addr,
			"-sf", scenario, "-t", proto, "-i", "127.0.0.1", "-p", fmt.Sprint(freePort(t)),
			"-m", "200", "-r", "100", "-timeout", "30s", "-timeout_error", "-max_recv_loops", "1000",
			"-trace_err", "-error_file", filepath.Join(t.TempDir(), "errors.log"))
		// SIPp exits 0 only when every call succeeded.
		if err != nil && !strings.Contains(out, "Successful call") {
			t.Fatalf("sipp (-t %s): %v\n%s\nolelo log:\n%s", proto, err, out, s.log())
		}
		if err != nil {
			t.Fatalf("sipp (-t %s) reported failed calls: %v\n%s", proto, err, out)
		}
	}
}
