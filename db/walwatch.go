package db

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// ChangeWatcher is implemented by the Conns that can tell, without a
// query, whether the database may have changed: the embedded SQLite file.
// Modules use it to keep what they read (auth_db's credentials) for as
// long as nothing was written, so that a password changed by `olelo ctl`,
// kamctl or the sqlite3 shell applies to the very next request, as it
// does without a cache.
type ChangeWatcher interface {
	// Generation returns a number that changes once any connection, in
	// this or another process, has committed a write to the database
	// since the number was last returned. ok is false when the backend
	// cannot tell; then nothing may be cached.
	Generation() (gen uint64, ok bool)
}

// walHeaderSize is the part of SQLite's WAL-index (the "-shm" file) that
// describes the last commit: two copies of the 48-byte header, which
// every committing writer rewrites (its change counter, last frame,
// salts and checksum). The layout is part of SQLite's documented file
// format (https://www.sqlite.org/walformat.html, "The WAL-Index Header").
const walHeaderSize = 96

// walInodeCheck is how often the watcher checks that the -shm file it
// maps is still the one on disk (SQLite removes it when the last
// connection closes; olelo keeps one open, so this is a safety net).
const walInodeCheck = time.Second

// walWatcher maps the WAL-index header of one SQLite database read-only
// and counts the changes it sees in it. Reading it costs a 96-byte copy
// and no system call, against a full query for the rows it protects.
type walWatcher struct {
	path string
	// pin is a reader connection held open for the watcher's life: while
	// any connection of ours is open SQLite neither deletes nor truncates
	// the -shm file (it does both when the last one closes), so the
	// mapping stays valid.
	pin *sql.Conn
	// file stays open until the database closes: closing any descriptor
	// of a file drops the process's POSIX locks on it, SQLite's included.
	file *os.File
	mem  []byte
	ino  uint64

	mu      sync.Mutex
	last    [walHeaderSize]byte
	gen     uint64
	checked time.Time
	broken  bool
}

// newWALWatcher maps the WAL index of the database file path, open in
// WAL mode through readers. It returns nil (no caching) when it cannot.
func newWALWatcher(ctx context.Context, readers *sql.DB, path string) *walWatcher {
	shm := path + "-shm"
	pin, err := readers.Conn(ctx)
	if err != nil {
		return nil
	}
	// A read opens (and so locks) the WAL index of this connection.
	var n int
	if err := pin.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		pin.Close()
		return nil
	}
	f, err := os.Open(shm)
	if err != nil {
		pin.Close()
		return nil
	}
	mem, ino, err := mapHeader(f)
	if err != nil {
		slog.Debug("db: no change watcher for SQLite", "file", shm, "err", err)
		f.Close()
		pin.Close()
		return nil
	}
	w := &walWatcher{path: shm, pin: pin, file: f, mem: mem, ino: ino, checked: time.Now()}
	copy(w.last[:], mem)
	return w
}

// Generation implements ChangeWatcher.
func (w *walWatcher) Generation() (uint64, bool) {
	if w == nil {
		return 0, false
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken {
		return 0, false
	}
	hdr, ok := w.read()
	if !ok {
		slog.Warn("db: SQLite's WAL index cannot be read; caching of database reads is off until restart", "file", w.path)
		w.broken = true
		return 0, false
	}
	if now.Sub(w.checked) >= walInodeCheck {
		w.checked = now
		if ino, err := inodeOf(w.path); err != nil || ino != w.ino {
			// A new -shm file: the one mapped no longer sees commits.
			slog.Warn("db: SQLite's WAL index was replaced; caching of database reads is off until restart", "file", w.path)
			w.broken = true
			return 0, false
		}
	}
	if hdr != w.last {
		// A torn read of a header being rewritten also lands here: one
		// extra change, never a missed one.
		w.last = hdr
		w.gen++
	}
	return w.gen, true
}

// read copies the header out of the mapping. A fault (the file shrank
// under us, which the pinned connection should prevent) becomes ok =
// false rather than a crash.
func (w *walWatcher) read() (hdr [walHeaderSize]byte, ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	copy(hdr[:], w.mem)
	return hdr, true
}

// release unmaps the header and lets the pinned connection go; call it
// before closing the connection pools.
func (w *walWatcher) release() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.broken = true
	unmapHeader(w.mem)
	w.mem = nil
	w.mu.Unlock()
	w.pin.Close()
}

// closeFile closes the -shm descriptor; call it after every SQLite
// connection to the database is closed (see file).
func (w *walWatcher) closeFile() {
	if w != nil {
		w.file.Close()
	}
}
