package rpc

import (
	"runtime/debug"
	"strconv"
)

// buildID is the VCS revision the binary was built from, when known.
func buildID() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return "unknown"
}

func itoa(n int) string { return strconv.Itoa(n) }
