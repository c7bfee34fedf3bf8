package tm

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	mcore "github.com/olelo-sip/olelo/modules/core"
	"github.com/olelo-sip/olelo/modules/corex"
	"github.com/olelo-sip/olelo/modules/sl"
	"github.com/olelo-sip/olelo/sip"
	txn "github.com/olelo-sip/olelo/tm"
	"github.com/olelo-sip/olelo/transport"
)

const (
	protoUDP = transport.ProtoUDP
	protoTCP = transport.ProtoTCP
	protoTLS = transport.ProtoTLS
)

// The transaction table is one per process, shared by the configurations
// a reload swaps in: a transaction started on the old one finishes there
// (it keeps the old engine as its RouteRunner), and replies find it.
type sharedMgr struct {
	mgr  *txn.Manager
	refs int
}

var (
	sharedMu sync.Mutex
	shared   *sharedMgr
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// Start joins (or creates) the process's transaction table.
func (m *Instance) Start(ctx context.Context, h module.Host) error {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		cfg := txn.Config{
			T1: ms(m.RetrTimer1), T2: ms(m.RetrTimer2), WaitTimer: ms(m.WtTimer),
			MaxTransactions: m.MaxTransactions, ReplyHeaders: sl.ServerHeader,
			Remap503: m.Remap503To500 != 0,
		}
		mgr := txn.New(cfg, h, hooks{})
		mgr.Start()
		shared = &sharedMgr{mgr: mgr}
	}
	shared.refs++
	m.shared = shared
	return nil
}

// Stop leaves the transaction table; the last one out stops its timers.
func (m *Instance) Stop() error {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if m.shared == nil {
		return nil
	}
	m.shared.refs--
	if m.shared.refs == 0 {
		m.shared.mgr.Stop()
		if shared == m.shared {
			shared = nil
		}
	}
	m.shared = nil
	return nil
}

// Manager returns the transaction table (nil before Start).
func (m *Instance) Manager() *txn.Manager {
	if m.shared == nil {
		return nil
	}
	return m.shared.mgr
}

// HandleReply implements module.ReplyHandler: replies of our
// transactions are processed by tm, not forwarded statelessly.
func (m *Instance) HandleReply(ctx context.Context, resp *core.Msg) bool {
	mgr := m.Manager()
	if mgr == nil {
		return false
	}
	mgr.Poke()
	return mgr.HandleReply(ctx, resp)
}

// PreRoute implements module.PreRouter: before a request is routed (no
// transaction held yet) the timer wheel may advance here instead of
// waking its own goroutine (see txn.Manager.Poke). It never consumes the
// request.
func (m *Instance) PreRoute(*module.Ctx) bool {
	if mgr := m.Manager(); mgr != nil {
		mgr.Poke()
	}
	return true
}

func (m *Instance) timers() txn.Timers {
	return txn.Timers{
		FR: ms(m.FrTimer), FRInv: ms(m.FrInvTimer), MaxInvLife: ms(m.MaxInvLifetime),
		MaxNonInvLife: ms(m.MaxNoninvLifetime), RestartFROnEachReply: m.RestartFrOnEachReply != 0,
	}
}

// ---- per-message state ----

type stateKey struct{}

// txState is tm's state for one message run: the transaction (once
// there is one), whether the caller holds its lock (tm's own routes),
// and what the script armed before the transaction existed.
type txState struct {
	inst    *Instance
	tx      *txn.Tx
	locked  bool // the transaction is locked by whoever runs the route
	created bool // the transaction was created in this run

	failure, reply, branch string
	armed                  uint8
	fr, frInv              time.Duration
	no100                  bool

	branchIdx int       // reply and branch routes: the branch
	resp      *core.Msg // reply routes: the reply

	contacts [][]module.Branch // t_load_contacts groups not used yet
}

const (
	armFailure uint8 = 1 << iota
	armReply
	armBranch
)

// txExt is what the binding keeps in a transaction (Tx.User).
type txExt struct {
	runner   module.RouteRunner
	inst     *Instance
	contacts [][]module.Branch
	// The AVPs and XAVPs of the request: as in Kamailio they belong to
	// the transaction, so the failure, reply and branch routes see (and
	// change) them.
	du    string // $du at relay time: the failure route starts with it
	avps  map[string][]module.Value
	xavps map[string][]map[string]module.Value
}

