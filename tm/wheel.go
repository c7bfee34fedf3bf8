package tm

import "sync"

// timerKind says what a timer does when it fires.
type timerKind uint8

const (
	tRetr      timerKind = iota + 1 // client retransmission (Timer A / E) of a branch
	tFR                             // final-response timer of a branch (Timer B / F, fr_timer, fr_inv_timer)
	tLife                           // whole-transaction lifetime (max_inv_lifetime, max_noninv_lifetime: Timer C)
	tReplyRetr                      // server retransmission of a final non-2xx INVITE reply (Timer G)
	tWait                           // delete the transaction (wt_timer, Timers H/I/J/K folded into one)
)

// timer is an intrusive wheel entry: it lives inside a Tx (or its
// branch), so arming a timer never allocates. All fields are guarded by
// the wheel's mutex, except that Set/Stop are only called with the
// transaction locked, which is what makes the gen check in fire safe.
type timer struct {
	next, prev *timer
	expire     int64 // tick at which it fires
	gen        uint32
	linked     bool
	kind       timerKind
	branch     int16
	tx         *Tx
}

// wheel is a hashed timing wheel: slots of tick length, a timer goes in
// slot expire%len(slots) and is skipped until its tick comes when it is
// more than one revolution away. One goroutine (or a test) calls advance.
type wheel struct {
	mu    sync.Mutex
	slots []timer // sentinel heads of circular lists
	mask  int64
	now   int64 // last tick processed
	fired []fired

	n      int          // timers linked
	parked bool         // the timer goroutine sleeps until a timer is set
	clock  func() int64 // the current tick, to catch up after parking
	wake   func()       // wakes the parked timer goroutine
}

type fired struct {
	t   *timer
	gen uint32
}

func newWheel(size int) *wheel {
	n := 1
	for n < size {
		n <<= 1
	}
	w := &wheel{slots: make([]timer, n), mask: int64(n - 1)}
	for i := range w.slots {
		h := &w.slots[i]
		h.next, h.prev = h, h
	}
	return w
}

// set arms t to fire after d ticks (at least one), replacing an earlier
// arming.
func (w *wheel) set(t *timer, d int64) {
	if d < 1 {
		d = 1
	}
	w.mu.Lock()
	wake := false
	if t.linked {
		t.prev.next, t.next.prev = t.next, t.prev
	} else {
		w.n++
	}
	if w.parked {
		// Nothing is linked while parked, so the ticks slept through
		// can be skipped: the new timer counts from now.
		w.parked, wake = false, true
		if now := w.clock(); now > w.now {
			w.now = now
		}
	}
	t.gen++
	t.expire = w.now + d
	h := &w.slots[t.expire&w.mask]
	t.prev, t.next = h.prev, h
	h.prev.next = t
	h.prev = t
	t.linked = true
	w.mu.Unlock()
	if wake {
		w.wake()
	}
}

// setWake installs (or, with nils, removes) the clock and the wakeup
// that let the timer goroutine park while the wheel is empty.
func (w *wheel) setWake(clock func() int64, wake func()) {
	w.mu.Lock()
	w.clock, w.wake, w.parked = clock, wake, false
	w.mu.Unlock()
}

// park reports whether the wheel is empty, and if so marks it parked: the
// next set calls wake. Checking and marking under one lock is what keeps
// a timer set at the same moment from being slept through.
func (w *wheel) park() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == 0 && w.wake != nil {
		w.parked = true
	}
	return w.parked
}

// stop disarms t; a firing already collected is ignored (gen changes).
func (w *wheel) stop(t *timer) {
	w.mu.Lock()
	if t.linked {
		t.prev.next, t.next.prev = t.next, t.prev
		t.next, t.prev, t.linked = nil, nil, false
		w.n--
	}
	t.gen++
	w.mu.Unlock()
}

// armed reports whether t is pending.
func (w *wheel) armed(t *timer) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return t.linked
}

// advance processes every tick up to now and returns the timers that
// expired, with the generation they had; the slice is reused by the
// next call.
func (w *wheel) advance(now int64) []fired {
	w.mu.Lock()
	w.fired = w.fired[:0]
	if w.n == 0 && now > w.now {
		w.now = now // nothing to fire in the ticks between
	}
	for w.now < now {
		w.now++
		h := &w.slots[w.now&w.mask]
		for t := h.next; t != h; {
			next := t.next
			if t.expire <= w.now {
				t.prev.next, t.next.prev = t.next, t.prev
				t.next, t.prev, t.linked = nil, nil, false
				w.n--
				w.fired = append(w.fired, fired{t, t.gen})
			}
			t = next
		}
	}
	out := w.fired
	w.mu.Unlock()
	return out
}
