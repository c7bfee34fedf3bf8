package db

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// db_text file format (Kamailio's and OpenSIPS'): the first line declares
// the columns, `name(type[,null][,auto])` separated by blanks, with type
// int, double, str/string, blob or datetime; every other line is a row,
// values separated by ':' with '\' escaping ':', '\', newline, CR and
// tab. An empty value is NULL in a column declared null. OpenSIPS files
// may also write NULL as `null` and quote strings with single quotes.

// textType is a db_text column type.
type textType byte

const (
	textInt textType = iota
	textDouble
	textString
	textBlob
	textDateTime
)

func (t textType) String() string {
	switch t {
	case textInt:
		return "int"
	case textDouble:
		return "double"
	case textBlob:
		return "blob"
	case textDateTime:
		return "datetime"
	}
	return "string"
}

// textCol is one declared column.
type textCol struct {
	name string
	typ  textType
	null bool
	auto bool
}

// parseTextHeader reads the column declarations of a db_text file.
func parseTextHeader(line string) ([]textCol, error) {
	var cols []textCol
	seen := map[string]bool{}
	for _, f := range strings.Fields(line) {
		open := strings.IndexByte(f, '(')
		if open <= 0 || !strings.HasSuffix(f, ")") {
			return nil, fmt.Errorf("column declaration %q: want name(type[,null][,auto])", f)
		}
		c := textCol{name: f[:open]}
		parts := strings.Split(f[open+1:len(f)-1], ",")
		switch strings.ToLower(strings.TrimSpace(parts[0])) {
		case "int", "integer":
			c.typ = textInt
		case "double", "float":
			c.typ = textDouble
		case "str", "string":
			c.typ = textString
		case "blob":
			c.typ = textBlob
		case "datetime":
			c.typ = textDateTime
		default:
			return nil, fmt.Errorf("column %s: unknown type %q (want int, double, str, string, blob or datetime)", c.name, parts[0])
		}
		for _, flag := range parts[1:] {
			switch strings.ToLower(strings.TrimSpace(flag)) {
			case "null":
				c.null = true
			case "auto":
				c.auto = true
			case "":
			default:
				return nil, fmt.Errorf("column %s: unknown flag %q (want null or auto)", c.name, flag)
			}
		}
		if seen[c.name] {
			return nil, fmt.Errorf("column %s declared twice", c.name)
		}
		seen[c.name] = true
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no columns declared")
	}
	return cols, nil
}

// formatTextHeader writes column declarations in Kamailio's form.
func formatTextHeader(cols []textCol) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.name + "(" + c.typ.String())
		if c.null {
			b.WriteString(",null")
		}
		if c.auto {
			b.WriteString(",auto")
		}
		b.WriteByte(')')
	}
	return b.String()
}

// splitTextLine splits a row at unescaped ':' and unescapes the fields.
// raw reports, per field, whether it had no escapes (for `null` and quote
// detection, which only apply to a field written literally).
func splitTextLine(line string) []string {
	var fields []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\' && i+1 < len(line):
			i++
			switch line[i] {
			case 'n':
				cur.WriteByte('\n')
			case 'r':
				cur.WriteByte('\r')
			case 't':
				cur.WriteByte('\t')
			case '0':
				cur.WriteByte(0)
			default:
				cur.WriteByte(line[i])
			}
		case ch == ':':
			fields = append(fields, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(ch)
		}
	}
	return append(fields, cur.String())
}

// escapeText escapes a value for a db_text row.
func escapeText(s string) string {
	if !strings.ContainsAny(s, ":\\\n\r\t\x00") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ':', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// parseTextRow reads one row line against the declared columns.
func parseTextRow(cols []textCol, line string) ([]any, error) {
	fields := splitTextLine(line)
	if len(fields) != len(cols) {
		return nil, fmt.Errorf("%d values for %d columns", len(fields), len(cols))
	}
	row := make([]any, len(cols))
	for i, c := range cols {
		v, err := textValue(c, fields[i])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		row[i] = v
	}
	return row, nil
}

// textValue converts one field to the column's type.
func textValue(c textCol, f string) (any, error) {
	if f == "" || (c.null && f == "null") {
		if c.null {
			return nil, nil
		}
		switch c.typ {
		case textInt:
			return int64(0), nil
		case textDouble:
			return float64(0), nil
		case textDateTime:
			return time.Unix(0, 0).UTC(), nil
		}
		return "", nil
	}
	switch c.typ {
	case textInt:
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", f)
		}
		return n, nil
	case textDouble:
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		return x, nil
	case textDateTime:
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
		if t := parseTime(f); !t.IsZero() {
			return t.UTC(), nil
		}
		return nil, fmt.Errorf("%q is not a date", f)
	}
	// OpenSIPS writes strings in single quotes.
	if len(f) >= 2 && f[0] == '\'' && f[len(f)-1] == '\'' {
		f = f[1 : len(f)-1]
	}
	return f, nil
}

// formatTextValue writes a stored value as a row field.
func formatTextValue(c textCol, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return strconv.FormatInt(x.Unix(), 10)
	case string:
		// Quote what would otherwise read back as something else: an
		// empty string or "null" in a nullable column (NULL), and a value
		// in single quotes (the quotes are stripped on reading).
		if (c.null && (x == "" || x == "null")) || (len(x) >= 2 && x[0] == '\'' && x[len(x)-1] == '\'') {
			return "'" + escapeText(x) + "'"
		}
		return escapeText(x)
	}
	return escapeText(fmt.Sprint(v))
}

// convertForText converts a value going in to the column's type: int64,
// float64, string, time.Time or nil.
func convertForText(c textCol, v any) (any, error) {
	v, err := normalizeIn(v, false)
	if err != nil || v == nil {
		return v, err
	}
	switch c.typ {
	case textInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			return int64(x), nil
		case time.Time:
			return x.Unix(), nil
		case []byte:
			return convertForText(c, string(x))
		case string:
			if x == "" {
				return int64(0), nil
			}
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n, nil
			}
			if t := parseTime(x); !t.IsZero() {
				return t.Unix(), nil
			}
			return nil, fmt.Errorf("%q is not an integer", x)
		}
	case textDouble:
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case []byte:
			return convertForText(c, string(x))
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			return f, nil
		}
	case textDateTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Second), nil
		case int64:
			return time.Unix(x, 0).UTC(), nil
		case string:
			if t := parseTime(x); !t.IsZero() {
				return t.UTC(), nil
			}
			return nil, fmt.Errorf("%q is not a date", x)
		}
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case time.Time:
			return x.Format(DateTimeLayout), nil
		}
		return normalizeOut(v, kindAny), nil
	}
	return nil, fmt.Errorf("cannot store %T in a %s column", v, c.typ)
}

// compareText compares a stored value with a condition value converted
// to the column's type: -1, 0, 1; nil sorts first.
func compareText(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case int64:
		y, _ := b.(int64)
		return cmpOrdered(x, y)
	case float64:
		y, _ := b.(float64)
		return cmpOrdered(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	}
	return 0
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
