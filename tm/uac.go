package tm

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// LocalRequest is a request olelo sends on its own (dispatcher's
// keepalive OPTIONS, later uac and t_uac_send): a client transaction
// with no server side (RFC 3261 17.1), retransmitted over UDP with
// Timers A/E, ended by its final reply or by its fr timer (Timer B/F).
type LocalRequest struct {
	Method string // "OPTIONS"
	URI    string // the Request-URI
	// From and To are the header values (a name-addr or addr-spec);
	// From gets a tag when it has none.
	From, To string
	// CallID is generated when empty; CSeq is 10 when 0.
	CallID string
	CSeq   uint32
	// Headers are extra header lines, each ending in CRLF.
	Headers string
	// ContentType and Body are the body; no body when Body is empty.
	ContentType string
	Body        []byte
	// Dst is where the request goes (resolved), and ViaHost/ViaPort the
	// address put in our Via.
	Dst     transport.Target
	ViaHost string
	ViaPort uint16
	// Timeout is the fr timer of the transaction (fr_timer; 30 s when 0).
	Timeout time.Duration
}

// LocalDone is called once per local request with its final reply
// (resp valid only during the call), or with a local 408 and a nil resp
// when no final reply came in time (477 when it could not be sent).
type LocalDone func(code int, resp *sip.Message)

// localReq is the state of a local request (Tx.local).
type localReq struct {
	done     LocalDone
	finished bool
}

// ErrBadLocalRequest is returned by SendLocal for a request it cannot
// build.
var ErrBadLocalRequest = errors.New("tm: local request needs a method, a Request-URI, From and To")

// SendLocal sends a local request and calls done with its outcome, from
// the goroutine that received the final reply or from the timer wheel.
// An error means nothing was sent and done is not called.
func (m *Manager) SendLocal(ctx context.Context, r LocalRequest, done LocalDone) error {
	if r.Method == "" || r.URI == "" || r.From == "" || r.To == "" {
		return ErrBadLocalRequest
	}
	if m.count.Load() >= int64(m.cfg.MaxTransactions) {
		m.logOverflow()
		return ErrTooMany
	}
	method := sip.LookupMethod([]byte(r.Method))
	tx := &Tx{m: m, invite: method == sip.MethodINVITE, method: method, local: &localReq{done: done}}
	tx.timers = DefaultTimers
	if r.Timeout > 0 {
		tx.timers.FR = r.Timeout
		tx.timers.FRInv = r.Timeout
	}
	tx.id = m.nextID.Add(1)
	tx.req = appendLocalRequest(nil, &r, m.salt, tx.id)
	tx.life = timer{kind: tLife, tx: tx}
	tx.wait = timer{kind: tWait, tx: tx}
	tx.rretr = timer{kind: tReplyRetr, tx: tx}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	cs := m.cshardOf(tx.id)
	cs.mu.Lock()
	cs.m[tx.id] = tx
	cs.mu.Unlock()
	m.count.Add(1)
	tx.AddBranch(BranchSpec{Dst: r.Dst, ViaHost: r.ViaHost, ViaPort: r.ViaPort})
	if err := tx.SendBranch(ctx, 0); err != nil {
		tx.local.finished = true
		m.remove(tx)
		return err
	}
	return nil
}

// appendLocalRequest builds the request without its Via (SendBranch
// adds ours, with the branch that finds the transaction again).
func appendLocalRequest(dst []byte, r *LocalRequest, salt string, id uint64) []byte {
	from := []byte(r.From)
	if !hasTag(r.From) {
		from = append(from, ";tag="...)
		from = strconv.AppendUint(from, id, 16)
		from = append(from, '-')
		from = strconv.AppendUint(from, uint64(rand.Uint32()&0xffff), 16)
	}
	callID := []byte(r.CallID)
	if r.CallID == "" {
		callID = append(callID, "olelo-"...)
		callID = append(callID, salt...)
		callID = append(callID, '-')
		callID = strconv.AppendUint(callID, id, 16)
	}
	cseq := r.CSeq
	if cseq == 0 {
		cseq = 10
	}
	req := sip.Request{Method: r.Method, URI: []byte(r.URI), From: from, To: []byte(r.To), CallID: callID, CSeq: cseq,
		MaxForwards: 70, Headers: []byte(r.Headers), ContentType: r.ContentType, Body: r.Body}
	return req.AppendTo(dst)
}

