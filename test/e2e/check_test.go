package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
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

// stockDefines are the WITH_* defines of Debian kamailio 5.6's stock
// config. TestCheckStockConfig checks it with none, each alone, and all.
var stockDefines = []string{"WITH_ACCDB", "WITH_ALIASDB", "WITH_ANTIFLOOD", "WITH_AUTH", "WITH_BLOCK3XX",
	"WITH_BLOCK401407", "WITH_DEBUG", "WITH_FEATURE", "WITH_IPAUTH", "WITH_JSONRPC", "WITH_MSGREBUILD",
	"WITH_MULTIDOMAIN", "WITH_MYSQL", "WITH_NAT", "WITH_NATSIPPING", "WITH_PRESENCE", "WITH_PSTN",
	"WITH_RTPENGINE", "WITH_SPEEDDIAL", "WITH_TLS", "WITH_USRLOCDB", "WITH_VOICEMAIL"}

var missingRe = regexp.MustCompile(`^[^:]+:\d+:\d+: (?:module "([^"]+)" is not built into olelo|unknown function "([^"]+)"|.*unknown pseudo-variable (\$[A-Za-z_]+))`)

// TestCheckStockConfig runs `olelo check` on Debian kamailio 5.6's stock
// config with each WITH_* define (with WITH_MYSQL), with none and with all. Until
// every module it loads exists in olelo, the only errors allowed are
// missing modules, functions and pseudo-variables; their list is
// testdata/stock-missing.txt (update with OLELO_UPDATE=1), and it shrinks
// as modules land.
func TestCheckStockConfig(t *testing.T) {
	const stock = "/etc/kamailio/kamailio.cfg"
	if _, err := os.Stat(stock); err != nil {
		t.Skipf("%s not present (Debian package kamailio; .ci/run installs it)", stock)
	}
	// Features that use the database need WITH_MYSQL for DBURL, as the
	// file's header says; Kamailio rejects them without it too.
	combos := [][]string{nil, stockDefines}
	for _, d := range stockDefines {
		combos = append(combos, []string{"WITH_MYSQL", d})
	}
	missing := map[string]bool{}
	for _, defs := range combos {
		args := []string{"check", "-f", stock}
		for _, d := range defs {
			args = append(args, "-A", d)
		}
		out, _ := exec.Command(oleloBin, args...).CombinedOutput()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.HasSuffix(line, "error(s)") || strings.HasSuffix(line, "config ok") {
				continue
			}
			m := missingRe.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("olelo %v: an error that is not a missing module, function or pseudo-variable:\n%s", defs, line)
				continue
			}
			switch {
			case m[1] != "":
				missing["module "+m[1]] = true
			case m[2] != "":
				missing["function "+m[2]] = true
			default:
				missing["pv "+m[3]] = true
			}
		}
	}
	var list []string
	for k := range missing {
		list = append(list, k)
	}
	sort.Strings(list)
	got := strings.Join(list, "\n") + "\n"
	golden := filepath.Join("testdata", "stock-missing.txt")
	if os.Getenv("OLELO_UPDATE") != "" {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, _ := os.ReadFile(golden)
	if got != string(want) {
		t.Errorf("what olelo lacks to run the stock config changed (OLELO_UPDATE=1 go test -run TestCheckStockConfig ./test/e2e rewrites %s):\n got:\n%s\nwant:\n%s", golden, got, want)
	}
	t.Logf("olelo lacks %d modules/functions/pseudo-variables of the stock config", len(list))
}

// TestCheckStockRegistrarConfig checks the stock config as a registrar
// with database-backed users, IP authentication and registrations
// (WITH_MYSQL, WITH_AUTH, WITH_IPAUTH, WITH_USRLOCDB): nothing that the
// registrar, authentication, permissions and data-layer modules provide
// may be missing any more; other modules the stock config loads may be.
func TestCheckStockRegistrarConfig(t *testing.T) {
	const stock = "/etc/kamailio/kamailio.cfg"
	if _, err := os.Stat(stock); err != nil {
		t.Skipf("%s not present (Debian package kamailio; .ci/run installs it)", stock)
	}
	out, _ := exec.Command(oleloBin, "check", "-f", stock, "-A", "WITH_MYSQL", "-A", "WITH_AUTH",
		"-A", "WITH_IPAUTH", "-A", "WITH_USRLOCDB").CombinedOutput()
	mustHave := []string{"auth", "auth_db", "usrloc", "registrar", "permissions", "db_mysql", "ctl", "jsonrpcs",
		"save", "lookup", "registered", "auth_check", "auth_challenge", "consume_credentials", "allow_source_address",
		"www_authorize", "proxy_authorize", "is_subscriber"}
	for _, line := range strings.Split(string(out), "\n") {
		m := missingRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1] + m[2]
		for _, h := range mustHave {
			if name == h {
				t.Errorf("olelo check still lacks %q: %s", h, line)
			}
		}
	}
	t.Logf("olelo check, stock config as a registrar:\n%s", out)
}
