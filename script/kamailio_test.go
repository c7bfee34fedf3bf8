package script

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oracleHeader loads the modules the snippets call, for kamailio -c.
const oracleHeader = `loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "kex.so"
`

// oracleCases are tricky snippets and whether Kamailio 5.6 accepts them.
// The olelo side is always checked; when a kamailio binary is installed,
// TestKamailioOracle also checks that "kamailio -c" agrees, so the table
// cannot drift from the real thing.
var oracleCases = []struct {
	name   string
	src    string
	accept bool
}{
	{"define continued and re-lexed", "#!define V 1 + \\\n 2\nrequest_route { $var(x) = V * 3; }\n", true},
	{"define not in strings", "#!define X \"a\"\nrequest_route { xlog(X); xlog(\"X $var(X)\"); }\n", true},
	{"keyword not replaced", "#!define udp 1\nlisten=udp:127.0.0.1:5060\nrequest_route { exit; }\n", true},
	{"event name not replaced", "#!define xhttp 1\nrequest_route { exit; }\nevent_route[xhttp:request] { exit; }\n", true},
	{"route name replaced", "#!define R RELAY\nrequest_route { route(R); }\nroute[RELAY] { exit; }\n", true},
	{"bang bang define", "!!define FOO 1\nrequest_route { $var(x) = FOO; }\n", true},
	{"directive mid line", "request_route { $var(x) = 1; #!define FOO 1\n $var(y) = FOO; }\n", true},
	{"ifdef mid line", "request_route { exit; } #!ifdef X\nfoo\n#!endif\n", true},
	{"nested ifdef", "#!ifdef A\n#!ifndef B\nbroken(\n#!endif\n#!else\n#!define C\n#!endif\nrequest_route { exit; }\n", true},
	{"bit operators bind loosely", "request_route { $var(a) = 1; if ($var(a) & 1 == 1) xlog(\"x\"); }\n", true},
	{"unary and keyword operators", "request_route { if (!defined $var(a) && strlen($var(a)) > 1 || not strempty($rU) and 3 mod 2 == 1) exit; }\n", true},
	{"string operators", "request_route { if ($rU eq \"a\" || $var(a) ieq 2 || $var(a) ne \"x\" || $var(a) ine 3) exit; }\n", true},
	{"addresses and networks", "request_route { if (src_ip == 10.0.0.0/8 || src_ip == 10.0.0.0/255.0.0.0 || dst_ip==::1 || src_ip == [2001:db8::1] || src_ip==2001:db8::/32) exit; }\n", true},
	{"core keywords", "request_route { if (method == \"INVITE\" || method == INVITE || uri =~ \"sip:.*\" || myself == uri || from_uri != myself || to_uri == myself) exit; }\n", true},
	{"proto af msg:len", "request_route { if (proto == udp || proto == TCP || af == inet6 || src_port == 5060 || dst_port > 1 || msg:len > 100) exit; }\n", true},
	{"numbers", "request_route { $var(x) = 0x1F + 017 + 101b + yes + off + inet6 + ipv4; }\n", true},
	{"return codes", "request_route { $var(x) = $? + $rc + $retcode; }\n", true},
	{"indexes and transformations", "request_route { $var(y)= $(avp(x)[1]); $var(z) = $(ru{s.len}); $(avp(x)[0]) = 1; }\n", true},
	{"nested comments", "request_route { /* a /* nested */ still comment */ exit; }\n", true},
	{"adjacent strings", "request_route { xlog(\"a\" \"b\"\n \"c\"); }\n", true},
	{"switch", "request_route { switch($var(a)) { case -1: case -3: exit; case 2: break; default: xlog(\"d\"); } }\n", true},
	{"switch regex", "request_route { switch($rU) { case /\"^a.*\": exit; case \"b\": break; } }\n", true},
	{"exit forms", "request_route { if (1) exit 2; if (2) drop; if (3) return(2); exit(); }\n", true},
	{"forward forms", "request_route { forward(uri:host, uri:port); forward(\"1.2.3.4\", 5060); forward(1.2.3.4); forward(example.com); }\n", true},
	{"bare core actions", "request_route { force_rport; add_local_rport; set_reply_no_connect; exit; }\n", true},
	{"selval", "request_route { $var(x) = selval($var(a) == 1, \"a\", \"b\"); }\n", true},
	{"assignment in parentheses", "request_route { $var(a) = ($var(b) = 1); }\n", true},
	{"else if chain", "request_route { if ($var(a) == 1) exit; else if ($var(b)) drop; else ; }\n", true},
	{"listen forms", "listen=udp:127.0.0.1:5060 advertise 1.2.3.4:5060 name \"x\"\nlisten=tcp:127.0.0.1 tcp:127.0.0.1:5061\nalias=a.com b.com:5060\nrequest_route { exit; }\n", true},
	{"flags", "flags FLAG_A:1, FLAG_B : 2, FLAG_C;\nrequest_route { setflag(FLAG_A); }\n", true},
	{"top-level semicolons", ";\nmodparam(\"tm\", \"fr_timer\", 10);\nrequest_route { exit; };\n", true},
	{"trydef redefine", "#!trydef X\n#!trydef X 2\n#!redefine X 3\nrequest_route { $var(a)=X; }\n", true},
	{"undefined undef", "#!undef NEVER\nrequest_route { exit; }\n", true},
	{"dynamic route", "request_route { $var(r) = \"X\"; route($var(r)); if (route(X)) exit; }\nroute[X] { return 1; }\n", true},
	{"route names", "request_route { route(\"X\"); route(1); }\nroute[\"X\"] { exit; }\nroute[1] { exit; }\n", true},

	{"plus assign", "request_route { $var(a) += 1; }\n", false},
	{"colon assign", "request_route { $var(a) := 1; }\n", false},
	{"chained assignment", "request_route { $var(a) = $var(b) = 1; }\n", false},
	{"index outside the pv", "request_route { $var(y) = $avp(x)[1]; }\n", false},
	{"redefine", "#!define A 1\n#!define A 1\nrequest_route { exit; }\n", false},
	{"dash in define", "#!define FOO-BAR 1\nrequest_route { exit; }\n", false},
	{"unclosed ifdef", "#!ifdef A\nrequest_route { exit; }\n", false},
	{"unopened endif", "request_route { exit; }\n#!endif\n", false},
	{"endif with trailing text", "#!ifndef X\n#!endif # x\nrequest_route { exit; }\n", false},
	{"call without parentheses", "request_route { t_relay; }\n", false},
	{"undefined case label", "request_route { switch($var(a)) { case FOO: exit; } }\n", false},
	{"mixed case types", "request_route { switch($var(a)) { case 1: exit; case \"a\": break; } }\n", false},
	{"bad route name", "request_route { exit; }\nroute[A-B] { exit; }\n", false},
	{"event route without colon", "request_route { exit; }\nevent_route[ab] { exit; }\n", false},
	{"comment between strings", "request_route { $var(a) = \"a\" /* c */ \"b\"; }\n", false},
	{"raw strings do not join", "request_route { $var(a) = 'a' 'b'; }\n", false},
	{"unterminated comment", "request_route { /* a /* nested */ exit; }\n", false},
	{"duplicate route", "request_route { route(X); }\nroute[X] { exit; }\nroute[X] { exit; }\n", false},
	{"duplicate default named", "request_route { exit; }\nroute[0] { exit; }\n", false},
	{"bare block", "request_route { { exit; } }\n", false},
	{"value as statement", "request_route { msg:len > 10; }\n", false},
	{"TRUE is not a keyword", "request_route { $var(a) = TRUE; }\n", false},
	{"bad number", "request_route { $var(a) = 08; }\n", false},
	{"missing semicolon", "request_route { xlog(\"a\") exit; }\n", false},
}

func TestOracleCasesOlelo(t *testing.T) {
	for _, tc := range oracleCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBytes("t.cfg", []byte(tc.src), Options{})
			if got := err == nil; got != tc.accept {
				t.Errorf("olelo accept=%v, Kamailio accept=%v; errors: %v\n%s", got, tc.accept, err, tc.src)
			}
		})
	}
}

// TestKamailioOracle runs "kamailio -c" on each snippet and checks that
// Kamailio accepts or rejects it as the table says. It is skipped when
// kamailio is not installed (apt-get install kamailio).
func TestKamailioOracle(t *testing.T) {
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		t.Skip("kamailio not installed: the oracle comparison needs Debian's kamailio package")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	for i, tc := range oracleCases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "c"+strings.Repeat("x", i%3)+".cfg")
			if err := os.WriteFile(path, []byte(oracleHeader+tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, "-c", "-f", path).CombinedOutput()
			if got := err == nil; got != tc.accept {
				t.Errorf("kamailio -c accept=%v, table says %v:\n%s\n%s", got, tc.accept, tc.src, lastLines(string(out), 6))
			}
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
