package script

import (
	"context"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
)

func lines(s ...string) string { return strings.Join(s, "\n") }

func TestBehaviour(t *testing.T) {
	tests := []struct {
		name, src string
		want      string
		log       string // a substring the log must hold
	}{
		{
			name: "typing",
			src: `request_route {
	$var(a) = "1" + 2; rec("$var(a)");
	$var(s) = "2"; $var(a) = 1 + $var(s); rec("$var(a)");
	$var(a) = $var(s) + 1; rec("$var(a)");
	$var(n) = 3; $var(a) = "x" + $var(n) + 1; rec("$var(a)");
	$var(a) = $nul + "x"; rec("$var(a)");
	$var(s) = "0x10"; $var(a) = 1 + $var(s); rec("$var(a)");
	$var(s) = "+2"; $var(a) = 1 + $var(s); rec("$var(a)");
	$var(s) = "03"; $var(a) = 3 == $var(s); rec("$var(a)");
	$var(a) = "3" == $var(s); rec("$var(a)");
	$var(a) = $nul == 0; rec("$var(a)");
	$var(a) = $nul == ""; rec("$var(a)");
	$var(a) = $nul == "x"; rec("$var(a)");
	$var(a) = (int)"12" + 1; rec("$var(a)");
	$var(a) = (str)12 + 1; rec("$var(a)");
	$var(a) = strlen("abcd") + strempty("") + strempty($var(s)); rec("$var(a)");
	$var(a) = "ABC" =~ "b"; rec("$var(a)");
	$var(a) = "ABC" eq "abc"; rec("$var(a)");
}`,
			want: lines("12", "3", "21", "x31", "x", "17", "3", "1", "0", "1", "1", "0", "13", "121", "5", "1", "0"),
		},
		{
			name: "typing (ieq)",
			src:  `request_route { $var(s) = "12"; $var(a) = 12 ieq $var(s); rec("$var(a)"); }`,
			want: "1",
		},
		{
			name: "bad conversion logs and uses 0",
			src:  `request_route { $var(s) = "abc"; $var(a) = 1 + $var(s); rec("$var(a)"); }`,
			want: "1",
			log:  `cannot convert \"abc\" to an integer`,
		},
		{
			name: "division by zero leaves the variable",
			src:  `request_route { $var(z) = 0; $var(a) = 5; $var(a) = 7 / $var(z); rec("$var(a)"); }`,
			want: "5",
			log:  "division by zero",
		},
		{
			name: "precedence",
			src: `request_route {
	$var(a) = 1 + 2 * 3; rec("$var(a)");
	if ($var(a) & 1 == 1) rec("bitand-loose");
	$var(b) = 2 | 1 << 2; rec("$var(b)");
	$var(c) = 10 - 2 - 3; rec("$var(c)");
	$var(d) = -7 / 2; rec("$var(d)");
	$var(e) = -7 mod 2; rec("$var(e)");
	$var(f) = !0 + !5; rec("$var(f)");
	if (1 || ret(5)) rec("short-or");
	if (0 && ret(5)) rec("bad");
	$var(g) = ~0; rec("$var(g)");
	$var(h) = selval($var(a) > 5, "big", "small"); rec("$var(h)");
}`,
			want: lines("7", "bitand-loose", "6", "5", "-3", "-1", "1", "short-or", "-1", "big"),
		},
		{
			name: "null and defined",
			src: `request_route {
	if ($nul == $null) rec("null");
	if ($var(x) != $null) rec("var defined");
	if (defined $nul) rec("bad");
	if (!defined $nul) rec("undef");
	if (defined $hdr(User-Agent)) rec("ua");
	if ($hdr(X-None) == $null) rec("no header");
}`,
			want: lines("null", "var defined", "undef", "ua", "no header"),
		},
		{
			name: "switch fall-through",
			src: `request_route {
	$var(x) = 2;
	switch ($var(x)) {
	case 1: rec("one");
	case 2: rec("two");
	case 3: rec("three"); break;
	case 4: rec("four");
	default: rec("def");
	}
	switch ($var(x)) { case 9: rec("nine"); default: rec("def2"); }
	switch ($var(x)) { case 9: rec("nine"); }
	switch ($rm) { case "invite": rec("lower"); break; case "INVITE": rec("upper"); break; }
	switch ($rm) { case /"^IN": rec("re"); break; default: rec("no"); }
	switch ($rm) { case "x": case "INVITE": case "y": rec("shared"); }
	rec("end");
}`,
			want: lines("two", "three", "def2", "upper", "re", "shared", "end"),
		},
		{
			name: "while limit",
			src: `request_route {
	$var(i) = 0;
	while ($var(i) < 1000) { $var(i) = $var(i) + 1; }
	rec("$var(i)");
	while (1) { $var(j) = $var(j) + 1; if ($var(j) == 3) break; }
	rec("$var(j)");
}`,
			want: lines("100", "3"),
			log:  "runaway while: more than 100 loops",
		},
		{
			name: "max_while_loops",
			src: `max_while_loops = 5
request_route { while (1) { $var(i) = $var(i) + 1; } rec("$var(i)"); }`,
			want: "5",
		},
		{
			name: "return values and rc",
			src: `request_route {
	route(A); rec("A $rc");
	$var(r) = route(A); rec("assigned $var(r) $rc");
	if (route(A)) rec("bad"); else rec("route false");
	route(B); rec("B $rc");
	route(C); rec("C $rc");
	route(D); rec("D $rc");
	route(E); rec("E $rc");
	ret(5); rec("rc $rc");
	ret(6); $var(x) = 1; rec("assignment keeps rc $rc");
	$var(r) = ret(-4); rec("raw $var(r)");
	$var(r) = ret(-4) + 0; rec("as value $var(r)");
}
route[A] { return -3; }
route[B] { ret(-1); }
route[C] { $var(x) = 0; }
route[D] { return; }
route[E] { if ($var(nope) == 1) { rec("bad"); } }
`,
			want: lines("A -3", "assigned -3 -3", "route false", "ret(-1)", "B -1", "C 1", "D 1", "E 1",
				"ret(5)", "rc 5", "ret(6)", "assignment keeps rc 6", "ret(-4)", "raw -4", "ret(-4)", "as value 0"),
		},
		{
			name: "exit in a sub-route stops the script",
			src: `request_route { route(X); rec("after"); }
route[X] { rec("x"); exit; rec("bad"); }`,
			want: "x",
		},
		{
			name: "return 0 stops the script",
			src: `request_route { route(X); rec("after"); }
route[X] { rec("x"); return 0; }`,
			want: "x",
		},
		{
			name: "return ends only the route",
			src: `request_route { route(X); rec("after $rc"); }
route[X] { if (1) { while (1) { return 7; } } rec("bad"); }`,
			want: "after 7",
		},
		{
			name: "drop stops the script",
			src: `request_route { route(X); rec("after"); }
route[X] { drop; }`,
			want: "",
		},
		{
			name: "exit in an expression",
			src: `request_route { if (route(X)) rec("bad"); rec("bad2"); }
route[X] { exit; }`,
			want: "",
		},
		{
			name: "break at the route boundary",
			src: `request_route { route(X); rec("after $rc"); }
route[X] { if (1) { break; } rec("bad"); }`,
			want: "after 0",
		},
		{
			name: "method keyword",
			src: `request_route {
	if (method == "invite") rec("m1");
	if (method == INVITE) rec("m2");
	if (method =~ "^inv") rec("m3");
	if (method != "BYE") rec("m4");
	if (method == "BYE") rec("bad");
	if ($rm == "invite") rec("bad-pv");
	if ($rm == "INVITE") rec("pv");
	if (status == "sip:BOB@example.com") rec("uri");
	if (uri =~ "^sip:bob@") rec("uri-re");
	if (from_uri =~ "atlanta") rec("from");
	if (to_uri == "sip:bob@example.com") rec("to");
}`,
			want: lines("m1", "m2", "m3", "m4", "pv", "uri", "uri-re", "from", "to"),
		},
		{
			name: "addresses",
			src: `request_route {
	if (src_ip == 10.0.0.0/8) rec("net8");
	if (src_ip == 10.1.2.3) rec("eq");
	if (src_ip != 192.168.0.0/16) rec("ne");
	if (src_ip == 10.1.0.0/255.255.0.0) rec("mask");
	if (src_ip == 11.0.0.0/8) rec("bad");
	if (10.0.0.0/8 == src_ip) rec("swapped");
	$var(net) = "10.1.2.0/24";
	if (src_ip == $var(net)) rec("dyn");
	if (src_ip == "10.1.2.3") rec("str");
	if (src_port == 5060 && dst_port >= 5000) rec("ports");
	if (5000 < src_port) rec("swapped-port");
	if (proto == UDP && proto != tcp) rec("udp");
	if (af == INET) rec("inet");
	if (af == inet6) rec("bad6");
	if (msg:len > 100) rec("len");
	rec("src $var(x)");
}`,
			want: lines("net8", "eq", "ne", "mask", "swapped", "dyn", "str", "ports", "swapped-port", "udp", "inet", "len", "src 0"),
		},
		{
			name: "myself",
			src: `request_route {
	if (uri == myself) rec("uri");
	if (myself == uri) rec("uri2");
	if (from_uri == myself) rec("bad");
	if (from_uri != myself) rec("from");
	if (to_uri == myself) rec("to");
	if (dst_ip == myself) rec("dst");
	if (src_ip != myself) rec("src");
	$ru = "sip:x@10.9.9.9";
	if (uri != myself) rec("new uri");
	$var(h) = "sip:a@127.0.0.1:5060";
	if ($var(h) == myself) rec("pv");
}`,
			want: lines("uri", "uri2", "from", "to", "dst", "src", "new uri", "pv"),
		},
		{
			name: "function returns in conditions",
			src: `request_route {
	if (ret(-1)) rec("bad"); else rec("neg");
	if (ret(1)) rec("pos");
	if (!ret(-2)) rec("not");
	if (ret(3) && ret(-3)) rec("bad");
	if (ret(0)) rec("bad0");
	rec("bad-after");
}`,
			want: lines("ret(-1)", "neg", "ret(1)", "pos", "ret(-2)", "not", "ret(3)", "ret(-3)", "ret(0)"),
		},
		{
			name: "function returning 0 stops the script",
			src:  `request_route { ret(0); rec("bad"); }`,
			want: "ret(0)",
		},
		{
			name: "return_mode",
			src: `return_mode = 1
request_route { $var(n) = -3; if ($var(n)) rec("true"); }`,
			want: "true",
		},
		{
			name: "default return mode",
			src:  `request_route { $var(n) = -3; if ($var(n)) rec("bad"); else rec("false"); }`,
			want: "false",
		},
		{
			name: "recursion limit",
			src: `max_recursive_level = 10
request_route { route(R); rec("after $var(n) $rc"); }
route[R] { $var(n) = $var(n) + 1; route(R); }`,
			want: "after 10 -1",
			log:  "too many nested route calls",
		},
		{
			name: "dynamic route call",
			src: `request_route { $var(r) = "A"; route($var(r)); rec("rc $rc"); route("B$var(r)"); $var(r) = "NOPE"; route($var(r)); rec("rc $rc"); }
route[A] { return 4; }
route[BA] { rec("ba"); }`,
			want: lines("rc 4", "ba", "rc 1"),
			log:  `route \"NOPE\" is not defined`,
		},
		{
			name: "arguments",
			src: `flags FLT_Z:0, FLT_A:3, FLT_B;
request_route {
	ret(FLT_A); ret(FLT_B); ret("12"); $var(n) = 7; ret("$var(n)"); ret($var(n)); ret(1 + 2);
	rec("$rm to $ru", 'raw $ru');
	setpv($var(p), "set $rm"); rec("$var(p)");
	setpv("$var(q)", "q"); rec("$var(q)");
	if (match("^a+$", "aaa")) rec("re");
	rec(5060);
	t_on_failure("F");
	sl_send_reply("404", "Not Here");
	if (is_present_hf("User-Agent") && $hdr(User-Agent) =~ "scanner") rec("scanner");
}
failure_route[F] { failonly(); }`,
			want: lines("ret(3)", "ret(1)", "ret(12)", "ret(7)", "ret(7)", "ret(3)", "INVITE to sip:bob@example.com raw sip:bob@example.com",
				"set INVITE", "q", "re", "5060", "on_failure F", "reply 404 Not Here", "scanner"),
		},
		{
			name: "cfg vars",
			src: `pstn.gw = "10.0.0.9" desc "gateway"
request_route { rec("@cfg_get.pstn.gw"); $var(g) = @cfg_get.pstn.gw; rec("$var(g)"); }`,
			want: lines("@cfg_get.pstn.gw", "10.0.0.9"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, log := runScript(t, tc.src, testInvite)
			if got != tc.want {
				t.Errorf("recorded:\n%s\nwant:\n%s\nlog:\n%s", got, tc.want, log)
			}
			if tc.log != "" && !strings.Contains(log, tc.log) {
				t.Errorf("log does not contain %q:\n%s", tc.log, log)
			}
		})
	}
}

