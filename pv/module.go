package pv

import (
	"fmt"
	"sort"

	"github.com/olelo-sip/olelo/module"
)

// The core pseudo-variables are one always-loaded module, "pv", as in
// Kamailio where most of them come from pv.so (loaded by every real
// config) and a few from the core.
func init() {
	module.Register(module.Module{
		Name: "pv",
		Doc:  "core pseudo-variables ($ru, $hdr(...), $var(...), $avp(...) ...) and transformations",
		Core: true,
		New:  func() module.Instance { return &instance{} },
	})
}

type instance struct{}

// PVs implements module.PVProvider.
func (*instance) PVs() []module.PVClass { return Classes() }

// Funcs implements module.Instance: the pv module's script functions.
func (*instance) Funcs() []module.Func { return pvFuncs() }

// classes holds the class definitions, filled by the init functions of
// the class_*.go files.
var classes = map[string]module.PVClass{}

func addClass(c module.PVClass, aliases ...string) {
	for _, name := range append([]string{c.Name}, aliases...) {
		if _, dup := classes[name]; dup {
			panic("pv: duplicate class " + name)
		}
		cc := c
		cc.Name = name
		classes[name] = cc
	}
}

// Classes returns the core pseudo-variable classes, sorted by name.
func Classes() []module.PVClass {
	out := make([]module.PVClass, 0, len(classes))
	for _, c := range classes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CoreLookup finds a class among the core ones only; tests, tools and
// modules that need to parse a PV outside a compiled configuration use
// it.
func CoreLookup(name string) (module.PVClass, bool) {
	c, ok := classes[name]
	return c, ok
}

// getter is the read function of a simple class.
type getter func(c *module.Ctx) (module.Value, error)

// setter is the write function of a simple class.
type setter func(c *module.Ctx, v module.Value) error

// roPV is a read-only PV backed by a function.
type roPV struct{ get getter }

func (p *roPV) Get(c *module.Ctx) (module.Value, error) { return p.get(c) }

// rwPV is a writable PV backed by two functions.
type rwPV struct {
	get getter
	set setter
}

func (p *rwPV) Get(c *module.Ctx) (module.Value, error) { return p.get(c) }
func (p *rwPV) Set(c *module.Ctx, v module.Value) error { return p.set(c, v) }

// noArg defines a class that takes no name ($ru, $si); the PV is shared
// by every use since it holds no state.
func noArg(name, doc string, get getter, aliases ...string) {
	pv := &roPV{get: get}
	addClass(module.PVClass{Name: name, Doc: doc, New: func(arg string) (module.PV, error) {
		if arg != "" {
			return nil, fmt.Errorf("$%s takes no name in parentheses", name)
		}
		return pv, nil
	}}, aliases...)
}

// noArgRW is noArg for a writable class.
func noArgRW(name, doc string, get getter, set setter, aliases ...string) {
	pv := &rwPV{get: get, set: set}
	addClass(module.PVClass{Name: name, Doc: doc, New: func(arg string) (module.PV, error) {
		if arg != "" {
			return nil, fmt.Errorf("$%s takes no name in parentheses", name)
		}
		return pv, nil
	}}, aliases...)
}

// withArg defines a class whose PV depends on the name in parentheses.
func withArg(name, doc string, newPV func(arg string) (module.PV, error), aliases ...string) {
	addClass(module.PVClass{Name: name, Doc: doc, New: func(arg string) (module.PV, error) {
		if arg == "" {
			return nil, fmt.Errorf("$%s needs a name in parentheses, e.g. $%s(x)", name, name)
		}
		return newPV(arg)
	}}, aliases...)
}

// keyed defines a class whose name selects one of a fixed set of getters
// ($TV(s), $time(min), $via0(host)).
func keyed(name, doc string, keys map[string]getter, aliases ...string) {
	withArg(name, doc, func(arg string) (module.PV, error) {
		g, ok := keys[arg]
		if !ok {
			names := make([]string, 0, len(keys))
			for k := range keys {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("$%s(%s): unknown name, want one of %v", name, arg, names)
		}
		return &roPV{get: g}, nil
	}, aliases...)
}

func strVal(s string) (module.Value, error) { return module.StrValue(s), nil }
func intVal(n int64) (module.Value, error)  { return module.IntValue(n), nil }

// bytesVal returns b as a string value, or null when b is nil (an absent
// part).
func bytesVal(b []byte) (module.Value, error) {
	if b == nil {
		return module.Null, nil
	}
	return module.StrValue(string(b)), nil
}

func null() (module.Value, error) { return module.Null, nil }
