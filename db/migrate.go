package db

import (
	"context"
	"fmt"
	"strings"
)

// tablesNamed returns the definitions of names (all tables when empty),
// the version table first.
func tablesNamed(names []string) ([]Table, error) {
	if len(names) == 0 {
		return Tables, nil
	}
	var out []Table
	var unknown []string
	for _, n := range names {
		t, ok := LookupTable(n)
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		out = append(out, t)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown table(s) %s (known: %s)", strings.Join(unknown, ", "), strings.Join(TableNames(), " "))
	}
	return out, nil
}

// CreateTables creates Kamailio's tables (all of them when names is
// empty) with their version rows, skipping those that exist. The version
// table is always created. It is idempotent.
func CreateTables(ctx context.Context, c Conn, names ...string) error {
	b, err := backendOf(c)
	if err != nil {
		return err
	}
	tables, err := tablesNamed(names)
	if err != nil {
		return err
	}
	version, _ := LookupTable("version")
	if err := createIfMissing(ctx, b, version); err != nil {
		return err
	}
	for _, t := range tables {
		if err := createIfMissing(ctx, b, t); err != nil {
			return err
		}
		if err := c.Replace(ctx, "version", 1, []string{"table_name", "table_version"}, []any{t.Name, t.Version}); err != nil {
			return err
		}
	}
	return nil
}

func createIfMissing(ctx context.Context, b backend, t Table) error {
	ok, err := b.tableExists(ctx, t.Name)
	if err != nil || ok {
		return err
	}
	return b.createTable(ctx, t)
}

// DropTables drops the named tables (all known tables when names is
// empty) and their version rows. Tables that do not exist are skipped.
func DropTables(ctx context.Context, c Conn, names ...string) error {
	b, err := backendOf(c)
	if err != nil {
		return err
	}
	tables, err := tablesNamed(names)
	if err != nil {
		return err
	}
	dropVersion := len(names) == 0
	for _, t := range tables {
		if t.Name == "version" {
			dropVersion = true
			continue
		}
		if err := b.dropTable(ctx, t.Name); err != nil {
			return err
		}
		if !dropVersion {
			if ok, _ := b.tableExists(ctx, "version"); ok {
				if _, err := c.Delete(ctx, "version", []Cond{Eq("table_name", t.Name)}); err != nil {
					return err
				}
			}
		}
	}
	if dropVersion {
		return b.dropTable(ctx, "version")
	}
	return nil
}

// TableStatus is one table's state in a database, as Migrate and
// Status report it.
type TableStatus struct {
	Name     string
	Exists   bool
	Version  int // the version row (0 when missing)
	Expected int // the version olelo's modules expect
	Created  bool
}

// OK reports whether the table exists with the version expected.
func (s TableStatus) OK() bool { return s.Exists && s.Version == s.Expected }

// Status reports the known tables: whether each exists and its version.
func Status(ctx context.Context, c Conn) ([]TableStatus, error) {
	b, err := backendOf(c)
	if err != nil {
		return nil, err
	}
	versions := map[string]int{}
	if ok, err := b.tableExists(ctx, "version"); err != nil {
		return nil, err
	} else if ok {
		rows, err := c.Query(ctx, "version", []string{"table_name", "table_version"}, nil, "")
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			versions[r.Str(0)] = int(r.Int(1))
		}
	}
	var out []TableStatus
	for _, t := range Tables {
		ok, err := b.tableExists(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, TableStatus{Name: t.Name, Exists: ok, Version: versions[t.Name], Expected: t.Version})
	}
	return out, nil
}

// Migrate creates the missing tables (all known ones when names is
// empty), adds missing version rows of existing tables, and returns the
// state of each. It does not alter existing tables: a table whose version
// differs from the one expected is reported in the error (upgrade it with
// Kamailio's upgrade scripts, or drop and create it).
func Migrate(ctx context.Context, c Conn, names ...string) ([]TableStatus, error) {
	b, err := backendOf(c)
	if err != nil {
		return nil, err
	}
	tables, err := tablesNamed(names)
	if err != nil {
		return nil, err
	}
	before, err := Status(ctx, c)
	if err != nil {
		return nil, err
	}
	existed := map[string]TableStatus{}
	for _, s := range before {
		existed[s.Name] = s
	}
	version, _ := LookupTable("version")
	if err := createIfMissing(ctx, b, version); err != nil {
		return nil, err
	}
	var out []TableStatus
	var bad []string
	for _, t := range tables {
		s := existed[t.Name]
		if t.Name == "version" {
			s.Created, s.Exists = !s.Exists, true
		}
		if !s.Exists {
			if err := b.createTable(ctx, t); err != nil {
				return out, err
			}
			s.Exists, s.Created = true, true
		}
		if s.Version == 0 || s.Created {
			if err := c.Replace(ctx, "version", 1, []string{"table_name", "table_version"}, []any{t.Name, t.Version}); err != nil {
				return out, err
			}
			s.Version = t.Version
		}
		if s.Version != t.Version {
			bad = append(bad, fmt.Sprintf("%s is version %d, olelo expects %d", t.Name, s.Version, t.Version))
		}
		out = append(out, s)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("db %s: %s", c.URL(), strings.Join(bad, "; "))
	}
	return out, nil
}

// TableExists reports whether the named table exists in the database.
func TableExists(ctx context.Context, c Conn, name string) (bool, error) {
	b, err := backendOf(c)
	if err != nil {
		return false, err
	}
	return b.tableExists(ctx, name)
}
