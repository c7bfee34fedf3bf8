package script

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/pv"
)

// CompileOptions tune Compile.
type CompileOptions struct {
	// Log receives the engine's messages (run-time script errors, ignored
	// parameters at debug level); nil means slog.Default().
	Log *slog.Logger
	// ForwardReply is called by HandleResponse for a reply that the core
	// reply route let through (it returned a positive value and did not
	// drop). nil does nothing.
	ForwardReply func(ctx context.Context, resp *core.Msg)
	// Host is the server, for myself checks and module functions that
	// send. Start may set it later.
	Host module.Host
}

// The pseudo-variable front end (package pv). Tests may replace these.
var (
	pvParse     = pv.Parse
	formatParse = func(s string, l pv.Lookup) (strFormat, error) {
		f, err := pv.ParseFormat(s, l)
		if err != nil {
			return nil, err
		}
		return pvFormat{f}, nil
	}
)

// strFormat is a prepared format string.
type strFormat interface {
	// Constant returns the text when the format has no pseudo-variables.
	Constant() (string, bool)
	Eval(c *module.Ctx) (string, error)
}

type pvFormat struct{ f *pv.Format }

func (p pvFormat) Constant() (string, bool)           { return p.f.Const, p.f.IsConst }
func (p pvFormat) Eval(c *module.Ctx) (string, error) { return p.f.Eval(c) }

// funcEntry is a script function of a loaded module.
type funcEntry struct {
	fn     module.Func
	module string
	core   bool // a core action: does not set $rc, 0 does not stop
}

// loadedModule is an instantiated module.
type loadedModule struct {
	name string
	inst module.Instance
	pos  Pos // the loadmodule line (the config's start for core modules)
}

// compiler holds the state of one Compile.
type compiler struct {
	cfg  *Config
	opt  CompileOptions
	e    *Engine
	errs ErrorList

	loadNames map[string]bool // every loadmodule name, built in or not
	funcs     map[string][]*funcEntry
	pvClasses map[string]module.PVClass
	pvOwner   map[string]string
	flags     map[string]int64

	// The route being compiled and the route types its functions are
	// checked against.
	cur     *route
	curRT   module.RouteType
	curSub  bool // a route[NAME] block: type mismatches are warnings
	reached map[*Route]module.RouteType
}

// Compile turns a parsed configuration into a runnable Engine: it loads
// and configures the modules, reads the global parameters, resolves every
// function call, route call and pseudo-variable, type-checks expressions,
// and prepares every statement as a Go closure. On failure the error is
// an ErrorList with every problem found, sorted by position.
func Compile(cfg *Config, opt CompileOptions) (*Engine, error) {
	e, errs := compile(cfg, opt)
	if len(errs) > 0 {
		return nil, errs
	}
	return e, nil
}

// compile returns the Engine even when there are errors (for its
// warnings); it must not run then.
func compile(cfg *Config, opt CompileOptions) (*Engine, ErrorList) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	e := &Engine{
		Settings: defaultSettings(),
		opt:      opt,
		log:      opt.Log,
		host:     opt.Host,
		routes:   map[RouteKind]map[string]*route{},
		events:   map[string]*route{},
	}
	c := &compiler{
		cfg: cfg, opt: opt, e: e,
		loadNames: map[string]bool{},
		funcs:     map[string][]*funcEntry{},
		pvClasses: map[string]module.PVClass{},
		pvOwner:   map[string]string{},
		flags:     map[string]int64{},
	}
	c.applyGlobals()
	c.loadModules()
	c.modParams()
	c.linkModules()
	c.declareFlags()
	c.compileRoutes()
	e.Warnings = append(e.Warnings, cfg.Warnings...)
	sortByPosition(c.errs, cfg.Files)
	sortByPosition(e.Warnings, cfg.Files)
	for _, ig := range e.Settings.Ignored {
		opt.Log.Debug("global parameter accepted without effect", "param", ig)
	}
	e.initPool()
	return e, c.errs
}

