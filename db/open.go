package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// backend is a Conn without the shared-reference Close.
type backend interface {
	Query(ctx context.Context, table string, cols []string, where []Cond, orderBy string) ([]Row, error)
	Insert(ctx context.Context, table string, cols []string, vals []any) error
	Update(ctx context.Context, table string, where []Cond, cols []string, vals []any) (int64, error)
	Delete(ctx context.Context, table string, where []Cond) (int64, error)
	Replace(ctx context.Context, table string, keys int, cols []string, vals []any) error
	URL() string
	close() error
	// schema operations (CreateTables, DropTables, Migrate)
	tableExists(ctx context.Context, name string) (bool, error)
	createTable(ctx context.Context, t Table) error
	dropTable(ctx context.Context, name string) error
}

// shared is one open backend and how many Opens hold it.
type shared struct {
	key  string
	b    backend
	refs int
}

var (
	openMu sync.Mutex
	opened = map[string]*shared{}
)

// Open returns the shared connection for a Kamailio db_url:
// sqlite:///path/file.db, mysql://user:pass@host[:port]/db,
// postgres:// or pgsql://user:pass@host[:port]/db, text:///dir.
// Modules that open the same URL share one Conn; each Open needs a Close.
// The Conn returned is an SQLConn for the SQL backends.
func Open(ctx context.Context, rawURL string) (Conn, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	key := u.Scheme + "|" + u.Raw
	if u.Path != "" {
		key = u.Scheme + "|" + u.Path
	}
	openMu.Lock()
	defer openMu.Unlock()
	s := opened[key]
	if s == nil {
		var b backend
		if u.Scheme == "text" {
			b, err = openText(u)
		} else {
			b, err = openSQL(ctx, u)
		}
		if err != nil {
			return nil, &Error{URL: u.String(), Op: "open", Err: err}
		}
		s = &shared{key: key, b: b}
		opened[key] = s
	}
	s.refs++
	h := &handle{backend: s.b, s: s}
	if sb, ok := s.b.(*sqlBackend); ok {
		return &sqlHandle{handle: h, sqlBackend: sb}, nil
	}
	return h, nil
}

// handle is one caller's reference to a shared backend.
type handle struct {
	backend
	s      *shared
	closed atomic.Bool
}

// Close releases this reference; the last one closes the backend.
func (h *handle) Close() error {
	if !h.closed.CompareAndSwap(false, true) {
		return nil
	}
	openMu.Lock()
	defer openMu.Unlock()
	h.s.refs--
	if h.s.refs > 0 {
		return nil
	}
	delete(opened, h.s.key)
	if err := h.s.b.close(); err != nil {
		return fmt.Errorf("db %s: close: %w", h.s.b.URL(), err)
	}
	return nil
}

// sqlHandle is a handle to an SQL backend; it is an SQLConn.
type sqlHandle struct {
	*handle
	sqlBackend *sqlBackend
}

func (h *sqlHandle) SQL() *sql.DB               { return h.sqlBackend.SQL() }
func (h *sqlHandle) Dialect() string            { return h.sqlBackend.Dialect() }
func (h *sqlHandle) Placeholder(i int) string   { return h.sqlBackend.Placeholder(i) }
func (h *sqlHandle) Quote(ident string) string  { return h.sqlBackend.Quote(ident) }
func (h *sqlHandle) Generation() (uint64, bool) { return h.sqlBackend.Generation() }

// backendOf returns the backend behind a Conn opened by Open.
func backendOf(c Conn) (backend, error) {
	switch h := c.(type) {
	case *handle:
		return h.backend, nil
	case *sqlHandle:
		return h.backend, nil
	}
	return nil, fmt.Errorf("db: %T was not opened by db.Open", c)
}
