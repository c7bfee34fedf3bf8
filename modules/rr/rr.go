package rr

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// Return codes of loose_route, as Kamailio's.
const (
	Routed          = 1  // routed by the Route headers
	NotRouted       = -1 // no Route header, or an error
	LocalRouteOnly  = -3 // initial request whose only Route entry was ours (removed)
	recordRouteFail = -1
)

// stateKey keys the per-message state in module.Ctx.Store.
type stateKey struct{}

// state is what rr remembers about one message.
type state struct {
	// routed is set when loose_route removed an entry of ours (or
	// followed a strict router's Request-URI): params are the URI
	// parameters of that entry, without the leading ';'.
	routed bool
	params string
	// rrAdded is set once record_route (or a variant) added its headers.
	rrAdded bool
	// extra are the add_rr_param parameters, each starting with ';'.
	extra string
	// rr is set by record_route and record_route_advertised_address.
	rr *rrSpec
}

func getState(c *module.Ctx) *state {
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	st, ok := c.Store[stateKey{}].(*state)
	if !ok {
		st = &state{}
		c.Store[stateKey{}] = st
	}
	return st
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// ---- Record-Route ----

// outbound returns the transport a request leaves by, as far as it is
// known when record_route runs: the transport parameter of $du, else of
// the Request-URI; TLS for a sips: URI; UDP otherwise.
func outbound(c *module.Ctx) transport.Proto {
	var u sip.URI
	var err error
	if c.DstURI != "" {
		u, err = sip.ParseURIString(c.DstURI)
	} else {
		u, err = c.ParseRequestURI()
	}
	if err != nil {
		return c.Msg.Proto
	}
	if len(u.Transport) > 0 {
		if p, err := transport.ParseProto(string(u.Transport)); err == nil {
			return p
		}
	}
	if u.Scheme == sip.SchemeSIPS {
		return transport.ProtoTLS
	}
	return transport.ProtoUDP
}

// scheme is "sips:" when the Request-URI is a sips: URI (unless
// ignore_sips), else "sip:".
func (m *Instance) scheme(c *module.Ctx) string {
	if m.IgnoreSIPS == 0 && len(c.RequestURI()) > 5 && strings.EqualFold(c.RequestURI()[:5], "sips:") {
		return "sips:"
	}
	return "sip:"
}

// ftag returns the tag of the dialog's initiator: the From tag, or the
// To tag for a request going upstream.
func ftag(c *module.Ctx) []byte {
	if upstream(c) {
		return c.Msg.ToTag()
	}
	return c.Msg.FromTag()
}

func (m *Instance) lr() string {
	if m.EnableFullLR != 0 {
		return ";lr=on"
	}
	return ";lr"
}

func (m *Instance) appendFtag(b []byte, c *module.Ctx) []byte {
	if m.AppendFromTag != 0 {
		if tag := ftag(c); len(tag) > 0 {
			b = append(b, ";ftag="...)
			b = append(b, tag...)
		}
	}
	return b
}

// tail appends what follows the address in a Record-Route URI, in
// Kamailio's orders: ;lr, the ftag, the record_route parameters and the
// add_rr_param ones for record_route; the ftag first, then ;lr, for
// record_route_advertised_address (advertised set).
func (m *Instance) tail(b []byte, c *module.Ctx, params string, advertised bool) []byte {
	if advertised {
		b = m.appendFtag(b, c)
		b = append(b, m.lr()...)
	} else {
		b = append(b, m.lr()...)
		b = m.appendFtag(b, c)
	}
	b = append(b, params...)
	b = append(b, getState(c).extra...)
	return append(b, '>')
}

// value builds the value of one Record-Route header for an address of
// this proxy.
func (m *Instance) value(c *module.Ctx, host string, port uint16, proto transport.Proto, withTransport, r2 bool, params string, advertised bool) []byte {
	b := make([]byte, 0, 128)
	b = append(b, '<')
	b = append(b, m.scheme(c)...)
	if m.AddUsername != 0 {
		if u, err := c.ParseRequestURI(); err == nil && len(u.User) > 0 {
			b = append(b, u.User...)
			b = append(b, '@')
		}
	}
	b = append(b, host...)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(port), 10)
	if withTransport {
		b = append(b, ";transport="...)
		b = append(b, strings.ToLower(proto.String())...)
	}
	if r2 {
		b = append(b, ";r2=on"...)
	}
	return m.tail(b, c, params, advertised)
}

// rrSpec is what record_route was asked for, kept so that the headers
// can be rebuilt once the outgoing transport is known (rewrite).
type rrSpec struct {
	inst       *Instance
	params     string
	advertised string
	text       string // the header lines inserted, CRLF-terminated
}

