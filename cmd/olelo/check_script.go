package main

import (
	"fmt"
	"io"

	"github.com/olelo-sip/olelo/script"
)

// checkScript parses and compiles the config with the -A defines, as the
// server would at start, and prints every problem as file:line:col:
// message: syntax errors, unknown modules, modparams and functions, wrong
// argument counts, calls to undefined routes.
func checkScript(o *options, stdout, stderr io.Writer) int {
	errs, warnings := script.CheckWarn(o.configFile, o.scriptOptions())
	for _, w := range warnings {
		fmt.Fprintf(stderr, "%v: warning: %s\n", w.Pos, w.Msg)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintf(stderr, "%s: %d error(s)\n", o.configFile, len(errs))
		return 1
	}
	fmt.Fprintf(stdout, "%s: config ok\n", o.configFile)
	return 0
}
