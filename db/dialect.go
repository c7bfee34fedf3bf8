package db

import (
	"fmt"
	"strconv"
	"strings"
)

// dialect is what differs between the SQL servers: placeholders,
// identifier quoting and column types.
type dialect struct {
	name string // "sqlite", "mysql", "postgres"
}

// placeholder returns the i-th (1-based) parameter marker.
func (d dialect) placeholder(i int) string {
	if d.name == "postgres" {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

// quote quotes an identifier (table or column name).
func (d dialect) quote(id string) string {
	if d.name == "mysql" {
		return "`" + strings.ReplaceAll(id, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}

// orderBy turns "col" or "col DESC" into a quoted ORDER BY clause.
func (d dialect) orderBy(s string) (string, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return "", nil
	}
	if len(f) > 2 {
		return "", fmt.Errorf("bad order %q (want \"col\" or \"col DESC\")", s)
	}
	dir := ""
	if len(f) == 2 {
		switch strings.ToUpper(f[1]) {
		case "ASC", "DESC":
			dir = " " + strings.ToUpper(f[1])
		default:
			return "", fmt.Errorf("bad order %q (want \"col\" or \"col DESC\")", s)
		}
	}
	return " ORDER BY " + d.quote(f[0]) + dir, nil
}

// where builds " WHERE a = ? AND b IS NULL" and appends the arguments;
// n is the number of parameters already used (for $N numbering).
func (d dialect) where(conds []Cond, args []any) (string, []any, error) {
	if len(conds) == 0 {
		return "", args, nil
	}
	var b strings.Builder
	b.WriteString(" WHERE ")
	for i, c := range conds {
		if i > 0 {
			b.WriteString(" AND ")
		}
		op := c.Op
		if op == "" {
			op = "="
		}
		switch op {
		case "=", "!=", "<", "<=", ">", ">=":
		case "<>":
			op = "!="
		default:
			return "", nil, fmt.Errorf("bad operator %q for column %s (want =, !=, <, <=, >, >=)", c.Op, c.Col)
		}
		b.WriteString(d.quote(c.Col))
		if c.Val == nil {
			switch op {
			case "=":
				b.WriteString(" IS NULL")
				continue
			case "!=":
				b.WriteString(" IS NOT NULL")
				continue
			}
			return "", nil, fmt.Errorf("column %s: NULL only compares with = or !=", c.Col)
		}
		v, err := d.arg(c.Val)
		if err != nil {
			return "", nil, fmt.Errorf("column %s: %w", c.Col, err)
		}
		args = append(args, v)
		b.WriteString(" " + op + " " + d.placeholder(len(args)))
	}
	return b.String(), args, nil
}

// arg converts a value going in to what every driver takes the same way.
// Times go in as UTC (see the package README: DATETIME columns hold UTC).
func (d dialect) arg(v any) (any, error) {
	return normalizeIn(v, d.name == "sqlite")
}

// columnType is the DDL type of a column kind in this dialect.
func (d dialect) columnType(c Column) string {
	switch c.Type {
	case TInt:
		if d.name == "mysql" {
			return "INT"
		}
		return "INTEGER"
	case TUInt:
		if d.name == "mysql" {
			return "INT UNSIGNED"
		}
		if d.name == "postgres" {
			return "BIGINT"
		}
		return "INTEGER"
	case TSmallUInt:
		if d.name == "mysql" {
			return "SMALLINT UNSIGNED"
		}
		// PostgreSQL's SMALLINT stops at 32767; a port needs 65535.
		return "INTEGER"
	case TBigInt:
		if d.name == "sqlite" {
			return "INTEGER"
		}
		return "BIGINT"
	case TFloat:
		switch d.name {
		case "mysql":
			return "FLOAT(10,2)"
		case "postgres":
			return "REAL"
		}
		return "REAL"
	case TDouble:
		switch d.name {
		case "mysql":
			return "DOUBLE"
		case "postgres":
			return "DOUBLE PRECISION"
		}
		return "REAL"
	case TString:
		return "VARCHAR(" + strconv.Itoa(c.Size) + ")"
	case TText:
		switch d.name {
		case "mysql":
			return "MEDIUMTEXT"
		}
		return "TEXT"
	case TDateTime:
		switch d.name {
		case "mysql":
			return "DATETIME"
		case "postgres":
			return "TIMESTAMP WITHOUT TIME ZONE"
		}
		return "DATETIME"
	}
	return "TEXT"
}

// idColumn is the auto-increment primary key "id".
func (d dialect) idColumn() string {
	switch d.name {
	case "mysql":
		return "`id` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL"
	case "postgres":
		return `"id" SERIAL PRIMARY KEY NOT NULL`
	}
	return `"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL`
}

// literal renders a default value for DDL.
func (d dialect) literal(c Column) string {
	switch c.Type {
	case TString, TText, TDateTime:
		return "'" + strings.ReplaceAll(c.Default, "'", "''") + "'"
	}
	return c.Default
}

// createTable returns the CREATE TABLE and CREATE INDEX statements.
func (d dialect) createTable(t Table) []string {
	var cols []string
	cols = append(cols, d.idColumn())
	for _, c := range t.Columns {
		s := d.quote(c.Name) + " " + d.columnType(c)
		if c.HasDefault {
			s += " DEFAULT " + d.literal(c)
		}
		if !c.Null {
			s += " NOT NULL"
		}
		cols = append(cols, s)
	}
	var uniq []string
	var stmts []string
	for _, ix := range t.Indexes {
		q := make([]string, len(ix.Columns))
		for i, c := range ix.Columns {
			q[i] = d.quote(c)
		}
		// Index names are per table in MySQL but per schema in
		// PostgreSQL and SQLite: prefix them with the table there.
		name := ix.Name
		if d.name != "mysql" {
			name = t.Name + "_" + ix.Name
		}
		if ix.Unique {
			uniq = append(uniq, "CONSTRAINT "+d.quote(name)+" UNIQUE ("+strings.Join(q, ", ")+")")
			continue
		}
		ine := "IF NOT EXISTS "
		if d.name == "mysql" {
			ine = "" // MariaDB has it, MySQL 8 does not; run once with the table.
		}
		stmts = append(stmts, "CREATE INDEX "+ine+d.quote(name)+" ON "+d.quote(t.Name)+" ("+strings.Join(q, ", ")+")")
	}
	cols = append(cols, uniq...)
	create := "CREATE TABLE " + d.quote(t.Name) + " (\n  " + strings.Join(cols, ",\n  ") + "\n)"
	if d.name == "mysql" {
		create += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	return append([]string{create}, stmts...)
}
