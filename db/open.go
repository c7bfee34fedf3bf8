package db

import (
	"context"
	"errors"
)

// Open returns the shared connection for a Kamailio db_url:
// sqlite:///path/file.db, mysql://user:pass@host[:port]/db,
// postgres:// or pgsql://user:pass@host[:port]/db, text:///dir.
// Modules that open the same URL share one Conn; each Open needs a Close.
func Open(ctx context.Context, url string) (Conn, error) {
	return nil, errors.New("db: not implemented yet")
}

// CreateTables creates Kamailio's tables (all of them when names is
// empty) with their version rows, skipping those that exist.
func CreateTables(ctx context.Context, c Conn, names ...string) error {
	return errors.New("db: not implemented yet")
}
