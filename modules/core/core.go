package core

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/xlog"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// forwardProtos are the forward actions and the transport each forces
// (0: from the destination URI).
var forwardProtos = []struct {
	name  string
	proto transport.Proto
}{
	{"forward", 0},
	{"forward_udp", transport.ProtoUDP},
	{"forward_tcp", transport.ProtoTCP},
	{"forward_tls", transport.ProtoTLS},
	{"forward_sctp", transport.ProtoSCTP},
}

// Resolver resolves destination host names; tests replace it.
var Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
} = net.DefaultResolver

// destination is where a forwarded request goes.
type destination struct {
	proto  transport.Proto // 0: from the URI, else UDP (TLS for sips:)
	host   string          // as written, IPv6 without brackets
	port   uint16          // 0: the default of the protocol
	secure bool            // sips: URI
}

// runForward returns the Run of a forward action with nargs arguments.
func runForward(force transport.Proto, nargs int) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		if !c.Msg.IsRequest() {
			return -1
		}
		var dst destination
		var err error
		if nargs == 0 {
			dst, err = uriDestination(c, "")
		} else {
			dst, err = argDestination(c, args)
		}
		var t transport.Target
		if err == nil {
			t, err = target(c, dst, force)
		}
		if err == nil {
			err = Forward(c, t)
		}
		if err != nil {
			logger(c).Error("forward failed", "err", err)
			return -1
		}
		return 1
	}
}

// Destination returns where to send the message of c for a URI: uri, or
// when empty $du, else the Request-URI. The transport is force when not
// 0, else the URI's transport parameter, else UDP (TLS for sips:); the
// port is the URI's, else 5060 (5061 for TLS). The host is resolved.
func Destination(c *module.Ctx, uri string, force transport.Proto) (transport.Target, error) {
	dst, err := uriDestination(c, uri)
	if err != nil {
		return transport.Target{}, err
	}
	return target(c, dst, force)
}

// uriDestination reads a destination URI: uri, else $du, else the
// Request-URI.
func uriDestination(c *module.Ctx, raw string) (destination, error) {
	if raw == "" {
		raw = c.DstURI
	}
	var u sip.URI
	var err error
	if raw != "" {
		u, err = sip.ParseURIString(raw)
	} else {
		u, err = c.ParseRequestURI()
	}
	if err != nil {
		return destination{}, err
	}
	if u.Scheme != sip.SchemeSIP && u.Scheme != sip.SchemeSIPS {
		return destination{}, fmt.Errorf("cannot send to a %q URI", u.SchemeRaw)
	}
	d := destination{host: unbracket(string(u.Host)), port: u.Port, secure: u.Scheme == sip.SchemeSIPS}
	if len(u.Transport) > 0 {
		p, err := transport.ParseProto(string(u.Transport))
		if err != nil {
			return d, err
		}
		d.proto = p
	}
	return d, nil
}

// argDestination reads forward(host) and forward(host, port).
func argDestination(c *module.Ctx, args []*module.Arg) (destination, error) {
	host, err := args[0].GetStr(c)
	if err != nil {
		return destination{}, err
	}
	d := destination{host: unbracket(host)}
	if len(args) > 1 {
		p, err := args[1].GetInt(c)
		if err != nil {
			return d, err
		}
		if p < 0 || p > 65535 {
			return d, fmt.Errorf("port %d out of range", p)
		}
		d.port = uint16(p)
	}
	return d, nil
}

// target applies the defaults to d and resolves its host.
func target(c *module.Ctx, d destination, force transport.Proto) (transport.Target, error) {
	if force != 0 {
		d.proto = force
	}
	if d.proto == 0 {
		d.proto = transport.ProtoUDP
		if d.secure {
			d.proto = transport.ProtoTLS
		}
	}
	if d.port == 0 {
		d.port = 5060
		if d.secure || d.proto.Secure() {
			d.port = 5061
		}
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ip, err := resolve(ctx, d.host)
	if err != nil {
		return transport.Target{}, fmt.Errorf("cannot resolve %s: %w", d.host, err)
	}
	t := transport.Target{Proto: d.proto, Addr: netip.AddrPortFrom(ip, d.port)}
	if c.Msg.Proto == d.proto {
		t.Local = c.Msg.Local
	}
	if d.proto.Secure() {
		if _, err := netip.ParseAddr(d.host); err != nil {
			t.ServerName = d.host
		}
	}
	return t, nil
}

func unbracket(h string) string {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}

// resolve returns the address of host: an IP literal as is, else the first
// IPv4 address from DNS (the first IPv6 one when there is none). SRV and
// NAPTR are not used yet.
func resolve(ctx context.Context, host string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), nil
	}
	ips, err := Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			return ip.Unmap(), nil
		}
	}
	if len(ips) == 0 {
		return netip.Addr{}, errors.New("no address for " + host)
	}
	return ips[0], nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