// saveAVPs copies the AVPs of c into the transaction.
func (x *txExt) saveAVPs(c *module.Ctx) {
	x.avps, x.xavps = nil, nil
	if len(c.AVPs) > 0 {
		x.avps = make(map[string][]module.Value, len(c.AVPs))
		for k, v := range c.AVPs {
			x.avps[k] = slices.Clone(v)
		}
	}
	if len(c.XAVPs) > 0 {
		x.xavps = make(map[string][]map[string]module.Value, len(c.XAVPs))
		for k, list := range c.XAVPs {
			cp := make([]map[string]module.Value, len(list))
			for i, m := range list {
				cp[i] = maps.Clone(m)
			}
			x.xavps[k] = cp
		}
	}
}

// loadAVPs gives c the transaction's AVPs.
func (x *txExt) loadAVPs(c *module.Ctx) {
	if len(x.avps) > 0 {
		if c.AVPs == nil {
			c.AVPs = map[string][]module.Value{}
		}
		for k, v := range x.avps {
			c.AVPs[k] = slices.Clone(v)
		}
	}
	if len(x.xavps) > 0 {
		if c.XAVPs == nil {
			c.XAVPs = map[string][]map[string]module.Value{}
		}
		for k, list := range x.xavps {
			cp := make([]map[string]module.Value, len(list))
			for i, m := range list {
				cp[i] = maps.Clone(m)
			}
			c.XAVPs[k] = cp
		}
	}
}

var statePool = sync.Pool{New: func() any { return new(txState) }}

// hookState puts a pooled state into a context tm made for one of its
// routes; putState returns it once the context is released.
func hookState(c *module.Ctx, tx *txn.Tx, inst *Instance, branch int, resp *core.Msg) *txState {
	st := statePool.Get().(*txState)
	*st = txState{tx: tx, locked: true, branchIdx: branch, resp: resp, inst: inst}
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[stateKey{}] = st
	c.Tx = st
	return st
}

func putState(st *txState) {
	*st = txState{}
	statePool.Put(st)
}

func state(c *module.Ctx) *txState {
	if st, ok := c.Store[stateKey{}].(*txState); ok {
		return st
	}
	st := &txState{branchIdx: -1}
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[stateKey{}] = st
	return st
}

func peek(c *module.Ctx) *txState {
	st, _ := c.Store[stateKey{}].(*txState)
	return st
}

// Current returns the transaction of the message of c, if the script has
// one in this run, the branch the route runs for (-1 when none) and, in
// reply routes, the reply. The transaction is locked by the caller
// chain for the duration of a function call: use it inside script
// functions only (tmx does).
func Current(c *module.Ctx) (tx *txn.Tx, branch int, resp *core.Msg) {
	st := peek(c)
	if st == nil || st.tx == nil {
		return nil, -1, nil
	}
	return st.tx, st.branchIdx, st.resp
}

// with runs f with the transaction of c locked (when the route does not
// hold the lock already). ok is false when there is none.
func with(c *module.Ctx, f func(x *txState)) bool {
	st := peek(c)
	if st == nil || st.tx == nil {
		return false
	}
	if !st.locked {
		// Lock through a lookup-free path: the transaction pointer is
		// valid; Tx has no exported Lock, so use LockTx.
		txn.LockTx(st.tx)
		defer st.tx.Unlock()
	}
	f(st)
	return true
}

// TReply implements module.TxReplier: send_reply and friends reply
// statefully through it.
func (st *txState) TReply(c *module.Ctx, code int, reason string) int {
	rc := -1
	with(c, func(x *txState) {
		if err := x.tx.Reply(ctxOf(c), code, reason, replyHeaders(c)); err != nil {
			logger(c).Info("tm: cannot send the reply", "code", code, "err", err)
			return
		}
		rc = 1
	})
	return rc
}

// replyHeaders are the headers append_to_reply recorded for c.
func replyHeaders(c *module.Ctx) []byte {
	if h := sl.ExtraReplyHeaders(c); h != "" {
		return []byte(h)
	}
	return nil
}

