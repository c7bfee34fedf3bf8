package permissions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

func TestRuleMatching(t *testing.T) {
	tests := []struct {
		rules       string
		left, right string
		want        bool
	}{
		{`ALL : ALL`, "sip:a@x", "sip:b@y", true},
		{`"^sip:.*@example\.com$" : "^sip:[0-9]+@"`, "sip:alice@example.com", "sip:123@gw", true},
		{`"^sip:.*@example\.com$" : "^sip:[0-9]+@"`, "sip:alice@EXAMPLE.COM", "sip:123@gw", true}, // case-insensitive
		{`"^sip:.*@example\.com$" : "^sip:[0-9]+@"`, "sip:alice@example.org", "sip:123@gw", false},
		{`"^sip:.*@example\.com$" : "^sip:[0-9]+@"`, "sip:alice@example.com", "sip:bob@gw", false},
		{`ALL EXCEPT "^sip:mallory@" : ALL`, "sip:mallory@x", "sip:b@y", false},
		{`ALL EXCEPT "^sip:mallory@" : ALL`, "sip:alice@x", "sip:b@y", true},
		{`ALL : "^sip:" EXCEPT "^sip:900", "^sip:901"`, "sip:a@x", "sip:9005@y", false},
		{`ALL : "^sip:" EXCEPT "^sip:900", "^sip:901"`, "sip:a@x", "sip:9015@y", false},
		{`ALL : "^sip:" EXCEPT "^sip:900", "^sip:901"`, "sip:a@x", "sip:902@y", true},
		{`"a", "b" : ALL`, "xbx", "q", true}, // unanchored: matches anywhere
		{`"a,b" : ALL`, "a,b", "q", true},    // a comma inside quotes belongs to the expression
		{`"a:b" : ALL`, "a:b", "q", true},    // a colon inside quotes too
		{`"x" : ALL # "y" : ALL`, "x", "q", true},
		{`"x#y" : ALL`, "x#y", "q", true},
		{"# only a comment\n\n   \n\"z\" : ALL", "z", "q", true},
		{`ALL : ALL EXCEPT ALL`, "a", "xallx", false}, // after EXCEPT, ALL is an expression
		{`ALL : ALL EXCEPT ALL`, "a", "sip:b@y", true},
		{"\"q\" : ALL\r\n", "q", "w", true},
	}
	for _, tt := range tests {
		rules, err := parseRules("t", []byte(tt.rules))
		if err != nil {
			t.Errorf("%q: %v", tt.rules, err)
			continue
		}
		if got := rules.matches(tt.left, tt.right); got != tt.want {
			t.Errorf("%q with (%q, %q) = %v, want %v", tt.rules, tt.left, tt.right, got, tt.want)
		}
	}
}

