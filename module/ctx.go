package module

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// RouteType says which kind of route block is running; functions declare
// where they may be used with a mask of these.
type RouteType uint16

const (
	RequestRoute RouteType = 1 << iota
	FailureRoute
	OnReplyRoute // onreply_route[NAME] armed by t_on_reply (tm)
	BranchRoute
	OnSendRoute
	EventRoute
	CoreReplyRoute // reply_route / onreply_route without a name

	// AnyRoute allows a function everywhere.
	AnyRoute RouteType = 0xffff
)

// Host is what the running server provides to scripts and modules.
type Host interface {
	// Send sends bytes to a transport target.
	Send(ctx context.Context, t transport.Target, data []byte) error
	// ViaAddress returns the host and port to put in a Via (and a
	// Record-Route) for a message sent with proto from the socket local.
	ViaAddress(proto transport.Proto, local netip.AddrPort) (host string, port uint16)
	// IsMyself reports whether host and port name this server (one of its
	// listen addresses or aliases; port 0 matches any of its ports).
	// host may be a view of the message's bytes: valid during the call
	// only, never to be kept.
	IsMyself(host string, port uint16) bool
}

// Ctx is the execution context of one message through the script. The
// engine takes one from a pool per message and resets it; nothing in it
// outlives the message.
type Ctx struct {
	// Context is cancelled when the server shuts down.
	Context context.Context
	// Msg is the message being routed: a request in request, failure and
	// branch routes, a reply in reply routes. It also says where the
	// message came from (Remote, Local, Proto, ConnID).
	Msg   *core.Msg
	Route RouteType
	Host  Host
	Log   *slog.Logger

	// Flags are the message flags (setflag/resetflag/isflagset, 0-63).
	Flags uint64
	// BranchFlags are the flags of branch 0 (setbflag ...).
	BranchFlags uint64
	// RetCode is $rc / $retcode: the value returned by the last function
	// or route call.
	RetCode int64

	// NewURI is the Request-URI as changed by the script ($ru = ...,
	// seturi, rewritehost ...); empty means unchanged. Reads of $ru and
	// friends see it; a forward sends it.
	NewURI string
	// DstURI is $du: where to send the request instead of the
	// Request-URI's host (outbound proxy); empty when unset.
	DstURI string
	// Path is the Path vector of the Request-URI's branch, set by
	// registrar's lookup from the contact's stored Path (Kamailio's
	// path_vec): tm sends it as Route headers; empty when unset.
	Path string
	// ForceRPort makes the reply use the source port (force_rport()).
	ForceRPort bool

	// Dropped is set by the script's drop: whoever ran the route (the
	// core for a reply, tm for a branch or a provisional reply) discards
	// the message or branch.
	Dropped bool
	// Depth is the nesting of route(...) calls; the script engine keeps
	// it to enforce max_recursive_level.
	Depth int

	// Vars are the $var(name) script variables. Their lifetime is one
	// message (see pv/README.md for why olelo differs from Kamailio's
	// per-process lifetime).
	Vars map[string]Value
	// AVPs are the $avp(name) stacks; the last value added is index 0.
	AVPs map[string][]Value
	// XAVPs are the $xavp(name=>key) lists of key/value records.
	XAVPs map[string][]map[string]Value

	// Store is per-message storage for modules (keyed by a module's own
	// key type, as context values are).
	Store map[any]any

	// Branches are the additional branches of the destination set
	// (append_branch): the Request-URI (NewURI or the received one) is
	// branch 0, these are 1...n. tm forks to all of them in parallel.
	Branches []Branch

	// Routes runs other route blocks of the configuration this message
	// is routed by (failure_route, onreply_route[NAME], branch_route for
	// tm). The engine sets it; nil in contexts made up by tests.
	Routes RouteRunner
	// Tx is the transaction of the message when one exists for this run
	// (set by tm's t_relay, t_newtran, t_check_trans and in tm's routes):
	// send_reply replies through it (sl's bind_tm).
	Tx TxReplier
}

// Branch is one entry of the destination set beyond the Request-URI.
type Branch struct {
	URI    string // the branch's Request-URI
	DstURI string // its $du, empty when unset
	Q      int    // q value * 1000, -1 when unset
	Flags  uint64 // branch flags
	// Path is the Path vector of a registered contact (registrar's
	// lookup): comma-separated URIs that tm sends as Route headers.
	Path string
}

// RouteRunner runs route blocks by type and name; the script engine
// implements it. A module that runs routes later (tm) keeps the
// RouteRunner of the message it started with, so that a transaction
// finishes on the configuration it began on, even across a reload.
type RouteRunner interface {
	// AcquireCtx returns a reset context for msg in a route of type rt;
	// give it back with ReleaseCtx.
	AcquireCtx(ctx context.Context, msg *core.Msg, rt RouteType) *Ctx
	ReleaseCtx(c *Ctx)
	// RunNamedRoute runs the block of type rt (FailureRoute,
	// OnReplyRoute, BranchRoute, RequestRoute) named name with c. ok is
	// false when there is no such block.
	RunNamedRoute(c *Ctx, rt RouteType, name string) (ret int64, ok bool)
}

// TxReplier replies within the message's transaction (tm).
type TxReplier interface {
	// TReply sends a stateful reply and returns a script code (1 sent,
	// negative on error).
	TReply(c *Ctx, code int, reason string) int
}

// Reset clears c for the next message, keeping its maps' storage.
func (c *Ctx) Reset() {
	vars, avps, xavps, store, branches := c.Vars, c.AVPs, c.XAVPs, c.Store, c.Branches
	clear(vars)
	clear(avps)
	clear(xavps)
	clear(store)
	*c = Ctx{Vars: vars, AVPs: avps, XAVPs: xavps, Store: store, Branches: branches[:0]}
}

// ParseRequestURI parses the current Request-URI (RequestURI) without
// copying it: the received one is parsed once per message by the
// message itself, a rewritten one is read in place (sip.ParseURIString:
// treat the URI's slices as read-only).
func (c *Ctx) ParseRequestURI() (sip.URI, error) {
	if c.NewURI != "" || c.Msg == nil {
		return sip.ParseURIString(c.NewURI)
	}
	u, err := c.Msg.RequestURI()
	if err != nil {
		return sip.URI{}, err
	}
	return *u, nil
}

// RequestURI returns the current Request-URI: the script's NewURI when
// set, else the one received.
func (c *Ctx) RequestURI() string {
	if c.NewURI != "" {
		return c.NewURI
	}
	if c.Msg == nil {
		return ""
	}
	return string(c.Msg.RequestURIBytes())
}
