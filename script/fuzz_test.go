package script

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to the parser. It must not panic; every
// error must carry a position; and text that parses must dump to text
// that parses to the same dump.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.cfg", "testdata/errors/*.cfg", "testdata/seeds/*.cfg"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	for _, tc := range oracleCases {
		f.Add([]byte(tc.src))
	}
	if data, err := os.ReadFile(stockConfig); err == nil {
		f.Add(data)
	}
	opt := Options{
		ReadFile:  func(string) ([]byte, error) { return nil, os.ErrNotExist },
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := ParseBytes("fuzz.cfg", src, opt)
		if err != nil {
			var el ErrorList
			if !errors.As(err, &el) || len(el) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
			for _, e := range el {
				if e.Pos.File != "fuzz.cfg" || e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Fatalf("error without a position: %q", e.Error())
				}
			}
			return
		}
		var first bytes.Buffer
		if err := Dump(&first, cfg); err != nil {
			t.Fatal(err)
		}
		again, err := ParseBytes("dump.cfg", first.Bytes(), opt)
		if err != nil {
			t.Fatalf("dump does not parse: %v\ninput: %q\ndump:\n%s", err, src, first.String())
		}
		var second bytes.Buffer
		Dump(&second, again)
		if second.String() != first.String() {
			t.Fatalf("dump not stable\ninput: %q\nfirst:\n%s\nsecond:\n%s", src, first.String(), second.String())
		}
	})
}
