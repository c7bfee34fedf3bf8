package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

var errHelp = errors.New("help requested")

// options are the parsed command-line flags.
type options struct {
	configFile string
	checkOnly  bool
	defines    map[string]string
	listen     []string
	readers    int
	logLevel   slog.Level
	pidFile    string
	version    bool
	// builtinConfig is set when no -f was given and configFile names
	// the embedded default configuration.
	builtinConfig bool
	rpcAddr       string // --rpc: control address ("off" for none)
	rpcToken      string // --rpc-token: bearer token for HTTP control
}

// parseFlags parses Kamailio-style flags by hand: the standard flag
// package cannot express -DD, -dd or -A NAME=VALUE repeated, and these are
// what kamailio service files pass.
func parseFlags(args []string) (*options, error) {
	o := &options{defines: map[string]string{}, logLevel: slog.LevelInfo}
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			// Both "-f file" and "-ffile" are accepted, like getopt.
			if len(a) > 2 && a[0] == '-' && a[1] != '-' {
				return a[2:], nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return nil, fmt.Errorf("unexpected argument %q", a)
		}
		if strings.HasPrefix(a, "--") {
			if name, val, ok := longValue(a, args, &i); ok {
				if val == nil {
					return nil, fmt.Errorf("flag %s needs a value", name)
				}
				if name == "--rpc" {
					o.rpcAddr = *val
				} else {
					o.rpcToken = *val
				}
				continue
			}
			switch a {
			case "--help":
				return nil, errHelp
			case "--version":
				o.version = true
				continue
			}
			return nil, fmt.Errorf("unknown flag %s", a)
		}
		switch a[1] {
		case 'f':
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.configFile = v
		case 'c':
			o.checkOnly = true
		case 'A':
			v, err := value()
			if err != nil {
				return nil, err
			}
			name, val, _ := strings.Cut(v, "=")
			if name == "" {
				return nil, fmt.Errorf("-A needs NAME[=VALUE], got %q", v)
			}
			o.defines[name] = val
		case 'l':
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.listen = append(o.listen, v)
		case 'n':
			v, err := value()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1024 {
				return nil, fmt.Errorf("-n needs a number of readers in 1-1024, got %q", v)
			}
			o.readers = n
		case 'd':
			// Every d raises verbosity one step (-dd = debug).
			for _, c := range a[1:] {
				if c != 'd' {
					return nil, fmt.Errorf("unknown flag %s", a)
				}
				o.logLevel -= 4
			}
		case 'D', 'E':
			// Foreground and stderr logging are how olelo always runs.
			for _, c := range a[1:] {
				if c != 'D' && c != 'E' {
					return nil, fmt.Errorf("unknown flag %s", a)
				}
			}
		case 'P':
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.pidFile = v
		case 'm', 'M', 'L', 'u', 'g':
			// Memory sizes, module path, user and group: accepted for
			// compatibility with kamailio command lines, not used.
			if _, err := value(); err != nil {
				return nil, err
			}
		case 'V', 'v':
			o.version = true
		case 'h':
			return nil, errHelp
		default:
			return nil, fmt.Errorf("unknown flag %s", a)
		}
	}
	return o, nil
}

// longValue reads --rpc and --rpc-token, as "--name VALUE" or
// "--name=VALUE"; ok is false for other flags, val nil when missing.
func longValue(a string, args []string, i *int) (name string, val *string, ok bool) {
	name, v, hasEq := strings.Cut(a, "=")
	if name != "--rpc" && name != "--rpc-token" {
		return "", nil, false
	}
	if hasEq {
		return name, &v, true
	}
	if *i+1 >= len(args) {
		return name, nil, true
	}
	*i++
	return name, &args[*i], true
}