// hasTag reports whether a From value carries a tag parameter (after the
// URI, which may hold ";tag=" itself only inside <>).
func hasTag(v string) bool {
	if i := lastIndexByte(v, '>'); i >= 0 {
		v = v[i:]
	}
	for i := 0; i+5 <= len(v); i++ {
		if v[i] == ';' && (v[i+1]|0x20) == 't' && (v[i+2]|0x20) == 'a' && (v[i+3]|0x20) == 'g' && v[i+4] == '=' {
			return true
		}
	}
	return false
}

func lastIndexByte(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// localReply handles a reply to a local request; tx is locked and is
// unlocked here, before done runs.
func (m *Manager) localReply(ctx context.Context, tx *Tx, i int, resp *core.Msg) {
	b := tx.branches[i]
	code := resp.StatusCode()
	w := m.wheel
	if code < 200 {
		if !b.final {
			b.provisional, b.code = true, code
			if tx.invite {
				w.stop(&b.retr)
			} else if b.retrIv > 0 {
				b.retrIv = m.cfg.T2 // RFC 3261 17.1.2.2: Proceeding
			}
		}
		tx.mu.Unlock()
		return
	}
	if tx.invite && code >= 300 {
		tx.sendHop(ctx, i, resp.Message) // hop-by-hop ACK, also for a retransmission
	}
	if b.final && !b.local {
		tx.mu.Unlock() // a retransmitted final reply
		return
	}
	b.final, b.code = true, code
	done := tx.finishLocal()
	tx.mu.Unlock()
	if done != nil {
		done(code, resp.Message)
	}
}

// finishLocal stops the timers of a local request that got its final
// reply or timed out, keeps it a while for retransmitted replies
// (Timer K) and returns the callback to run, once (tx locked).
func (tx *Tx) finishLocal() LocalDone {
	w := tx.m.wheel
	b := tx.branches[0]
	w.stop(&b.retr)
	w.stop(&b.fr)
	w.stop(&tx.life)
	if b.dst.Proto.Reliable() {
		w.set(&tx.wait, 1)
	} else {
		w.set(&tx.wait, tx.m.ticks(tx.m.cfg.WaitTimer))
	}
	if tx.local.finished {
		return nil
	}
	tx.local.finished = true
	return tx.local.done
}

// fireLocal handles an expired timer of a local request; tx is locked
// and is unlocked here, before a callback runs.
func (tx *Tx) fireLocal(t *timer, gen uint32) {
	if tx.deleted || t.gen != gen || t.linked {
		tx.mu.Unlock()
		return
	}
	w := tx.m.wheel
	switch t.kind {
	case tRetr:
		b := tx.branches[0]
		if b.final || (tx.invite && b.provisional) {
			break
		}
		bp := bufPool.Get().(*[]byte)
		*bp = tx.appendBranchRequest((*bp)[:0], 0)
		tx.m.sender.Send(context.Background(), b.dst, *bp)
		bufPool.Put(bp)
		b.retrIv *= 2
		if !tx.invite && b.retrIv > tx.m.cfg.T2 {
			b.retrIv = tx.m.cfg.T2
		}
		w.set(&b.retr, tx.m.ticks(b.retrIv))
	case tFR, tLife:
		b := tx.branches[0]
		if b.final {
			break
		}
		b.final, b.local, b.timedOut, b.code = true, true, true, 408
		done := tx.finishLocal()
		tx.mu.Unlock()
		if done != nil {
			done(408, nil)
		}
		return
	case tWait:
		tx.m.remove(tx)
	}
	tx.mu.Unlock()
}

// IsLocal reports whether tx is a local request (SendLocal).
func (tx *Tx) IsLocal() bool { return tx.local != nil }
