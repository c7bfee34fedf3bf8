package module

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"sync"

	"github.com/olelo-sip/olelo/core"
)

// Instance is a module's state for one compiled configuration.
type Instance interface {
	// Funcs lists the script functions the module exports, bound to this
	// instance.
	Funcs() []Func
}

// PVProvider is implemented by instances that export pseudo-variables.
type PVProvider interface {
	PVs() []PVClass
}

// EventProvider is implemented by instances that run event routes; it
// lists the event names ("dispatcher:dst-down").
type EventProvider interface {
	Events() []string
}

// EventRunner runs the event_route blocks of a configuration (the
// script engine implements it). Data for the route (the $dsv of
// dispatcher's events) travels in ctx, which becomes the route's
// Ctx.Context.
type EventRunner interface {
	RunEvent(ctx context.Context, name string, msg *core.Msg) (ret int64, dropped, ran bool)
}

// EventUser is implemented by instances that run event routes on their
// own, outside of the routing of a message (dispatcher's dst-down from
// its keepalive timer): the engine hands itself over before Start.
type EventUser interface {
	SetEventRunner(r EventRunner)
}

// PreRouter is implemented by instances that see every request before
// request_route runs. PreRoute returns false when the module consumed
// the request, which is then not routed (sl absorbs the ACKs of its own
// replies this way, as Kamailio's sl does).
type PreRouter interface {
	PreRoute(c *Ctx) bool
}

// ReplyHandler is implemented by instances that take received replies
// before they are forwarded statelessly (tm matches them to its
// transactions). The engine calls HandleReply after the core reply route
// let the reply through; consumed true means the module took care of it
// and the reply is not forwarded statelessly.
type ReplyHandler interface {
	HandleReply(ctx context.Context, resp *core.Msg) (consumed bool)
}

// Starter is implemented by instances that need to start work (timers,
// connections) once modparams are set and the configuration compiled.
type Starter interface {
	Start(ctx context.Context, h Host) error
}

// Linker is implemented by instances that use another loaded module
// (registrar uses usrloc, auth_db uses auth, dispatcher uses tm), as
// Kamailio modules bind each other's API. Link is called once, after
// every module of the configuration is loaded and its modparams set and
// before Start; find returns the instance of a loaded module, or nil.
// An error (for instance "registrar needs usrloc: loadmodule
// \"usrloc.so\"") fails the configuration, so `olelo check` reports it.
type Linker interface {
	Link(find func(name string) Instance) error
}

// ConfigFileUser is implemented by instances that read files named
// relative to the configuration file (permissions' allow/deny files,
// dispatcher's list_file), as Kamailio resolves them against the
// config's directory. SetConfigFile is called right after New with the
// path of the main config file.
type ConfigFileUser interface {
	SetConfigFile(path string)
}

// Stopper is implemented by instances that hold resources.
type Stopper interface {
	Stop() error
}

// Module is one registration.
type Module struct {
	// Name is the module's name as in loadmodule "name.so".
	Name string
	// Doc is a one-line summary.
	Doc string
	// New creates the module's state. Exported fields of the value it
	// returns tagged `modparam:"name"` are its modparams (int, string,
	// bool, or []string for parameters that may be given several times).
	New func() Instance
	// Core marks modules that are always loaded (the core actions and
	// the core pseudo-variables), without a loadmodule line.
	Core bool
}

var (
	mu       sync.RWMutex
	registry = map[string]Module{}
)

// Register adds a module. It panics on a duplicate or empty name, which
// is a programming error found at start-up.
func Register(m Module) {
	mu.Lock()
	defer mu.Unlock()
	if m.Name == "" || m.New == nil {
		panic("module: Register needs a Name and New")
	}
	if _, dup := registry[m.Name]; dup {
		panic("module: duplicate registration of " + m.Name)
	}
	registry[m.Name] = m
}

// Lookup returns the registered module with the given name.
func Lookup(name string) (Module, bool) {
	mu.RLock()
	defer mu.RUnlock()
	m, ok := registry[name]
	return m, ok
}

// Names returns the names of all registered modules, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParamInfo describes one modparam of an instance.
type ParamInfo struct {
	Name string
	Kind reflect.Kind // Int, String, Bool, or Slice (of string)
}

// Params lists the modparams of an instance.
func Params(inst Instance) []ParamInfo {
	var out []ParamInfo
	v := reflect.ValueOf(inst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	t := v.Elem().Type()
	for i := 0; i < t.NumField(); i++ {
		if name, ok := t.Field(i).Tag.Lookup("modparam"); ok {
			out = append(out, ParamInfo{Name: name, Kind: t.Field(i).Type.Kind()})
		}
	}
	return out
}

// SetParam sets the modparam name of inst from a config value (an int64
// or a string, as modparam() lines carry). It converts between int and
// string where Kamailio does and reports a bad value or unknown name.
func SetParam(inst Instance, name string, value any) error {
	v := reflect.ValueOf(inst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("module has no parameters")
	}
	s := v.Elem()
	t := s.Type()
	for i := 0; i < t.NumField(); i++ {
		if tag, ok := t.Field(i).Tag.Lookup("modparam"); !ok || tag != name {
			continue
		}
		f := s.Field(i)
		switch f.Kind() {
		case reflect.String:
			switch x := value.(type) {
			case string:
				f.SetString(x)
			case int64:
				f.SetString(strconv.FormatInt(x, 10))
			}
			return nil
		case reflect.Int, reflect.Int64, reflect.Int32:
			switch x := value.(type) {
			case int64:
				f.SetInt(x)
			case string:
				n, err := strconv.ParseInt(x, 10, 64)
				if err != nil {
					return fmt.Errorf("parameter %s needs an integer, got %q", name, x)
				}
				f.SetInt(n)
			}
			return nil
		case reflect.Bool:
			switch x := value.(type) {
			case int64:
				f.SetBool(x != 0)
			case string:
				b, err := strconv.ParseBool(x)
				if err != nil {
					return fmt.Errorf("parameter %s needs 0 or 1, got %q", name, x)
				}
				f.SetBool(b)
			}
			return nil
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.String {
				str := fmt.Sprint(value)
				f.Set(reflect.Append(f, reflect.ValueOf(str)))
				return nil
			}
		}
		return fmt.Errorf("parameter %s has an unsupported type %s", name, f.Type())
	}
	return fmt.Errorf("unknown parameter %q", name)
}
