package tm

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// Tx is a transaction: the server transaction of a received request and
// the client transactions (branches) it was forwarded on. Every field
// and method is guarded by the transaction's lock: methods are called
// between Lookup/NewTx and Unlock, or inside Hooks.
type Tx struct {
	mu      sync.Mutex
	m       *Manager
	id      uint64
	key     []byte // table key; shares the allocation of req
	req     []byte // the request as received plus the script's edits at creation
	info    ServerInfo
	invite  bool
	method  sip.Method
	timers  Timers
	deleted bool

	status    int    // last reply code sent upstream, 0 none
	local100  bool   // the last reply sent is our 100 Trying (rebuilt on retransmission)
	trying    string // its reason phrase
	lastReply []byte // the last reply sent upstream, for retransmissions
	acked     bool   // the ACK of a non-2xx final reply arrived
	canceled  bool
	rretrIv   time.Duration

	branches  []*Branch
	first     Branch     // branch 0, inline: no allocation for a single branch
	brArr     [1]*Branch // backing array of branches for a single branch
	bestIdx   int
	bestCode  int
	bestLocal bool   // the best reply is a local timeout (408/487)
	bestReply []byte // the best final reply so far, ready to relay (our Via removed)
	legStart  int    // first branch of the current serial leg
	inFailure bool
	newLeg    bool // a branch was added in the running failure route

	life, wait, rretr timer

	local *localReq // set for a request olelo sends itself (uac.go)

	// The script binding's state: route names armed with t_on_failure,
	// t_on_reply, t_on_branch; the message flags; the Request-URI at
	// relay time; anything else the binding keeps (User).
	FailureRoute string
	ReplyRoute   string
	BranchRoute  string
	Flags        uint64
	RelayURI     string
	DropReplies  bool
	User         any
}

// Branch is one client transaction of a Tx.
type Branch struct {
	uri     string // Request-URI sent; "" means the one in the request
	dst     transport.Target
	viaHost string
	viaPort uint16
	rport   bool
	raw     []byte // own request bytes (branch-specific edits); nil: built from Tx.req

	code          int // last reply code received (or the local timeout code)
	provisional   bool
	final         bool
	local         bool // final is a local timeout
	timedOut      bool
	cancelPending bool // CANCEL to send once a provisional reply arrives
	cancelSent    bool
	cancelDone    bool // the CANCEL got its reply (no more retransmissions)

	retrIv time.Duration
	retr   timer
	fr     timer
}

// BranchSpec describes a new branch.
type BranchSpec struct {
	// URI is the branch's Request-URI; empty keeps the request's.
	URI string
	// Dst is where the branch goes (resolved).
	Dst transport.Target
	// ViaHost and ViaPort are the address put in our Via; RPort adds an
	// empty rport parameter to it.
	ViaHost string
	ViaPort uint16
	RPort   bool
	// Raw, when not nil, is the request to send (with branch-specific
	// edits applied); it is copied. Nil means the transaction's request.
	Raw []byte
}

// Branch accessors for the script binding.

// Code is the branch's last reply code (the local one after a timeout).
func (b *Branch) Code() int { return b.code }

// Final reports whether the branch has a final reply.
func (b *Branch) Final() bool { return b.final }

// TimedOut reports whether the branch ended with a local timeout.
func (b *Branch) TimedOut() bool { return b.timedOut }

// Replied reports whether the branch received a reply before its final
// one (Kamailio's t_branch_replied does not count the reply that made
// the route run).
func (b *Branch) Replied() bool { return b.provisional }

// Answered reports whether the branch received a final reply (not a
// local timeout).
func (b *Branch) Answered() bool { return b.final && !b.local && b.code > 0 }

// URI returns the branch's Request-URI ("" when it is the request's).
func (b *Branch) URI() string { return b.uri }

var (
	msgPool = sync.Pool{New: func() any { return new(sip.Message) }}
	bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}
)

// Unlock releases the transaction.
func (tx *Tx) Unlock() { tx.mu.Unlock() }

// ID returns the transaction's id (unique within the process).
func (tx *Tx) ID() uint64 { return tx.id }

