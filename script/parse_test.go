package script

import (
	"strings"
	"testing"
)

// TestPrecedence checks Kamailio's operator precedence (spec §3.2): the
// dump parenthesises every nested operation.
func TestPrecedence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"$a & 1 == 1", "$a & (1 == 1)"},
		{"$a | 1 == 1", "$a | (1 == 1)"},
		{"$a ^ 1 != 1", "$a ^ (1 != 1)"},
		{"$a << 1 == 2", "$a << (1 == 2)"},
		{"$a >> 1 < 2", "$a >> (1 < 2)"},
		{"$a << 1 >> 2", "$a << (1 >> 2)"},
		{"$a | $b & $c", "$a | ($b & $c)"},
		{"$a & $b ^ $c", "$a & ($b ^ $c)"},
		{"$a || $b && $c", "$a || ($b && $c)"},
		{"$a && $b | $c", "$a && ($b | $c)"},
		{"$a == $b < $c", "$a == ($b < $c)"},
		{"$a < $b + $c", "$a < ($b + $c)"},
		{"$a + $b * $c", "$a + ($b * $c)"},
		{"$a - $b - $c", "($a - $b) - $c"},
		{"$a mod $b / $c", "($a mod $b) / $c"},
		{"$a == $b == $c", "($a == $b) == $c"},
		{"$a =~ \"x\" eq $b", "($a =~ \"x\") eq $b"},
		{"!$a == 1", "!$a == 1"},
		{"!($a == 1)", "!($a == 1)"},
		{"-$a * 2", "-$a * 2"},
		{"~$a & 1", "~$a & 1"},
		{"defined $a && $b", "defined $a && $b"},
		{"(int)$a + 1", "(int)$a + 1"},
		{"(str)$a + 1", "(str)$a + 1"},
		{"!defined $a", "!defined $a"},
		{"- 5", "-5"},
		{"strlen($a) > strlen($b) + 1", "strlen($a) > (strlen($b) + 1)"},
		{"$a and $b or $c", "($a && $b) || $c"},
		{"not $a", "!$a"},
		{"$a > 1 ieq $b ine 2", "(($a > 1) ieq $b) ine 2"},
	}
	for _, tc := range tests {
		cfg, err := ParseBytes("t.cfg", []byte("request_route { $r = "+tc.in+"; }"), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		got := exprString(cfg.Routes[0].Body[0].(*AssignStmt).Value)
		if got != tc.want {
			t.Errorf("%s\n got: %s\nwant: %s", tc.in, got, tc.want)
		}
	}
}

func TestConfigAPI(t *testing.T) {
	src := `loadmodule "tm.so"
loadmodule "sl"
request_route { route(A); sl_send_reply("404", "Not here"); }
route[A] { t_relay(); }
route[0x1] { exit; }
failure_route[F] { exit; }
onreply_route { exit; }
onreply_route[R] { exit; }
event_route[xhttp:request] { exit; }
`
	cfg, err := ParseBytes("t.cfg", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.RouteNames(RequestRoute), ","); got != ",0x1,A" {
		t.Errorf("request route names %q", got)
	}
	if cfg.Route(RequestRoute, "0") != cfg.Route(RequestRoute, "") || cfg.Route(RequestRoute, "") == nil {
		t.Error("route 0 is the default route")
	}
	if cfg.Route(ReplyRoute, "") == nil || cfg.Route(ReplyRoute, "R") == nil || cfg.Route(FailureRoute, "F") == nil {
		t.Error("reply or failure route missing")
	}
	if r := cfg.Route(EventRoute, "xhttp:request"); r == nil || r.Kind.String() != "event_route" {
		t.Error("event route missing")
	}
	if len(cfg.Modules) != 2 || cfg.Modules[1].Name != "sl" {
		t.Errorf("modules %+v", cfg.Modules)
	}
	// The hook the checker uses: every call with its name, arity and position.
	var calls []string
	for _, r := range cfg.Routes {
		Inspect(r, func(n Node) bool {
			if c, ok := n.(*Call); ok {
				calls = append(calls, c.Name+"/"+string(rune('0'+len(c.Args)))+"@"+c.Pos.String())
			}
			return true
		})
	}
	want := "sl_send_reply/2@t.cfg:3:27 t_relay/0@t.cfg:4:12"
	if got := strings.Join(calls, " "); got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
}

// TestRecovery checks that independent errors are all reported.
func TestRecovery(t *testing.T) {
	src := "request_route {\n\tfoo(\n\tbar();\n\t$x = 1 +;\n\tbaz()\n}\nroute[B] {\n\tok();\n\tif (1 { exit; }\n\tok();\n}\n"
	errs := errorsOf(t, src, Options{})
	want := []string{
		"t.cfg:3:7: unexpected ';', expected ',' or ')' in the arguments of foo(...)",
		"t.cfg:4:10: unexpected ';', expected an expression",
		"t.cfg:6:1: unexpected '}', expected ';' after function call baz()",
		"t.cfg:9:8: unexpected '{', expected ')' to close the if condition",
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
}
