package db

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// normalizeIn converts a value going in to int64, float64, string,
// []byte, time.Time (UTC) or nil. textTimes writes times as
// DateTimeLayout text (SQLite and db_text store them so, as Kamailio
// does).
func normalizeIn(v any, textTimes bool) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("value %d out of range", x)
		}
		return int64(x), nil
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case string:
		return x, nil
	case []byte:
		return x, nil
	case time.Time:
		t := x.UTC()
		if textTimes {
			return t.Format(DateTimeLayout), nil
		}
		return t, nil
	case *string:
		if x == nil {
			return nil, nil
		}
		return *x, nil
	}
	return nil, fmt.Errorf("unsupported value type %T (want int, int64, float64, string, []byte, bool, time.Time or nil)", v)
}

// colKind is how a result column's declared type is read.
type colKind int

const (
	kindAny colKind = iota
	kindInt
	kindFloat
	kindTime
	kindBlob
)

// kindOf classifies a database type name (ColumnType.DatabaseTypeName).
func kindOf(dbType string) colKind {
	t := strings.ToUpper(dbType)
	switch {
	case strings.Contains(t, "INT") || t == "SERIAL" || t == "BOOL" || t == "BOOLEAN":
		return kindInt
	case strings.Contains(t, "FLOAT") || strings.Contains(t, "DOUBLE") || strings.Contains(t, "REAL") ||
		strings.Contains(t, "NUMERIC") || strings.Contains(t, "DECIMAL"):
		return kindFloat
	case strings.Contains(t, "DATE") || strings.Contains(t, "TIME"):
		return kindTime
	case strings.Contains(t, "BLOB") || t == "BYTEA" || strings.Contains(t, "BINARY"):
		return kindBlob
	}
	return kindAny
}

// normalizeOut converts a value a driver returned to int64, float64,
// string, time.Time or nil, using the column's declared kind.
func normalizeOut(v any, k colKind) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		if k == kindBlob {
			return string(x) // blobs come out as strings of their bytes
		}
		return normalizeOut(string(x), k)
	case string:
		switch k {
		case kindInt:
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n
			}
		case kindFloat:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f
			}
		case kindTime:
			if t := parseTime(x); !t.IsZero() {
				return t
			}
		}
		return x
	case int64:
		if k == kindFloat {
			return float64(x)
		}
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case float32:
		// Print with float32 precision so that FLOAT 0.1 reads as 0.1.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f
	case float64:
		if k == kindInt && x == math.Trunc(x) {
			return int64(x)
		}
		return x
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		return x.UTC()
	}
	return fmt.Sprint(v)
}
