package main

import (
	"fmt"
	"io"
)

func checkScript(o *options, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "olelo: config checking is not in this build yet")
	return 1
}
