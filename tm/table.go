package tm

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// Sender sends bytes to a transport target (module.Host and
// *transport.Manager are ones).
type Sender interface {
	Send(ctx context.Context, t transport.Target, data []byte) error
}

// Hooks are called by the transaction layer, with the transaction
// locked, when the script has a say: the binding to the script (the tm
// module) implements them.
type Hooks interface {
	// Reply runs the onreply route armed on tx for resp, received on
	// branch b. It returns false when the script dropped the reply.
	Reply(tx *Tx, b int, resp *core.Msg) bool
	// Failure runs the failure route armed on tx, once every branch has
	// a final reply and none is a 2xx. The route may add branches
	// (AddBranch + SendBranch) or reply (Reply); when it does neither,
	// the best reply is relayed.
	// route is the name armed (FailureRoute is cleared before the call).
	Failure(tx *Tx, route string)
}

// Config is the transaction layer's configuration. Zero fields take the
// defaults (Kamailio's, in parentheses).
type Config struct {
	// Tick is the timer resolution (20 ms).
	Tick time.Duration
	// T1 and T2 are the RFC 3261 retransmission intervals (500 ms, 4 s).
	T1, T2 time.Duration
	// WaitTimer keeps a completed transaction to absorb retransmissions
	// and forward late 2xx replies (5 s, Kamailio's wt_timer).
	WaitTimer time.Duration
	// MaxTransactions bounds the table (100000): over it, new requests
	// get 503 (see ErrTooMany).
	MaxTransactions int
	// Shards is the number of table shards (256).
	Shards int
	// ReplyHeaders are header lines (each ending in CRLF) added to every
	// local reply, e.g. "Server: olelo\r\n".
	ReplyHeaders string
	// Remap503 answers a winning 503 with a local 500 (Kamailio's
	// remap_503_500, on by default there; false here for the zero
	// Config).
	Remap503 bool
	Log      *slog.Logger
}

// Timers are the per-transaction timer values, copied into each Tx when
// it is created (the script can change them with t_set_fr).
type Timers struct {
	FR            time.Duration // fr_timer (30 s)
	FRInv         time.Duration // fr_inv_timer (120 s)
	MaxInvLife    time.Duration // max_inv_lifetime (180 s)
	MaxNonInvLife time.Duration // max_noninv_lifetime (32 s)
	// RestartFROnEachReply restarts fr_inv_timer on every provisional
	// reply; when false only on a higher code >= 180.
	RestartFROnEachReply bool
}

// DefaultTimers are Kamailio's defaults.
var DefaultTimers = Timers{FR: 30 * time.Second, FRInv: 120 * time.Second, MaxInvLife: 180 * time.Second, MaxNonInvLife: 32 * time.Second, RestartFROnEachReply: true}

// ErrTooMany is returned by NewTx when the table holds MaxTransactions.
var ErrTooMany = errors.New("tm: too many transactions")

// ErrExists is returned by NewTx when a matching transaction exists.
var ErrExists = errors.New("tm: transaction exists")

// Manager is the transaction table and its timer wheel.
type Manager struct {
	cfg    Config
	sender Sender
	hooks  Hooks
	log    *slog.Logger

	// Server side: key (branch, sent-by, method class) -> Tx.
	srv []shard
	// Client side: transaction id (from the branch of our Via) -> Tx.
	cli []cshard

	mask   uint32
	count  atomic.Int64
	nextID atomic.Uint64
	salt   string // 8 hex digits, per process: our branches carry it

	wheel   *wheel
	tickNs  int64
	advMu   sync.Mutex
	lastAdv atomic.Int64  // elapsed ns at the last advance
	tick    *time.Timer   // the timer goroutine's next wakeup; guarded by advMu (nil when not running)
	kick    chan struct{} // wakes the timer goroutine parked on an empty wheel
	start   time.Time
	stop    chan struct{}
	done    chan struct{}
	running atomic.Bool

	overLog atomic.Int64 // unix seconds of the last "table full" log

	// slow carries the timers whose firing may run a failure route (the
	// script can do slow things there: DNS, a TCP connect, a database),
	// to a few workers, so that they do not hold up the wheel. Nil when
	// the Manager is driven by Advance alone (tests): all fire inline.
	slow chan fired
}

