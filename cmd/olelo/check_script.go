package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/olelo-sip/olelo/script"
)

// checkScript parses the config with the -A defines and prints every error
// as file:line:col: message, warnings after them. The module registry and
// the checks of function names, arities and modparams come with the script
// engine; today the check covers the language itself.
func checkScript(o *options, stdout, stderr io.Writer) int {
	cfg, err := script.ParseFile(o.configFile, script.Options{Defines: o.defines})
	if cfg != nil {
		for _, w := range cfg.Warnings {
			fmt.Fprintf(stderr, "%v: warning: %s\n", w.Pos, w.Msg)
		}
	}
	if err != nil {
		var list script.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
			fmt.Fprintf(stderr, "%s: %d error(s)\n", o.configFile, len(list))
		} else {
			fmt.Fprintf(stderr, "olelo: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "%s: syntax ok (%d route blocks, %d modules)\n", o.configFile, len(cfg.Routes), len(cfg.Modules))
	return 0
}