func TestRuleErrors(t *testing.T) {
	for text, want := range map[string]string{
		"ALL ALL":                     "t:1: want",
		"\n: ALL":                     "t:2: want",
		"ALL :":                       "t:1: want",
		"ALL : # nothing":             "t:1: want",
		`"(" : ALL`:                   "t:1: left of ':': bad regular expression",
		`ALL : "a", , "b"`:            "right of ':': empty expression",
		`ALL EXCEPT "[" : ALL`:        "EXCEPT list: bad regular expression",
		"\"ok\" : ALL\n\"a\" : \"(\"": "t:2: right of ':'",
	} {
		_, err := parseRules("t", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

// FuzzParseRules checks that no input crashes the parser and that what
// it accepts can be matched.
func FuzzParseRules(f *testing.F) {
	for _, s := range []string{
		`ALL : ALL`, `"^sip:a@" EXCEPT "b" : "c", "d" EXCEPT "e"`, "# c\n\"x:y\" : ALL # z",
		`"a,b" , "c" : ALL EXCEPT ALL`, `::`, `"`, `ALL EXCEPT  : x`, "\"\\\" : ALL",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := parseRules("fuzz", data)
		if err != nil {
			return
		}
		rules.matches("sip:alice@example.com", "sip:bob@example.org")
	})
}

// ruleDir writes rule files into a temporary directory and returns an
// instance whose config is in that directory.
func ruleDir(t *testing.T, files map[string]string) *Instance {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := New()
	m.SetConfigFile(filepath.Join(dir, "kamailio.cfg"))
	if err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return m
}

func request(from, ruri string, extra ...string) string {
	return "INVITE " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK776asdhds\r\n" +
		"Max-Forwards: 70\r\n" +
		"To: <" + ruri + ">\r\n" +
		"From: \"A\" <" + from + ">;tag=1928301774\r\n" +
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n" +
		"CSeq: 314159 INVITE\r\n" +
		strings.Join(extra, "") +
		"Content-Length: 0\r\n\r\n"
}

func TestAllowRouting(t *testing.T) {
	m := ruleDir(t, map[string]string{
		"permissions.allow": `"^sip:alice@example\.com$" : ALL` + "\n",
		"permissions.deny":  `ALL : "^sip:900" EXCEPT "^sip:9001@"` + "\n" + `"@evil\.example$" : ALL` + "\n",
		"pstn.allow":        `ALL : "^sip:\+?[0-9]+@"` + "\n",
		"pstn.deny":         `ALL : ALL` + "\n",
		"two-a":             `"^sip:bob@" : ALL`,
		"two-d":             `ALL : ALL`,
	})
	tests := []struct {
		from, ruri string
		branches   []string
		args       []any
		want       int
	}{
		{"sip:alice@example.com", "sip:900@gw", nil, nil, 1},                     // allow file wins
		{"sip:bob@example.com", "sip:900@gw", nil, nil, -1},                      // deny file
		{"sip:bob@example.com", "sip:9001@gw", nil, nil, 1},                      // deny EXCEPT
		{"sip:bob@example.com", "sip:555@gw", nil, nil, 1},                       // neither: allowed
		{"sip:x@evil.example", "sip:555@gw", nil, nil, -1},                       // deny by From
		{"sip:bob@example.com", "sip:555@gw", []string{"sip:900@gw2"}, nil, -1},  // a denied branch
		{"sip:alice@example.com", "sip:555@gw", []string{"sip:900@gw2"}, nil, 1}, // alice may call anything, branches too
		{"sip:bob@example.com", "sip:555@gw", []string{"sip:555@gw2"}, nil, 1},
		{"sip:bob@example.com", "sip:+15551234@gw", nil, []any{"pstn"}, 1},
		{"sip:bob@example.com", "sip:bob@gw", nil, []any{"pstn"}, -1},
		{"sip:bob@example.com", "sip:x@gw", nil, []any{"two-a", "two-d"}, 1},
		{"sip:eve@example.com", "sip:x@gw", nil, []any{"two-a", "two-d"}, -1},
		{"sip:eve@example.com", "sip:x@gw", nil, []any{"missing"}, 1}, // no files: everything allowed
	}
	for _, tt := range tests {
		c, _, _ := modtest.NewCtx(t, request(tt.from, tt.ruri))
		for _, b := range tt.branches {
			c.Branches = append(c.Branches, module.Branch{URI: b})
		}
		if rc := modtest.Call(t, m, c, "allow_routing", tt.args...); rc != tt.want {
			t.Errorf("allow_routing%v from %s to %s %v = %d, want %d", tt.args, tt.from, tt.ruri, tt.branches, rc, tt.want)
		}
	}
	// check_all_branches 0 looks at the Request-URI only.
	m.CheckAllBranches = 0
	c, _, _ := modtest.NewCtx(t, request("sip:bob@example.com", "sip:555@gw"))
	c.Branches = []module.Branch{{URI: "sip:900@gw2"}}
	if rc := modtest.Call(t, m, c, "allow_routing"); rc != 1 {
		t.Errorf("check_all_branches 0: %d", rc)
	}
	// The Request-URI as changed by the script is the one checked.
	c, _, _ = modtest.NewCtx(t, request("sip:bob@example.com", "sip:555@gw"))
	c.NewURI = "sip:900@gw"
	if rc := modtest.Call(t, m, c, "allow_routing"); rc != -1 {
		t.Errorf("rewritten Request-URI: %d", rc)
	}
}

func TestAllowRoutingBadFileFailsAtLoad(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.allow"), []byte("ALL : ALL\nnonsense\n"), 0o644)
	m := New()
	m.SetConfigFile(filepath.Join(dir, "kamailio.cfg"))
	f := modtest.Find(t, m, "allow_routing", 1)
	_, err := modtest.Args(f, "bad")
	if err == nil || !strings.Contains(err.Error(), "bad.allow:2") {
		t.Errorf("bad rule file: %v", err)
	}
	dyn := []*module.Arg{modtest.Dyn(module.ArgStr, module.StrValue("x"))}
	if err := f.Check(dyn); err == nil {
		t.Error("a non-constant file name was accepted")
	}
	// The default files are read by Start.
	os.WriteFile(filepath.Join(dir, "permissions.deny"), []byte(`"(" : ALL`), 0o644)
	if err := m.Start(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "permissions.deny:1") {
		t.Errorf("bad default deny file: %v", err)
	}
}

func TestAllowRegister(t *testing.T) {
	m := ruleDir(t, map[string]string{
		"register.allow": `"^sip:alice@" : "^sip:alice@10\.0\.0\.[0-9]+$"` + "\n",
		"register.deny":  `ALL : "^sip:.*@10\.0\.0\."` + "\n" + `ALL : ":5070$"` + "\n",
	})
	reg := func(to string, contacts ...string) string {
		var extra []string
		for _, c := range contacts {
			extra = append(extra, "Contact: "+c+"\r\n")
		}
		return strings.Replace(request("sip:x@y", to, extra...), "INVITE", "REGISTER", 2)
	}
	tests := []struct {
		msg  string
		fn   string
		want int
	}{
		{reg("sip:alice@example.com", "<sip:alice@10.0.0.5:5060>"), "allow_register", 1},
		{reg("sip:bob@example.com", "<sip:bob@10.0.0.5:5060>"), "allow_register", -1},
		{reg("sip:bob@example.com", "<sip:bob@192.0.2.5>"), "allow_register", 1},
		{reg("sip:bob@example.com", "<sip:bob@192.0.2.5>, <sip:bob@10.0.0.7>"), "allow_register", -1},
		{reg("sip:bob@example.com", "<sip:bob@192.0.2.5>", "<sip:bob@10.0.0.7>"), "allow_register", -1},
		{reg("sip:bob@example.com"), "allow_register", 1},      // no Contact: a query
		{reg("sip:bob@example.com", "*"), "allow_register", 1}, // remove all
		{reg("sip:bob@example.com", "<sip:bob@192.0.2.5:5070>"), "allow_register", 1},
		{reg("sip:bob@example.com", "<sip:bob@192.0.2.5:5070>"), "allow_register_include_port", -1},
	}
	for _, tt := range tests {
		c, _, _ := modtest.NewCtx(t, tt.msg)
		if rc := modtest.Call(t, m, c, tt.fn, "register"); rc != tt.want {
			t.Errorf("%s:\n%s= %d, want %d", tt.fn, tt.msg, rc, tt.want)
		}
	}
}

func TestAllowURI(t *testing.T) {
	m := ruleDir(t, map[string]string{
		"refer.allow": `"^sip:alice@" : ALL` + "\n",
		"refer.deny":  `ALL : "@premium\.example$"` + "\n",
	})
	for _, tt := range []struct {
		from, uri string
		want      int
	}{
		{"sip:alice@x", "sip:1@premium.example", 1},
		{"sip:bob@x", "sip:1@premium.example", -1},
		{"sip:bob@x", "sip:1@cheap.example", 1},
	} {
		c, _, _ := modtest.NewCtx(t, request(tt.from, "sip:r@x"))
		f := modtest.Find(t, m, "allow_uri", 2)
		args, err := modtest.Args(f, "refer", "")
		if err != nil {
			t.Fatal(err)
		}
		args[1] = modtest.Dyn(module.ArgStr, module.StrValue(tt.uri))
		if rc := f.Run(c, args); rc != tt.want {
			t.Errorf("allow_uri from %s for %s = %d, want %d", tt.from, tt.uri, rc, tt.want)
		}
	}
	res, err := m.rpcTestURI(context.Background(), module.RPCParams{"refer", "sip:bob@x", "sip:1@premium.example"})
	if err != nil || res != "Denied" {
		t.Errorf("testUri: %v %v", res, err)
	}
	res, err = m.rpcTestURI(context.Background(), module.RPCParams{"refer", "sip:alice@x", "sip:1@premium.example"})
	if err != nil || res != "Allowed" {
		t.Errorf("testUri: %v %v", res, err)
	}
	if _, err := m.rpcTestURI(context.Background(), module.RPCParams{"nosuch", "a", "b"}); err == nil {
		t.Error("testUri with files the config does not use")
	}
}
