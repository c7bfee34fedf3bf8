package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// SQLConn is implemented by the connections to SQL backends (SQLite,
// MySQL, PostgreSQL): modules that run SQL text of the user's (sqlops)
// use the pool directly. Type-assert a Conn to it.
type SQLConn interface {
	Conn
	// SQL returns the pool. For SQLite it is the single writer
	// connection, so that statements that write never meet "database
	// is locked".
	SQL() *sql.DB
	// Dialect is "sqlite", "mysql" or "postgres".
	Dialect() string
	// Placeholder returns the i-th (1-based) parameter marker of the
	// dialect: "?" or "$i".
	Placeholder(i int) string
	// Quote quotes an identifier for the dialect.
	Quote(ident string) string
}

// sqlBackend is a Conn over database/sql.
type sqlBackend struct {
	u    URL
	d    dialect
	db   *sql.DB // writes, and reads on the servers
	rdb  *sql.DB // reads (SQLite's reader pool; db elsewhere)
	down outage
	wal  *walWatcher // SQLite only; nil when commits cannot be watched

	// stmts are the prepared SELECTs, by SQL text: modules run the same
	// few queries for every request (auth_db's credentials, permissions'
	// trusted rows), and preparing one costs more than running it
	// (SQLite parses and plans it each time).
	stmtMu sync.RWMutex
	stmts  map[string]*sql.Stmt
}

// maxPreparedQueries bounds the statement cache: queries built from
// changing column lists do not grow it without end.
const maxPreparedQueries = 256

// queryStmt returns the prepared statement for q, preparing it on first
// use; nil when it cannot be prepared or the cache is full (the caller
// then runs q directly).
func (b *sqlBackend) queryStmt(ctx context.Context, q string) *sql.Stmt {
	b.stmtMu.RLock()
	st := b.stmts[q]
	b.stmtMu.RUnlock()
	if st != nil {
		return st
	}
	b.stmtMu.Lock()
	defer b.stmtMu.Unlock()
	if st = b.stmts[q]; st != nil {
		return st
	}
	if len(b.stmts) >= maxPreparedQueries {
		return nil
	}
	st, err := b.rdb.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if b.stmts == nil {
		b.stmts = map[string]*sql.Stmt{}
	}
	b.stmts[q] = st
	return st
}

func openSQL(ctx context.Context, u URL) (*sqlBackend, error) {
	b := &sqlBackend{u: u, d: dialect{name: u.Scheme}}
	b.down.url = u.String()
	var err error
	switch u.Scheme {
	case "sqlite":
		// One writer (SQLite serialises writers anyway; one connection
		// and BEGIN IMMEDIATE avoid SQLITE_BUSY between our own
		// connections) and a pool of readers, which WAL lets run beside
		// the writer.
		base := "file:" + u.Path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		if b.db, err = sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_txlock=immediate"); err != nil {
			return nil, err
		}
		b.db.SetMaxOpenConns(1)
		b.db.SetConnMaxIdleTime(0)
		if err = b.db.PingContext(ctx); err != nil {
			b.db.Close()
			return nil, err
		}
		if b.rdb, err = sql.Open("sqlite", base+"&_pragma=query_only(1)"); err != nil {
			b.db.Close()
			return nil, err
		}
		b.rdb.SetMaxOpenConns(9) // 8 and the watcher's pinned one
		b.wal = newWALWatcher(ctx, b.rdb, u.Path)
		return b, nil
	case "mysql":
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.DBName = u.User, u.Password, u.Database
		port := u.Port
		if port == 0 {
			port = 3306
		}
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(u.Host, strconv.Itoa(port))
		cfg.ParseTime, cfg.Loc = true, time.UTC
		// UPDATE reports matched rows, not changed ones, as the other
		// backends do (Replace relies on it).
		cfg.ClientFoundRows = true
		cfg.Timeout = 5 * time.Second
		if len(u.Params) > 0 {
			// Driver options and session variables from the URL
			// (?timeout=2s&tls=true), as the driver's DSN reads them.
			dsn := cfg.FormatDSN()
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			pc, perr := mysql.ParseDSN(dsn + sep + u.Params.Encode())
			if perr != nil {
				return nil, fmt.Errorf("parameters: %w", perr)
			}
			cfg = pc
		}
		connector, cerr := mysql.NewConnector(cfg)
		if cerr != nil {
			return nil, cerr
		}
		b.db = sql.OpenDB(connector)
	case "postgres":
		pu := url.URL{Scheme: "postgres", Host: u.Host, Path: "/" + u.Database}
		if u.Port != 0 {
			pu.Host = net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
		} else if strings.Contains(u.Host, ":") {
			pu.Host = "[" + u.Host + "]"
		}
		if u.User != "" {
			pu.User = url.UserPassword(u.User, u.Password)
		}
		q := url.Values{}
		for k, v := range u.Params {
			q[k] = v
		}
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", "5")
		}
		pu.RawQuery = q.Encode()
		if b.db, err = sql.Open("pgx", pu.String()); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("not an SQL backend: %s", u.Scheme)
	}
	b.db.SetMaxOpenConns(16)
	b.db.SetMaxIdleConns(4)
	b.db.SetConnMaxLifetime(30 * time.Minute)
	b.rdb = b.db
	// Connect now so that a wrong URL or password fails at startup; a
	// server that is merely down is reported the same way (Kamailio
	// fails then too).
	if err := b.db.PingContext(ctx); err != nil {
		b.db.Close()
		return nil, err
	}
	return b, nil
}

