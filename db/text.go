package db

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// textBackend is a db_text directory: one file per table, named as the
// table. Tables are cached in memory and reloaded when their file
// changes on disk (size, modification time or inode); writes rewrite the
// file atomically (temporary file, then rename).
type textBackend struct {
	u      URL
	dir    string
	mu     sync.Mutex
	tables map[string]*textTable
}

// textTable is one cached table file.
type textTable struct {
	cols []textCol
	rows [][]any
	stat fs.FileInfo
}

func openText(u URL) (*textBackend, error) {
	st, err := os.Stat(u.Path)
	if err != nil {
		return nil, fmt.Errorf("db_text directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("db_text: %s is not a directory", u.Path)
	}
	return &textBackend{u: u, dir: u.Path, tables: map[string]*textTable{}}, nil
}

func (b *textBackend) URL() string  { return b.u.String() }
func (b *textBackend) close() error { return nil }

func (b *textBackend) fail(op, table string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{URL: b.u.String(), Table: table, Op: op, Err: err}
}

// path returns the file of a table, refusing names that leave the
// directory.
func (b *textBackend) path(table string) (string, error) {
	if table == "" || strings.ContainsAny(table, "/\\\x00") || table == "." || table == ".." {
		return "", fmt.Errorf("bad table name %q", table)
	}
	return filepath.Join(b.dir, table), nil
}

// load returns the table, reading the file when it changed. b.mu is held.
func (b *textBackend) load(table string) (*textTable, error) {
	p, err := b.path(table)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no such table (no file %s)", p)
		}
		return nil, err
	}
	if t := b.tables[table]; t != nil && sameFile(t.stat, st) {
		return t, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := readTextTable(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	t.stat = st
	b.tables[table] = t
	return t, nil
}

func sameFile(a, b fs.FileInfo) bool {
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && os.SameFile(a, b)
}

// readTextTable parses a whole table file.
func readTextTable(f *os.File) (*textTable, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	t := &textTable{}
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if t.cols == nil {
			cols, err := parseTextHeader(s)
			if err != nil {
				return nil, fmt.Errorf("line 1: %w", err)
			}
			t.cols = cols
			continue
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		row, err := parseTextRow(t.cols, s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		t.rows = append(t.rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.cols == nil {
		return nil, errors.New("empty file (want a column header line)")
	}
	return t, nil
}

// save writes the table atomically. b.mu is held.
func (b *textBackend) save(table string, t *textTable) error {
	p, err := b.path(table)
	if err != nil {
		return err
	}
	var buf strings.Builder
	buf.WriteString(formatTextHeader(t.cols))
	buf.WriteByte('\n')
	for _, r := range t.rows {
		for i, c := range t.cols {
			if i > 0 {
				buf.WriteByte(':')
			}
			buf.WriteString(formatTextValue(c, r[i]))
		}
		buf.WriteByte('\n')
	}
	tmp, err := os.CreateTemp(b.dir, "."+table+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(buf.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	t.stat = st
	b.tables[table] = t
	return nil
}

// colIndex returns the position of each named column.
func (t *textTable) colIndex(names []string) ([]int, error) {
	idx := make([]int, len(names))
outer:
	for i, n := range names {
		for j, c := range t.cols {
			if c.name == n {
				idx[i] = j
				continue outer
			}
		}
		return nil, fmt.Errorf("no column %q", n)
	}
	return idx, nil
}

// matcher compiles where conditions against the table's columns.
func (t *textTable) matcher(where []Cond) (func(row []any) bool, error) {
	type cond struct {
		col int
		op  string
		val any
	}
	conds := make([]cond, len(where))
	for i, w := range where {
		idx, err := t.colIndex([]string{w.Col})
		if err != nil {
			return nil, err
		}
		op := w.Op
		switch op {
		case "":
			op = "="
		case "<>":
			op = "!="
		case "=", "!=", "<", "<=", ">", ">=":
		default:
			return nil, fmt.Errorf("bad operator %q for column %s (want =, !=, <, <=, >, >=)", w.Op, w.Col)
		}
		var v any
		if w.Val != nil {
			if v, err = convertForText(t.cols[idx[0]], w.Val); err != nil {
				return nil, fmt.Errorf("column %s: %w", w.Col, err)
			}
		} else if op != "=" && op != "!=" {
			return nil, fmt.Errorf("column %s: NULL only compares with = or !=", w.Col)
		}
		conds[i] = cond{idx[0], op, v}
	}
	return func(row []any) bool {
		for _, c := range conds {
			have := row[c.col]
			if c.val == nil || have == nil {
				eq := c.val == nil && have == nil
				if (c.op == "=") != eq || (c.op != "=" && c.op != "!=") {
					return false
				}
				continue
			}
			r := compareText(have, c.val)
			ok := false
			switch c.op {
			case "=":
				ok = r == 0
			case "!=":
				ok = r != 0
			case "<":
				ok = r < 0
			case "<=":
				ok = r <= 0
			case ">":
				ok = r > 0
			case ">=":
				ok = r >= 0
			}
			if !ok {
				return false
			}
		}
		return true
	}, nil
}

// Query implements Conn.
func (b *textBackend) Query(ctx context.Context, table string, cols []string, where []Cond, orderBy string) ([]Row, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, err := b.load(table)
	if err != nil {
		return nil, b.fail("query", table, err)
	}
	if len(cols) == 0 {
		for _, c := range t.cols {
			cols = append(cols, c.name)
		}
	}
	idx, err := t.colIndex(cols)
	if err != nil {
		return nil, b.fail("query", table, err)
	}
	match, err := t.matcher(where)
	if err != nil {
		return nil, b.fail("query", table, err)
	}
	var matched [][]any
	for _, r := range t.rows {
		if match(r) {
			matched = append(matched, r)
		}
	}
	if f := strings.Fields(orderBy); len(f) > 0 {
		oi, err := t.colIndex(f[:1])
		if err != nil {
			return nil, b.fail("query", table, err)
		}
		desc := len(f) > 1 && strings.EqualFold(f[1], "DESC")
		sort.SliceStable(matched, func(i, j int) bool {
			r := compareText(matched[i][oi[0]], matched[j][oi[0]])
			if desc {
				return r > 0
			}
			return r < 0
		})
	}
	out := make([]Row, len(matched))
	for i, r := range matched {
		row := make(Row, len(idx))
		for j, k := range idx {
			row[j] = r[k]
		}
		out[i] = row
	}
	return out, nil
}

// Insert implements Conn. Columns not given get the Kamailio schema's
// default for a known table, NULL when nullable, else the zero value;
// an auto column gets the next number.
func (b *textBackend) Insert(ctx context.Context, table string, cols []string, vals []any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, err := b.load(table)
	if err != nil {
		return b.fail("insert", table, err)
	}
	row, err := t.newRow(table, cols, vals)
	if err != nil {
		return b.fail("insert", table, err)
	}
	nt := t.clone()
	nt.rows = append(nt.rows, row)
	return b.fail("insert", table, b.save(table, nt))
}

func (t *textTable) clone() *textTable {
	return &textTable{cols: t.cols, rows: append([][]any(nil), t.rows...), stat: t.stat}
}

func (t *textTable) newRow(table string, cols []string, vals []any) ([]any, error) {
	if len(cols) != len(vals) {
		return nil, fmt.Errorf("%d columns but %d values", len(cols), len(vals))
	}
	idx, err := t.colIndex(cols)
	if err != nil {
		return nil, err
	}
	row := make([]any, len(t.cols))
	given := make([]bool, len(t.cols))
	for i, k := range idx {
		v, err := convertForText(t.cols[k], vals[i])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", cols[i], err)
		}
		if v == nil && !t.cols[k].null {
			return nil, fmt.Errorf("column %s: NULL in a column not declared null", cols[i])
		}
		row[k], given[k] = v, true
	}
	schema, known := LookupTable(table)
	for k, c := range t.cols {
		if given[k] {
			continue
		}
		switch {
		case c.auto:
			var max int64
			for _, r := range t.rows {
				if n, ok := r[k].(int64); ok && n > max {
					max = n
				}
			}
			row[k] = max + 1
		case known && schemaDefault(schema, c) != nil:
			row[k] = schemaDefault(schema, c)
		case c.null:
			row[k] = nil
		default:
			row[k], _ = textValue(textCol{typ: c.typ}, "")
		}
	}
	return row, nil
}

// schemaDefault is the Kamailio default of a column, converted for the
// text column, or nil.
func schemaDefault(t Table, c textCol) any {
	for _, sc := range t.Columns {
		if sc.Name == c.name && sc.HasDefault {
			v, err := convertForText(c, sc.Default)
			if err != nil {
				return nil
			}
			return v
		}
	}
	return nil
}

// Update implements Conn.
func (b *textBackend) Update(ctx context.Context, table string, where []Cond, cols []string, vals []any) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, err := b.load(table)
	if err != nil {
		return 0, b.fail("update", table, err)
	}
	n, nt, err := t.update(where, cols, vals)
	if err != nil || n == 0 {
		return 0, b.fail("update", table, err)
	}
	return n, b.fail("update", table, b.save(table, nt))
}

func (t *textTable) update(where []Cond, cols []string, vals []any) (int64, *textTable, error) {
	if len(cols) != len(vals) {
		return 0, nil, fmt.Errorf("%d columns but %d values", len(cols), len(vals))
	}
	idx, err := t.colIndex(cols)
	if err != nil {
		return 0, nil, err
	}
	set := make([]any, len(vals))
	for i, k := range idx {
		if set[i], err = convertForText(t.cols[k], vals[i]); err != nil {
			return 0, nil, fmt.Errorf("column %s: %w", cols[i], err)
		}
		if set[i] == nil && !t.cols[k].null {
			return 0, nil, fmt.Errorf("column %s: NULL in a column not declared null", cols[i])
		}
	}
	match, err := t.matcher(where)
	if err != nil {
		return 0, nil, err
	}
	nt := t.clone()
	var n int64
	for ri, r := range nt.rows {
		if !match(r) {
			continue
		}
		nr := append([]any(nil), r...)
		for i, k := range idx {
			nr[k] = set[i]
		}
		nt.rows[ri] = nr
		n++
	}
	return n, nt, nil
}

// Delete implements Conn.
func (b *textBackend) Delete(ctx context.Context, table string, where []Cond) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, err := b.load(table)
	if err != nil {
		return 0, b.fail("delete", table, err)
	}
	match, err := t.matcher(where)
	if err != nil {
		return 0, b.fail("delete", table, err)
	}
	nt := &textTable{cols: t.cols, stat: t.stat}
	for _, r := range t.rows {
		if !match(r) {
			nt.rows = append(nt.rows, r)
		}
	}
	n := int64(len(t.rows) - len(nt.rows))
	if n == 0 {
		return 0, nil
	}
	return n, b.fail("delete", table, b.save(table, nt))
}

// Replace implements Conn.
func (b *textBackend) Replace(ctx context.Context, table string, keys int, cols []string, vals []any) error {
	if keys < 1 || keys > len(cols) || len(cols) != len(vals) {
		return b.fail("replace", table, fmt.Errorf("%d key columns of %d columns, %d values", keys, len(cols), len(vals)))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t, err := b.load(table)
	if err != nil {
		return b.fail("replace", table, err)
	}
	where := make([]Cond, keys)
	for i := range keys {
		where[i] = Eq(cols[i], vals[i])
	}
	n, nt, err := t.update(where, cols[keys:], vals[keys:])
	if err != nil {
		return b.fail("replace", table, err)
	}
	if n == 0 {
		row, err := t.newRow(table, cols, vals)
		if err != nil {
			return b.fail("replace", table, err)
		}
		nt.rows = append(nt.rows, row)
	}
	return b.fail("replace", table, b.save(table, nt))
}

func (b *textBackend) tableExists(ctx context.Context, name string) (bool, error) {
	p, err := b.path(name)
	if err != nil {
		return false, b.fail("exists", name, err)
	}
	_, err = os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, b.fail("exists", name, err)
}

// createTable writes a header-only file with Kamailio's db_text types:
// DATETIME columns are int (seconds since the epoch), as Kamailio's
// db_text schema files declare them.
func (b *textBackend) createTable(ctx context.Context, t Table) error {
	cols := []textCol{{name: "id", typ: textInt, auto: true}}
	for _, c := range t.Columns {
		tc := textCol{name: c.Name, null: c.Null}
		switch c.Type {
		case TFloat, TDouble:
			tc.typ = textDouble
		case TString, TText:
			tc.typ = textString
		default:
			tc.typ = textInt
		}
		cols = append(cols, tc)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fail("create", t.Name, b.save(t.Name, &textTable{cols: cols}))
}

func (b *textBackend) dropTable(ctx context.Context, name string) error {
	p, err := b.path(name)
	if err != nil {
		return b.fail("drop", name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.tables, name)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return b.fail("drop", name, err)
	}
	return nil
}
