package module

import (
	"sync"

	"github.com/olelo-sip/olelo/transport"
)

// RequestRewriter adjusts a request a module changed during the script
// once the transport target it is forwarded to is known (rr's
// Record-Route depends on the outgoing transport, which a later $du,
// lookup() or t_relay may decide). msg is the request as c.Msg.AppendTo
// writes it (request line, headers and body, without the Via of this
// hop); it may be nil, in which case a rewriter that has a change to make
// serializes c.Msg itself. It returns the new bytes and true, or false
// when it has nothing to change (the common case, which must be cheap).
type RequestRewriter func(c *Ctx, t transport.Target, msg []byte) ([]byte, bool)

var (
	rewritersMu sync.RWMutex
	rewriters   []RequestRewriter
)

// RegisterRequestRewriter adds a rewriter; modules call it from init.
func RegisterRequestRewriter(r RequestRewriter) {
	rewritersMu.Lock()
	defer rewritersMu.Unlock()
	rewriters = append(rewriters, r)
}

// RewriteRequest runs the registered rewriters on a request about to be
// forwarded to t (the core's forward, tm's branches). It returns the new
// bytes and true when one of them changed the request; otherwise msg and
// false.
func RewriteRequest(c *Ctx, t transport.Target, msg []byte) ([]byte, bool) {
	rewritersMu.RLock()
	rs := rewriters
	rewritersMu.RUnlock()
	changed := false
	for _, r := range rs {
		if out, ok := r(c, t, msg); ok {
			msg, changed = out, true
		}
	}
	return msg, changed
}
