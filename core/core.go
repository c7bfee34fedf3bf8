package core

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// Handler routes messages that passed the core checks. The *Msg and the
// message it holds are only valid during the call; a handler that keeps
// them must copy what it needs.
type Handler interface {
	HandleRequest(ctx context.Context, req *Msg)
	HandleResponse(ctx context.Context, resp *Msg)
}

// Sender sends bytes to a transport target. *transport.Manager is one.
type Sender interface {
	Send(ctx context.Context, t transport.Target, data []byte) error
}

// Msg is a received message with where it came from.
type Msg struct {
	*sip.Message
	Proto  transport.Proto
	Remote netip.AddrPort
	Local  netip.AddrPort
	ConnID uint64

	core *Core
	out  []byte
}

// Stats are the core's counters, read with Core.Stats.
type Stats struct {
	Requests, Responses uint64
	Dropped             uint64 // unparsable messages and responses that failed the checks
	Rejected            uint64 // requests answered with an error by the core itself
	ReplyErrors         uint64 // replies that could not be sent
}

// Core is the receive loop. It implements transport.Handler.
type Core struct {
	handler Handler
	sender  Sender
	log     *slog.Logger

	pool sync.Pool // *Msg with a reusable sip.Message and output buffer

	requests, responses, dropped, rejected, replyErrors atomic.Uint64
}

// New returns a Core that sends with s and routes with h. SetSender can
// provide s later (the transport manager needs the Core as its handler
// before it exists).
func New(h Handler, s Sender, log *slog.Logger) *Core {
	if log == nil {
		log = slog.Default()
	}
	c := &Core{handler: h, sender: s, log: log}
	c.pool.New = func() any { return &Msg{Message: new(sip.Message), core: c} }
	return c
}

// SetSender sets the sender; call it before the transports start.
func (c *Core) SetSender(s Sender) { c.sender = s }

// Stats returns a snapshot of the counters.
func (c *Core) Stats() Stats {
	return Stats{
		Requests: c.requests.Load(), Responses: c.responses.Load(), Dropped: c.dropped.Load(),
		Rejected: c.rejected.Load(), ReplyErrors: c.replyErrors.Load(),
	}
}

// HandlePacket implements transport.Handler.
func (c *Core) HandlePacket(ctx context.Context, p *transport.Packet) {
	x := c.pool.Get().(*Msg)
	defer func() {
		x.Message.Reset()
		x.out = x.out[:0]
		c.pool.Put(x)
	}()
	x.Proto, x.Remote, x.Local, x.ConnID = p.Proto, p.Remote, p.Local, p.ConnID

	framing := sip.Datagram
	if p.Proto.Stream() {
		framing = sip.Stream
	}
	err := x.Parse(p.Data, framing)
	if err == nil {
		err = x.Validate()
	}
	// A request whose start line did not parse cannot be answered; one
	// with a bad version (505) or bad headers can, if its Via is usable.
	if !x.IsRequest() || x.Version() == nil {
		// A response, or bytes whose start line did not even parse.
		if err != nil {
			c.dropped.Add(1)
			c.log.Debug("dropping unparsable message", "from", p.Remote, "proto", p.Proto, "err", err)
			return
		}
		c.responses.Add(1)
		c.handler.HandleResponse(ctx, x)
		return
	}
	if err != nil {
		c.reject(ctx, x, err)
		return
	}
	c.requests.Add(1)
	c.applyReceived(x)
	c.handler.HandleRequest(ctx, x)
}

// applyReceived records received and rport on the top Via (RFC 3261
// 18.2.1, RFC 3581 4): received when the sent-by host is not the packet's
// source address, rport when the client asked for it.
func (c *Core) applyReceived(x *Msg) {
	v, err := x.TopVia()
	if err != nil {
		return
	}
	src := x.Remote.Addr().Unmap()
	var ipbuf [64]byte
	var received []byte
	if host, ok := parseIPHost(v.Host); !ok || host != src {
		received = src.AppendTo(ipbuf[:0])
	}
	if received != nil || (v.HasRPort && len(v.RPort) == 0) {
		_ = x.SetViaReceived(received, int(x.Remote.Port()), false)
	}
}

// parseIPHost parses a Via sent-by host that is an IP literal ("[v6]" or
// v4).
func parseIPHost(h []byte) (netip.Addr, bool) {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	// A view of h, not a copy: ParseAddr keeps its input only in the
	// error, which is dropped here, so nothing outlives the message.
	a, err := netip.ParseAddr(sip.StringView(h))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// reject answers a request that failed parsing or validation, when the
// request is well-formed enough to be answered (an ACK never is answered;
// without a usable Via there is nowhere to send the reply).
func (c *Core) reject(ctx context.Context, x *Msg, err error) {
	c.rejected.Add(1)
	var pe *sip.ParseError
	if !errors.As(err, &pe) {
		pe = &sip.ParseError{Status: 400, Reason: "Bad Request", Detail: err.Error()}
	}
	c.log.Info("rejecting request", "from", x.Remote, "proto", x.Proto, "status", pe.Status, "err", pe.Detail)
	if x.Method() == sip.MethodACK {
		return
	}
	for _, id := range [...]sip.HeaderID{sip.HdrVia, sip.HdrFrom, sip.HdrTo, sip.HdrCallID, sip.HdrCSeq} {
		if !x.Has(id) {
			return
		}
	}
	if _, verr := x.TopVia(); verr != nil {
		return
	}
	c.applyReceived(x)
	if rerr := x.Reply(ctx, pe.Status, pe.Reason, nil); rerr != nil {
		c.log.Debug("could not send error reply", "to", x.Remote, "err", rerr)
	}
}

// ReplyTarget returns where a reply to the request goes (RFC 3261 18.2.2
// with RFC 3581): the same connection for stream transports; for UDP the
// source address, at the rport when the client asked for one, else at the
// sent-by port (default 5060).
func (x *Msg) ReplyTarget() (transport.Target, error) {
	t := transport.Target{Proto: x.Proto, Addr: x.Remote, ConnID: x.ConnID, Local: x.Local}
	if x.Proto.Reliable() {
		return t, nil
	}
	v, err := x.TopVia()
	if err != nil {
		return t, err
	}
	if !v.HasRPort {
		port := v.Port
		if port == 0 {
			port = 5060
		}
		t.Addr = netip.AddrPortFrom(x.Remote.Addr(), port)
	}
	return t, nil
}

// Reply sends a locally generated reply to the request (see
// sip.AppendReply for what it contains).
func (x *Msg) Reply(ctx context.Context, status int, reason string, o *sip.ReplyOptions) error {
	t, err := x.ReplyTarget()
	if err != nil {
		return err
	}
	x.out = sip.AppendReply(x.out[:0], x.Message, status, reason, o)
	if err := x.core.sender.Send(ctx, t, x.out); err != nil {
		x.core.replyErrors.Add(1)
		return err
	}
	return nil
}