func (c *compiler) errorf(p Pos, format string, args ...any) {
	c.errs = append(c.errs, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) warnf(p Pos, format string, args ...any) {
	c.e.Warnings = append(c.e.Warnings, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// ---- modules ----

// moduleName normalises a loadmodule path: "/usr/lib/kamailio/modules/tm.so"
// and "tm" are "tm".
func moduleName(p string) string {
	return strings.TrimSuffix(path.Base(p), ".so")
}

func (c *compiler) loadModules() {
	seen := map[string]bool{}
	load := func(name string, m module.Module, pos Pos) {
		seen[name] = true
		inst := m.New()
		if u, ok := inst.(module.ConfigFileUser); ok {
			u.SetConfigFile(c.cfg.File)
		}
		c.e.mods = append(c.e.mods, &loadedModule{name: name, inst: inst, pos: pos})
		if p, ok := inst.(module.PreRouter); ok {
			c.e.preRouters = append(c.e.preRouters, p)
		}
		if h, ok := inst.(module.ReplyHandler); ok {
			c.e.replyHandlers = append(c.e.replyHandlers, h)
		}
		isCore := name == "core"
		for _, f := range inst.Funcs() {
			c.funcs[f.Name] = append(c.funcs[f.Name], &funcEntry{fn: f, module: name, core: isCore})
		}
		if p, ok := inst.(module.PVProvider); ok {
			for _, cl := range p.PVs() {
				if owner, dup := c.pvOwner[cl.Name]; dup {
					c.errorf(Pos{File: c.cfg.File}, "pseudo-variable class $%s is exported by both module %s and module %s", cl.Name, owner, name)
					continue
				}
				c.pvClasses[cl.Name] = cl
				c.pvOwner[cl.Name] = name
			}
		}
		if p, ok := inst.(module.EventProvider); ok {
			for _, ev := range p.Events() {
				c.e.knownEvents = append(c.e.knownEvents, ev)
			}
		}
	}
	all := module.Names()
	for _, n := range all {
		if m, ok := module.Lookup(n); ok && m.Core {
			load(n, m, Pos{File: c.cfg.File})
		}
	}
	for _, lm := range c.cfg.Modules {
		name := moduleName(lm.Name)
		if lm.Name == "" {
			name = moduleName(lm.Path)
		}
		c.loadNames[strings.ToLower(name)] = true
		if lm.Dynamic && strings.Contains(lm.Path, "$") {
			c.errorf(lm.Pos, "loadmodulex with pseudo-variables in the module name is not supported; write the module name")
			continue
		}
		if seen[name] {
			continue // Kamailio ignores a second loadmodule of a module
		}
		m, ok := module.Lookup(name)
		if !ok {
			c.errorf(lm.Pos, "module %q is not built into olelo (built-in modules: %s)", name, strings.Join(builtinModules(), ", "))
			continue
		}
		load(name, m, lm.Pos)
	}
}

// linkModules lets the modules that use other modules find them.
func (c *compiler) linkModules() {
	for _, lm := range c.e.mods {
		l, ok := lm.inst.(module.Linker)
		if !ok {
			continue
		}
		if err := l.Link(c.e.Instance); err != nil {
			c.errorf(lm.pos, "module %s: %v", lm.name, err)
		}
	}
}

// builtinModules lists the registered modules that a loadmodule can name.
func builtinModules() []string {
	var out []string
	for _, n := range module.Names() {
		if m, ok := module.Lookup(n); ok && !m.Core {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func (c *compiler) modParams() {
	for _, mp := range c.cfg.ModParams {
		re, err := regexp.Compile("(?i)^(" + mp.Module + ")$")
		if err != nil {
			c.errorf(mp.Pos, "bad module name pattern %q in modparam: %s", mp.Module, regexpErr(err))
			continue
		}
		var value any
		switch v := mp.Value.(type) {
		case *IntLit:
			value = v.Value
		case *StrLit:
			value = v.Value
		default:
			c.errorf(mp.Value.Position(), "modparam value must be a number or a string, found %s", describeExpr(mp.Value))
			continue
		}
		matched := false
		for _, lm := range c.e.mods {
			if !re.MatchString(lm.name) {
				continue
			}
			matched = true
			params := module.Params(lm.inst)
			found := false
			for _, p := range params {
				if p.Name == mp.Param {
					found = true
				}
			}
			if !found {
				var names []string
				for _, p := range params {
					names = append(names, p.Name)
				}
				msg := fmt.Sprintf("module %s has no parameter %q", lm.name, mp.Param)
				if s := suggest(mp.Param, names); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				if len(names) == 0 {
					msg += " (it has no parameters)"
				} else {
					msg += " (its parameters: " + strings.Join(names, ", ") + ")"
				}
				c.errorf(mp.Pos, "%s", msg)
				continue
			}
			if err := module.SetParam(lm.inst, mp.Param, value); err != nil {
				c.errorf(mp.Value.Position(), "modparam %s %s: %v", lm.name, mp.Param, err)
			}
		}
		if !matched {
			// A module named by a loadmodule that is not built in was
			// already reported.
			for n := range c.loadNames {
				if re.MatchString(n) {
					matched = true
				}
			}
			if !matched {
				var loaded []string
				for _, lm := range c.e.mods {
					loaded = append(loaded, lm.name)
				}
				c.errorf(mp.Pos, "modparam for module %q, which is not loaded (loaded modules: %s)", mp.Module, strings.Join(loaded, ", "))
			}
		}
	}
}

// declareFlags numbers the flags declared with "flags NAME[:bit]".
func (c *compiler) declareFlags() {
	used := map[int64]bool{}
	for _, fd := range c.cfg.Flags {
		if fd.Keyword == "avpflags" {
			continue
		}
		for _, f := range fd.Flags {
			if f.Bit >= 0 {
				if f.Bit > 63 {
					c.errorf(f.Pos, "flag %s: bit %d is out of range (0-63)", f.Name, f.Bit)
				}
				c.flags[f.Name] = f.Bit
				used[f.Bit] = true
			}
		}
	}
	next := int64(0)
	for _, fd := range c.cfg.Flags {
		if fd.Keyword == "avpflags" {
			continue
		}
		for _, f := range fd.Flags {
			if f.Bit < 0 {
				for used[next] {
					next++
				}
				c.flags[f.Name] = next
				used[next] = true
			}
		}
	}
}

func (c *compiler) pvLookup(name string) (module.PVClass, bool) {
	cl, ok := c.pvClasses[name]
	return cl, ok
}

// ---- routes ----

func routeTypeOf(kind RouteKind, name string) module.RouteType {
	switch kind {
	case FailureRoute:
		return module.FailureRoute
	case ReplyRoute:
		if name == "" {
			return module.CoreReplyRoute
		}
		return module.OnReplyRoute
	case BranchRoute:
		return module.BranchRoute
	case OnSendRoute:
		return module.OnSendRoute
	case EventRoute:
		return module.EventRoute
	}
	return module.RequestRoute
}

func (c *compiler) compileRoutes() {
	// Create every route first so that calls can point at them.
	for _, r := range c.cfg.Routes {
		rt := &route{kind: r.Kind, name: r.Name, rt: routeTypeOf(r.Kind, r.Name), pos: r.Pos, e: c.e}
		m := c.e.routes[r.Kind]
		if m == nil {
			m = map[string]*route{}
			c.e.routes[r.Kind] = m
		}
		m[r.Name] = rt
		switch {
		case r.Kind == RequestRoute && r.Name == "":
			c.e.request = rt
		case r.Kind == ReplyRoute && r.Name == "":
			c.e.coreReply = rt
		case r.Kind == EventRoute:
			c.e.events[r.Name] = rt
			c.checkEventName(r)
		}
	}
	c.reachability()
	for _, r := range c.cfg.Routes {
		rt := c.e.routes[r.Kind][r.Name]
		c.cur = rt
		c.curRT = rt.rt
		c.curSub = r.Kind == RequestRoute && r.Name != ""
		if c.curSub {
			c.curRT = c.reached[r]
		}
		rt.body = c.block(r.Body)
	}
}

func (c *compiler) checkEventName(r *Route) {
	mod, _, ok := strings.Cut(r.Name, ":")
	if !ok || mod == "core" {
		return
	}
	for _, ev := range c.e.knownEvents {
		if ev == r.Name {
			return
		}
	}
	for _, lm := range c.e.mods {
		if lm.name == mod {
			return // the module may raise events it does not list
		}
	}
	if c.loadNames[strings.ToLower(mod)] {
		return
	}
	c.warnf(r.NamePos, "event_route[%s] will never run: module %s is not loaded", r.Name, mod)
}

// reachability computes, for each route[NAME] block, the route types of
// the top-level blocks that call it (directly or through other route[]
// blocks). A block never called statically counts as request_route.
func (c *compiler) reachability() {
	c.reached = map[*Route]module.RouteType{}
	calls := map[*Route][]*Route{}
	for _, r := range c.cfg.Routes {
		for _, s := range r.Body {
			Inspect(s, func(n Node) bool {
				if rc, ok := n.(*RouteCall); ok && rc.Target == nil {
					if t := c.cfg.Route(RequestRoute, rc.Name); t != nil {
						calls[r] = append(calls[r], t)
					}
				}
				return true
			})
		}
	}
	var visit func(r *Route, rt module.RouteType)
	visit = func(r *Route, rt module.RouteType) {
		for _, t := range calls[r] {
			if t.Name == "" || c.reached[t]&rt == rt {
				continue
			}
			c.reached[t] |= rt
			visit(t, rt)
		}
	}
	for _, r := range c.cfg.Routes {
		if r.Kind != RequestRoute || r.Name == "" {
			visit(r, routeTypeOf(r.Kind, r.Name))
		}
	}
	for _, r := range c.cfg.Routes {
		if r.Kind == RequestRoute && r.Name != "" && c.reached[r] == 0 {
			c.reached[r] = module.RequestRoute
		}
	}
}

// ---- function calls ----

// resolveCall finds the function a Call names and prepares its arguments.
func (c *compiler) resolveCall(call *Call) (*funcEntry, []*module.Arg, bool) {
	cands := c.funcs[call.Name]
	if len(cands) == 0 {
		c.errorf(call.Pos, "%s", c.unknownFunc(call.Name))
		return nil, nil, false
	}
	var fe *funcEntry
	for _, f := range cands {
		if len(f.fn.Args) == len(call.Args) {
			fe = f
			break
		}
	}
	if fe == nil {
		var ns []int
		seen := map[int]bool{}
		for _, f := range cands {
			if !seen[len(f.fn.Args)] {
				seen[len(f.fn.Args)] = true
				ns = append(ns, len(f.fn.Args))
			}
		}
		sort.Ints(ns)
		var parts []string
		for _, n := range ns {
			parts = append(parts, strconv.Itoa(n))
		}
		want := strings.Join(parts, " or ")
		if len(parts) > 2 {
			want = strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
		}
		noun := "arguments"
		if len(ns) == 1 && ns[0] == 1 {
			noun = "argument"
		}
		c.errorf(call.Pos, "function %s takes %s %s, not %d", call.Name, want, noun, len(call.Args))
		return nil, nil, false
	}
	if c.curRT != 0 && !allowedInAny(&fe.fn, c.curRT) {
		where := routeTypeNames(c.curRT)
		if c.curSub {
			c.warnf(call.Pos, "function %s cannot be used in %s (route[%s] is called from there)", call.Name, where, c.cur.name)
		} else {
			c.errorf(call.Pos, "function %s cannot be used in %s (it is allowed in %s)", call.Name, where, routeTypeNames(allowedMask(&fe.fn)))
			return nil, nil, false
		}
	}
	args := make([]*module.Arg, len(call.Args))
	ok := true
	for i, a := range call.Args {
		arg, good := c.prepareArg(call, i, fe.fn.Args[i], a)
		if !good {
			ok = false
		}
		args[i] = arg
	}
	if !ok {
		return nil, nil, false
	}
	if fe.fn.Check != nil {
		if err := fe.fn.Check(args); err != nil {
			c.errorf(call.Pos, "%s: %v", call.Name, err)
			return nil, nil, false
		}
	}
	return fe, args, true
}

func allowedMask(f *module.Func) module.RouteType {
	if f.Routes == 0 {
		return module.DefaultRoutes
	}
	return f.Routes
}

// allowedInAny reports whether f may be used in at least one of the route
// types of mask.
func allowedInAny(f *module.Func, mask module.RouteType) bool {
	for rt := module.RouteType(1); rt != 0 && rt <= module.CoreReplyRoute; rt <<= 1 {
		if mask&rt != 0 && f.AllowedIn(rt) {
			return true
		}
	}
	return false
}

var routeTypeNameList = []struct {
	rt   module.RouteType
	name string
}{
	{module.RequestRoute, "request_route"},
	{module.FailureRoute, "failure_route"},
	{module.OnReplyRoute, "onreply_route[NAME]"},
	{module.BranchRoute, "branch_route"},
	{module.OnSendRoute, "onsend_route"},
	{module.EventRoute, "event_route"},
	{module.CoreReplyRoute, "reply_route"},
}

func routeTypeNames(mask module.RouteType) string {
	if mask == module.AnyRoute {
		return "any route"
	}
	var names []string
	for _, r := range routeTypeNameList {
		if mask&r.rt != 0 {
			names = append(names, r.name)
		}
	}
	if len(names) == 0 {
		return "no route"
	}
	return strings.Join(names, ", ")
}

func (c *compiler) unknownFunc(name string) string {
	msg := fmt.Sprintf("unknown function %q", name)
	// Is it exported by a built-in module that is not loaded?
	for _, n := range module.Names() {
		loaded := false
		for _, lm := range c.e.mods {
			if lm.name == n {
				loaded = true
			}
		}
		if loaded {
			continue
		}
		m, _ := module.Lookup(n)
		for _, f := range m.New().Funcs() {
			if f.Name == name {
				return msg + fmt.Sprintf(" (is its module loaded? it is in module %s: add loadmodule \"%s.so\")", n, n)
			}
		}
	}
	var names []string
	for n := range c.funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	if s := suggest(name, names); s != "" {
		return msg + fmt.Sprintf(" (is its module loaded? did you mean %s?)", s)
	}
	return msg + " (is its module loaded? no built-in module provides it)"
}

// prepareArg converts argument i of call for a parameter of kind k.
func (c *compiler) prepareArg(call *Call, i int, k module.ArgKind, a Expr) (*module.Arg, bool) {
	arg := &module.Arg{Kind: k}
	bad := func(format string, args ...any) (*module.Arg, bool) {
		c.errorf(a.Position(), "argument %d of %s: %s", i+1, call.Name, fmt.Sprintf(format, args...))
		return arg, false
	}
	switch k {
	case module.ArgStr:
		switch v := a.(type) {
		case *StrLit:
			if !strings.Contains(v.Value, "$") {
				arg.Const, arg.Str = true, v.Value
				break
			}
			f, err := formatParse(v.Value, c.pvLookup)
			if err != nil {
				return bad("%v", err)
			}
			if s, ok := f.Constant(); ok {
				arg.Const, arg.Str = true, s
				break
			}
			arg.Expr = func(ctx *module.Ctx) (module.Value, error) {
				s, err := f.Eval(ctx)
				return module.StrValue(s), err
			}
		case *IntLit:
			arg.Const, arg.Str, arg.Int = true, strconv.FormatInt(v.Value, 10), v.Value
		case *Ident:
			arg.Const, arg.Str = true, v.Name
		case *IPLit:
			arg.Const, arg.Str = true, ipText(v)
		case *SocketAddr:
			arg.Const, arg.Str = true, socketAddrText(v)
		default:
			x, ok := c.expr(a)
			if !ok {
				return arg, false
			}
			if x.konst {
				arg.Const, arg.Str = true, x.val.String()
				break
			}
			arg.Expr = x.fn
		}
	case module.ArgInt:
		switch v := a.(type) {
		case *IntLit:
			arg.Const, arg.Int, arg.Str = true, v.Value, v.Text
		case *StrLit:
			if strings.Contains(v.Value, "$") {
				f, err := formatParse(v.Value, c.pvLookup)
				if err != nil {
					return bad("%v", err)
				}
				if _, isConst := f.Constant(); !isConst {
					arg.Expr = func(ctx *module.Ctx) (module.Value, error) {
						s, err := f.Eval(ctx)
						return module.StrValue(s), err
					}
					break
				}
			}
			n, ok := strToInt(v.Value)
			if !ok {
				return bad("expected an integer, found the string %q", v.Value)
			}
			arg.Const, arg.Int, arg.Str = true, n, v.Value
		case *Ident:
			bit, ok := c.flags[v.Name]
			if !ok {
				return bad("expected an integer, found the name %s (not a declared flag nor a #!define)", v.Name)
			}
			arg.Const, arg.Int, arg.Str = true, bit, strconv.FormatInt(bit, 10)
		default:
			x, ok := c.expr(a)
			if !ok {
				return arg, false
			}
			if x.typ == tStr && x.konst {
				return bad("expected an integer, found %s", describeExpr(a))
			}
			if x.konst {
				n, _ := valInt(x.val)
				arg.Const, arg.Int, arg.Str = true, n, strconv.FormatInt(n, 10)
				break
			}
			arg.Expr = x.fn
		}
	case module.ArgRegex:
		v, ok := a.(*StrLit)
		if !ok {
			return bad("expected a regular expression as a constant string, found %s", describeExpr(a))
		}
		re, err := regexp.Compile(v.Value)
		if err != nil {
			return bad("bad regular expression %q: %v", v.Value, regexpErr(err))
		}
		arg.Const, arg.Str, arg.Regex = true, v.Value, re
	case module.ArgPV:
		var text string
		switch v := a.(type) {
		case *PVar:
			text = v.Text
		case *StrLit:
			text = v.Value
		default:
			return bad("expected a writable pseudo-variable such as $var(x), found %s", describeExpr(a))
		}
		p, err := pvParse(text, c.pvLookup)
		if err != nil {
			return bad("%v", err)
		}
		sp, ok := p.(module.SettablePV)
		if !ok {
			return bad("%s is read-only; the function needs a pseudo-variable it can set", text)
		}
		arg.PV, arg.Str, arg.Const = sp, text, true
	case module.ArgRoute:
		var name string
		switch v := a.(type) {
		case *Ident:
			name = v.Name
		case *StrLit:
			name = v.Value
			if strings.Contains(name, "$") {
				f, err := formatParse(name, c.pvLookup)
				if err != nil {
					return bad("%v", err)
				}
				if _, isConst := f.Constant(); !isConst {
					arg.Expr = func(ctx *module.Ctx) (module.Value, error) {
						s, err := f.Eval(ctx)
						return module.StrValue(s), err
					}
					return arg, true
				}
			}
		case *IntLit:
			name = v.Text
		default:
			return bad("expected a route name, found %s", describeExpr(a))
		}
		if name == "0" {
			name = ""
		}
		if !c.routeExists(name) {
			return bad("no route block is named %q", name)
		}
		arg.Const, arg.Str = true, name
	}
	return arg, true
}

func (c *compiler) routeExists(name string) bool {
	for _, m := range c.e.routes {
		if _, ok := m[name]; ok {
			return true
		}
	}
	return false
}

// regexpErr shortens Go's regexp error text.
func regexpErr(err error) string {
	s := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
	if i := strings.LastIndex(s, ": `"); i >= 0 {
		s = s[:i]
	}
	return s
}

func ipText(v *IPLit) string {
	if v.Mask != "" {
		return v.Addr + "/" + v.Mask
	}
	return v.Addr
}

func socketAddrText(v *SocketAddr) string {
	var b strings.Builder
	if v.Proto != "" {
		b.WriteString(v.Proto)
		b.WriteByte(':')
	}
	if len(v.Hosts) == 1 {
		b.WriteString(v.Hosts[0])
	} else {
		b.WriteString("(" + strings.Join(v.Hosts, ",") + ")")
	}
	if v.Port != 0 {
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v.Port, 10))
		if v.PortEnd != 0 {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(v.PortEnd, 10))
		}
	}
	return b.String()
}

// describeExpr says what an expression is, for messages.
func describeExpr(e Expr) string {
	switch v := e.(type) {
	case *IntLit:
		return "the number " + v.Text
	case *StrLit:
		return strconv.Quote(v.Value)
	case *PVar:
		return "the pseudo-variable " + v.Text
	case *Ident:
		return "the name " + v.Name
	case *IPLit:
		return "the address " + ipText(v)
	case *Keyword:
		return "the keyword " + v.Name
	case *Call:
		return "a call of " + v.Name
	case *RouteCall:
		return "a route call"
	case *SocketList, *SocketAddr:
		return "a socket address"
	case *Select:
		return "the select " + v.Text
	}
	return "an expression"
}
