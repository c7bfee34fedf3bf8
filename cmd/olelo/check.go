package main

import (
	"fmt"
	"io"
)

// checkConfig implements -c / check: parse the config and report every
// error as file:line:col.
func checkConfig(o *options, stdout, stderr io.Writer) int {
	if o.configFile == "" {
		fmt.Fprintln(stderr, "olelo: check needs -f FILE")
		return 2
	}
	return checkScript(o, stdout, stderr)
}