// IsInvite reports whether the transaction is an INVITE one.
func (tx *Tx) IsInvite() bool { return tx.invite }

// Method returns the request method.
func (tx *Tx) Method() sip.Method { return tx.method }

// Request returns the transaction's copy of the request. It must not be
// changed.
func (tx *Tx) Request() []byte { return tx.req }

// Info returns where the request came from and where replies go.
func (tx *Tx) Info() ServerInfo { return tx.info }

// Status returns the code of the last reply sent upstream (0 none).
func (tx *Tx) Status() int { return tx.status }

// Canceled reports whether a CANCEL for the transaction arrived.
func (tx *Tx) Canceled() bool { return tx.canceled }

// Branches returns the branches; the slice must not be changed.
func (tx *Tx) Branches() []*Branch { return tx.branches }

// Best returns the index, code and local flag of the best final reply
// received so far (the one a failure route sees), idx -1 when none.
func (tx *Tx) Best() (idx, code int, local bool) {
	if tx.bestCode == 0 {
		return -1, 0, false
	}
	return tx.bestIdx, tx.bestCode, tx.bestLocal
}

// BestReason returns the reason phrase of the best reply.
func (tx *Tx) BestReason() string {
	if tx.bestCode == 0 {
		return ""
	}
	if tx.bestLocal || len(tx.bestReply) == 0 {
		return localReason(tx.bestCode)
	}
	line := tx.bestReply
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, "\r")
	if len(line) > 12 {
		return string(line[12:])
	}
	return ""
}

// InFailureRoute reports whether the failure route is running.
func (tx *Tx) InFailureRoute() bool { return tx.inFailure }

// Pending reports whether some branch has no final reply.
func (tx *Tx) Pending() bool {
	for i := range tx.branches {
		if !tx.branches[i].final {
			return true
		}
	}
	return false
}

// SetFR changes the transaction's fr_inv_timer and fr_timer (0 leaves
// one unchanged) and restarts the running timers of pending branches
// with the new values (t_set_fr).
func (tx *Tx) SetFR(inv, noninv time.Duration) {
	if inv > 0 {
		tx.timers.FRInv = inv
	}
	if noninv > 0 {
		tx.timers.FR = noninv
	}
	for i := range tx.branches {
		b := tx.branches[i]
		if b.final {
			continue
		}
		d := tx.timers.FR
		if tx.invite && b.provisional {
			d = tx.timers.FRInv
		}
		tx.m.wheel.set(&b.fr, tx.m.ticks(d))
	}
}

// Timers returns the transaction's timer values.
func (tx *Tx) Timers() Timers { return tx.timers }

// ---- server side ----

// SendTrying sends "100 reason" for req (the received request, whose
// Via edits such as received and rport are used).
func (tx *Tx) SendTrying(ctx context.Context, req *sip.Message, reason string) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	*bp = sip.AppendReply((*bp)[:0], req, 100, reason, &sip.ReplyOptions{Headers: []byte(tx.m.cfg.ReplyHeaders)})
	if tx.status < 100 {
		tx.status = 100
		tx.local100 = true
		tx.trying = reason
	}
	return tx.m.sender.Send(ctx, tx.info.Reply, *bp)
}

// Retransmit answers a retransmission of the request (req) with the last
// reply sent, if any.
func (tx *Tx) Retransmit(ctx context.Context, req *sip.Message) error {
	if tx.local100 {
		return tx.SendTrying(ctx, req, tx.trying)
	}
	if len(tx.lastReply) == 0 {
		return nil
	}
	return tx.m.sender.Send(ctx, tx.info.Reply, tx.lastReply)
}

// AckReceived records the ACK of a non-2xx final reply: reply
// retransmissions stop and the transaction is deleted after a while
// (Timer I).
func (tx *Tx) AckReceived() {
	if tx.acked {
		return
	}
	tx.acked = true
	tx.m.wheel.stop(&tx.rretr)
	tx.m.wheel.set(&tx.wait, tx.m.ticks(tx.m.cfg.WaitTimer))
}