func TestReplyRoute(t *testing.T) {
	tests := []struct {
		body    string
		forward bool
	}{
		{`;`, true},
		{`exit;`, true},
		{`exit 1;`, true},
		{`exit 0;`, false},
		{`drop;`, false},
		{`return;`, true},
		{`return 0;`, false},
		{`return -1;`, false},
		{`ret(-2);`, false},
		{`route(Z);`, true},
		{`route(Y);`, false},
		{`if (status =~ "^1[0-9][0-9]$") { drop; }`, false},
		{`if (status == "200") { drop; }`, true},
		{`if (method == "INVITE" && $rm == "INVITE") { exit 0; }`, false},
		// Checked against Kamailio 5.6: break is worth 0, and so is a
		// switch, a while or a route that it ends.
		{`switch ($var(x)) { case 0: break; }`, false},
		{`switch ($var(x)) { case 0: rec("s"); }`, true},
		{`switch ($var(x)) { case 5: rec("s"); }`, true},
		{`$var(i) = 0; while ($var(i) < 2) { $var(i) = $var(i) + 1; }`, true},
		{`while (1) { break; }`, false},
		{`while (1) { $var(i) = $var(i) + 1; }`, false},
		{`route(B);`, false},
		{`if (0) { rec("x"); }`, true},
		{`$var(i) = 1;`, true},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			var n atomic.Int32
			src := "loadmodule \"testmod.so\"\nrequest_route { exit; }\nreply_route { rec(\"reply\"); " + tc.body + " }\nroute[Z] { exit; }\nroute[Y] { return -2; }\nroute[B] { if (1) { break; } rec(\"bad\"); }\n"
			e, err := compileSrc(t, src, CompileOptions{ForwardReply: func(context.Context, *core.Msg) { n.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			e.HandleResponse(context.Background(), parseMsg(t, testReply))
			if got := n.Load() == 1; got != tc.forward {
				t.Errorf("forwarded = %v, want %v", got, tc.forward)
			}
		})
	}
	// Without a reply route every reply is forwarded.
	var n atomic.Int32
	e, err := compileSrc(t, "request_route { exit; }\n", CompileOptions{ForwardReply: func(context.Context, *core.Msg) { n.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	e.HandleResponse(context.Background(), parseMsg(t, testReply))
	if n.Load() != 1 {
		t.Error("reply not forwarded without a reply route")
	}
}

func TestEventsAndRunRoute(t *testing.T) {
	src := `loadmodule "testmod.so"
request_route { exit; }
event_route[core:worker-one-init] { rec("init"); drop; }
event_route[testmod:ev] { rec("ev"); return 3; }
failure_route[F] { rec("failure $rc"); failonly(); return 5; }
onreply_route[R] { rec("onreply"); drop; }
`
	e, err := compileSrc(t, src, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx, fakeHost{}); err != nil {
		t.Fatal(err)
	}
	inst := e.Instance("testmod").(*testInst)
	if !inst.started {
		t.Error("Start did not start the module")
	}
	if ret, dropped, ran := e.RunEvent(ctx, "core:worker-one-init", nil); !ran || !dropped || ret != 0 {
		t.Errorf("RunEvent(init) = %d, %v, %v", ret, dropped, ran)
	}
	if ret, dropped, ran := e.RunEvent(ctx, "testmod:ev", parseMsg(t, testInvite)); !ran || dropped || ret != 3 {
		t.Errorf("RunEvent(ev) = %d, %v, %v", ret, dropped, ran)
	}
	if _, _, ran := e.RunEvent(ctx, "nope:x", nil); ran {
		t.Error("RunEvent of a missing event ran")
	}
	c := e.AcquireCtx(ctx, parseMsg(t, testInvite), module.RequestRoute)
	c.RetCode = 9
	if ret, ok := e.RunRoute(ctx, FailureRoute, "F", c); !ok || ret != 5 {
		t.Errorf("RunRoute(F) = %d, %v", ret, ok)
	}
	if ret, ok := e.RunRoute(ctx, ReplyRoute, "R", c); !ok || !c.Dropped || ret != 0 {
		t.Errorf("RunRoute(R) = %d, %v, dropped %v", ret, ok, c.Dropped)
	}
	if c.Route != module.RequestRoute {
		t.Errorf("RunRoute did not restore Route")
	}
	e.ReleaseCtx(c)
	if _, ok := e.RunRoute(ctx, FailureRoute, "NOPE", c); ok {
		t.Error("RunRoute of a missing route ran")
	}
	if got, want := inst.got(), lines("init", "ev", "failure 0", "onreply"); got != want {
		t.Errorf("recorded:\n%s\nwant:\n%s", got, want)
	}
	if err := e.Stop(); err != nil {
		t.Error(err)
	}
}

func TestModulesAndSettings(t *testing.T) {
	src := `debug=3
log_stderror=yes
children=4
listen=udp:127.0.0.1:5060
listen=tcp:127.0.0.1:5060
alias="sip.example.com" other.example.com:5070
port=5080
server_header="Server: test"
enable_tls=yes
max_branches=8
dns_cache_init=off
tcp_connection_lifetime=3605
loadmodule "/usr/lib/kamailio/modules/testmod.so"
loadmodule "testmod"
modparam("testmod|nosuch", "prefix", "zz")
modparam("TESTMOD", "count", "42")
modparam("testmod", "list", "a")
modparam("testmod", "list", 7)
request_route { exit; }
`
	e, err := compileSrc(t, src, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Modules(), ","); got != "pv,testcore,testmod" {
		t.Errorf("modules = %s", got)
	}
	inst := e.Instance("testmod").(*testInst)
	if inst.Prefix != "zz" || inst.Count != 42 || strings.Join(inst.List, ",") != "a,7" {
		t.Errorf("modparams: %+v", inst)
	}
	s := e.Settings
	if s.Debug != 3 || !s.LogStderror || s.Children != 4 || len(s.Listen) != 2 || len(s.Aliases) != 2 ||
		s.Port != 5080 || s.ServerHeader != "Server: test" || !s.EnableTLS || s.MaxBranches != 8 ||
		s.MaxWhileLoops != 100 || s.MaxRecursiveLevel != 256 || !s.ServerSignature {
		t.Errorf("settings: %+v", s)
	}
	if len(s.Ignored) != 2 || !strings.HasPrefix(s.Ignored[0], "dns_cache_init at test.cfg:11:1") {
		t.Errorf("ignored: %q", s.Ignored)
	}
}

func TestSubRouteFunctionWarning(t *testing.T) {
	src := `loadmodule "testmod.so"
request_route { route(S); }
failure_route[F] { route(S); }
route[S] { failonly(); sl_send_reply(200, "OK"); }
`
	e, err := compileSrc(t, src, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Warnings) != 0 {
		t.Errorf("warnings: %v", e.Warnings)
	}
	src = `loadmodule "testmod.so"
request_route { route(S); }
route[S] { failonly(); }
`
	e, err = compileSrc(t, src, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Warnings) != 1 || !strings.Contains(e.Warnings[0].Error(), "test.cfg:3:12: function failonly cannot be used in request_route") {
		t.Errorf("warnings: %v", e.Warnings)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"debgu", "debug", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	if got := suggest("debgu", globalNames()); got != "debug" {
		t.Errorf("suggest(debgu) = %q", got)
	}
	if got := suggest("zzzzzz", globalNames()); got != "" {
		t.Errorf("suggest(zzzzzz) = %q", got)
	}
}

func TestLiteralMatcher(t *testing.T) {
	patterns := []string{"friendly-scanner|sipcli|VaxSIPUserAgent", "^INV", "ite$", "^invite$", `a\.b`, "", "x|", "[12][0-9][0-9]", "a.c", "(a|b)c"}
	inputs := []string{"", "INVITE", "invite", "xinvite", "Friendly-Scanner 1.0", "SIPCLI", "a.b", "axb", "200", "abc", "bc", "x"}
	for _, p := range patterns {
		m, err := compileMatch(p)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		re := regexp.MustCompile("(?i)" + p)
		for _, in := range inputs {
			if got, want := m(in), re.MatchString(in); got != want {
				t.Errorf("%q =~ %q: got %v, want %v", in, p, got, want)
			}
		}
	}
	if _, ok := literalMatcher("[12]"); ok {
		t.Error("[12] taken as a literal")
	}
}
