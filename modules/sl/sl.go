package sl

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"log/slog"
	"sync"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// ServerHeader is added to every local reply. The server may change it
// (server_header=, server_signature=no makes it empty).
var ServerHeader = "Server: olelo\r\n"

// tagPrefix is the fixed first part of the To-tag of stateless replies:
// 32 hex digits, then a '.' and a hash of the request (the same shape as
// Kamailio's, so that a tag can be recognised on the ACK).
var tagPrefix = func() string {
	sum := md5.Sum([]byte("olelo-stateless"))
	return hex.EncodeToString(sum[:]) + "."
}()

// ErrACK is returned by Reply for an ACK, which is never answered.
var ErrACK = errors.New("sl: an ACK is not answered")

// ErrNotRequest is returned by Reply when the message is a reply.
var ErrNotRequest = errors.New("sl: the message is not a request")

// ToTag appends the To-tag of a stateless reply to req: a fixed prefix
// and a CRC of the Call-ID, the From tag and the top Via branch, so that
// a retransmitted request gets the same tag.
func ToTag(dst []byte, req *sip.Message) []byte {
	crc := crc32.Update(0, crc32.IEEETable, req.CallID())
	crc = crc32.Update(crc, crc32.IEEETable, req.FromTag())
	if v, err := req.TopVia(); err == nil {
		crc = crc32.Update(crc, crc32.IEEETable, v.Branch)
	}
	dst = append(dst, tagPrefix...)
	var b [4]byte
	b[0], b[1], b[2], b[3] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return hex.AppendEncode(dst, b[:])
}

// IsLocalACK reports whether req is an ACK for a reply sl sent (its
// To-tag is one of ours). Kamailio's sl drops such ACKs before the
// script runs; the server can do the same with this.
func IsLocalACK(req *sip.Message) bool {
	if req.Method() != sip.MethodACK {
		return false
	}
	tag := req.ToTag()
	return len(tag) == len(tagPrefix)+8 && string(tag[:len(tagPrefix)]) == tagPrefix
}

type replyHeadersKey struct{}

// AppendToReply records header lines (each ending in CRLF) to add to the
// next local reply to this message (textops' append_to_reply).
func AppendToReply(c *module.Ctx, lines string) {
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	prev, _ := c.Store[replyHeadersKey{}].(string)
	c.Store[replyHeadersKey{}] = prev + lines
}

// ExtraReplyHeaders returns the header lines AppendToReply recorded for
// the message of c ("" when none); tm adds them to its replies.
func ExtraReplyHeaders(c *module.Ctx) string {
	s, _ := c.Store[replyHeadersKey{}].(string)
	return s
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Reply sends a stateless reply to the request of c (RFC 3261 8.2.6),
// to where RFC 3261 18.2.2 and RFC 3581 say (the source port when
// force_rport() was called). o may be nil; Reply adds the To-tag, the
// headers recorded by AppendToReply, a Contact with the new
// Request-URI for a 3xx when the script changed it, and ServerHeader.
func Reply(c *module.Ctx, code int, reason string, o *sip.ReplyOptions) error {
	req := c.Msg
	if !req.IsRequest() {
		return ErrNotRequest
	}
	if req.Method() == sip.MethodACK {
		return ErrACK
	}
	var opts sip.ReplyOptions
	if o != nil {
		opts = *o
	}
	var tag [64]byte
	if opts.ToTag == nil {
		opts.ToTag = ToTag(tag[:0], req.Message)
	}
	hdrs := bufPool.Get().(*[]byte)
	defer bufPool.Put(hdrs)
	h := append((*hdrs)[:0], opts.Headers...)
	if code >= 300 && code < 400 && c.NewURI != "" {
		h = append(h, "Contact: <"...)
		h = append(h, c.NewURI...)
		h = append(h, ">\r\n"...)
	}
	if extra, ok := c.Store[replyHeadersKey{}].(string); ok {
		h = append(h, extra...)
	}
	h = append(h, ServerHeader...)
	*hdrs = h
	opts.Headers = h

	t, err := Target(c)
	if err != nil {
		return err
	}
	out := bufPool.Get().(*[]byte)
	defer bufPool.Put(out)
	*out = sip.AppendReply((*out)[:0], req.Message, code, reason, &opts)
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return c.Host.Send(ctx, t, *out)
}

// Target returns where a reply to the request of c goes.
func Target(c *module.Ctx) (transport.Target, error) {
	t, err := c.Msg.ReplyTarget()
	if err == nil && c.ForceRPort && !t.Proto.Reliable() {
		t.Addr = c.Msg.Remote
	}
	return t, err
}

// send is the common part of the script functions: 1 sent, -1 not.
func send(c *module.Ctx, code int, reason string) int {
	if code < 100 || code > 699 {
		logger(c).Error("sl: invalid reply code", "code", code)
		return -1
	}
	if err := Reply(c, code, reason, nil); err != nil {
		if !errors.Is(err, ErrACK) {
			logger(c).Error("sl: cannot send reply", "code", code, "err", err)
		}
		return -1
	}
	return 1
}

func runReply(c *module.Ctx, args []*module.Arg) int {
	code, err := args[0].GetInt(c)
	if err != nil {
		logger(c).Error("sl: bad reply code", "err", err)
		return -1
	}
	reason, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	return send(c, int(code), reason)
}

// SendReply replies to the request of c with extra header lines
// (each ending in CRLF; "" for none), as send_reply does: through the
// request's transaction when this run has one (tm sets Ctx.Tx), else
// statelessly. It returns a script code: 1 sent, -1 not. Modules that
// answer a request themselves (auth's challenges, registrar's replies)
// send through it.
func SendReply(c *module.Ctx, code int, reason, headers string) int {
	if c.Tx != nil {
		if headers != "" {
			AppendToReply(c, headers)
		}
		return c.Tx.TReply(c, code, reason)
	}
	if err := Reply(c, code, reason, &sip.ReplyOptions{Headers: []byte(headers)}); err != nil {
		logger(c).Error("sl: cannot send the reply", "code", code, "err", err)
		return -1
	}
	return 1
}

// runSendReply is send_reply: stateful when the message has a
// transaction in this run (tm sets Ctx.Tx), else stateless.
func runSendReply(c *module.Ctx, args []*module.Arg) int {
	if c.Tx == nil {
		return runReply(c, args)
	}
	code, err := args[0].GetInt(c)
	if err != nil || code < 100 || code > 699 {
		logger(c).Error("sl: bad reply code", "err", err)
		return -1
	}
	reason, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	return c.Tx.TReply(c, int(code), reason)
}

// runReplyError answers with the last internal error. olelo records none
// yet, so this is Kamailio's reply when there is no specific one.
func runReplyError(c *module.Ctx, _ []*module.Arg) int {
	if c.Tx != nil {
		// The transaction has answered already when t_relay failed;
		// tm refuses a second final reply, as Kamailio's does.
		return c.Tx.TReply(c, 500, "I'm terribly sorry, server error occurred (1/SL)")
	}
	return send(c, 500, "I'm terribly sorry, server error occurred (1/SL)")
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