// ErrFinalSent is returned by Reply when a final reply was already sent.
var ErrFinalSent = errors.New("tm: a final reply was already sent")

// Reply sends a local reply upstream. headers are extra header lines
// (each ending in CRLF). A final reply ends the transaction: pending
// branches are cancelled.
func (tx *Tx) Reply(ctx context.Context, code int, reason string, headers []byte) error {
	if tx.status >= 200 {
		return ErrFinalSent
	}
	msg := msgPool.Get().(*sip.Message)
	defer func() { msg.Reset(); msgPool.Put(msg) }()
	if err := msg.Parse(tx.req, sip.Datagram); err != nil {
		return err
	}
	var tag [24]byte
	opts := sip.ReplyOptions{ToTag: tx.appendTag(tag[:0])}
	if len(headers) > 0 || tx.m.cfg.ReplyHeaders != "" {
		h := bufPool.Get().(*[]byte)
		defer bufPool.Put(h)
		*h = append(append((*h)[:0], headers...), tx.m.cfg.ReplyHeaders...)
		opts.Headers = *h
	}
	tx.lastReply = sip.AppendReply(tx.lastReply[:0], msg, code, reason, &opts)
	tx.status = code
	tx.local100 = false
	err := tx.m.sender.Send(ctx, tx.info.Reply, tx.lastReply)
	if code >= 200 {
		tx.finalSent()
	}
	return err
}

// appendTag appends the To-tag of local replies: stable per transaction.
func (tx *Tx) appendTag(dst []byte) []byte {
	dst = append(dst, "tm"...)
	dst = append(dst, tx.m.salt...)
	return strconv.AppendUint(dst, tx.id, 16)
}

// finalSent arms the end-of-transaction timers after a final reply went
// upstream and cancels the branches still pending.
func (tx *Tx) finalSent() {
	w := tx.m.wheel
	if tx.invite && tx.status >= 300 && !tx.info.Reply.Proto.Reliable() {
		tx.rretrIv = tx.m.cfg.T1
		w.set(&tx.rretr, tx.m.ticks(tx.rretrIv))
		w.set(&tx.wait, tx.m.ticks(64*tx.m.cfg.T1)) // Timer H
	} else {
		w.set(&tx.wait, tx.m.ticks(tx.m.cfg.WaitTimer))
	}
	if tx.invite {
		tx.cancelPending(context.Background())
	}
}

// relay sends a received reply upstream: our Via removed.
func (tx *Tx) relay(ctx context.Context, resp *core.Msg) error {
	removeTopVia(resp.Message)
	if tx.info.Reply.Proto.Stream() {
		resp.EnsureContentLength()
	}
	tx.lastReply = resp.AppendTo(tx.lastReply[:0])
	tx.local100 = false
	code := resp.StatusCode()
	wasFinal := tx.status >= 200
	tx.status = code
	err := tx.m.sender.Send(ctx, tx.info.Reply, tx.lastReply)
	if code >= 200 && !wasFinal {
		tx.finalSent()
	}
	return err
}

// Cancel handles a CANCEL of the transaction (RFC 3261 16.10): branches
// with a provisional reply are cancelled now, the others once one
// arrives; a transaction without branches is answered with 487.
func (tx *Tx) Cancel(ctx context.Context) {
	tx.canceled = true
	if tx.status >= 200 {
		return
	}
	if len(tx.branches) == 0 || !tx.Pending() {
		tx.Reply(ctx, 487, "Request Terminated", nil)
		return
	}
	tx.cancelPending(ctx)
}

// cancelPending cancels every branch without a final reply.
func (tx *Tx) cancelPending(ctx context.Context) {
	for i := range tx.branches {
		b := tx.branches[i]
		if b.final || b.cancelSent {
			continue
		}
		tx.m.wheel.stop(&b.retr)
		if b.provisional {
			tx.sendCancel(ctx, i)
		} else {
			b.cancelPending = true
		}
	}
}

// ---- client side ----