// Generation implements ChangeWatcher.
func (b *sqlBackend) Generation() (uint64, bool) { return b.wal.Generation() }

func (b *sqlBackend) URL() string              { return b.u.String() }
func (b *sqlBackend) SQL() *sql.DB             { return b.db }
func (b *sqlBackend) Dialect() string          { return b.d.name }
func (b *sqlBackend) Placeholder(i int) string { return b.d.placeholder(i) }
func (b *sqlBackend) Quote(id string) string   { return b.d.quote(id) }

func (b *sqlBackend) close() error {
	b.stmtMu.Lock()
	for _, st := range b.stmts {
		st.Close()
	}
	b.stmts = nil
	b.stmtMu.Unlock()
	b.wal.release()
	err := b.db.Close()
	if b.rdb != b.db {
		if e := b.rdb.Close(); err == nil {
			err = e
		}
	}
	b.wal.closeFile()
	return err
}

// fail wraps an error with the table and the masked URL and notes an
// outage.
func (b *sqlBackend) fail(op, table string, err error) error {
	if err == nil {
		b.down.up()
		return nil
	}
	if IsUnavailable(err) {
		b.down.fail(err)
	}
	return &Error{URL: b.u.String(), Table: table, Op: op, Err: err}
}

// Query implements Conn.
func (b *sqlBackend) Query(ctx context.Context, table string, cols []string, where []Cond, orderBy string) ([]Row, error) {
	q, args, err := b.selectSQL(table, cols, where, orderBy)
	if err != nil {
		return nil, &Error{URL: b.u.String(), Table: table, Op: "query", Err: err}
	}
	var rows *sql.Rows
	if st := b.queryStmt(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = b.rdb.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, b.fail("query", table, err)
	}
	out, err := scanRows(rows)
	return out, b.fail("query", table, err)
}

func (b *sqlBackend) selectSQL(table string, cols []string, where []Cond, orderBy string) (string, []any, error) {
	var s strings.Builder
	s.WriteString("SELECT ")
	if len(cols) == 0 {
		s.WriteString("*")
	}
	for i, c := range cols {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(b.d.quote(c))
	}
	s.WriteString(" FROM " + b.d.quote(table))
	w, args, err := b.d.where(where, nil)
	if err != nil {
		return "", nil, err
	}
	s.WriteString(w)
	o, err := b.d.orderBy(orderBy)
	if err != nil {
		return "", nil, err
	}
	s.WriteString(o)
	return s.String(), args, nil
}

// scanRows reads and closes rows, normalising the values.
func scanRows(rows *sql.Rows) ([]Row, error) {
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	kinds := make([]colKind, len(types))
	for i, t := range types {
		kinds[i] = kindOf(t.DatabaseTypeName())
	}
	var out []Row
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalizeOut(v, kinds[i])
		}
		out = append(out, Row(vals))
	}
	return out, rows.Err()
}

func (b *sqlBackend) args(cols []string, vals []any) ([]any, error) {
	if len(cols) != len(vals) {
		return nil, fmt.Errorf("%d columns but %d values", len(cols), len(vals))
	}
	if len(cols) == 0 {
		return nil, errors.New("no columns")
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		a, err := b.d.arg(v)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", cols[i], err)
		}
		args[i] = a
	}
	return args, nil
}

func (b *sqlBackend) insertSQL(table string, cols []string) string {
	q := make([]string, len(cols))
	p := make([]string, len(cols))
	for i, c := range cols {
		q[i] = b.d.quote(c)
		p[i] = b.d.placeholder(i + 1)
	}
	return "INSERT INTO " + b.d.quote(table) + " (" + strings.Join(q, ", ") + ") VALUES (" + strings.Join(p, ", ") + ")"
}

// Insert implements Conn.
func (b *sqlBackend) Insert(ctx context.Context, table string, cols []string, vals []any) error {
	args, err := b.args(cols, vals)
	if err != nil {
		return &Error{URL: b.u.String(), Table: table, Op: "insert", Err: err}
	}
	_, err = b.db.ExecContext(ctx, b.insertSQL(table, cols), args...)
	return b.fail("insert", table, err)
}

