package dispatcher

import (
	"math/rand/v2"
	"strings"
	"time"
)

// overload is a destination's overload control state (algorithm 64, as
// Kamailio 5.8 has it; RFC 7339's loss-based rate): while the control is
// in force, rate of every 100 selections skip the destination. The
// state is guarded by the set's mutex.
type overload struct {
	rate  int        // percentage of selections to skip
	skips [100]uint8 // 1: skip, 0: use; shuffled so that skips spread
	idx   int        // next slot of skips, walked cyclically
	seq   int        // sequence of the last ds_oc_set_attrs that applied
	until time.Time  // the control is in force until then; zero: never set
}

// setRate sets the rate and redistributes the skip slots. The walk
// index is kept: Kamailio does not reset it either.
func (o *overload) setRate(rate int) {
	o.rate = rate
	for i := range o.skips {
		o.skips[i] = 0
		if i < rate {
			o.skips[i] = 1
		}
	}
	rand.Shuffle(len(o.skips), func(i, j int) { o.skips[i], o.skips[j] = o.skips[j], o.skips[i] })
}

// skip reports whether a selection at now passes over the destination.
// An expired (or never set) control skips nothing and leaves the walk
// where it is, so that a rate from the attrs alone has no effect until
// ds_oc_set_attrs sets a deadline.
func (o *overload) skip(now time.Time) bool {
	if o.until.Before(now) {
		return false
	}
	s := o.skips[o.idx] == 1
	o.idx = (o.idx + 1) % len(o.skips)
	return s
}

// ocDefaultInterval is how long a control lasts when ds_oc_set_attrs is
// given no positive interval.
const ocDefaultInterval = 500 * time.Millisecond

// ocSetAttrs is ds_oc_set_attrs(set, uri, rate, interval_ms, seq): every
// destination of the set with that URI (case-insensitive) whose last
// applied sequence is below seq takes the rate (clamped into its
// [ocmin, ocmax]) for interval ms from now. 1 when at least one took
// it, -2 when none did (stale seq or no such URI), -1 without the set.
func (m *Instance) ocSetAttrs(setID int, uri string, rate, interval, seq int) int {
	l := m.data.Load()
	if l == nil || l.byID[setID] == nil {
		return -1
	}
	d := ocDefaultInterval
	if interval > 0 {
		d = time.Duration(interval) * time.Millisecond
	}
	until := m.clock().Add(d)
	s := l.byID[setID]
	rc := -2
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, dst := range s.dests {
		if !strings.EqualFold(dst.uri, uri) || dst.oc.seq >= seq {
			continue
		}
		dst.oc.setRate(dst.attrs.clampRate(rate))
		dst.oc.until = until
		dst.oc.seq = seq
		rc = 1
	}
	return rc
}

// clock is time.Now, replaceable by tests that step over an interval.
func (m *Instance) clock() time.Time {
	if m.now != nil {
		return m.now()
	}
	return time.Now()
}
