package script

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parseString parses src as file "t.cfg" with in-memory includes.
func parseString(t *testing.T, src string, opt Options) (*Config, error) {
	t.Helper()
	return ParseBytes("t.cfg", []byte(src), opt)
}

// dumpString parses src and returns the canonical dump; it fails the
// test on errors.
func dumpString(t *testing.T, src string, opt Options) string {
	t.Helper()
	cfg, err := parseString(t, src, opt)
	if err != nil {
		t.Fatalf("parse error:\n%v\nsource:\n%s", err, src)
	}
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// errorsOf parses src and returns its errors as strings.
func errorsOf(t *testing.T, src string, opt Options) []string {
	t.Helper()
	_, err := parseString(t, src, opt)
	if err == nil {
		return nil
	}
	var el ErrorList
	if !errors.As(err, &el) {
		t.Fatalf("error is %T, want ErrorList", err)
	}
	var out []string
	for _, e := range el {
		out = append(out, e.Error())
	}
	return out
}

func TestPreprocessor(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opt  Options
		want string // expected dump
	}{
		{
			name: "define value is re-lexed",
			src:  "#!define V 1 + 2\nrequest_route { $var(x) = V * 3; }",
			want: "request_route {\n\t$var(x) = 1 + (2 * 3);\n}\n",
		},
		{
			name: "define without value expands to nothing",
			src:  "#!define NOTHING\nrequest_route { NOTHING exit; }",
			want: "request_route {\n\texit;\n}\n",
		},
		{
			name: "not inside strings nor pseudo-variables",
			src:  "#!define X 42\nrequest_route { xlog(\"X $var(X)\"); $var(X) = X; }",
			want: "request_route {\n\txlog(\"X $var(X)\");\n\t$var(X) = 42;\n}\n",
		},
		{
			name: "keywords are not replaced",
			src:  "#!define exit drop\n#!define udp 1\nlisten=udp:127.0.0.1:5060\nrequest_route { exit; }",
			want: "listen = udp:127.0.0.1:5060\n\nrequest_route {\n\texit;\n}\n",
		},
		{
			name: "route names are replaced",
			src:  "#!define R RELAY\nrequest_route { route(R); }\nroute[R] { exit; }",
			want: "request_route {\n\troute(RELAY);\n}\n\nroute[RELAY] {\n\texit;\n}\n",
		},
		{
			name: "nested ifdef",
			src: `#!define A
#!ifdef A
#!ifndef B
#!define V 1
#!else
#!define V 2
#!endif
#!else
#!define V 3
#!endif
request_route { $var(x) = V; }`,
			want: "request_route {\n\t$var(x) = 1;\n}\n",
		},
		{
			name: "false branch skips everything, even broken text and includes",
			src:  "#!ifdef NOPE\ninclude_file \"missing.cfg\"\n}}} (( \"unterminated\n#!endif\nrequest_route { exit; }",
			want: "request_route {\n\texit;\n}\n",
		},
		{
			name: "trydef and redefine",
			src:  "#!define A 1\n#!trydef A 2\n#!trydef B 3\n#!redefine A 4\nrequest_route { $var(a) = A; $var(b) = B; }",
			want: "request_route {\n\t$var(a) = 4;\n\t$var(b) = 3;\n}\n",
		},
		{
			name: "undef",
			src:  "#!define A\n#!undef A\n#!undef NEVER\n#!ifdef A\nbroken(\n#!endif\nrequest_route { exit; }",
			want: "request_route {\n\texit;\n}\n",
		},
		{
			name: "-A defines",
			src:  "#!ifdef WITH_X\nrequest_route { $var(v) = VAL; }\n#!endif",
			opt:  Options{Defines: map[string]string{"WITH_X": "", "VAL": `"v"`}},
			want: "request_route {\n\t$var(v) = \"v\";\n}\n",
		},
		{
			name: "predefined names",
			src:  "#!ifdef KAMAILIO_5\n#!ifdef KAMAILIO_5_6\n#!ifdef OLELO\nrequest_route { $var(v) = KAMAILIO_VERSION; }\n#!endif\n#!endif\n#!endif",
			want: "request_route {\n\t$var(v) = 5006003;\n}\n",
		},
		{
			name: "MOD_ names follow loadmodule",
			src:  "#!ifdef MOD_tm\nbroken(\n#!endif\nloadmodule \"/usr/lib/kamailio/modules/tm.so\"\n#!ifdef MOD_tm\nmodparam(\"tm\", \"fr_timer\", 1)\n#!endif\n",
			want: "loadmodule \"/usr/lib/kamailio/modules/tm.so\"\nmodparam(\"tm\", \"fr_timer\", 1)\n",
		},
		{
			name: "ifexp",
			src:  "#!define N 5\n#!define S \"abc\"\n#!ifexp N > 3 && (S == \"abc\" || UNDEF) && !UNDEF && KAMAILIO_VERSION >= 5006000\nrequest_route { exit; }\n#!endif",
			want: "request_route {\n\texit;\n}\n",
		},
		{
			name: "ifexp false and defexp",
			src:  "#!define Z 0\n#!defexp T 2*3+1\n#!defexps TS 7\n#!ifexp Z\nbroken(\n#!else\nrequest_route { $var(t) = T; $var(s) = TS; }\n#!endif",
			want: "request_route {\n\t$var(t) = 7;\n\t$var(s) = \"7\";\n}\n",
		},
		{
			name: "subst applies to strings and pseudo-variables after it",
			src:  "request_route { xlog(\"HOST\"); }\n#!subst \"/HOST/example.com/g\"\nroute[A] { xlog(\"HOST and HOST\"); $var(HOST) = 1; }",
			want: "request_route {\n\txlog(\"HOST\");\n}\n\nroute[A] {\n\txlog(\"example.com and example.com\");\n\t$var(example.com) = 1;\n}\n",
		},
		{
			name: "subst groups and flags",
			src:  "#!subst \"/user-([0-9]+)/u\\1/i\"\nrequest_route { xlog(\"USER-12 user-3\"); }",
			want: "request_route {\n\txlog(\"u12 user-3\");\n}\n",
		},
		{
			name: "substdef and substdefs",
			src:  "#!substdef \"!MYPORT!5060!\"\n#!substdefs \"/MYIP/10.0.0.1/\"\nrequest_route { $var(p) = MYPORT; $var(i) = MYIP; xlog(\"MYIP:MYPORT\"); }",
			want: "request_route {\n\t$var(p) = 5060;\n\t$var(i) = \"10.0.0.1\";\n\txlog(\"10.0.0.1:5060\");\n}\n",
		},
		{
			name: "defenv",
			src:  "#!defenv ME=OLELO_TEST_ENV\n#!defenvs MES=OLELO_TEST_ENV\n#!trydefenv OLELO_UNSET_ENV\nrequest_route { $var(a) = ME; $var(b) = MES; }",
			opt: Options{LookupEnv: func(k string) (string, bool) {
				if k == "OLELO_TEST_ENV" {
					return "7", true
				}
				return "", false
			}},
			want: "request_route {\n\t$var(a) = 7;\n\t$var(b) = \"7\";\n}\n",
		},
		{
			name: "bang bang directives",
			src:  "!!define A 1\n!!ifdef A\nrequest_route { $var(a) = A; }\n!!endif",
			want: "request_route {\n\t$var(a) = 1;\n}\n",
		},
		{
			name: "endif at end of file without newline",
			src:  "#!ifdef A\nbroken(\n#!endif",
			want: "",
		},
		{
			name: "comment in a define value ends with the value",
			src:  "#!define DBG 3 # debug level\nrequest_route { $var(a) = DBG; }",
			want: "request_route {\n\t$var(a) = 3;\n}\n",
		},
		{
			name: "nested defines",
			src:  "#!define A B + 1\n#!define B C * 2\n#!define C 3\nrequest_route { $var(a) = A; }",
			want: "request_route {\n\t$var(a) = (3 * 2) + 1;\n}\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dumpString(t, tc.src, tc.opt); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestPreprocessorErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"redefine", "#!define A 1\n#!define A 2\n", []string{"t.cfg:2:1: A is already defined (defined at t.cfg:1:1); use #!redefine to change it or #!trydef to keep it"}},
		{"redefine predefined", "#!define OLELO\n", []string{"t.cfg:1:1: OLELO is already defined (predefined or given with -A); use #!redefine to change it or #!trydef to keep it"}},
		{"dash in name", "#!define A-B 1\n", []string{"t.cfg:1:1: '-' is not allowed in a define name (A-...)"}},
		{"unmatched ifdef", "#!ifdef A\n#!ifndef B\n#!endif\n", []string{"t.cfg:1:1: #!ifdef A has no matching #!endif"}},
		{"unmatched endif", "request_route { exit; }\n#!endif\n", []string{"t.cfg:2:1: #!endif without #!ifdef, #!ifndef or #!ifexp"}},
		{"unmatched else", "#!else\n", []string{"t.cfg:1:1: #!else without #!ifdef, #!ifndef or #!ifexp"}},
		{"endif with text is not an endif", "#!ifdef A\n#!endif // A\n", []string{"t.cfg:1:1: #!ifdef A has no matching #!endif"}},
		{"bad subst flag", "#!subst \"/a/b/q\"\n", []string{`t.cfg:1:9: #!subst "/a/b/q": unknown flag 'q' (allowed: i, g, s)`}},
		{"subst needs a string", "#!subst /a/b/\n", []string{"t.cfg:1:9: #!subst needs a rule in double quotes"}},
		{"bad ifexp", "#!ifexp 1 +\n#!endif\n", []string{"t.cfg:1:1: #!ifexp 1 +: unexpected end of expression"}},
		{"missing include", "include_file \"nope.cfg\"\n", []string{`t.cfg:1:1: include_file: cannot open "nope.cfg" (tried nope.cfg)`}},
		{"unquoted include", "include_file nope.cfg\n", []string{"t.cfg:1:1: include_file: the file name must be in double quotes, found nope.cfg"}},
		{"defenv unset", "#!defenv OLELO_SURELY_UNSET_VAR\n", []string{"t.cfg:1:1: environment variable OLELO_SURELY_UNSET_VAR is not set (#!defenv)"}},
		{"recursive define", "#!define A B\n#!define B A\nrequest_route { $var(x) = A; }\n", []string{"t.cfg:3:27: define A expands to itself"}},
		{"SER mode", "#!SER\n", []string{"t.cfg:1:1: #!SER compatibility mode (SER-style AVPs) is not supported; use #!KAMAILIO"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errorsOf(t, tc.src, Options{})
			if len(got) < len(tc.want) {
				t.Fatalf("errors %q, want %q", got, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("error %d: %q\nwant prefix %q", i, got[i], w)
				}
			}
		})
	}
}

func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	main := write("etc/main.cfg", `#!define FROM_MAIN 1
include_file "sub/part.cfg"
import_file "local.cfg"
import_file "missing-is-fine.cfg"
request_route { route(PART); $var(l) = LOCAL; }
`)
	write("etc/sub/part.cfg", "#!ifdef FROM_MAIN\nroute[PART] {\n\txlog(\"in part\");\n\tbroken here\n}\n#!endif\n")
	write("etc/local.cfg", "#!define LOCAL 2\n")

	cfg, err := ParseFile(main, Options{})
	if err == nil {
		t.Fatal("want an error from the included file")
	}
	// The error is reported in the included file, at its own line.
	want := filepath.Join(dir, "etc/sub/part.cfg") + ":4:9: unexpected 'here', expected '(' after broken: a function call needs parentheses, as in broken()"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error:\n%v\nwant prefix:\n%s", err, want)
	}
	if got := cfg.Route(RequestRoute, ""); got == nil || len(got.Body) != 2 {
		t.Fatalf("request_route not parsed: %+v", got)
	}
	if got := cfg.Route(RequestRoute, "PART"); got == nil || got.Pos.File != filepath.Join(dir, "etc/sub/part.cfg") || got.Pos.Line != 2 {
		t.Errorf("route[PART] position: %+v", got)
	}
	if len(cfg.Files) != 3 {
		t.Errorf("files read: %v", cfg.Files)
	}

	// Relative to the working directory first.
	t.Chdir(dir)
	write("cwd.cfg", "#!define CWD 1\n")
	write("etc/cwd.cfg", "#!define NOT_CWD 1\n")
	cfg, err = ParseBytes("etc/x.cfg", []byte(`include_file "cwd.cfg"`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Defines["CWD"]; !ok {
		t.Errorf("include did not read ./cwd.cfg first: %v", cfg.Files)
	}
}

func TestIncludeLimits(t *testing.T) {
	files := map[string]string{
		"loop.cfg": `include_file "loop.cfg"`,
		"a.cfg":    "#!ifdef NOPE\ninclude_file \"absent.cfg\"\n#!endif\n",
	}
	opt := Options{ReadFile: func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}}
	_, err := ParseFile("loop.cfg", opt)
	if err == nil || !strings.Contains(err.Error(), "includes nested more than 10 deep") {
		t.Errorf("self include: %v", err)
	}
	if _, err := ParseFile("a.cfg", opt); err != nil {
		t.Errorf("include in a false branch was followed: %v", err)
	}
	// IncludeDirs are searched last.
	files["lib/extra.cfg"] = "#!define EXTRA\n"
	cfg, err := ParseBytes("m.cfg", []byte(`include_file "extra.cfg"`), Options{ReadFile: opt.ReadFile, IncludeDirs: []string{"lib"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Defines["EXTRA"]; !ok {
		t.Error("IncludeDirs not searched")
	}
}

func TestExpansionPositions(t *testing.T) {
	src := "#!define CALL xlog(\"a\")\nrequest_route {\n\tCALL;\n}\n"
	cfg, err := parseString(t, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	call := cfg.Routes[0].Body[0].(*Call)
	if call.Pos.String() != "t.cfg:3:2" || call.Args[0].Position().String() != "t.cfg:3:2" {
		t.Errorf("expanded tokens must carry the use site: %v %v", call.Pos, call.Args[0].Position())
	}
	// An error inside an expansion names the define.
	errs := errorsOf(t, "#!define BAD xlog(\"a\"\nrequest_route {\n\tBAD;\n}\n", Options{})
	if len(errs) == 0 || !strings.Contains(errs[0], "t.cfg:3:5: unexpected ';', expected ',' or ')' in the arguments of xlog(...)") {
		t.Errorf("errors: %q", errs)
	}
	errs = errorsOf(t, "#!define BAD 1 }\nrequest_route {\n\t$x = BAD;\n}\n", Options{})
	if len(errs) == 0 || !strings.Contains(errs[0], "(from define BAD)") {
		t.Errorf("errors: %q", errs)
	}
}

func TestWarnings(t *testing.T) {
	cfg, err := parseString(t, "request_route { }\nreply_route { exit; }\nreply_route { drop; }\n#!ifdef A\n#!else\n#!else\n#!endif\n#!endif // x\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		"t.cfg:1:1: empty request_route block: Kamailio 5.6 rejects an empty block",
		"t.cfg:3:1: second reply_route block: Kamailio appends it to the one at t.cfg:2:1",
		"t.cfg:6:1: second #!else for #!ifdef A (at t.cfg:4:1) flips the branch back",
		"t.cfg:8:1: #!endif followed by text is read as a comment, not as #!endif (Kamailio does the same)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(cfg.Route(ReplyRoute, "").Body) != 2 {
		t.Error("second default reply_route not appended")
	}
}