type localRPortKey struct{}

// Forward sends the request of c statelessly (RFC 3261 16.11) to t: the
// script's edits applied, the Request-URI replaced by the script's new
// one, and a Via of ours on top whose branch is derived from the
// request, so that a retransmission is forwarded with the same branch.
// Max-Forwards is left alone, as in Kamailio (maxfwd's
// mf_process_maxfwd_header decrements it). The message itself is not
// changed.
func Forward(c *module.Ctx, t transport.Target) error { return send(c, t, true) }

// SendAsIs sends the request of c to t with the script's edits and new
// Request-URI but without a Via of ours (corex's send_udp, send_tcp).
func SendAsIs(c *module.Ctx, t transport.Target) error { return send(c, t, false) }

func send(c *module.Ctx, t transport.Target, via bool) error {
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	tmp := bufPool.Get().(*[]byte)
	out := bufPool.Get().(*[]byte)
	defer bufPool.Put(tmp)
	defer bufPool.Put(out)
	msg := c.Msg.AppendTo((*tmp)[:0])
	*tmp = msg
	// Modules may finish the request now that t is known (rr's
	// Record-Route for the outgoing transport).
	if via {
		msg, _ = module.RewriteRequest(c, t, msg)
	}

	// Request line, with the new Request-URI.
	eol := bytes.IndexByte(msg, '\n')
	if eol < 0 {
		return errors.New("no request line")
	}
	b := (*out)[:0]
	if c.NewURI != "" {
		b = append(b, c.Msg.MethodBytes()...)
		b = append(b, ' ')
		b = append(b, c.NewURI...)
		b = append(b, ' ')
		b = append(b, c.Msg.Version()...)
		b = append(b, "\r\n"...)
	} else {
		b = append(b, bytes.TrimRight(msg[:eol], "\r")...)
		b = append(b, "\r\n"...)
	}
	if via {
		// Our Via, first of the headers.
		viaHost, viaPort := c.Host.ViaAddress(t.Proto, t.Local)
		b = append(b, "Via: SIP/2.0/"...)
		b = append(b, t.Proto.ViaName()...)
		b = append(b, ' ')
		b = append(b, viaHost...)
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(viaPort), 10)
		b = append(b, ";branch="...)
		b = AppendBranch(b, c.Msg.Message)
		if LocalRPort(c) {
			b = append(b, ";rport"...)
		}
		b = append(b, "\r\n"...)
	}
	rest := msg[eol+1:]
	if t.Proto.Stream() && c.Msg.ContentLength() < 0 {
		b = sip.AppendContentLengthIfMissing(b, rest)
	}
	b = append(b, rest...)
	*out = b
	return c.Host.Send(ctx, t, b)
}

// AppendBranch appends the branch of a stateless forward of req: the
// magic cookie and a hash of the received top Via's branch and sent-by
// when that branch is RFC 3261 compliant, else of the fields RFC 3261
// 16.11 lists (To tag, From tag, Call-ID, Request-URI, top Via, CSeq
// number). An ACK for a non-2xx reply and a CANCEL carry the INVITE's
// branch, so they get the branch the INVITE got.
func AppendBranch(dst []byte, req *sip.Message) []byte {
	h := newHash()
	v, err := req.TopVia()
	if err == nil && bytes.HasPrefix(v.Branch, []byte("z9hG4bK")) {
		h.write(v.Branch)
		h.write(v.Host)
		h.writeUint(uint64(v.Port))
	} else {
		h.write(req.ToTag())
		h.write(req.FromTag())
		h.write(req.CallID())
		h.write(req.RequestURIBytes())
		if err == nil {
			h.write(v.Raw)
		}
		cs, _ := req.CSeq()
		h.writeUint(uint64(cs.Num))
	}
	var sum [16]byte
	h.sum(sum[:])
	dst = append(dst, "z9hG4bKsl"...)
	return hex.AppendEncode(dst, sum[:])
}

// fnvHash is two FNV-1a 64-bit hashes with different offsets: 128 bits
// that need no allocation.
type fnvHash struct{ a, b uint64 }

func newHash() fnvHash { return fnvHash{a: 14695981039346656037, b: 0x6c62272e07bb0142} }

func (h *fnvHash) write(p []byte) {
	for _, c := range p {
		h.a = (h.a ^ uint64(c)) * 1099511628211
		h.b = (h.b ^ uint64(c)) * 1099511628211
	}
	// A separator, so that ("ab","c") and ("a","bc") differ.
	h.a = (h.a ^ 0xff) * 1099511628211
	h.b = (h.b ^ 0xfe) * 1099511628211
}

