package script

import (
	"path/filepath"
	"testing"
)

// TestSeeds parses the configurations of the seed tutorials
// (../shared/seeds), written out in testdata/seeds as the posts show them.
// They must parse without errors or warnings, and their dump must parse
// back to itself.
func TestSeeds(t *testing.T) {
	files, _ := filepath.Glob("testdata/seeds/*.cfg")
	if len(files) < 5 {
		t.Fatalf("expected the seed configs in testdata/seeds, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := ParseFile(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Warnings) > 0 {
				t.Errorf("warnings:\n%v", cfg.Warnings)
			}
			if len(cfg.Routes) == 0 {
				t.Error("no route blocks")
			}
			checkRoundTrip(t, cfg)
		})
	}
}