// AddBranch adds a branch and returns its index; SendBranch sends it.
// In a failure route, the first new branch starts a new serial leg: the
// replies of the earlier ones no longer compete (failure_reply_mode 3).
func (tx *Tx) AddBranch(s BranchSpec) int {
	if tx.inFailure && !tx.newLeg {
		tx.newLeg = true
		tx.legStart = len(tx.branches)
		tx.bestCode, tx.bestIdx, tx.bestLocal = 0, 0, false
		tx.bestReply = tx.bestReply[:0]
	}
	i := len(tx.branches)
	var b *Branch
	if i == 0 {
		b = &tx.first
		tx.branches = tx.brArr[:0]
	} else {
		b = new(Branch)
	}
	*b = Branch{uri: s.URI, dst: s.Dst, viaHost: s.ViaHost, viaPort: s.ViaPort, rport: s.RPort}
	tx.branches = append(tx.branches, b)
	if s.Raw != nil {
		b.raw = append([]byte(nil), s.Raw...)
	}
	b.retr = timer{kind: tRetr, tx: tx, branch: int16(i)}
	b.fr = timer{kind: tFR, tx: tx, branch: int16(i)}
	return i
}

// appendBranchRequest appends the request of branch i as sent.
func (tx *Tx) appendBranchRequest(dst []byte, i int) []byte {
	b := tx.branches[i]
	src := tx.req
	if b.raw != nil {
		src = b.raw
	}
	eol := bytes.IndexByte(src, '\n')
	if eol < 0 {
		return dst
	}
	if b.uri != "" {
		sp1 := bytes.IndexByte(src, ' ')
		line := bytes.TrimRight(src[:eol], "\r")
		sp2 := bytes.LastIndexByte(line, ' ')
		dst = append(dst, src[:sp1+1]...)
		dst = append(dst, b.uri...)
		dst = append(dst, line[sp2:]...)
		dst = append(dst, "\r\n"...)
	} else {
		dst = append(dst, src[:eol+1]...)
	}
	dst = append(dst, "Via: SIP/2.0/"...)
	dst = append(dst, b.dst.Proto.ViaName()...)
	dst = append(dst, ' ')
	dst = append(dst, b.viaHost...)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(b.viaPort), 10)
	dst = append(dst, ";branch="...)
	dst = tx.m.appendBranch(dst, tx.id, i)
	if b.rport {
		dst = append(dst, ";rport"...)
	}
	dst = append(dst, "\r\n"...)
	rest := src[eol+1:]
	if b.dst.Proto.Stream() {
		dst = sip.AppendContentLengthIfMissing(dst, rest)
	}
	return append(dst, rest...)
}

// SendBranch sends branch i and starts its timers.
func (tx *Tx) SendBranch(ctx context.Context, i int) error {
	b := tx.branches[i]
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	*bp = tx.appendBranchRequest((*bp)[:0], i)
	err := tx.m.sender.Send(ctx, b.dst, *bp)
	w := tx.m.wheel
	if err != nil {
		b.final, b.code, b.local = true, 477, true
		return err
	}
	if !b.dst.Proto.Reliable() {
		b.retrIv = tx.m.cfg.T1
		w.set(&b.retr, tx.m.ticks(b.retrIv))
	}
	fr := tx.timers.FR
	if fr > 0 {
		w.set(&b.fr, tx.m.ticks(fr))
	}
	return nil
}

// DropBranch marks a branch that could not be sent as finished with a
// local code (e.g. 477 or 478), so that the transaction does not wait
// for it.
func (tx *Tx) DropBranch(i, code int) {
	b := tx.branches[i]
	tx.m.wheel.stop(&b.retr)
	tx.m.wheel.stop(&b.fr)
	b.final, b.code, b.local = true, code, true
	if code > 0 && i >= tx.legStart && better(code, tx.bestCode) {
		tx.bestCode, tx.bestIdx, tx.bestLocal = code, i, true
		tx.bestReply = tx.bestReply[:0]
	}
}

// sendCancel sends a CANCEL on branch i (RFC 3261 9.1).
func (tx *Tx) sendCancel(ctx context.Context, i int) {
	b := tx.branches[i]
	b.cancelSent, b.cancelPending = true, false
	tx.sendHop(ctx, i, nil)
	if !b.dst.Proto.Reliable() {
		// The CANCEL is a non-INVITE request: retransmitted (Timer E)
		// until its reply or the branch's final reply.
		b.retrIv = tx.m.cfg.T1
		tx.m.wheel.set(&b.retr, tx.m.ticks(b.retrIv))
	}
}

