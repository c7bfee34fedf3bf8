package main

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		want options
	}{
		{[]string{"-f", "k.cfg", "-A", "WITH_AUTH", "-AWITH_NAT=1", "-l", "udp:127.0.0.1:5070", "-ltcp:127.0.0.1:5070", "-DD", "-E", "-m", "64", "-M8", "-P", "/tmp/p", "-n", "4", "-dd"},
			options{configFile: "k.cfg", defines: map[string]string{"WITH_AUTH": "", "WITH_NAT": "1"}, listen: []string{"udp:127.0.0.1:5070", "tcp:127.0.0.1:5070"},
				pidFile: "/tmp/p", readers: 4, logLevel: slog.LevelInfo - 8}},
		{[]string{"-c", "-ffile.cfg"}, options{configFile: "file.cfg", checkOnly: true, defines: map[string]string{}}},
		{[]string{"-V"}, options{version: true, defines: map[string]string{}}},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.args)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%v:\n got %+v\nwant %+v", tt.args, *got, tt.want)
		}
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{{"-f"}, {"-x"}, {"-n", "0"}, {"-A", "=1"}, {"stray"}, {"--nope"}, {"-DX"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestRunVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "olelo ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"bogus"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "bogus"`) {
		t.Fatalf("bogus command: %d %q", code, errb.String())
	}
}
