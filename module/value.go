package module

import "strconv"

// Kind is the type of a script value (Kamailio's rvalue types).
type Kind uint8

const (
	KindNull Kind = iota // $null, an absent header, an unset variable
	KindInt
	KindStr
)

// Value is a script value: an integer, a string or null.
type Value struct {
	Kind Kind
	Int  int64
	Str  string
}

// Null is the null value.
var Null = Value{}

// IntValue returns an integer value.
func IntValue(i int64) Value { return Value{Kind: KindInt, Int: i} }

// StrValue returns a string value.
func StrValue(s string) Value { return Value{Kind: KindStr, Str: s} }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// String converts v to a string as Kamailio does: integers in decimal,
// null as "" (xlog prints "<null>" itself).
func (v Value) String() string {
	switch v.Kind {
	case KindInt:
		return strconv.FormatInt(v.Int, 10)
	case KindStr:
		return v.Str
	}
	return ""
}

// AsInt converts v to an integer as Kamailio does: a string is parsed as a
// (signed, decimal) number; ok is false when it is not one. Null is 0.
func (v Value) AsInt() (n int64, ok bool) {
	switch v.Kind {
	case KindInt:
		return v.Int, true
	case KindStr:
		n, err := strconv.ParseInt(v.Str, 10, 64)
		return n, err == nil
	}
	return 0, true
}