func (b *sqlBackend) updateSQL(table string, where []Cond, cols []string, vals []any) (string, []any, error) {
	args, err := b.args(cols, vals)
	if err != nil {
		return "", nil, err
	}
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = b.d.quote(c) + " = " + b.d.placeholder(i+1)
	}
	w, args, err := b.d.where(where, args)
	if err != nil {
		return "", nil, err
	}
	return "UPDATE " + b.d.quote(table) + " SET " + strings.Join(set, ", ") + w, args, nil
}

// Update implements Conn.
func (b *sqlBackend) Update(ctx context.Context, table string, where []Cond, cols []string, vals []any) (int64, error) {
	q, args, err := b.updateSQL(table, where, cols, vals)
	if err != nil {
		return 0, &Error{URL: b.u.String(), Table: table, Op: "update", Err: err}
	}
	res, err := b.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, b.fail("update", table, err)
	}
	n, err := res.RowsAffected()
	return n, b.fail("update", table, err)
}

// Delete implements Conn.
func (b *sqlBackend) Delete(ctx context.Context, table string, where []Cond) (int64, error) {
	w, args, err := b.d.where(where, nil)
	if err != nil {
		return 0, &Error{URL: b.u.String(), Table: table, Op: "delete", Err: err}
	}
	res, err := b.db.ExecContext(ctx, "DELETE FROM "+b.d.quote(table)+w, args...)
	if err != nil {
		return 0, b.fail("delete", table, err)
	}
	n, err := res.RowsAffected()
	return n, b.fail("delete", table, err)
}

// Replace implements Conn: UPDATE the row with the key values, INSERT it
// when there is none, in one transaction. It works on tables without a
// unique index on the keys, which the servers' native upserts need. Two
// concurrent Replaces of a new key may both insert where the keys are not
// unique; where they are, the loser's insert fails and it retries as an
// update.
func (b *sqlBackend) Replace(ctx context.Context, table string, keys int, cols []string, vals []any) error {
	if keys < 1 || keys > len(cols) {
		return &Error{URL: b.u.String(), Table: table, Op: "replace", Err: fmt.Errorf("%d key columns of %d", keys, len(cols))}
	}
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		err = b.replaceOnce(ctx, table, keys, cols, vals)
		if err == nil || !isConflict(err) {
			break
		}
		// InnoDB takes gap locks for the UPDATE of a missing row, so
		// concurrent Replaces of new keys can deadlock; the loser is
		// rolled back and tries again, a little later each time.
		select {
		case <-ctx.Done():
			return b.fail("replace", table, err)
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return b.fail("replace", table, err)
}

func (b *sqlBackend) replaceOnce(ctx context.Context, table string, keys int, cols []string, vals []any) error {
	where := make([]Cond, keys)
	for i := range keys {
		where[i] = Eq(cols[i], vals[i])
	}
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var found int64
	if keys == len(cols) {
		// Nothing to update: the row exists or not.
		q, args, err := b.selectSQL(table, cols[:1], where, "")
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			found++
		}
		rows.Close()
	} else {
		q, args, err := b.updateSQL(table, where, cols[keys:], vals[keys:])
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if found, err = res.RowsAffected(); err != nil {
			return err
		}
	}
	if found == 0 {
		args, err := b.args(cols, vals)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, b.insertSQL(table, cols), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// isConflict reports an error that a retry of the transaction may not
// meet: a duplicate key from a concurrent insert, a deadlock or a
// serialization failure.
func isConflict(err error) bool {
	s := err.Error()
	for _, m := range []string{"UNIQUE constraint", "Duplicate entry", "duplicate key", "SQLSTATE 23505",
		"Error 1213", "Deadlock found", "Error 1205", "SQLSTATE 40001", "SQLSTATE 40P01", "database is locked"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// exec runs a statement (DDL) on the writer.
func (b *sqlBackend) exec(ctx context.Context, table, q string) error {
	_, err := b.db.ExecContext(ctx, q)
	return b.fail("exec", table, err)
}

// tableExists reports whether a table exists.
func (b *sqlBackend) tableExists(ctx context.Context, name string) (bool, error) {
	var q string
	switch b.d.name {
	case "sqlite":
		q = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	case "mysql":
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	case "postgres":
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	var n int64
	if err := b.db.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, b.fail("exists", name, err)
	}
	return n > 0, nil
}

func (b *sqlBackend) createTable(ctx context.Context, t Table) error {
	for _, stmt := range b.d.createTable(t) {
		if err := b.exec(ctx, t.Name, stmt); err != nil {
			return err
		}
	}
	return nil
}

func (b *sqlBackend) dropTable(ctx context.Context, name string) error {
	return b.exec(ctx, name, "DROP TABLE IF EXISTS "+b.d.quote(name))
}