func ctxOf(c *module.Ctx) context.Context {
	if c.Context != nil {
		return c.Context
	}
	return context.Background()
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// ---- t_relay ----

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// runRelay returns t_relay and t_relay_to_* with nargs arguments.
func (m *Instance) runRelay(force transport.Proto, nargs int) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		uri := ""
		if nargs == 2 {
			host, err := args[0].GetStr(c)
			if err != nil {
				return -1
			}
			port, err := args[1].GetInt(c)
			if err != nil {
				return -1
			}
			uri = hostURI(host, int(port))
		}
		return m.relay(c, force, uri)
	}
}

func hostURI(host string, port int) string {
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		host = "[" + host + "]"
	}
	if port > 0 {
		return "sip:" + host + ":" + strconv.Itoa(port)
	}
	return "sip:" + host
}

// relay is t_relay: see the README for the return codes.
func (m *Instance) relay(c *module.Ctx, force transport.Proto, uri string) int {
	mgr := m.Manager()
	if mgr == nil || !c.Msg.IsRequest() {
		return -1
	}
	ctx := ctxOf(c)
	st := state(c)
	if st.tx != nil {
		// A transaction of this run (t_newtran, or the failure route):
		// new branches.
		if !st.locked {
			txn.LockTx(st.tx)
			defer st.tx.Unlock()
		}
		return m.fork(c, st, st.tx, force, uri)
	}
	req := c.Msg
	switch req.Method() {
	case sip.MethodACK:
		if tx, match := mgr.Lookup(req.Message); tx != nil {
			if match == txn.AckNon2xx {
				tx.AckReceived()
				tx.Unlock()
				return 1
			}
			tx.Unlock()
		}
		// An end-to-end ACK (for a 2xx): stateless.
		t, err := mcore.Destination(c, uri, force)
		if err == nil {
			err = mcore.Forward(c, t)
		}
		if err != nil {
			logger(c).Error("tm: cannot relay the ACK", "err", err)
			return -1
		}
		return 1
	case sip.MethodCANCEL:
		if inv := mgr.LookupInvite(req.Message); inv != nil {
			m.cancel(c, inv)
			inv.Unlock()
			return 1
		}
	}
	tx, rc := m.newTx(c, st)
	if tx == nil {
		if rc == 0 {
			return 1 // a retransmission, absorbed: t_relay says 1 (Kamailio)
		}
		return rc
	}
	defer tx.Unlock()
	if tx.IsInvite() && m.AutoInv100 != 0 && !st.no100 {
		if err := tx.SendTrying(ctx, req.Message, m.AutoInv100Reason); err != nil {
			logger(c).Debug("tm: cannot send 100", "err", err)
		}
	}
	return m.fork(c, st, tx, force, uri)
}

// newTx creates the transaction of the request of c (locked). On a
// retransmission or an error it returns nil and the script code.
func (m *Instance) newTx(c *module.Ctx, st *txState) (*txn.Tx, int) {
	mgr := m.Manager()
	req := c.Msg
	if tx, _ := mgr.Lookup(req.Message); tx != nil {
		tx.Retransmit(ctxOf(c), req.Message)
		tx.Unlock()
		return nil, 0
	}
	rt, err := sl.Target(c)
	if err != nil {
		return nil, -1
	}
	bp := bufPool.Get().(*[]byte)
	*bp = req.AppendTo((*bp)[:0])
	info := txn.ServerInfo{Reply: rt, Proto: req.Proto, Remote: req.Remote, Local: req.Local, ConnID: req.ConnID}
	timers := m.timers()
	if st.fr > 0 {
		timers.FR = st.fr
	}
	if st.frInv > 0 {
		timers.FRInv = st.frInv
	}
	tx, err := mgr.NewTx(req.Message, *bp, info, timers)
	bufPool.Put(bp)
	switch {
	case errors.Is(err, txn.ErrExists):
		return nil, 0
	case errors.Is(err, txn.ErrTooMany):
		sl.Reply(c, 503, "Service Unavailable", &sip.ReplyOptions{Headers: []byte("Retry-After: 5\r\n")})
		return nil, -1
	case err != nil:
		logger(c).Error("tm: cannot create the transaction", "err", err)
		return nil, -1
	}
	st.tx, st.created = tx, true
	st.inst = m
	c.Tx = st
	if st.armed&armFailure != 0 {
		tx.FailureRoute = st.failure
	}
	if st.armed&armReply != 0 {
		tx.ReplyRoute = st.reply
	}
	if st.armed&armBranch != 0 {
		tx.BranchRoute = st.branch
	}
	tx.Flags = c.Flags
	tx.RelayURI = c.NewURI
	ext := &txExt{runner: c.Routes, inst: m, du: c.DstURI}
	ext.saveAVPs(c)
	tx.User = ext
	return tx, 1
}

