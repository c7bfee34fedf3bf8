package module

import (
	"fmt"
	"regexp"
)

// ArgKind is what a script function expects in one argument position.
type ArgKind uint8

const (
	// ArgStr is a string; it may hold pseudo-variables and
	// transformations, expanded per message ("$rU@$fd").
	ArgStr ArgKind = iota
	// ArgInt is an integer: a number, a string holding one ("404"), or a
	// pseudo-variable evaluated per message.
	ArgInt
	// ArgRegex is a regular expression given as a constant string,
	// compiled at load time (Go RE2 syntax, which covers POSIX ERE as
	// scripts use it).
	ArgRegex
	// ArgPV is the name of a writable pseudo-variable ("$var(x)") that the
	// function sets.
	ArgPV
	// ArgRoute is the name of a route block (t_on_failure("MANAGE_FAILURE")).
	ArgRoute
)

func (k ArgKind) String() string {
	switch k {
	case ArgStr:
		return "string"
	case ArgInt:
		return "integer"
	case ArgRegex:
		return "regular expression"
	case ArgPV:
		return "writable pseudo-variable"
	case ArgRoute:
		return "route name"
	}
	return "?"
}

// Arg is one argument of a call, prepared by the compiler.
type Arg struct {
	Kind ArgKind
	// Const is set when the argument is a constant (no pseudo-variables):
	// Int and Str hold it, already converted.
	Const bool
	Int   int64
	Str   string
	Regex *regexp.Regexp
	// Expr evaluates a non-constant argument per message.
	Expr func(c *Ctx) (Value, error)
	// PV is set for ArgPV arguments.
	PV SettablePV
}

// GetStr returns the argument's string value for this message.
func (a *Arg) GetStr(c *Ctx) (string, error) {
	if a.Const || a.Expr == nil {
		return a.Str, nil
	}
	v, err := a.Expr(c)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// GetInt returns the argument's integer value for this message.
func (a *Arg) GetInt(c *Ctx) (int64, error) {
	if a.Const || a.Expr == nil {
		return a.Int, nil
	}
	v, err := a.Expr(c)
	if err != nil {
		return 0, err
	}
	n, ok := v.AsInt()
	if !ok {
		return 0, fmt.Errorf("value %q is not an integer", v.Str)
	}
	return n, nil
}

// Func is a script function a module exports.
type Func struct {
	// Name is the name scripts call it by (sl_send_reply).
	Name string
	// Args are the kinds of the arguments; the function is called with
	// exactly len(Args) arguments. Overloads by arity are separate Funcs
	// with the same Name (as Kamailio resolves name + argument count).
	Args []ArgKind
	// Routes is where the function may be used (0 means RequestRoute |
	// FailureRoute | BranchRoute, the common case).
	Routes RouteType
	// Check, when set, validates constant arguments at load time (e.g. a
	// status code in 100-699), so that `olelo check` reports them.
	Check func(args []*Arg) error
	// Run executes the call. It returns Kamailio's codes: < 0 false, > 0
	// true, 0 stops the script.
	Run func(c *Ctx, args []*Arg) int
	// Doc is a one-line description for `olelo help` and the README check.
	Doc string
}

// DefaultRoutes is the route mask of a Func with Routes == 0.
const DefaultRoutes = RequestRoute | FailureRoute | BranchRoute

// AllowedIn reports whether f may be used in a route of type rt.
func (f *Func) AllowedIn(rt RouteType) bool {
	routes := f.Routes
	if routes == 0 {
		routes = DefaultRoutes
	}
	// Event routes run with a request-like message: what is allowed in
	// request_route is allowed there (as in Kamailio).
	if rt == EventRoute && routes&RequestRoute != 0 {
		return true
	}
	return routes&rt != 0
}