// sendHop sends a CANCEL (resp nil) or the ACK of resp on branch i.
func (tx *Tx) sendHop(ctx context.Context, i int, resp *sip.Message) {
	b := tx.branches[i]
	sent := bufPool.Get().(*[]byte)
	out := bufPool.Get().(*[]byte)
	msg := msgPool.Get().(*sip.Message)
	defer func() {
		msg.Reset()
		msgPool.Put(msg)
		bufPool.Put(sent)
		bufPool.Put(out)
	}()
	*sent = tx.appendBranchRequest((*sent)[:0], i)
	if err := msg.Parse(*sent, sip.Datagram); err != nil {
		tx.m.log.Debug("tm: cannot parse the request of a branch", "err", err)
		return
	}
	if resp == nil {
		*out = sip.AppendCancel((*out)[:0], msg)
	} else {
		*out = sip.AppendAck((*out)[:0], msg, resp)
	}
	if err := tx.m.sender.Send(ctx, b.dst, *out); err != nil {
		tx.m.log.Debug("tm: cannot send", "err", err)
	}
}

// HandleReply matches a received reply to its transaction and processes
// it (RFC 3261 16.7): provisional replies are relayed (not 100), a 2xx
// at once (every one of them), other finals once every branch has one,
// the best of them, unless the failure route does something else.
// consumed is false when the reply is not for one of our transactions
// (the caller forwards it statelessly).
func (m *Manager) HandleReply(ctx context.Context, resp *core.Msg) (consumed bool) {
	tx, i := m.LookupReply(resp.Message)
	if tx == nil {
		return false
	}
	if tx.local != nil {
		m.localReply(ctx, tx, i, resp) // unlocks tx
		return true
	}
	defer tx.mu.Unlock()
	cs, err := resp.CSeq()
	if err != nil {
		return true
	}
	if cs.Method != tx.method {
		// A reply to a CANCEL we sent: absorbed; its retransmissions
		// stop.
		if cs.Method == sip.MethodCANCEL {
			b := tx.branches[i]
			if !b.cancelDone {
				b.cancelDone = true
				if !b.final {
					tx.m.wheel.stop(&b.retr)
				}
			}
		}
		return true
	}
	tx.onReply(ctx, i, resp)
	return true
}

func (tx *Tx) onReply(ctx context.Context, i int, resp *core.Msg) {
	b := tx.branches[i]
	code := resp.StatusCode()
	w := tx.m.wheel
	if b.final {
		if b.local && code >= 200 && !(tx.invite && code < 300) {
			// A reply after our local timeout: the branch is over, but
			// an INVITE's final reply still needs its ACK; the onreply
			// route still sees it (as in Kamailio).
			if tx.invite && code >= 300 {
				tx.sendHop(ctx, i, resp.Message)
			}
			if tx.ReplyRoute != "" && tx.m.hooks != nil {
				tx.m.hooks.Reply(tx, i, resp)
			}
			return
		}
		switch {
		case tx.invite && code >= 200 && code < 300:
			b.code = code
			tx.relay(ctx, resp) // every 2xx goes upstream
		case tx.invite && code >= 300:
			tx.sendHop(ctx, i, resp.Message) // a retransmitted final: ACK again
		}
		return
	}
	if code < 200 {
		first := !b.provisional
		b.provisional = true
		if tx.invite {
			w.stop(&b.retr)
			restart := first || tx.timers.RestartFROnEachReply || (code >= 180 && code > b.code)
			if restart && tx.timers.FRInv > 0 {
				w.set(&b.fr, tx.m.ticks(tx.timers.FRInv))
			}
		} else if b.retrIv > 0 {
			b.retrIv = tx.m.cfg.T2
		}
		b.code = code
		if b.cancelPending {
			tx.sendCancel(ctx, i)
		}
		if tx.ReplyRoute != "" && tx.m.hooks != nil && !tx.m.hooks.Reply(tx, i, resp) {
			return
		}
		if code == 100 || tx.status >= 200 {
			return
		}
		tx.relay(ctx, resp)
		return
	}
	b.final, b.code = true, code
	w.stop(&b.retr)
	w.stop(&b.fr)
	if tx.invite && code >= 300 {
		tx.sendHop(ctx, i, resp.Message)
	}
	if tx.ReplyRoute != "" && tx.m.hooks != nil {
		tx.m.hooks.Reply(tx, i, resp) // a final reply cannot be dropped
	}
	if code < 300 {
		if !tx.invite && tx.status >= 200 {
			return
		}
		tx.relay(ctx, resp)
		return
	}
	if code >= 600 && tx.invite {
		tx.cancelPending(ctx)
	}
	if i >= tx.legStart && better(code, tx.bestCode) {
		tx.bestCode, tx.bestIdx, tx.bestLocal = code, i, false
		removeTopVia(resp.Message)
		if tx.info.Reply.Proto.Stream() {
			resp.EnsureContentLength()
		}
		tx.bestReply = resp.AppendTo(tx.bestReply[:0])
	}
	tx.maybeComplete(ctx)
}