// fork adds and sends the branches of the destination set of c (the
// Request-URI and c.Branches; uri overrides the destination of all).
func (m *Instance) fork(c *module.Ctx, st *txState, tx *txn.Tx, force transport.Proto, uri string) int {
	ctx := ctxOf(c)
	if tx.Canceled() {
		// No new branch for a cancelled transaction (a failure route
		// that does not check t_is_canceled).
		logger(c).Info("tm: not relaying: the transaction was cancelled")
		return -1
	}
	// A destination's path is the Path vector registrar's lookup found
	// with the contact (RFC 3327): it goes out as a Route header.
	type dest struct{ ruri, du, path string }
	var arr [4]dest
	dests := arr[:0]
	if !corex.URIConsumed(c) {
		dests = append(dests, dest{c.NewURI, c.DstURI, c.Path})
	}
	for _, b := range c.Branches {
		dests = append(dests, dest{b.URI, b.DstURI, b.Path})
	}
	if ext, ok := tx.User.(*txExt); ok {
		if len(st.contacts) > 0 {
			ext.contacts = st.contacts
			st.contacts = nil
		}
		if st.locked && tx.BranchRoute != "" {
			ext.saveAVPs(c) // the branch routes see the failure route's changes
		}
	}
	// In the failure route, the request's edits made there go into the
	// new branches.
	var raw []byte
	if st.locked && c.Msg.HasEdits() {
		raw = c.Msg.AppendTo(nil)
	}
	sent, lastCode := 0, 0
	for _, d := range dests {
		target := uri
		if target == "" {
			target = d.du
		}
		if target == "" {
			target = d.ruri
		}
		if target == "" {
			target = string(c.Msg.RequestURIBytes())
		}
		t, err := mcore.Destination(c, target, force)
		if err != nil {
			logger(c).Error("tm: cannot resolve the destination", "uri", target, "err", err)
			lastCode = 478
			continue
		}
		vh, vp := c.Host.ViaAddress(t.Proto, t.Local)
		ruri := d.ruri
		if ruri == string(c.Msg.RequestURIBytes()) {
			ruri = ""
		}
		branchRaw := raw
		if d.path != "" {
			branchRaw = withRoute(raw, tx.Request(), d.path)
		}
		spec := txn.BranchSpec{URI: ruri, Dst: t, ViaHost: vh, ViaPort: vp, RPort: mcore.LocalRPort(c), Raw: branchRaw}
		// Modules finish the request for this target (rr: a double
		// Record-Route when the transport changes).
		if out, ok := module.RewriteRequest(c, t, branchRaw); ok {
			spec.Raw = out
		}
		i := tx.AddBranch(spec)
		if tx.BranchRoute != "" && !m.runBranchRoute(c, tx, i) {
			tx.DropBranch(i, 0)
			continue
		}
		if err := tx.SendBranch(ctx, i); err != nil {
			logger(c).Error("tm: cannot send the request", "uri", target, "err", err)
			tx.DropBranch(i, 477)
			lastCode = 477
			continue
		}
		sent++
	}
	if sent > 0 {
		return 1
	}
	if lastCode == 0 {
		// Every branch was dropped by the branch route.
		return -1
	}
	if !st.locked {
		tx.Reply(ctx, lastCode, localReason(lastCode), nil)
	}
	// Kamailio returns the negated code of the error it replied (-478
	// unresolvable destination, -477 send failure).
	return -lastCode
}

