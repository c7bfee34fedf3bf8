package main

import "io"

// checkConfig implements -c / check: parse the config (the built-in one
// without -f) and report every error as file:line:col.
func checkConfig(o *options, stdout, stderr io.Writer) int {
	o.useBuiltinConfig()
	return checkScript(o, stdout, stderr)
}