// rrLines builds the Record-Route header line(s) for a request leaving
// by out from local (zero: the listener's default): one for the address
// it leaves from, and under double Record-Route a second one, below it,
// for the address it arrived on.
func (m *Instance) rrLines(c *module.Ctx, sp *rrSpec, out transport.Proto, outLocal netip.AddrPort) []string {
	in := c.Msg.Proto
	inHost, inPort := c.Host.ViaAddress(in, c.Msg.Local)
	if out == in && !outLocal.IsValid() {
		outLocal = c.Msg.Local
	}
	outHost, outPort := c.Host.ViaAddress(out, outLocal)
	if sp.advertised != "" {
		h, p := splitHostPort(sp.advertised)
		inHost, outHost = h, h
		if p != 0 {
			inPort, outPort = p, p
		}
	}
	double := m.EnableDoubleRR == 2 ||
		(m.EnableDoubleRR == 1 && (in != out || inHost != outHost || inPort != outPort))
	adv := sp.advertised != ""
	if !double {
		return []string{string(m.value(c, outHost, outPort, out, out != transport.ProtoUDP, false, sp.params, adv))}
	}
	// Kamailio writes the transport on both headers with an advertised
	// address, or with enable_double_rr 2.
	always := m.EnableDoubleRR == 2 || adv
	return []string{
		string(m.value(c, outHost, outPort, out, always || out != transport.ProtoUDP, true, sp.params, adv)),
		string(m.value(c, inHost, inPort, in, always || in != transport.ProtoUDP, true, sp.params, adv)),
	}
}

func joinLines(vals []string) string {
	var b strings.Builder
	for _, v := range vals {
		b.WriteString("Record-Route: ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	return b.String()
}

// recordRoute adds the Record-Route header(s) for this proxy, for the
// transport the request is expected to leave by; rewrite corrects them
// when it leaves by another.
func (m *Instance) recordRoute(c *module.Ctx, params string, advertised string) int {
	st := getState(c)
	if st.rrAdded {
		logger(c).Error("rr: double attempt to record-route")
		return recordRouteFail
	}
	if !c.Msg.IsRequest() {
		return recordRouteFail
	}
	if params != "" && params[0] != ';' {
		params = ";" + params
	}
	sp := &rrSpec{inst: m, params: params, advertised: advertised}
	vals := m.rrLines(c, sp, outbound(c), netip.AddrPort{})
	for _, v := range vals {
		c.Msg.InsertHeader("Record-Route", []byte(v))
	}
	sp.text = joinLines(vals)
	st.rr = sp
	st.rrAdded = true
	return 1
}

// rewrite is rr's module.RequestRewriter: when the request leaves by
// another transport or address than record_route assumed, the
// Record-Route lines it inserted are replaced by the right ones (a
// double Record-Route for a transport change), as Kamailio builds them
// when it sends.
func rewrite(c *module.Ctx, t transport.Target, msg []byte) ([]byte, bool) {
	st, _ := c.Store[stateKey{}].(*state)
	if st == nil || st.rr == nil || c.Msg == nil || !c.Msg.IsRequest() {
		return msg, false
	}
	sp := st.rr
	text := joinLines(sp.inst.rrLines(c, sp, t.Proto, t.Local))
	if text == sp.text {
		return msg, false
	}
	if msg == nil {
		msg = c.Msg.AppendTo(nil)
	}
	i := bytes.Index(msg, []byte(sp.text))
	if i < 0 {
		return msg, false
	}
	out := make([]byte, 0, len(msg)+len(text)-len(sp.text))
	out = append(out, msg[:i]...)
	out = append(out, text...)
	out = append(out, msg[i+len(sp.text):]...)
	return out, true
}

// splitHostPort splits "host[:port]" (IPv6 in brackets).
func splitHostPort(s string) (string, uint16) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.HasSuffix(s, "]") {
		return s, 0
	}
	p, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return s, 0
	}
	return s[:i], uint16(p)
}

func (m *Instance) runRecordRoute(c *module.Ctx, args []*module.Arg) int {
	params := ""
	if len(args) == 1 {
		p, err := args[0].GetStr(c)
		if err != nil {
			return recordRouteFail
		}
		params = p
	}
	return m.recordRoute(c, params, "")
}

func (m *Instance) runAdvertised(c *module.Ctx, args []*module.Arg) int {
	a, err := args[0].GetStr(c)
	if err != nil || a == "" {
		return recordRouteFail
	}
	return m.recordRoute(c, "", a)
}