// withRoute returns the request (raw when the script edited it, else the
// transaction's) with a Route header holding path above its headers.
func withRoute(raw, txReq []byte, path string) []byte {
	if raw == nil {
		raw = txReq
	}
	var msg sip.Message
	if err := msg.Parse(raw, sip.Datagram); err != nil {
		return raw
	}
	msg.InsertHeader("Route", []byte(path))
	return msg.AppendTo(nil)
}

func localReason(code int) string {
	switch code {
	case 477:
		return "Unfortunately error on sending to next hop occurred (477/TM)"
	case 478:
		return "Unresolvable destination (478/TM)"
	}
	return "Server Internal Error"
}

// runBranchRoute runs the armed branch route for branch i (before it is
// sent); false when the route dropped the branch.
func (m *Instance) runBranchRoute(parent *module.Ctx, tx *txn.Tx, i int) bool {
	ext, _ := tx.User.(*txExt)
	if ext == nil || ext.runner == nil {
		return true
	}
	msg := new(sip.Message)
	if err := msg.Parse(tx.Request(), sip.Datagram); err != nil {
		return true
	}
	info := tx.Info()
	cm := &core.Msg{Message: msg, Proto: info.Proto, Remote: info.Remote, Local: info.Local, ConnID: info.ConnID}
	c := ext.runner.AcquireCtx(ctxOf(parent), cm, module.BranchRoute)
	st := hookState(c, tx, m, i, nil)
	defer func() {
		ext.runner.ReleaseCtx(c)
		putState(st)
	}()
	b := tx.Branches()[i]
	c.NewURI = b.URI()
	c.Flags = parent.Flags
	ext.loadAVPs(c)
	ext.runner.RunNamedRoute(c, module.BranchRoute, tx.BranchRoute)
	if c.Dropped {
		return false
	}
	if msg.HasEdits() || c.NewURI != b.URI() {
		txn.RewriteBranch(tx, i, c.NewURI, msg.AppendTo(nil))
	}
	return true
}

// cancel handles a CANCEL whose INVITE transaction exists (locked): 200
// to the CANCEL, CANCELs to the branches, 487 upstream when they answer.
func (m *Instance) cancel(c *module.Ctx, inv *txn.Tx) {
	var tag [32]byte
	sl.Reply(c, 200, "canceling", &sip.ReplyOptions{ToTag: inv.AppendTag(tag[:0])})
	inv.Cancel(ctxOf(c))
}

// runRelayCancel is t_relay_cancel: 0 (stop) when the CANCEL was relayed,
// 1 when its INVITE has no transaction, -1 for another method.
func (m *Instance) runRelayCancel(c *module.Ctx, _ []*module.Arg) int {
	mgr := m.Manager()
	if mgr == nil || c.Msg.Method() != sip.MethodCANCEL {
		return -1
	}
	inv := mgr.LookupInvite(c.Msg.Message)
	if inv == nil {
		return 1
	}
	m.cancel(c, inv)
	inv.Unlock()
	return 0
}

// ---- route arming ----

func runOnRoute(which uint8) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		name, err := args[0].GetStr(c)
		if err != nil {
			return -1
		}
		st := state(c)
		if st.tx != nil {
			with(c, func(x *txState) {
				switch which {
				case armFailure:
					x.tx.FailureRoute = name
				case armReply:
					x.tx.ReplyRoute = name
				case armBranch:
					x.tx.BranchRoute = name
				}
			})
			return 1
		}
		st.armed |= which
		switch which {
		case armFailure:
			st.failure = name
		case armReply:
			st.reply = name
		case armBranch:
			st.branch = name
		}
		return 1
	}
}

// ---- checks ----

