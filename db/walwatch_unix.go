//go:build unix

package db

import (
	"fmt"
	"os"
	"syscall"
)

// mapHeader maps the first walHeaderSize bytes of f read-only and shared,
// so that other processes' commits show in it.
func mapHeader(f *os.File) ([]byte, uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return nil, 0, err
	}
	if st.Size < walHeaderSize {
		// Mapping past the end of a file faults on access.
		return nil, 0, fmt.Errorf("WAL index of %d bytes, want at least %d", st.Size, walHeaderSize)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, walHeaderSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, 0, err
	}
	return mem, uint64(st.Ino), nil
}

func unmapHeader(mem []byte) { syscall.Munmap(mem) }

func inodeOf(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Ino), nil
}