func (h *fnvHash) writeUint(n uint64) {
	var b [8]byte
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.write(b[:])
}

func (h *fnvHash) sum(dst []byte) {
	for i := 0; i < 8; i++ {
		dst[i] = byte(h.a >> (8 * i))
		dst[8+i] = byte(h.b >> (8 * i))
	}
}

func checkPort(i int) func([]*module.Arg) error {
	return func(args []*module.Arg) error {
		if a := args[i]; a.Const && (a.Int < 0 || a.Int > 65535) {
			return fmt.Errorf("port %d out of range", a.Int)
		}
		return nil
	}
}

// Request-URI rewrites.

// rewrite applies f to the parsed current Request-URI and stores the
// result as the new one.
func rewrite(c *module.Ctx, f func(u *sip.URI) error) int {
	cur := c.RequestURI()
	u, err := sip.ParseURI([]byte(cur))
	if err == nil {
		err = f(&u)
	}
	if err != nil {
		logger(c).Error("cannot rewrite the Request-URI", "uri", cur, "err", err)
		return -1
	}
	c.NewURI = u.String()
	return 1
}

func rewriteStr(f func(u *sip.URI, s string) error) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		s, err := args[0].GetStr(c)
		if err != nil {
			return -1
		}
		return rewrite(c, func(u *sip.URI) error { return f(u, s) })
	}
}

func rewriteInt(f func(c *module.Ctx, u *sip.URI, n int) error) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		n, err := args[0].GetInt(c)
		if err != nil || n < 0 {
			return -1
		}
		return rewrite(c, func(u *sip.URI) error { return f(c, u, int(n)) })
	}
}

func rewriteNone(f func(u *sip.URI) error) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, _ []*module.Arg) int { return rewrite(c, f) }
}

var errNotSIP = errors.New("not a sip: or sips: URI")

func isSIP(u *sip.URI) bool { return u.Scheme == sip.SchemeSIP || u.Scheme == sip.SchemeSIPS }

func runSetURI(c *module.Ctx, args []*module.Arg) int {
	s, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	c.NewURI = s
	return 1
}

func runRevertURI(c *module.Ctx, _ []*module.Arg) int {
	c.NewURI = ""
	return 1
}

func setHost(u *sip.URI, h string) error {
	if !isSIP(u) {
		return errNotSIP
	}
	u.Host = []byte(h)
	return nil
}

// setHostPort replaces host and port from "host[:port]"; without a port
// the URI's port is removed.
func setHostPort(u *sip.URI, hp string) error {
	if !isSIP(u) {
		return errNotSIP
	}
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		if i := strings.IndexByte(hp, ']'); i > 0 {
			host = hp[:i+1]
			port = strings.TrimPrefix(hp[i+1:], ":")
		}
	} else if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		host, port = hp[:i], hp[i+1:]
	}
	u.Host = []byte(host)
	u.HasPort, u.Port = false, 0
	if port != "" {
		return setPort(u, port)
	}
	return nil
}

func setPort(u *sip.URI, p string) error {
	if !isSIP(u) {
		return errNotSIP
	}
	if p == "" {
		u.HasPort, u.Port = false, 0
		return nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return fmt.Errorf("bad port %q", p)
	}
	u.HasPort, u.Port = true, uint16(n)
	return nil
}

// setUser replaces the user, keeping the password; an empty user removes
// the whole userinfo.
func setUser(u *sip.URI, user string) error {
	if user == "" {
		return clearUser(u)
	}
	u.User, u.HasUser = []byte(user), true
	return nil
}

// setUserPass replaces "user[:password]".
func setUserPass(u *sip.URI, up string) error {
	if up == "" {
		return clearUser(u)
	}
	user, pass, ok := strings.Cut(up, ":")
	u.User, u.HasUser, u.Password = []byte(user), true, nil
	if ok {
		u.Password = []byte(pass)
	}
	return nil
}

func clearUser(u *sip.URI) error {
	if u.Scheme == sip.SchemeTel {
		return errors.New("a tel: URI needs a number")
	}
	u.User, u.Password, u.HasUser = nil, nil, false
	return nil
}

func prefixUser(u *sip.URI, p string) error {
	u.User, u.HasUser = append([]byte(p), u.User...), true
	return nil
}

// stripUser removes n characters from the start of the user; asking for
// more than there are removes the user (Kamailio warns and does the same).
func stripUser(c *module.Ctx, u *sip.URI, n int) error {
	if n >= len(u.User) {
		if n > len(u.User) {
			logger(c).Warn("strip: too long strip asked; deleting the user", "n", n, "user", string(u.User))
		}
		return clearUser(u)
	}
	u.User = u.User[n:]
	return nil
}