// runCheckTrans is t_check_trans (codes in the README).
func (m *Instance) runCheckTrans(c *module.Ctx, _ []*module.Arg) int {
	switch c.Route {
	case module.FailureRoute, module.BranchRoute:
		return 1
	}
	if st := peek(c); st != nil && st.locked {
		return 1 // tm's own onreply route: the transaction is held
	}
	mgr := m.Manager()
	if mgr == nil {
		return -1
	}
	msg := c.Msg
	if !msg.IsRequest() {
		if tx, _ := mgr.LookupReply(msg.Message); tx != nil {
			tx.Unlock()
			return 1
		}
		return -1
	}
	switch msg.Method() {
	case sip.MethodCANCEL:
		if inv := mgr.LookupInvite(msg.Message); inv != nil {
			inv.Unlock()
			return 1
		}
		return -1
	case sip.MethodACK:
		tx, match := mgr.Lookup(msg.Message)
		if tx == nil {
			return -1
		}
		defer tx.Unlock()
		if match == txn.AckNon2xx {
			tx.AckReceived()
			return 0
		}
		return 1
	}
	tx, _ := mgr.Lookup(msg.Message)
	if tx == nil {
		return -1
	}
	tx.Retransmit(ctxOf(c), msg.Message)
	tx.Unlock()
	return 0
}

func (m *Instance) runLookupRequest(c *module.Ctx, _ []*module.Arg) int {
	mgr := m.Manager()
	if mgr == nil {
		return -1
	}
	if tx, _ := mgr.Lookup(c.Msg.Message); tx != nil {
		tx.Unlock()
		return 1
	}
	return -1
}

func (m *Instance) runLookupCancel(c *module.Ctx, _ []*module.Arg) int {
	mgr := m.Manager()
	if mgr == nil || c.Msg.Method() != sip.MethodCANCEL {
		return -1
	}
	if inv := mgr.LookupInvite(c.Msg.Message); inv != nil {
		inv.Unlock()
		return 1
	}
	return -1
}

// runNewTran is t_newtran: 1 created, 0 retransmission (stop), -10
// already created in this run.
func (m *Instance) runNewTran(c *module.Ctx, _ []*module.Arg) int {
	if m.Manager() == nil {
		return -1
	}
	st := state(c)
	if st.tx != nil {
		return -10
	}
	if c.Msg.Method() == sip.MethodACK {
		if tx, match := m.Manager().Lookup(c.Msg.Message); tx != nil {
			if match == txn.AckNon2xx {
				tx.AckReceived()
				tx.Unlock()
				return 0
			}
			tx.Unlock()
		}
		return -1
	}
	tx, rc := m.newTx(c, st)
	if tx == nil {
		return rc
	}
	if tx.IsInvite() && m.AutoInv100 != 0 && !st.no100 {
		tx.SendTrying(ctxOf(c), c.Msg.Message, m.AutoInv100Reason)
	}
	tx.Unlock()
	return 1
}

// runReply is t_reply (create false) and t_send_reply (create true).
func (m *Instance) runReply(create bool) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		code, err := args[0].GetInt(c)
		if err != nil || code < 100 || code > 699 {
			return -1
		}
		reason, err := args[1].GetStr(c)
		if err != nil {
			return -1
		}
		st := peek(c)
		if (st == nil || st.tx == nil) && create && c.Route == module.RequestRoute {
			st = state(c)
			tx, rc := m.newTx(c, st)
			if tx == nil {
				return rc
			}
			tx.Unlock()
		}
		if st == nil || st.tx == nil {
			logger(c).Error("tm: t_reply without a transaction (call t_newtran first)")
			return -1
		}
		return st.TReply(c, int(code), reason)
	}
}

func runRelease(*module.Ctx, []*module.Arg) int { return 1 }

// runIsSet is t_is_set(target): 1 when the route is armed (on the
// transaction, or for the one t_relay will create), else -1.
func runIsSet(c *module.Ctx, args []*module.Arg) int {
	which, err := args[0].GetStr(c)
	if err != nil {
		return -1
	}
	st := peek(c)
	if st == nil {
		return -1
	}
	set := false
	if st.tx != nil {
		with(c, func(x *txState) {
			switch which {
			case "failure_route":
				set = x.tx.FailureRoute != ""
			case "branch_route":
				set = x.tx.BranchRoute != ""
			case "onreply_route":
				set = x.tx.ReplyRoute != ""
			}
		})
	} else {
		switch which {
		case "failure_route":
			set = st.armed&armFailure != 0
		case "branch_route":
			set = st.armed&armBranch != 0
		case "onreply_route":
			set = st.armed&armReply != 0
		}
	}
	if set {
		return 1
	}
	return -1
}

