package module

// PV is a pseudo-variable prepared by the compiler ($ru, $hdr(Via),
// $var(x) ...): reading it gives a Value (Null when absent).
type PV interface {
	Get(c *Ctx) (Value, error)
}

// SettablePV is a pseudo-variable that scripts may assign ($ru = "...").
// Setting Null ($var(x) = $null) deletes or resets where Kamailio does.
type SettablePV interface {
	PV
	Set(c *Ctx, v Value) error
}

// PVClass is a family of pseudo-variables sharing a name: "ru" for $ru,
// "hdr" for $hdr(Name). New prepares one, given the text inside the
// parentheses ("" when there are none); it fails on a bad argument, which
// the compiler reports at the script's file:line:col.
type PVClass struct {
	Name string
	New  func(arg string) (PV, error)
	Doc  string
}
