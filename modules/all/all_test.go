package all

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/script"
)

// modulesDir is the folder holding one folder per module.
const modulesDir = ".."

// moduleDirs returns the module folders (those with a module.go).
func moduleDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(modulesDir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(modulesDir, e.Name(), "module.go")); err == nil {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no module folders")
	}
	return dirs
}

var sections = []string{"NAME", "SYNOPSIS", "PARAMETERS", "FUNCTIONS", "EXAMPLE", "DIFFERENCES FROM KAMAILIO"}

var cfgBlock = regexp.MustCompile("(?s)```cfg\n(.*?)```")

// TestFileSet checks that every module folder has the same files.
func TestFileSet(t *testing.T) {
	for _, d := range moduleDirs(t) {
		for _, f := range []string{"doc.go", "module.go", d + ".go", d + "_test.go", "README.md"} {
			if _, err := os.Stat(filepath.Join(modulesDir, d, f)); err != nil {
				t.Errorf("module %s: %v", d, err)
			}
		}
	}
}

// TestReadmes checks the man-page sections, that every function and
// modparam is documented, and that the example parses.
func TestReadmes(t *testing.T) {
	for _, d := range moduleDirs(t) {
		b, err := os.ReadFile(filepath.Join(modulesDir, d, "README.md"))
		if err != nil {
			continue // TestFileSet reports it
		}
		text := string(b)
		at := 0
		for _, s := range sections {
			i := strings.Index(text[at:], "\n## "+s+"\n")
			if i < 0 {
				t.Errorf("%s/README.md: no section %q (after the previous one)", d, s)
				continue
			}
			at += i + 1
		}
		m, ok := module.Lookup(d)
		if !ok {
			t.Errorf("module folder %s registers no module of that name", d)
			continue
		}
		inst := m.New()
		for _, f := range inst.Funcs() {
			if !strings.Contains(text, "`"+f.Name+"(") {
				t.Errorf("%s/README.md does not document %s()", d, f.Name)
			}
			if f.Doc == "" {
				t.Errorf("%s: %s has no Doc", d, f.Name)
			}
		}
		for _, p := range module.Params(inst) {
			if !strings.Contains(text, "`"+p.Name+"`") {
				t.Errorf("%s/README.md does not document modparam %s", d, p.Name)
			}
		}
		// Every RPC command is documented (by its name in backquotes) and
		// has a Doc for system.methodHelp.
		if p, ok := inst.(module.RPCProvider); ok {
			for _, r := range p.RPCs() {
				if !strings.Contains(text, "`"+r.Name+"`") {
					t.Errorf("%s/README.md does not document RPC %s", d, r.Name)
				}
				if r.Doc == "" {
					t.Errorf("%s: RPC %s has no Doc", d, r.Name)
				}
			}
		}
		blocks := cfgBlock.FindAllStringSubmatch(text, -1)
		if len(blocks) == 0 {
			t.Errorf("%s/README.md has no ```cfg example", d)
		}
		for _, blk := range blocks {
			if _, err := script.ParseBytes(d+"/README.md", []byte(blk[1]), script.Options{}); err != nil {
				t.Errorf("%s/README.md example does not parse: %v", d, err)
			}
		}
	}
}

// TestRegistered checks that all imports every module folder.
func TestRegistered(t *testing.T) {
	names := module.Names()
	for _, d := range moduleDirs(t) {
		if !slices.Contains(names, d) {
			t.Errorf("module %s is not imported by package all", d)
		}
	}
}