// timerWorkers is the number of goroutines that run fr and lifetime
// expiries (and so the failure routes they trigger).
const timerWorkers = 4

type shard struct {
	mu sync.Mutex
	m  map[string]*Tx
}

type cshard struct {
	mu sync.Mutex
	m  map[uint64]*Tx
}

// New returns a Manager. Call Start to run its timer goroutine (tests
// drive the timers with Advance instead).
func New(cfg Config, s Sender, h Hooks) *Manager {
	if cfg.Tick <= 0 {
		cfg.Tick = 20 * time.Millisecond
	}
	if cfg.T1 <= 0 {
		cfg.T1 = 500 * time.Millisecond
	}
	if cfg.T2 <= 0 {
		cfg.T2 = 4 * time.Second
	}
	if cfg.WaitTimer <= 0 {
		cfg.WaitTimer = 5 * time.Second
	}
	if cfg.MaxTransactions <= 0 {
		cfg.MaxTransactions = 100000
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 256
	}
	n := 1
	for n < cfg.Shards {
		n <<= 1
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	m := &Manager{cfg: cfg, sender: s, hooks: h, log: cfg.Log, mask: uint32(n - 1),
		srv: make([]shard, n), cli: make([]cshard, n), wheel: newWheel(4096), tickNs: int64(cfg.Tick), start: time.Now(),
		kick: make(chan struct{}, 1)}
	for i := range m.srv {
		m.srv[i].m = map[string]*Tx{}
		m.cli[i].m = map[uint64]*Tx{}
	}
	m.salt = strconv.FormatUint(uint64(rand.Uint32())|1<<32, 16)[1:]
	m.nextID.Store(rand.Uint64() >> 8)
	return m
}

// SetHooks sets the hooks (before any transaction exists).
func (m *Manager) SetHooks(h Hooks) { m.hooks = h }

// SetSender sets the sender (before any transaction exists).
func (m *Manager) SetSender(s Sender) { m.sender = s }

// Config returns the configuration in use (defaults applied).
func (m *Manager) Config() Config { return m.cfg }

// Len returns the number of transactions in the table.
func (m *Manager) Len() int { return int(m.count.Load()) }

// Start runs the timer goroutine until Stop.
func (m *Manager) Start() {
	if !m.running.CompareAndSwap(false, true) {
		return
	}
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	slow := make(chan fired, 4096)
	m.advMu.Lock()
	m.slow = slow
	m.advMu.Unlock()
	var workers sync.WaitGroup
	for i := 0; i < timerWorkers; i++ {
		workers.Add(1)
		go func(ch chan fired) {
			defer workers.Done()
			for f := range ch {
				f.t.tx.fire(f.t, f.gen)
			}
		}(slow)
	}
	m.wheel.setWake(func() int64 { return int64(time.Since(m.start)) / m.tickNs }, func() {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	})
	m.advMu.Lock()
	m.tick = time.NewTimer(m.cfg.Tick)
	m.advMu.Unlock()
	go func() {
		defer close(m.done)
		defer workers.Wait()
		defer close(slow)
		defer m.tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-m.tick.C:
			}
			m.advMu.Lock()
			m.advanceLocked(time.Since(m.start))
			parked := m.wheel.park()
			if !parked {
				m.tick.Reset(m.cfg.Tick)
			}
			m.advMu.Unlock()
			if parked {
				// No timer pending: sleep until one is set.
				select {
				case <-m.stop:
					return
				case <-m.kick:
				}
				m.advMu.Lock()
				m.tick.Reset(m.cfg.Tick)
				m.advMu.Unlock()
			}
		}
	}()
}