// maybeComplete finishes the transaction when every branch has a final
// reply: the failure route when armed, else the best reply upstream.
func (tx *Tx) maybeComplete(ctx context.Context) {
	if tx.status >= 200 || tx.Pending() {
		return
	}
	if tx.FailureRoute != "" && tx.m.hooks != nil {
		route := tx.FailureRoute
		tx.FailureRoute = "" // armed again by t_on_failure in the route
		tx.inFailure, tx.newLeg = true, false
		tx.m.hooks.Failure(tx, route)
		tx.inFailure = false
		if tx.status >= 200 || tx.Pending() {
			return
		}
	}
	tx.relayBest(ctx)
}

// relayBest sends the best final reply upstream.
func (tx *Tx) relayBest(ctx context.Context) {
	switch {
	case tx.bestCode == 0:
		tx.Reply(ctx, 500, "I'm terribly sorry, server error occurred (4/TM)", nil)
	case tx.bestLocal || len(tx.bestReply) == 0:
		tx.Reply(ctx, tx.bestCode, localReason(tx.bestCode), nil)
	case tx.bestCode == 503 && tx.m.cfg.Remap503:
		// A 503 would make the caller fail over: answered as a local
		// 500 with the 503's reason (Kamailio's remap_503_500).
		tx.Reply(ctx, 500, tx.BestReason(), nil)
	default:
		tx.lastReply, tx.bestReply = tx.bestReply, tx.lastReply[:0]
		tx.local100 = false
		tx.status = tx.bestCode
		tx.m.sender.Send(ctx, tx.info.Reply, tx.lastReply)
		tx.finalSent()
	}
}

func localReason(code int) string {
	switch code {
	case 408:
		return "Request Timeout"
	case 487:
		return "Request Terminated"
	case 477:
		return "Unfortunately error on sending to next hop occurred"
	case 478:
		return "Unresolvable destination"
	case 503:
		return "Service Unavailable"
	}
	return "Server Internal Error"
}

// prio ranks a final reply code for the choice among branches (RFC 3261
// 16.7 step 6, with Kamailio's preferences): lower is better. 6xx first,
// then 3xx, 4xx (401 and 407 first, then 415, 420, 484, then by code),
// 5xx; within a class the lower code wins.
func prio(code int) int {
	switch {
	case code >= 600:
		return 1000 + code%100
	case code >= 200 && code < 300:
		return code % 100
	case code >= 300 && code < 400:
		return 3000 + code%100
	case code >= 400 && code < 500:
		switch code {
		case 401, 407:
			return 4000
		case 415:
			return 4001
		case 420:
			return 4002
		case 484:
			return 4003
		}
		return 4010 + code%100
	case code >= 500 && code < 600:
		return 5000 + code%100
	}
	return 9000
}

