//go:build !unix

package db

import (
	"errors"
	"os"
)

// Without mmap there is no change watcher and nothing is cached.
func mapHeader(*os.File) ([]byte, uint64, error) {
	return nil, 0, errors.New("no shared memory mapping on this system")
}

func unmapHeader([]byte) {}

func inodeOf(string) (uint64, error) { return 0, errors.New("unsupported") }
