package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompileGolden checks the errors "olelo check" reports for each
// testdata/compile/*.cfg against the .err file next to it (regenerate with
// go test -run TestCompileGolden -update).
func TestCompileGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/compile/*.cfg")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var b strings.Builder
			for _, e := range Check(f, Options{}) {
				b.WriteString(e.Error())
				b.WriteByte('\n')
			}
			compareGolden(t, strings.TrimSuffix(f, ".cfg")+".err", b.String())
		})
	}
}

func TestCheckUnreadable(t *testing.T) {
	errs := Check("testdata/compile/does-not-exist.cfg", Options{})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "cannot read configuration") {
		t.Errorf("Check of a missing file: %v", errs)
	}
	if _, err := os.Stat("testdata/compile"); err != nil {
		t.Fatal(err)
	}
}