// presetValue is the Record-Route value for a record_route_preset
// address: the text as given (a sip: scheme added when it has none),
// then the ftag, the add_rr_param parameters and ;lr (Kamailio's order).
func (m *Instance) presetValue(c *module.Ctx, addr string) []byte {
	b := make([]byte, 0, 128)
	b = append(b, '<')
	if l := strings.ToLower(addr); !strings.HasPrefix(l, "sip:") && !strings.HasPrefix(l, "sips:") {
		b = append(b, "sip:"...)
	}
	b = append(b, addr...)
	b = m.appendFtag(b, c)
	b = append(b, getState(c).extra...)
	b = append(b, m.lr()...)
	return append(b, '>')
}

func (m *Instance) runPreset(c *module.Ctx, args []*module.Arg) int {
	st := getState(c)
	if st.rrAdded {
		logger(c).Error("rr: double attempt to record-route")
		return recordRouteFail
	}
	if !c.Msg.IsRequest() {
		return recordRouteFail
	}
	var addrs []string
	for _, a := range args {
		s, err := a.GetStr(c)
		if err != nil || s == "" {
			return recordRouteFail
		}
		addrs = append(addrs, s)
	}
	for _, a := range addrs {
		c.Msg.InsertHeader("Record-Route", m.presetValue(c, a))
	}
	st.rrAdded = true
	return 1
}

// runAddParam records a parameter for the Record-Route URI. It applies to
// the headers record_route adds later for this message, and through
// rewrite to those already added, once the request is forwarded.
func (m *Instance) runAddParam(c *module.Ctx, args []*module.Arg) int {
	p, err := args[0].GetStr(c)
	if err != nil || p == "" {
		return -1
	}
	if p[0] != ';' {
		p = ";" + p
	}
	st := getState(c)
	if st.rrAdded {
		logger(c).Warn("rr: add_rr_param after record_route: the parameter is added when the request is forwarded", "param", p)
	}
	st.extra += p
	return 1
}

// ---- loose routing ----

// route is one parsed Route entry.
type route struct {
	v   sip.Value
	uri sip.URI
	raw []byte // the URI as written, without <> (in the message's buffer)
}

// routes parses the Route entries into buf (reused, so that the common
// case of a few entries allocates nothing).
func routes(msg *sip.Message, buf []route) ([]route, error) {
	rs := buf[:0]
	it := msg.Values(sip.HdrRoute)
	for {
		v, ok := it.Next()
		if !ok {
			return rs, nil
		}
		na, err := sip.ParseNameAddr(v.Bytes)
		if err != nil {
			return nil, err
		}
		rs = append(rs, route{v: v, uri: na.URI, raw: na.URIRaw})
	}
}

// isMyself reports whether a URI names this proxy; a URI without a port
// means 5060 (5061 for sips:), as for Kamailio.
func isMyself(c *module.Ctx, u *sip.URI) bool {
	if u.Scheme != sip.SchemeSIP && u.Scheme != sip.SchemeSIPS {
		return false
	}
	port := u.Port
	if port == 0 {
		port = 5060
		if u.Scheme == sip.SchemeSIPS {
			port = 5061
		}
	}
	// A view, not a copy, of the host: IsMyself does not keep it.
	return c.Host.IsMyself(sip.StringView(u.Host), port)
}

func isR2(u *sip.URI) bool {
	v, ok := u.Param("r2")
	return ok && (bytes.EqualFold(v, []byte("on")) || bytes.Equal(v, []byte("1")))
}

func paramsOf(u *sip.URI) string { return strings.TrimPrefix(string(u.Params), ";") }

// setNextHop routes to a loose next hop through $du.
func setNextHop(c *module.Ctx, r *route) { c.DstURI = string(r.raw) }

func (m *Instance) runLooseRoute(c *module.Ctx, _ []*module.Arg) int {
	return m.looseRoute(c)
}

// looseRoute implements loose_route (RFC 3261 16.4 and 16.12).
func (m *Instance) looseRoute(c *module.Ctx) int {
	if !c.Msg.IsRequest() || !c.Msg.Has(sip.HdrRoute) {
		return NotRouted
	}
	var buf [4]route
	rs, err := routes(c.Msg.Message, buf[:])
	if err != nil || len(rs) == 0 {
		logger(c).Error("rr: bad Route header", "err", err)
		return NotRouted
	}
	preloaded := len(c.Msg.ToTag()) == 0
	if !preloaded {
		ruri, err := c.ParseRequestURI()
		if err != nil {
			return NotRouted
		}
		if isMyself(c, &ruri) {
			return m.afterStrict(c, rs, &ruri)
		}
	}
	return m.afterLoose(c, rs, preloaded)
}

