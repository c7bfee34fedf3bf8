package pv

import (
	"fmt"
	"sync/atomic"

	"github.com/olelo-sip/olelo/module"
)

// Indexed is implemented by pseudo-variables that hold several values
// ($hdr: one per header line, $avp: a stack), so that "$(hdr(Via)[1])",
// "$(hdr(Via)[-1])" and "$(avp(x)[*])" work. Classes of other modules may
// implement it too; a PV that does not ignores the index, as Kamailio
// does for classes without one.
type Indexed interface {
	// GetAt returns the value at idx: 0 is the first (for $avp the newest),
	// a negative idx counts from the end where the class allows it. Out of
	// range is Null, not an error.
	GetAt(c *module.Ctx, idx int) (module.Value, error)
	// GetAll returns every value joined the way the class prints [*].
	GetAll(c *module.Ctx) (module.Value, error)
}

// IndexedSetter is implemented by indexed pseudo-variables that scripts
// may assign with an index: "$(avp(x)[*]) = $null" deletes all values,
// "$(avp(x)[2]) = 5" replaces one.
type IndexedSetter interface {
	SetAt(c *module.Ctx, idx int, v module.Value) error
	SetAll(c *module.Ctx, v module.Value) error
}

// readPV is a parsed pseudo-variable: the class's PV plus the index and
// the transformations written around it. It is what Parse returns when
// the PV cannot be assigned.
type readPV struct {
	text  string
	base  module.PV
	index indexSpec
	trans []transform
}

// writePV is a parsed pseudo-variable that can be assigned: no
// transformations, and a class PV that implements module.SettablePV.
type writePV struct {
	readPV
	setter module.SettablePV
}

func wrap(sp spec, base module.PV) module.PV {
	r := readPV{text: sp.text, base: base, index: sp.index, trans: sp.trans}
	if len(sp.trans) == 0 {
		if s, ok := base.(module.SettablePV); ok {
			return &writePV{readPV: r, setter: s}
		}
	}
	return &r
}

// String returns the PV as written.
func (x *readPV) String() string { return x.text }

// Get reads the value, applying the index and the transformations.
func (x *readPV) Get(c *module.Ctx) (module.Value, error) {
	v, err := x.getIndexed(c)
	if err != nil || len(x.trans) == 0 {
		return v, err
	}
	for i := range x.trans {
		t := &x.trans[i]
		v, err = t.apply(c, v)
		if err != nil {
			return module.Null, fmt.Errorf("%s: {%s}: %w", x.text, t.text, err)
		}
	}
	return v, nil
}

func (x *readPV) getIndexed(c *module.Ctx) (module.Value, error) {
	if !x.index.set {
		return x.base.Get(c)
	}
	ix, ok := x.base.(Indexed)
	if !ok {
		return x.base.Get(c)
	}
	if x.index.all {
		return ix.GetAll(c)
	}
	n, err := x.index.value(c)
	if err != nil {
		return module.Null, fmt.Errorf("%s: %w", x.text, err)
	}
	return ix.GetAt(c, n)
}

// value returns the index for this message (a dynamic index is read
// from its PV).
func (ix *indexSpec) value(c *module.Ctx) (int, error) {
	if ix.pv == nil {
		return ix.n, nil
	}
	v, err := ix.pv.Get(c)
	if err != nil {
		return 0, err
	}
	n, ok := v.AsInt()
	if !ok {
		return 0, fmt.Errorf("index %q is not an integer", v.Str)
	}
	return int(n), nil
}

// Set assigns the PV, through the index when one is written.
func (x *writePV) Set(c *module.Ctx, v module.Value) error {
	if !x.index.set {
		return x.setter.Set(c, v)
	}
	is, ok := x.base.(IndexedSetter)
	if !ok {
		return x.setter.Set(c, v)
	}
	if x.index.all {
		return is.SetAll(c, v)
	}
	n, err := x.index.value(c)
	if err != nil {
		return fmt.Errorf("%s: %w", x.text, err)
	}
	return is.SetAt(c, n, v)
}

// pvText names a PV in messages.
func pvText(v module.PV) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", v)
}

// dynamicNameClasses are the classes whose name may be a pseudo-variable
// evaluated per message ($hdr($var(h)), $avp($var(n))), as in Kamailio.
var dynamicNameClasses = map[string]bool{
	"hdr": true, "hdrc": true, "avp": true, "var": true, "xavp": true, "env": true,
}

// dynamicName is a PV whose name comes from another PV. The class PV for
// the last name seen is kept, since a script usually reads the same name
// message after message.
type dynamicName struct {
	class module.PVClass
	name  module.PV
	last  atomic.Pointer[dynamicEntry]
}

type dynamicEntry struct {
	name string
	pv   module.PV
}

func (d *dynamicName) resolve(c *module.Ctx) (module.PV, error) {
	nv, err := d.name.Get(c)
	if err != nil {
		return nil, err
	}
	name := nv.String()
	if e := d.last.Load(); e != nil && e.name == name {
		return e.pv, nil
	}
	v, err := d.class.New(name)
	if err != nil {
		return nil, fmt.Errorf("$%s(%s): %w", d.class.Name, name, err)
	}
	d.last.Store(&dynamicEntry{name: name, pv: v})
	return v, nil
}

func (d *dynamicName) Get(c *module.Ctx) (module.Value, error) {
	v, err := d.resolve(c)
	if err != nil {
		return module.Null, err
	}
	return v.Get(c)
}

func (d *dynamicName) Set(c *module.Ctx, val module.Value) error {
	v, err := d.resolve(c)
	if err != nil {
		return err
	}
	s, ok := v.(module.SettablePV)
	if !ok {
		return fmt.Errorf("$%s cannot be assigned", d.class.Name)
	}
	return s.Set(c, val)
}

func (d *dynamicName) GetAt(c *module.Ctx, idx int) (module.Value, error) {
	v, err := d.resolve(c)
	if err != nil {
		return module.Null, err
	}
	if ix, ok := v.(Indexed); ok {
		return ix.GetAt(c, idx)
	}
	return v.Get(c)
}

func (d *dynamicName) GetAll(c *module.Ctx) (module.Value, error) {
	v, err := d.resolve(c)
	if err != nil {
		return module.Null, err
	}
	if ix, ok := v.(Indexed); ok {
		return ix.GetAll(c)
	}
	return v.Get(c)
}

func (d *dynamicName) SetAt(c *module.Ctx, idx int, val module.Value) error {
	v, err := d.resolve(c)
	if err != nil {
		return err
	}
	if is, ok := v.(IndexedSetter); ok {
		return is.SetAt(c, idx, val)
	}
	return d.Set(c, val)
}

func (d *dynamicName) SetAll(c *module.Ctx, val module.Value) error {
	v, err := d.resolve(c)
	if err != nil {
		return err
	}
	if is, ok := v.(IndexedSetter); ok {
		return is.SetAll(c, val)
	}
	return d.Set(c, val)
}
