package script

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
)

// Engine is a compiled configuration, ready to route messages. It
// implements core.Handler.
//
// An Engine does not change after Compile (Start only records the Host
// and starts the modules), so a server can reload its configuration by
// compiling a new Engine, starting it, and swapping an atomic pointer to
// it: messages in flight finish on the old one, which is then stopped.
// Every method may be called from many goroutines at once.
type Engine struct {
	// Settings are the global parameters.
	Settings Settings
	// Warnings are problems that do not stop the configuration from
	// running (the parser's and the compiler's), sorted by position.
	Warnings ErrorList

	opt  CompileOptions
	log  *slog.Logger
	host module.Host
	mods []*loadedModule
	// The hooks of the loaded modules, found once at compile time so that
	// dispatch does not type-assert every module for every message.
	preRouters    []module.PreRouter
	replyHandlers []module.ReplyHandler

	routes      map[RouteKind]map[string]*route
	request     *route
	coreReply   *route
	events      map[string]*route
	knownEvents []string

	pool sync.Pool // *module.Ctx
}

// route is a compiled route block.
type route struct {
	kind RouteKind
	name string
	rt   module.RouteType
	pos  Pos
	body []action
	e    *Engine
}

var _ core.Handler = (*Engine)(nil)

func (e *Engine) initPool() {
	e.pool.New = func() any { return new(module.Ctx) }
}

// Modules returns the names of the loaded modules in load order (the core
// modules first).
func (e *Engine) Modules() []string {
	out := make([]string, len(e.mods))
	for i, m := range e.mods {
		out[i] = m.name
	}
	return out
}

// Instance returns the instance of a loaded module, for the server to
// reach module state (nil when the module is not loaded).
func (e *Engine) Instance(name string) module.Instance {
	for _, m := range e.mods {
		if m.name == name {
			return m.inst
		}
	}
	return nil
}

// RPCs returns the RPC commands of the loaded modules, in load order.
func (e *Engine) RPCs() []module.RPC {
	var out []module.RPC
	for _, m := range e.mods {
		if p, ok := m.inst.(module.RPCProvider); ok {
			out = append(out, p.RPCs()...)
		}
	}
	return out
}

// Start records the host and starts the modules that need it, in load
// order. If one fails, those already started are stopped.
func (e *Engine) Start(ctx context.Context, h module.Host) error {
	if h != nil {
		e.host = h
	}
	for _, m := range e.mods {
		if u, ok := m.inst.(module.EventUser); ok {
			u.SetEventRunner(e)
		}
	}
	for i, m := range e.mods {
		s, ok := m.inst.(module.Starter)
		if !ok {
			continue
		}
		if err := s.Start(ctx, e.host); err != nil {
			e.stopModules(i)
			return fmt.Errorf("module %s: %w", m.name, err)
		}
	}
	return nil
}

// Stop stops the modules, in reverse load order.
func (e *Engine) Stop() error {
	return e.stopModules(len(e.mods))
}

