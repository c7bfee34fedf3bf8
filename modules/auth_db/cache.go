package auth_db

import (
	"sync"

	"github.com/olelo-sip/olelo/db"
)

// DefaultCredentialsCache is how many subscriber rows auth_db keeps by
// default (modparam credentials_cache; 0 turns the cache off).
const DefaultCredentialsCache = 65536

// credKey names one subscriber lookup: the table, the first column
// asked for (ha1, ha1b, password or the user column) and the where values.
type credKey struct {
	table, col, user, domain string
	byDomain                 bool
}

// credCache keeps subscriber rows read from a database that can report
// commits (db.ChangeWatcher: the embedded SQLite file), for as long as
// nothing was committed to it. Any commit, by olelo or by another process
// such as `olelo ctl passwd`, drops every row, so a request never sees a
// password older than the database's; it only saves the query (a third of
// the CPU of a registration) while the table stays the same. Unknown users
// are kept too (a nil row), so a scanner guessing user names costs no
// queries either; the size bound keeps that from growing memory.
type credCache struct {
	watch db.ChangeWatcher
	max   int

	mu   sync.RWMutex
	gen  uint64 // the database generation rows belong to
	rows map[credKey]db.Row
}

// newCredCache returns the cache for conn, or nil when conn cannot report
// its commits or max is 0.
func newCredCache(conn db.Conn, max int) *credCache {
	w, ok := conn.(db.ChangeWatcher)
	if !ok || max <= 0 {
		return nil
	}
	if _, ok := w.Generation(); !ok {
		return nil
	}
	return &credCache{watch: w, max: max}
}

// generation returns the database generation to look up and store
// under; ok is false when nothing may be cached now.
func (cc *credCache) generation() (uint64, bool) {
	if cc == nil {
		return 0, false
	}
	return cc.watch.Generation()
}

// get returns the row kept for k at generation gen (nil row: no such
// subscriber) and whether there was one.
func (cc *credCache) get(gen uint64, k credKey) (db.Row, bool) {
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	if cc.gen != gen {
		return nil, false
	}
	row, ok := cc.rows[k]
	return row, ok
}

// put keeps row for k, read after the database was at generation gen.
func (cc *credCache) put(gen uint64, k credKey, row db.Row) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	switch {
	case gen < cc.gen:
		return // read before a commit that the cache has already seen
	case gen > cc.gen || cc.rows == nil || len(cc.rows) >= cc.max:
		cc.gen = gen
		cc.rows = make(map[credKey]db.Row, min(cc.max, 1024))
	}
	cc.rows[k] = row
}