func stripUserTail(c *module.Ctx, u *sip.URI, n int) error {
	if n >= len(u.User) {
		if n > len(u.User) {
			logger(c).Warn("strip_tail: too long strip asked; deleting the user", "n", n, "user", string(u.User))
		}
		return clearUser(u)
	}
	u.User = u.User[:len(u.User)-n]
	return nil
}

func userPhone(u *sip.URI) error {
	if !isSIP(u) {
		return errNotSIP
	}
	u.Params = append(append(sip.Params(nil), u.Params...), ";user=phone"...)
	return nil
}

func checkNonNegative(args []*module.Arg) error {
	if a := args[0]; a.Const && a.Int < 0 {
		return fmt.Errorf("negative count %d", a.Int)
	}
	return nil
}

// Flags. Kamailio has 32 message flags; Ctx.Flags has room for more but
// the same limit is kept so that a configuration valid here is valid there.

// MaxFlag is the highest message or branch flag number.
const MaxFlag = 31

func checkFlag(args []*module.Arg) error {
	if a := args[0]; a.Const && (a.Int < 0 || a.Int > MaxFlag) {
		return fmt.Errorf("bad flag value %d (flags are 0-%d)", a.Int, MaxFlag)
	}
	return nil
}

func flagArg(c *module.Ctx, a *module.Arg) (uint64, bool) {
	n, err := a.GetInt(c)
	if err != nil || n < 0 || n > MaxFlag {
		return 0, false
	}
	return 1 << uint(n), true
}

func runSetFlag(c *module.Ctx, args []*module.Arg) int {
	f, ok := flagArg(c, args[0])
	if !ok {
		return -1
	}
	c.Flags |= f
	return 1
}

func runResetFlag(c *module.Ctx, args []*module.Arg) int {
	f, ok := flagArg(c, args[0])
	if !ok {
		return -1
	}
	c.Flags &^= f
	return 1
}

func runIsFlagSet(c *module.Ctx, args []*module.Arg) int {
	f, ok := flagArg(c, args[0])
	if !ok || c.Flags&f == 0 {
		return -1
	}
	return 1
}

// Via handling.

// runForceRPort makes replies go to the source port: it sets
// Ctx.ForceRPort and records rport=<source port> on the top Via, as if
// the client had asked for it (RFC 3581), so that replies built from the
// request carry it.
func runForceRPort(c *module.Ctx, _ []*module.Arg) int {
	if c.ForceRPort {
		return 1
	}
	c.ForceRPort = true
	if v, err := c.Msg.TopVia(); err == nil && !v.HasRPort {
		// With rport present, the core already filled it in.
		_ = c.Msg.SetViaReceived(nil, int(c.Msg.Remote.Port()), true)
	}
	return 1
}

func runAddLocalRPort(c *module.Ctx, _ []*module.Arg) int {
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[localRPortKey{}] = true
	return 1
}

// LocalRPort reports whether add_local_rport() was called for this
// message (stateful forwarding honours it too).
func LocalRPort(c *module.Ctx) bool {
	v, _ := c.Store[localRPortKey{}].(bool)
	return v
}

// ConnFlag is a TCP connection behaviour asked by the script.
type ConnFlag uint8

// The connection flags set by set_forward_no_connect,
// set_reply_no_connect, set_forward_close and set_reply_close.
const (
	ForwardNoConnect ConnFlag = 1 << iota
	ReplyNoConnect
	ForwardClose
	ReplyClose
)

type connFlagsKey struct{}

func setConnFlag(f ConnFlag) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, _ []*module.Arg) int {
		if c.Store == nil {
			c.Store = map[any]any{}
		}
		c.Store[connFlagsKey{}] = ConnFlags(c) | f
		return 1
	}
}

// ConnFlags returns the connection flags the script set for this
// message. The transport does not honour them yet.
func ConnFlags(c *module.Ctx) ConnFlag {
	f, _ := c.Store[connFlagsKey{}].(ConnFlag)
	return f
}

// Logging.

func runLog(c *module.Ctx, args []*module.Arg) int {
	level := 4 // Kamailio's default for log(): one above L_DBG
	if len(args) == 2 {
		n, err := args[0].GetInt(c)
		if err != nil {
			return -1
		}
		level = int(n)
	}
	text, err := args[len(args)-1].GetStr(c)
	if err != nil {
		return -1
	}
	xlog.Write(c, level, xlog.DefaultPrefix, text)
	return 1
}

func runError(c *module.Ctx, args []*module.Arg) int {
	a, _ := args[0].GetStr(c)
	b, _ := args[1].GetStr(c)
	xlog.Write(c, xlog.LNotice, "", fmt.Sprintf("error(%q, %q) is not implemented", a, b))
	return 1
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
