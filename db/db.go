package db

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Conn is a connection to one database, named by a Kamailio db_url. It is
// a table-level API (query, insert, update, delete, replace), as
// Kamailio's database API is, so that every backend (SQL servers, the
// embedded SQLite file, db_text directories) serves every module the same
// way. Modules that name the same URL share one Conn (see Open). All
// values are passed as parameters, never spliced into SQL text.
//
// Values going in may be int, int64, float64, string, []byte, bool,
// time.Time or nil. Values coming out are normalised to int64, float64,
// string, time.Time or nil; use the Row accessors, which convert.
type Conn interface {
	// Query returns the cols of the rows of table matching every
	// condition of where (an empty where matches all rows), ordered by
	// orderBy ("col" or "col DESC"; "" for no order).
	Query(ctx context.Context, table string, cols []string, where []Cond, orderBy string) ([]Row, error)
	// Insert adds a row.
	Insert(ctx context.Context, table string, cols []string, vals []any) error
	// Update sets cols to vals in the rows matching where and returns how
	// many it changed.
	Update(ctx context.Context, table string, where []Cond, cols []string, vals []any) (int64, error)
	// Delete removes the rows matching where and returns how many.
	Delete(ctx context.Context, table string, where []Cond) (int64, error)
	// Replace inserts the row, or updates the row whose key columns (a
	// prefix of cols, keys of them) hold the same values (an upsert).
	Replace(ctx context.Context, table string, keys int, cols []string, vals []any) error
	// URL returns the db_url the connection was opened with, with the
	// password masked (for logs and errors).
	URL() string
	// Close releases the caller's reference; the last one closes.
	Close() error
}

// Cond is one condition of a where clause: Col Op Val. Op is one of
// "=", "!=", "<", "<=", ">", ">=" ("" means "="). A nil Val with "=" or
// "!=" means IS NULL / IS NOT NULL.
type Cond struct {
	Col string
	Op  string
	Val any
}

// Eq is the condition col = val.
func Eq(col string, val any) Cond { return Cond{Col: col, Op: "=", Val: val} }

// Row is one result row, the values in the order of the queried columns.
type Row []any

// Str returns column i as a string ("" for NULL).
func (r Row) Str(i int) string {
	switch v := r[i].(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return v.Format(DateTimeLayout)
	default:
		return fmt.Sprint(v)
	}
}

// Int returns column i as an integer (0 for NULL or a non-number).
func (r Row) Int(i int) int64 {
	switch v := r[i].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case bool:
		if v {
			return 1
		}
		return 0
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case []byte:
		n, _ := strconv.ParseInt(string(v), 10, 64)
		return n
	}
	return 0
}

// Float returns column i as a float (0 for NULL or a non-number).
func (r Row) Float(i int) float64 {
	switch v := r[i].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	case []byte:
		f, _ := strconv.ParseFloat(string(v), 64)
		return f
	}
	return 0
}

// Time returns column i as a time (the zero time for NULL or a value that
// is not a date). Strings in DateTimeLayout are read as UTC unless the
// backend stored a zone.
func (r Row) Time(i int) time.Time {
	switch v := r[i].(type) {
	case time.Time:
		return v
	case string:
		return parseTime(v)
	case []byte:
		return parseTime(string(v))
	case int64:
		return time.Unix(v, 0)
	}
	return time.Time{}
}

// IsNull reports whether column i is NULL.
func (r Row) IsNull(i int) bool { return r[i] == nil }

// DateTimeLayout is how DATETIME columns are written as text (Kamailio's
// format).
const DateTimeLayout = "2006-01-02 15:04:05"

func parseTime(s string) time.Time {
	for _, layout := range []string{DateTimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05-07:00", "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0)
	}
	return time.Time{}
}