// Poke advances the wheel from a goroutine that is awake anyway (one
// about to handle a packet) once a tick has passed since the last
// advance, and pushes the timer goroutine's next wakeup further out.
// Under traffic the timer goroutine then never wakes: each wakeup of an
// idle thread costs more CPU than the timers it runs (and, as the
// goroutine blocks on its timer again, one more to wake the netpoller).
// Poke runs due timers inline, so the caller must hold no transaction:
// the tm module calls it before routing a request and before matching a
// reply.
func (m *Manager) Poke() {
	if !m.running.Load() {
		return
	}
	el := int64(time.Since(m.start))
	if el-m.lastAdv.Load() < m.tickNs || !m.advMu.TryLock() {
		return
	}
	if m.tick != nil && el-m.lastAdv.Load() >= m.tickNs {
		m.advanceLocked(time.Duration(el))
		// Two ticks: the next poke comes one tick from now, and must
		// come before this timer fires for the goroutine to stay asleep.
		// Without packets, a timer runs at most a tick late.
		m.tick.Reset(2 * m.cfg.Tick)
	}
	m.advMu.Unlock()
}

// Stop ends the timer goroutine. Transactions stay in the table.
func (m *Manager) Stop() {
	if !m.running.CompareAndSwap(true, false) {
		return
	}
	close(m.stop)
	<-m.done
	m.wheel.setWake(nil, nil)
	m.advMu.Lock()
	m.slow = nil // Advance fires inline from now on
	m.tick = nil
	m.advMu.Unlock()
}

// Advance runs the timers due at elapsed (time since New). The timer
// goroutine calls it; tests call it with a fake clock.
func (m *Manager) Advance(elapsed time.Duration) {
	m.advMu.Lock()
	defer m.advMu.Unlock()
	m.advanceLocked(elapsed)
}

// advanceLocked is Advance with advMu held.
func (m *Manager) advanceLocked(elapsed time.Duration) {
	m.lastAdv.Store(int64(elapsed))
	for _, f := range m.wheel.advance(int64(elapsed) / m.tickNs) {
		if m.slow != nil && (f.t.kind == tFR || f.t.kind == tLife) {
			select {
			case m.slow <- f:
				continue
			default: // workers busy: fire here
			}
		}
		f.t.tx.fire(f.t, f.gen)
	}
}

// ticks converts a duration into wheel ticks (rounded up).
func (m *Manager) ticks(d time.Duration) int64 {
	return (int64(d) + m.tickNs - 1) / m.tickNs
}

func (m *Manager) logOverflow() {
	now := time.Now().Unix()
	last := m.overLog.Load()
	if now-last >= 10 && m.overLog.CompareAndSwap(last, now) {
		m.log.Warn("tm: transaction table full, answering new requests with 503", "max_transactions", m.cfg.MaxTransactions)
	}
}

// ---- keys ----

// Match says how a request relates to the transactions in the table.
type Match uint8

const (
	NoMatch        Match = iota
	Retransmission       // the request of an existing server transaction, again
	AckNon2xx            // the ACK of a non-2xx final reply of an INVITE transaction (hop by hop)
	Ack2xx               // an ACK matching an INVITE transaction answered with 2xx (end to end)
)

const magic = "z9hG4bK"

// appendKey appends the server transaction key of req: for an RFC 3261
// branch, the branch, the sent-by and the method class; otherwise (RFC
// 2543 peers) Call-ID, From tag, CSeq number, top Via, Request-URI and
// the method class. INVITE and ACK share a class, so that an ACK finds
// its INVITE; a CANCEL finds its INVITE with cancelOf.
func appendKey(dst []byte, req *sip.Message, method sip.Method, methodRaw []byte) ([]byte, bool) {
	v, err := req.TopVia()
	if err != nil {
		return dst, false
	}
	if bytes.HasPrefix(v.Branch, []byte(magic)) {
		dst = append(dst, v.Branch...)
		dst = append(dst, 0)
		dst = appendLower(dst, v.Host)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(v.Port), 10)
	} else {
		cs, err := req.CSeq()
		if err != nil {
			return dst, false
		}
		dst = append(dst, "2543\x00"...)
		dst = append(dst, req.CallID()...)
		dst = append(dst, 0)
		dst = append(dst, req.FromTag()...)
		dst = append(dst, 0)
		dst = strconv.AppendUint(dst, uint64(cs.Num), 10)
		dst = append(dst, 0)
		dst = append(dst, v.Raw...)
		dst = append(dst, 0)
		dst = append(dst, req.RequestURIBytes()...)
	}
	dst = append(dst, 0)
	switch method {
	case sip.MethodINVITE, sip.MethodACK:
		dst = append(dst, 'I')
	default:
		dst = append(dst, methodRaw...)
	}
	return dst, true
}

