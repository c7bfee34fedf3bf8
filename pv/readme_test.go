package pv

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEverything keeps README.md in step with the code: every
// class and transformation must be documented there.
func TestREADMEListsEverything(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, c := range Classes() {
		if !strings.Contains(readme, "`$"+c.Name+"`") && !strings.Contains(readme, "`$"+c.Name+"(") {
			t.Errorf("class $%s is not in README.md", c.Name)
		}
	}
	for _, n := range TransformationNames() {
		if !strings.Contains(readme, "`"+n+"`") && !strings.Contains(readme, "`"+n+",") && !strings.Contains(readme, "`"+n+"[") {
			t.Errorf("transformation %s is not in README.md", n)
		}
	}
}