// test returns a function that is 1 when pred holds for the transaction
// of the message, -1 otherwise or without one.
func test(pred func(x *txState) bool) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, _ []*module.Arg) int {
		rc := -1
		with(c, func(x *txState) {
			if pred(x) {
				rc = 1
			}
		})
		return rc
	}
}

// failedBranch is the branch a failure route runs for (the best reply's)
// or a reply route's branch.
func failedBranch(x *txState) *txn.Branch {
	i := x.branchIdx
	if i < 0 {
		i, _, _ = x.tx.Best()
	}
	bs := x.tx.Branches()
	if i < 0 || i >= len(bs) {
		return nil
	}
	return bs[i]
}

func branchTimeout(x *txState) bool {
	b := failedBranch(x)
	return b != nil && b.TimedOut()
}

func branchReplied(x *txState) bool {
	b := failedBranch(x)
	return b != nil && b.Replied()
}

func anyTimeout(x *txState) bool {
	for _, b := range x.tx.Branches() {
		if b.TimedOut() {
			return true
		}
	}
	return false
}

func anyReplied(x *txState) bool {
	cur := failedBranch(x)
	for _, b := range x.tx.Branches() {
		if b.Replied() || (b != cur && b.Answered()) {
			return true
		}
	}
	return false
}

func runGrepStatus(c *module.Ctx, args []*module.Arg) int {
	code, err := args[0].GetInt(c)
	if err != nil {
		return -1
	}
	rc := -1
	with(c, func(x *txState) {
		for _, b := range x.tx.Branches() {
			if (b.Replied() || b.Answered()) && b.Code() == int(code) {
				rc = 1
			}
		}
	})
	return rc
}

// ReplyCode is the code t_check_status and $T_reply_code see: the reply
// in a reply route, the winning reply in a failure route, else the last
// reply sent. 0 when there is none.
func ReplyCode(c *module.Ctx) (code int, reason string) {
	st := peek(c)
	if c.Route == module.CoreReplyRoute || (st != nil && st.resp != nil) {
		if !c.Msg.IsRequest() {
			return c.Msg.StatusCode(), string(c.Msg.Reason())
		}
	}
	if st == nil || st.tx == nil {
		return 0, ""
	}
	with(c, func(x *txState) {
		if c.Route == module.FailureRoute {
			_, code, _ = x.tx.Best()
			reason = x.tx.BestReason()
			return
		}
		code = x.tx.Status()
	})
	return code, reason
}

func runCheckStatus(c *module.Ctx, args []*module.Arg) int {
	code, _ := ReplyCode(c)
	if code == 0 {
		return -1
	}
	if args[0].Regex.MatchString(strconv.Itoa(code)) {
		return 1
	}
	return -1
}

func runSetFR(c *module.Ctx, args []*module.Arg) int {
	inv, err := args[0].GetInt(c)
	if err != nil {
		return -1
	}
	var non int64
	if len(args) > 1 {
		if non, err = args[1].GetInt(c); err != nil {
			return -1
		}
	}
	st := state(c)
	if st.tx == nil {
		if inv > 0 {
			st.frInv = ms(int(inv))
		}
		if non > 0 {
			st.fr = ms(int(non))
		}
		return 1
	}
	with(c, func(x *txState) { x.tx.SetFR(ms(int(inv)), ms(int(non))) })
	return 1
}

func (m *Instance) runResetFR(c *module.Ctx, _ []*module.Arg) int {
	st := state(c)
	st.fr, st.frInv = 0, 0
	with(c, func(x *txState) { x.tx.SetFR(ms(m.FrInvTimer), ms(m.FrTimer)) })
	return 1
}

func runDropReplies(c *module.Ctx, args []*module.Arg) int {
	mode := "a"
	if len(args) > 0 {
		mode, _ = args[0].GetStr(c)
	}
	with(c, func(x *txState) { x.tx.DropReplies = mode != "n" })
	return 1
}

func runSetAuto100(c *module.Ctx, args []*module.Arg) int {
	n, err := args[0].GetInt(c)
	if err != nil {
		return -1
	}
	state(c).no100 = n == 0
	return 1
}