func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func (m *Manager) shardOf(key []byte) *shard {
	h := uint32(2166136261)
	for _, c := range key {
		h = (h ^ uint32(c)) * 16777619
	}
	return &m.srv[h&m.mask]
}

func (m *Manager) cshardOf(id uint64) *cshard {
	return &m.cli[uint32(id^id>>29)&m.mask]
}

// Lookup finds the server transaction of a request and returns it
// locked (Unlock it), with how the request matches. An ACK matches its
// INVITE transaction (AckNon2xx or Ack2xx); other requests match as a
// Retransmission. A CANCEL is looked up as itself (its own transaction);
// use LookupInvite for the INVITE it cancels.
func (m *Manager) Lookup(req *sip.Message) (*Tx, Match) {
	var kb [256]byte
	key, ok := appendKey(kb[:0], req, req.Method(), req.MethodBytes())
	if !ok {
		return nil, NoMatch
	}
	tx := m.find(key)
	if tx == nil {
		return nil, NoMatch
	}
	tx.mu.Lock()
	if tx.deleted {
		tx.mu.Unlock()
		return nil, NoMatch
	}
	if req.Method() != sip.MethodACK {
		return tx, Retransmission
	}
	if !tx.invite {
		tx.mu.Unlock()
		return nil, NoMatch
	}
	if tx.status >= 200 && tx.status < 300 {
		return tx, Ack2xx
	}
	if tx.status >= 300 {
		// RFC 2543 ACKs share the key without the To tag: the tag must
		// be the one of our reply (local replies) or of the relayed one.
		return tx, AckNon2xx
	}
	// An ACK before any final reply: not ours to absorb.
	return tx, Ack2xx
}

// LookupInvite finds the INVITE transaction a CANCEL refers to, locked.
func (m *Manager) LookupInvite(cancel *sip.Message) *Tx {
	var kb [256]byte
	key, ok := appendKey(kb[:0], cancel, sip.MethodINVITE, nil)
	if !ok {
		return nil
	}
	tx := m.find(key)
	if tx == nil {
		return nil
	}
	tx.mu.Lock()
	if tx.deleted {
		tx.mu.Unlock()
		return nil
	}
	return tx
}

func (m *Manager) find(key []byte) *Tx {
	s := m.shardOf(key)
	s.mu.Lock()
	tx := s.m[string(key)]
	s.mu.Unlock()
	return tx
}

// ServerInfo is what a server transaction needs about its request that
// the request bytes do not say.
type ServerInfo struct {
	// Reply is where replies go (the request's ReplyTarget, with
	// force_rport applied).
	Reply transport.Target
	// Proto, Remote, Local and ConnID are where the request came from.
	Proto         transport.Proto
	Remote, Local netip.AddrPort
	ConnID        uint64
}

