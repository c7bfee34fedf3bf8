package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckReportsEveryError runs `olelo -c -f` on a config with two
// syntax errors: both must be reported as file:line:col, exit status 1.
func TestCheckReportsEveryError(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.cfg")
	os.WriteFile(cfg, []byte("request_route {\n  if ($rm == \"INVITE\" {\n    sl_send_reply(\"404\", \"x\");\n  }\n  xlog(\"a\")\n  exit;\n}\n"), 0o644)
	out, err := exec.Command(oleloBin, "-c", "-f", cfg).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	for _, want := range []string{cfg + ":2:23: unexpected '{', expected ')'", cfg + ":6:3: unexpected 'exit', expected ';'"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestCheckStockConfig: Debian kamailio 5.6's stock config passes
// `olelo check` (syntax) with the define sets the seeds use.
func TestCheckStockConfig(t *testing.T) {
	const stock = "/etc/kamailio/kamailio.cfg"
	if _, err := os.Stat(stock); err != nil {
		t.Skipf("%s not present (Debian package kamailio; .ci/run installs it)", stock)
	}
	for _, defs := range [][]string{nil, {"WITH_MYSQL", "WITH_AUTH"}, {"WITH_MYSQL", "WITH_AUTH", "WITH_IPAUTH", "WITH_USRLOCDB", "WITH_NAT", "WITH_ANTIFLOOD"}} {
		args := []string{"check", "-f", stock}
		for _, d := range defs {
			args = append(args, "-A", d)
		}
		out, err := exec.Command(oleloBin, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "syntax ok") {
			t.Errorf("olelo %v: %v\n%s", args, err, out)
		}
	}
}