// afterLoose handles a request whose previous hop was a loose router:
// our own entries on top are removed, the next one is the next hop.
func (m *Instance) afterLoose(c *module.Ctx, rs []route, preloaded bool) int {
	st := getState(c)
	i := 0
	if isMyself(c, &rs[0].uri) {
		st.routed, st.params = true, paramsOf(&rs[0].uri)
		c.Msg.RemoveValue(rs[0].v)
		i = 1
		if i < len(rs) && m.EnableDoubleRR != 0 && isR2(&rs[0].uri) {
			// The twin entry of a double Record-Route.
			c.Msg.RemoveValue(rs[1].v)
			i = 2
		}
		if i >= len(rs) {
			if preloaded {
				return LocalRouteOnly
			}
			return Routed
		}
	}
	next := &rs[i]
	if !next.uri.LR {
		// RFC 3261 16.6 step 6: the next hop is a strict router. The
		// Request-URI goes to the end of the route set, the strict
		// router's URI into the Request-URI.
		c.Msg.AppendHeaderString("Route", "<"+c.RequestURI()+">")
		c.NewURI = string(next.raw)
		c.Msg.RemoveValue(next.v)
		return Routed
	}
	setNextHop(c, next)
	return Routed
}

// afterStrict handles an in-dialog request whose Request-URI is ours:
// the previous hop was a strict router (RFC 3261 16.4), so the real
// Request-URI is the last Route entry.
func (m *Instance) afterStrict(c *module.Ctx, rs []route, ruri *sip.URI) int {
	st := getState(c)
	st.routed, st.params = true, paramsOf(ruri)
	i := 0
	if m.EnableDoubleRR != 0 && isR2(&rs[0].uri) && isMyself(c, &rs[0].uri) {
		c.Msg.RemoveValue(rs[0].v)
		i = 1
		if i >= len(rs) {
			return NotRouted
		}
	}
	next := &rs[i]
	if !next.uri.LR {
		// Strict next hop too (or the remote target itself): it becomes
		// the Request-URI.
		c.NewURI = string(next.raw)
		c.Msg.RemoveValue(next.v)
		return Routed
	}
	last := &rs[len(rs)-1]
	if last == next {
		logger(c).Error("rr: no remote target after a strict router")
		return NotRouted
	}
	setNextHop(c, next)
	c.NewURI = string(last.raw)
	c.Msg.RemoveValue(last.v)
	return Routed
}

// runLooseRoutePreloaded runs loose_route and returns 1 when it found an
// initial request whose only Route entry was ours (loose_route's -3),
// else -1 — also after it routed the request by a longer pre-loaded set,
// as Kamailio 5.6 does.
func (m *Instance) runLooseRoutePreloaded(c *module.Ctx, _ []*module.Arg) int {
	if m.looseRoute(c) == LocalRouteOnly {
		return 1
	}
	return -1
}

// ---- route parameters and direction ----

func (m *Instance) runCheckRouteParam(c *module.Ctx, args []*module.Arg) int {
	st := getState(c)
	if !st.routed || args[0].Regex == nil {
		return -1
	}
	if args[0].Regex.MatchString(st.params) {
		return 1
	}
	return -1
}

// upstream reports whether the request runs from the callee to the
// caller: the ftag of the Route entry loose_route removed differs from
// the From tag. Without an ftag, or without a From tag, it is downstream.
func upstream(c *module.Ctx) bool {
	st, _ := c.Store[stateKey{}].(*state)
	if st == nil || !st.routed {
		return false
	}
	ftag, ok := sip.Params(";" + st.params).Get("ftag")
	if !ok || len(ftag) == 0 {
		return false
	}
	from := c.Msg.FromTag()
	if len(from) == 0 {
		return false
	}
	return !bytes.Equal(ftag, from)
}

func checkDirection(args []*module.Arg) error {
	if a := args[0]; a.Const && a.Str != "downstream" && a.Str != "upstream" {
		return fmt.Errorf("unknown direction %q (want \"downstream\" or \"upstream\")", a.Str)
	}
	return nil
}

func (m *Instance) runIsDirection(c *module.Ctx, args []*module.Arg) int {
	dir, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	up := upstream(c)
	switch {
	case dir == "upstream" && up, dir == "downstream" && !up:
		return 1
	}
	return -1
}

// ---- $route_uri ----

type routeURIPV struct{}

func newRouteURIPV(arg string) (module.PV, error) {
	if arg != "" {
		return nil, fmt.Errorf("$route_uri takes no argument")
	}
	return routeURIPV{}, nil
}

func (routeURIPV) Get(c *module.Ctx) (module.Value, error) {
	if c.Msg == nil || !c.Msg.Has(sip.HdrRoute) {
		return module.Null, nil
	}
	it := c.Msg.Values(sip.HdrRoute)
	v, ok := it.Next()
	if !ok {
		return module.Null, nil
	}
	na, err := sip.ParseNameAddr(v.Bytes)
	if err != nil {
		return module.Null, nil
	}
	return module.StrValue(string(na.URIRaw)), nil
}
