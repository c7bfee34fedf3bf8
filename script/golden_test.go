package script

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// positions lists every node of cfg with its position, one per line, so
// the golden files pin down positions as well as structure.
func positions(cfg *Config) string {
	var b strings.Builder
	for _, d := range cfg.Decls {
		Inspect(d, func(n Node) bool {
			p := n.Position()
			fmt.Fprintf(&b, "%d:%d %s\n", p.Line, p.Col, nodeSummary(n))
			return true
		})
	}
	return b.String()
}

func nodeSummary(n Node) string {
	name := strings.TrimPrefix(fmt.Sprintf("%T", n), "*script.")
	switch n := n.(type) {
	case *GlobalAssign:
		return name + " " + n.Name
	case *CfgVar:
		return name + " " + n.Group + "." + n.Name
	case *Route:
		return name + " " + n.Keyword + "[" + n.Name + "]"
	case *Call:
		return name + " " + n.Name + "/" + strconv.Itoa(len(n.Args))
	case *RouteCall:
		return name + " " + n.Name
	case *Binary:
		return name + " " + n.Op.String()
	case *Unary:
		return name + " " + n.Op.String()
	case *PVar:
		return name + " " + n.Text
	case *Ident:
		return name + " " + n.Name
	case *Keyword:
		return name + " " + n.Name
	case *IntLit:
		return name + " " + n.Text
	case *StrLit:
		return name + " " + quoteString(n.Value)
	case *IPLit:
		return name + " " + n.Addr + "/" + n.Mask
	case *ModParam:
		return name + " " + n.Module + "." + n.Param
	case *LoadModule:
		return name + " " + n.Name
	case *SocketAddr:
		return name + " " + socketString(n)
	}
	return name
}

func dumpConfig(t *testing.T, cfg *Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func compareGolden(t *testing.T, goldenPath, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the output:\n%s", goldenPath, lineDiff(string(want), got))
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n want: %q\n  got: %q", i+1, wl, gl)
		}
	}
	return "(same lines)"
}

// TestGolden parses testdata/*.cfg and compares the canonical dump and the
// node positions with testdata/*.golden.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.cfg")
	if len(files) == 0 {
		t.Fatal("no testdata/*.cfg")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := ParseFile(f, Options{})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := dumpConfig(t, cfg) + "---- positions ----\n" + positions(cfg)
			compareGolden(t, strings.TrimSuffix(f, ".cfg")+".golden", got)
			checkRoundTrip(t, cfg)
		})
	}
}

// checkRoundTrip checks that the dump of cfg parses back to the same dump.
func checkRoundTrip(t *testing.T, cfg *Config) {
	t.Helper()
	first := dumpConfig(t, cfg)
	again, err := ParseBytes("dump.cfg", []byte(first), Options{})
	if err != nil {
		t.Fatalf("the dump does not parse: %v\n%s", err, first)
	}
	if second := dumpConfig(t, again); second != first {
		t.Errorf("dump is not stable:\n%s", lineDiff(first, second))
	}
}

// TestGoldenErrors parses testdata/errors/*.cfg and compares every error
// (file:line:col: message) with testdata/errors/*.err.
func TestGoldenErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.cfg")
	if len(files) == 0 {
		t.Fatal("no testdata/errors/*.cfg")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := ParseFile(f, Options{})
			var el ErrorList
			if !errors.As(err, &el) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			compareGolden(t, strings.TrimSuffix(f, ".cfg")+".err", el.Error()+"\n")
		})
	}
}