func (e *Engine) stopModules(n int) error {
	var errs []error
	for i := n - 1; i >= 0; i-- {
		m := e.mods[i]
		if s, ok := m.inst.(module.Stopper); ok {
			if err := s.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("module %s: %w", m.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// AcquireCtx takes a reset context from the engine's pool and prepares it
// for msg in a route of type rt. Release it with ReleaseCtx.
func (e *Engine) AcquireCtx(ctx context.Context, msg *core.Msg, rt module.RouteType) *module.Ctx {
	c, _ := e.pool.Get().(*module.Ctx)
	if c == nil {
		c = new(module.Ctx)
	}
	c.Context = ctx
	c.Msg = msg
	c.Route = rt
	c.Host = e.host
	c.Log = e.log
	c.Routes = e
	return c
}

// ReleaseCtx resets c and returns it to the pool.
func (e *Engine) ReleaseCtx(c *module.Ctx) {
	c.Reset()
	e.pool.Put(c)
}

// HandleRequest runs request_route for a received request.
func (e *Engine) HandleRequest(ctx context.Context, req *core.Msg) {
	if e.request == nil {
		return
	}
	c := e.AcquireCtx(ctx, req, module.RequestRoute)
	for _, p := range e.preRouters {
		if !p.PreRoute(c) {
			e.ReleaseCtx(c)
			return
		}
	}
	e.runTop(c, e.request)
	e.ReleaseCtx(c)
}

// HandleResponse runs the core reply route (reply_route, or onreply_route
// without a name) for a received reply, then forwards the reply with
// CompileOptions.ForwardReply unless the route returned 0 or less, or
// dropped it (as Kamailio does).
func (e *Engine) HandleResponse(ctx context.Context, resp *core.Msg) {
	forward := true
	if e.coreReply != nil {
		c := e.AcquireCtx(ctx, resp, module.CoreReplyRoute)
		ret := e.runTop(c, e.coreReply)
		forward = ret > 0 && !c.Dropped
		e.ReleaseCtx(c)
	}
	if !forward {
		return
	}
	// Transaction modules (tm) take the replies that match theirs.
	for _, h := range e.replyHandlers {
		if h.HandleReply(ctx, resp) {
			return
		}
	}
	if e.opt.ForwardReply != nil {
		e.opt.ForwardReply(ctx, resp)
	}
}

var _ module.RouteRunner = (*Engine)(nil)

// RunNamedRoute implements module.RouteRunner: it runs the block of the
// route type rt named name (see RunRoute).
func (e *Engine) RunNamedRoute(c *module.Ctx, rt module.RouteType, name string) (int64, bool) {
	var kind RouteKind
	switch rt {
	case module.FailureRoute:
		kind = FailureRoute
	case module.OnReplyRoute:
		kind = ReplyRoute
	case module.BranchRoute:
		kind = BranchRoute
	case module.RequestRoute:
		kind = RequestRoute
	default:
		return 0, false
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return e.RunRoute(ctx, kind, name, c)
}

// HasEvent reports whether the configuration has event_route[name].
func (e *Engine) HasEvent(name string) bool {
	_, ok := e.events[name]
	return ok
}

// RunEvent runs event_route[name] with msg (which may be nil, or a
// message made up by the caller). ran is false when there is no such
// block; dropped says the route ran drop.
func (e *Engine) RunEvent(ctx context.Context, name string, msg *core.Msg) (ret int64, dropped, ran bool) {
	r := e.events[name]
	if r == nil {
		return 0, false, false
	}
	c := e.AcquireCtx(ctx, msg, module.EventRoute)
	ret = e.runTop(c, r)
	dropped = c.Dropped
	e.ReleaseCtx(c)
	return ret, dropped, true
}

// RunRoute runs the route block of the given kind and name (failure_route,
// onreply_route[NAME], branch_route ... for tm) with a context the caller
// prepared (AcquireCtx, or its own). It sets c.Route to the block's type,
// resets $rc and Dropped, and returns the route's value; the caller reads
// c.Dropped after. ok is false when there is no such block.
func (e *Engine) RunRoute(ctx context.Context, kind RouteKind, name string, c *module.Ctx) (ret int64, ok bool) {
	if name == "0" {
		name = ""
	}
	r := e.routes[kind][name]
	if r == nil {
		return 0, false
	}
	if c.Context == nil {
		c.Context = ctx
	}
	if c.Host == nil {
		c.Host = e.host
	}
	if c.Log == nil {
		c.Log = e.log
	}
	if c.Routes == nil {
		c.Routes = e
	}
	saved := c.Route
	c.Route = r.rt
	c.Dropped = false
	ret = e.runTop(c, r)
	c.Route = saved
	return ret, true
}

// runTop runs a top-level route: $rc starts at 0; a panic in a module
// function is logged and ends the route.
func (e *Engine) runTop(c *module.Ctx, r *route) (ret int64) {
	defer func() {
		if p := recover(); p != nil {
			ret = -1
			ctxLog(c).Error(fmt.Sprintf("%s: panic while running %s: %v", r.pos, r.describe(), p), "stack", string(debug.Stack()))
		}
	}()
	c.RetCode = 0
	c.Depth = 0
	ret, _ = runBlock(c, r.body)
	return ret
}

// callRoute runs route(NAME): return and break end it, exit and drop
// pass through; its value goes to $rc.
func (e *Engine) callRoute(c *module.Ctx, r *route, at Pos) (int64, flow) {
	if int64(c.Depth) >= e.Settings.MaxRecursiveLevel {
		ctxLog(c).Error(fmt.Sprintf("%s: too many nested route calls (max_recursive_level %d)", at, e.Settings.MaxRecursiveLevel))
		return -1, flowNext
	}
	c.Depth++
	ret, f := runBlock(c, r.body)
	c.Depth--
	if f == flowExit {
		return ret, flowExit
	}
	c.RetCode = ret
	return ret, flowNext
}

func (r *route) describe() string {
	kw := r.kind.String()
	if r.kind == RequestRoute && r.name != "" {
		kw = "route"
	}
	if r.name != "" {
		return kw + "[" + r.name + "]"
	}
	return kw
}