// NewTx creates the server transaction of req and returns it locked.
// data are the request bytes to keep (the received request with the
// script's edits applied so far): they are copied. ErrExists means a
// transaction matches (a retransmission raced with this one), ErrTooMany
// that the table is full.
func (m *Manager) NewTx(req *sip.Message, data []byte, info ServerInfo, timers Timers) (*Tx, error) {
	if m.count.Load() >= int64(m.cfg.MaxTransactions) {
		m.logOverflow()
		return nil, ErrTooMany
	}
	var kb [256]byte
	key, ok := appendKey(kb[:0], req, req.Method(), req.MethodBytes())
	if !ok {
		return nil, errors.New("tm: request has no usable Via or CSeq")
	}
	tx := &Tx{m: m, invite: req.Method() == sip.MethodINVITE, method: req.Method(), timers: timers, info: info}
	// One allocation for the key and the request.
	buf := make([]byte, 0, len(key)+len(data))
	buf = append(buf, key...)
	buf = append(buf, data...)
	tx.key = buf[:len(key):len(key)]
	tx.req = buf[len(key):]
	tx.id = m.nextID.Add(1)
	tx.mu.Lock()
	s := m.shardOf(key)
	s.mu.Lock()
	if old := s.m[string(key)]; old != nil && !old.deleted {
		s.mu.Unlock()
		tx.mu.Unlock()
		return nil, ErrExists
	}
	s.m[sip.StringView(tx.key)] = tx
	s.mu.Unlock()
	cs := m.cshardOf(tx.id)
	cs.mu.Lock()
	cs.m[tx.id] = tx
	cs.mu.Unlock()
	m.count.Add(1)
	life := timers.MaxNonInvLife
	if tx.invite {
		life = timers.MaxInvLife
	}
	tx.life = timer{kind: tLife, tx: tx}
	tx.wait = timer{kind: tWait, tx: tx}
	tx.rretr = timer{kind: tReplyRetr, tx: tx}
	if life > 0 {
		m.wheel.set(&tx.life, m.ticks(life))
	}
	return tx, nil
}

// remove takes tx out of the table (tx locked).
func (m *Manager) remove(tx *Tx) {
	if tx.deleted {
		return
	}
	tx.deleted = true
	s := m.shardOf(tx.key)
	s.mu.Lock()
	if s.m[sip.StringView(tx.key)] == tx {
		delete(s.m, sip.StringView(tx.key))
	}
	s.mu.Unlock()
	cs := m.cshardOf(tx.id)
	cs.mu.Lock()
	if cs.m[tx.id] == tx {
		delete(cs.m, tx.id)
	}
	cs.mu.Unlock()
	m.count.Add(-1)
	m.wheel.stop(&tx.life)
	m.wheel.stop(&tx.wait)
	m.wheel.stop(&tx.rretr)
	for _, b := range tx.branches {
		m.wheel.stop(&b.retr)
		m.wheel.stop(&b.fr)
	}
}

// parseBranch reads the transaction id and branch index from one of our
// branch parameters: magic cookie, salt, id in hex, '.', index.
func (m *Manager) parseBranch(b []byte) (id uint64, idx int, ok bool) {
	if !bytes.HasPrefix(b, []byte(magic)) {
		return 0, 0, false
	}
	b = b[len(magic):]
	if len(b) < len(m.salt) || string(b[:len(m.salt)]) != m.salt {
		return 0, 0, false
	}
	b = b[len(m.salt):]
	dot := bytes.IndexByte(b, '.')
	if dot <= 0 || dot > 16 {
		return 0, 0, false
	}
	for _, c := range b[:dot] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, 0, false
		}
		id = id<<4 | uint64(d)
	}
	n := 0
	for _, c := range b[dot+1:] {
		if c < '0' || c > '9' || n > 1000 {
			return 0, 0, false
		}
		n = n*10 + int(c-'0')
	}
	if dot+1 == len(b) {
		return 0, 0, false
	}
	return id, n, true
}

// appendBranch appends the branch parameter of branch idx of tx.
func (m *Manager) appendBranch(dst []byte, id uint64, idx int) []byte {
	dst = append(dst, magic...)
	dst = append(dst, m.salt...)
	dst = strconv.AppendUint(dst, id, 16)
	dst = append(dst, '.')
	return strconv.AppendInt(dst, int64(idx), 10)
}

// LookupReply finds the client transaction a reply belongs to: the
// transaction locked and the branch index, or nil.
func (m *Manager) LookupReply(resp *sip.Message) (*Tx, int) {
	v, err := resp.TopVia()
	if err != nil {
		return nil, 0
	}
	id, idx, ok := m.parseBranch(v.Branch)
	if !ok {
		return nil, 0
	}
	cs := m.cshardOf(id)
	cs.mu.Lock()
	tx := cs.m[id]
	cs.mu.Unlock()
	if tx == nil {
		return nil, 0
	}
	tx.mu.Lock()
	if tx.deleted || idx >= len(tx.branches) {
		tx.mu.Unlock()
		return nil, 0
	}
	return tx, idx
}
