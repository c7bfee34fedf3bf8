package tm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	mcore "github.com/olelo-sip/olelo/modules/core"
	"github.com/olelo-sip/olelo/sip"
	txn "github.com/olelo-sip/olelo/tm"
)

// LocalRequest is a request olelo sends on its own through tm (the
// dispatcher's keepalives): Kamailio's tm API t_request for modules.
type LocalRequest struct {
	Method string // "OPTIONS"
	URI    string // Request-URI; also where it goes unless NextHop is set
	// From and To are the header values; From gets a tag.
	From, To string
	// Headers are extra header lines, each ending in CRLF.
	Headers     string
	ContentType string
	Body        []byte
	// NextHop is the URI of an outbound proxy to send through; empty
	// sends to URI.
	NextHop string
	// Local is the socket to send from; zero lets the transport choose.
	Local netip.AddrPort
	// Host sends the request (the running server, a module's Start
	// argument).
	Host module.Host
}

// ErrNoHost is returned by Request when the request has no Host or tm
// is not started.
var ErrNoHost = errors.New("tm: local request needs a started tm and a Host")

// Request sends a local request as a client transaction (retransmitted
// over UDP, ended by fr_timer) and calls done once with the final reply,
// or with 408 and a nil reply on timeout. resp is valid only during the
// call. An error means nothing was sent (bad URI, unresolvable host,
// send failure) and done is not called.
func (m *Instance) Request(ctx context.Context, r LocalRequest, done func(code int, resp *sip.Message)) error {
	mgr := m.Manager()
	if mgr == nil || r.Host == nil {
		return ErrNoHost
	}
	hop := r.NextHop
	if hop == "" {
		hop = r.URI
	}
	// Destination resolves like t_relay does; it reads only the context
	// and the protocol of the message from c.
	c := &module.Ctx{Context: ctx, Msg: &core.Msg{Message: new(sip.Message)}, Host: r.Host}
	t, err := mcore.Destination(c, hop, 0)
	if err != nil {
		return fmt.Errorf("tm: local %s to %s: %w", r.Method, hop, err)
	}
	if r.Local.IsValid() {
		t.Local = r.Local
	}
	vh, vp := r.Host.ViaAddress(t.Proto, t.Local)
	lr := txn.LocalRequest{
		Method: r.Method, URI: r.URI, From: r.From, To: r.To, Headers: r.Headers,
		ContentType: r.ContentType, Body: r.Body, Dst: t, ViaHost: vh, ViaPort: vp,
		Timeout: ms(m.FrTimer),
	}
	if err := mgr.SendLocal(ctx, lr, done); err != nil {
		return fmt.Errorf("tm: local %s to %s: %w", r.Method, hop, err)
	}
	return nil
}