// better reports whether code beats cur (0 = none yet).
func better(code, cur int) bool {
	return cur == 0 || prio(code) < prio(cur)
}

// fire handles an expired timer (called by Advance).
func (tx *Tx) fire(t *timer, gen uint32) {
	tx.mu.Lock()
	if tx.local != nil {
		tx.fireLocal(t, gen) // unlocks tx
		return
	}
	defer tx.mu.Unlock()
	if tx.deleted || t.gen != gen || t.linked {
		return
	}
	ctx := context.Background()
	w := tx.m.wheel
	switch t.kind {
	case tRetr:
		i := int(t.branch)
		b := tx.branches[i]
		if b.final || b.cancelPending {
			return
		}
		if b.cancelSent {
			if b.cancelDone {
				return
			}
			tx.sendHop(ctx, i, nil)
			b.retrIv *= 2
			if b.retrIv > tx.m.cfg.T2 {
				b.retrIv = tx.m.cfg.T2
			}
			w.set(&b.retr, tx.m.ticks(b.retrIv))
			return
		}
		if tx.invite && b.provisional {
			return
		}
		bp := bufPool.Get().(*[]byte)
		*bp = tx.appendBranchRequest((*bp)[:0], i)
		tx.m.sender.Send(ctx, b.dst, *bp)
		bufPool.Put(bp)
		b.retrIv *= 2
		if !tx.invite && b.retrIv > tx.m.cfg.T2 {
			b.retrIv = tx.m.cfg.T2
		}
		w.set(&b.retr, tx.m.ticks(b.retrIv))
	case tFR:
		tx.timeout(ctx, int(t.branch))
		tx.maybeComplete(ctx)
	case tLife:
		for i := range tx.branches {
			tx.timeout(ctx, i)
		}
		if len(tx.branches) == 0 && tx.status < 200 {
			// t_newtran without a reply in time.
			tx.m.remove(tx)
			return
		}
		tx.maybeComplete(ctx)
	case tReplyRetr:
		if tx.acked || tx.status < 300 {
			return
		}
		tx.m.sender.Send(ctx, tx.info.Reply, tx.lastReply)
		tx.rretrIv *= 2
		if tx.rretrIv > tx.m.cfg.T2 {
			tx.rretrIv = tx.m.cfg.T2
		}
		w.set(&tx.rretr, tx.m.ticks(tx.rretrIv))
	case tWait:
		tx.m.remove(tx)
	}
}

// timeout ends branch i without a final reply: a local 408 (487 when
// the transaction was cancelled), with a CANCEL when it had a
// provisional reply.
func (tx *Tx) timeout(ctx context.Context, i int) {
	b := tx.branches[i]
	if b.final {
		return
	}
	tx.m.wheel.stop(&b.retr)
	tx.m.wheel.stop(&b.fr)
	if tx.invite && b.provisional && !b.cancelSent {
		tx.sendCancel(ctx, i)
	}
	code := 408
	if tx.canceled {
		code = 487
	}
	b.final, b.local, b.timedOut, b.code = true, true, true, code
	if i >= tx.legStart && better(code, tx.bestCode) {
		tx.bestCode, tx.bestIdx, tx.bestLocal = code, i, true
		tx.bestReply = tx.bestReply[:0]
	}
}

// removeTopVia records the removal of the first via-parm (ours).
func removeTopVia(m *sip.Message) {
	it := m.Values(sip.HdrVia)
	if v, ok := it.Next(); ok {
		m.RemoveValue(v)
	}
}

// LockTx locks a transaction a caller kept from an earlier Lookup or
// NewTx in the same message run (Unlock releases it).
func LockTx(tx *Tx) { tx.mu.Lock() }

// AppendTag appends the To-tag of the transaction's local replies.
func (tx *Tx) AppendTag(dst []byte) []byte { return tx.appendTag(dst) }

// RewriteBranch replaces the Request-URI and the request bytes of a
// branch not sent yet (a branch route changed them); raw is kept as is.
func RewriteBranch(tx *Tx, i int, uri string, raw []byte) {
	b := tx.branches[i]
	b.uri = uri
	if raw != nil {
		b.raw = raw
	}
}
