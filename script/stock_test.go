package script

import (
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const stockConfig = "/etc/kamailio/kamailio.cfg"

func readStock(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(stockConfig)
	if err != nil {
		t.Skipf("%s not found (install Debian's kamailio package to run this test): %v", stockConfig, err)
	}
	return data
}

// withDefines finds the WITH_* names the stock config tests with
// #!ifdef/#!ifndef.
func withDefines(src []byte) []string {
	re := regexp.MustCompile(`(?m)^\s*#!ifn?def\s+(WITH_[A-Za-z0-9_]+)`)
	seen := map[string]bool{}
	var names []string
	for _, m := range re.FindAllSubmatch(src, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// featureNeeds reads the stock config's header, where each feature says
// what it needs ("*** To enable authentication execute: - enable mysql -
// define WITH_AUTH"), and returns feature -> required features. A feature
// needing MySQL uses DBURL, which only WITH_MYSQL defines: without it
// Kamailio rejects the file too.
func featureNeeds(src []byte) map[string][]string {
	needs := map[string][]string{}
	defRe := regexp.MustCompile(`define (WITH_[A-Z0-9_]+)`)
	for _, block := range strings.Split(string(src), "# ***")[1:] {
		var req []string
		if strings.Contains(block, "enable mysql") {
			req = append(req, "WITH_MYSQL")
		}
		if strings.Contains(block, "enable authentication") {
			req = append(req, "WITH_AUTH")
		}
		// Only the first define of a block is the feature itself; later
		// ones are options of it (WITH_NATSIPPING under WITH_NAT).
		if m := defRe.FindStringSubmatch(block); m != nil && len(req) > 0 {
			needs[m[1]] = req
		}
	}
	return needs
}

// TestStockConfig parses the stock kamailio.cfg with its WITH_* features
// switched on in many combinations. All 2^n combinations (n is 21 for
// Kamailio 5.6) would take too long, so the test uses: none, each feature
// alone, every pair, all together and 500 random subsets, each with the features it needs
// (most need WITH_MYSQL; see featureNeeds). Features interact through
// #!ifdef nesting (WITH_NAT with WITH_RTPENGINE, WITH_AUTH with
// WITH_IPAUTH, WITH_PRESENCE with WITH_MSGREBUILD): pairs cover every such
// nesting in the stock file, which never nests three deep. Every
// combination must parse without errors or warnings, and its dump must
// parse back to itself.
func TestStockConfig(t *testing.T) {
	src := readStock(t)
	names := withDefines(src)
	if len(names) < 10 {
		t.Fatalf("found only %d WITH_* names: %v", len(names), names)
	}
	var combos [][]string
	combos = append(combos, nil)
	for i := range names {
		combos = append(combos, []string{names[i]})
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			combos = append(combos, []string{names[i], names[j]})
		}
	}
	combos = append(combos, names)
	// And a fixed pseudo-random sample of larger combinations.
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		var c []string
		for _, n := range names {
			if rng.IntN(2) == 0 {
				c = append(c, n)
			}
		}
		combos = append(combos, c)
	}
	needs := featureNeeds(src)
	if len(needs["WITH_AUTH"]) == 0 || len(needs["WITH_IPAUTH"]) != 2 {
		t.Fatalf("could not read the feature requirements from the header: %v", needs)
	}
	routes := map[string]bool{}
	for _, combo := range combos {
		defs := map[string]string{}
		var add func(n string)
		add = func(n string) {
			if _, ok := defs[n]; !ok {
				defs[n] = ""
				for _, r := range needs[n] {
					add(r)
				}
			}
		}
		for _, n := range combo {
			add(n)
		}
		cfg, err := ParseBytes(stockConfig, src, Options{Defines: defs})
		if err != nil {
			t.Errorf("with %v:\n%v", combo, err)
			continue
		}
		if len(cfg.Warnings) > 0 {
			t.Errorf("with %v: warnings:\n%v", combo, cfg.Warnings)
		}
		for _, r := range cfg.Routes {
			routes[r.Keyword+"["+r.Name+"]"] = true
		}
		if len(combo) == len(names) {
			checkRoundTrip(t, cfg)
		}
	}
	t.Logf("%d WITH_* names, %d combinations parsed, %d distinct route blocks", len(names), len(combos), len(routes))
	for _, want := range []string{"request_route[]", "route[RELAY]", "route[REQINIT]", "event_route[xhttp:request]", "failure_route[MANAGE_FAILURE]", "onreply_route[MANAGE_REPLY]", "reply_route[]", "branch_route[MANAGE_BRANCH]"} {
		if !routes[want] {
			t.Errorf("route %s never seen", want)
		}
	}
}

// TestStockConfigContent spot-checks the tree of the stock config with the
// features of spec §8's minimum surface.
func TestStockConfigContent(t *testing.T) {
	src := readStock(t)
	defs := map[string]string{}
	for _, n := range strings.Fields("WITH_MYSQL WITH_AUTH WITH_IPAUTH WITH_USRLOCDB WITH_NAT WITH_ANTIFLOOD WITH_TLS") {
		defs[n] = ""
	}
	cfg, err := ParseBytes(stockConfig, src, Options{Defines: defs})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Compat != "KAMAILIO" {
		t.Errorf("compat %q", cfg.Compat)
	}
	for _, m := range []string{"MOD_tm", "MOD_db_mysql", "MOD_htable", "MOD_pike", "MOD_rtpproxy", "MOD_tls"} {
		if _, ok := cfg.Defines[m]; !ok {
			t.Errorf("%s not defined", m)
		}
	}
	if _, ok := cfg.Defines["MOD_rtpengine"]; ok {
		t.Error("MOD_rtpengine defined without WITH_RTPENGINE")
	}
	var received *ModParam
	for _, mp := range cfg.ModParams {
		if mp.Module == "nathelper|registrar" {
			received = mp
		}
	}
	if received == nil || exprString(received.Value) != `"$avp(RECEIVED)"` {
		t.Errorf("modparam nathelper|registrar: %+v", received)
	}
	reqinit := cfg.Route(RequestRoute, "REQINIT")
	if reqinit == nil {
		t.Fatal("no route[REQINIT]")
	}
	var conds []string
	for _, s := range reqinit.Body {
		if is, ok := s.(*IfStmt); ok {
			conds = append(conds, exprString(is.Cond))
		}
	}
	want := []string{
		"src_ip != myself",
		`$ua =~ "friendly|scanner|sipcli|sipvicious|VaxSIPUserAgent|pplsip"`,
		`!mf_process_maxfwd_header("10")`,
		`(is_method("OPTIONS") && (uri == myself)) && ($rU == $null)`,
		`!sanity_check("17895", "7")`,
	}
	if strings.Join(conds, "\n") != strings.Join(want, "\n") {
		t.Errorf("REQINIT conditions:\n%s\nwant:\n%s", strings.Join(conds, "\n"), strings.Join(want, "\n"))
	}
}