// ---- t_load_contacts / t_next_contacts ----

// runLoadContacts orders the destination set (Request-URI and branches)
// by q, highest first, into groups of equal q; t_next_contacts takes
// them one group at a time. 1 loaded (or nothing to do), -1 error.
func runLoadContacts(c *module.Ctx, _ []*module.Arg) int {
	if len(c.Branches) == 0 {
		return 1
	}
	all := make([]module.Branch, 0, 1+len(c.Branches))
	all = append(all, module.Branch{URI: c.RequestURI(), DstURI: c.DstURI, Q: -1, Flags: c.BranchFlags})
	all = append(all, c.Branches...)
	q := func(b module.Branch) int {
		if b.Q < 0 {
			return 1000
		}
		return b.Q
	}
	slices.SortStableFunc(all, func(a, b module.Branch) int { return q(b) - q(a) })
	var groups [][]module.Branch
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && q(all[j]) == q(all[i]) {
			j++
		}
		groups = append(groups, all[i:j])
		i = j
	}
	state(c).contacts = groups
	c.Branches = c.Branches[:0]
	return 1
}

// runNextContacts makes the next group the destination set: 1, or -2
// when none is left.
func runNextContacts(c *module.Ctx, _ []*module.Arg) int {
	st := state(c)
	groups := st.contacts
	if len(groups) == 0 && st.tx != nil {
		with(c, func(x *txState) {
			if ext, ok := x.tx.User.(*txExt); ok {
				groups = ext.contacts
				ext.contacts = nil
			}
		})
	}
	if len(groups) == 0 {
		return -2
	}
	g := groups[0]
	st.contacts = groups[1:]
	c.NewURI, c.DstURI = g[0].URI, g[0].DstURI
	c.Branches = append(c.Branches[:0], g[1:]...)
	return 1
}

// ---- hooks: tm's routes ----

type hooks struct{}

// Reply runs the onreply route armed on tx.
func (hooks) Reply(tx *txn.Tx, b int, resp *core.Msg) bool {
	ext, _ := tx.User.(*txExt)
	if ext == nil || ext.runner == nil {
		return true
	}
	c := ext.runner.AcquireCtx(context.Background(), resp, module.OnReplyRoute)
	st := hookState(c, tx, ext.inst, b, resp)
	defer func() {
		ext.runner.ReleaseCtx(c)
		putState(st)
	}()
	c.Flags = tx.Flags
	ext.loadAVPs(c)
	ext.runner.RunNamedRoute(c, module.OnReplyRoute, tx.ReplyRoute)
	ext.saveAVPs(c)
	tx.Flags = c.Flags
	return !c.Dropped
}

// Failure runs the failure route armed on tx, with the request as the
// transaction keeps it and the Request-URI of relay time.
func (hooks) Failure(tx *txn.Tx, name string) {
	ext, _ := tx.User.(*txExt)
	if ext == nil || ext.runner == nil {
		return
	}
	msg := new(sip.Message)
	if err := msg.Parse(tx.Request(), sip.Datagram); err != nil {
		return
	}
	info := tx.Info()
	cm := &core.Msg{Message: msg, Proto: info.Proto, Remote: info.Remote, Local: info.Local, ConnID: info.ConnID}
	c := ext.runner.AcquireCtx(context.Background(), cm, module.FailureRoute)
	st := hookState(c, tx, ext.inst, -1, nil)
	defer func() {
		ext.runner.ReleaseCtx(c)
		putState(st)
	}()
	c.NewURI, c.DstURI = tx.RelayURI, ext.du
	c.Flags = tx.Flags
	ext.loadAVPs(c)
	ext.runner.RunNamedRoute(c, module.FailureRoute, name)
	ext.saveAVPs(c)
	tx.Flags = c.Flags
}

// SharedManager returns the process's transaction table (nil when no
// configuration with tm is running).
func SharedManager() *txn.Manager {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		return nil
	}
	return shared.mgr
}

// WithTx runs f with the transaction of c's run locked; false when the
// message has none.
func WithTx(c *module.Ctx, f func(tx *txn.Tx)) bool {
	return with(c, func(x *txState) { f(x.tx) })
}
