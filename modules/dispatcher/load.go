package dispatcher

import (
	"sync"
	"time"
)

// loadTable tracks the calls of the call load algorithm (10) by Call-ID,
// as Kamailio's dispatcher does without the dialog module: an entry is
// added when an INVITE is dispatched, confirmed by ds_load_update() on
// its 2xx, removed by ds_load_update() on BYE/CANCEL or ds_load_unset()
// on failure, and expires after ds_hash_initexpire (unconfirmed) or
// ds_hash_expire (confirmed) seconds.
type loadTable struct {
	mu         sync.Mutex
	enabled    bool // ds_hash_size > 0
	cells      map[string]*loadCell
	initExpire time.Duration
	expire     time.Duration
}

type loadCell struct {
	set       *dset
	d         *dest
	confirmed bool
	deadline  time.Time
}

func (t *loadTable) init(size, initExpire, expire int) {
	t.enabled = size > 0
	t.cells = map[string]*loadCell{}
	t.initExpire = time.Duration(initExpire) * time.Second
	t.expire = time.Duration(expire) * time.Second
}

// add records a call on d (s.mu held by the caller, which makes the
// dload change safe); false when the table is off.
func (t *loadTable) add(callID string, s *dset, d *dest) bool {
	if !t.enabled || callID == "" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.cells[callID]; old != nil {
		// An INVITE of the same call again (re-dispatched): move it.
		if old.set == s {
			old.d.dload--
		}
	}
	d.dload++
	t.cells[callID] = &loadCell{set: s, d: d, deadline: time.Now().Add(t.initExpire)}
	return true
}

// take removes the call's cell and returns it (nil when none).
func (t *loadTable) take(callID string) *loadCell {
	if !t.enabled {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.cells[callID]
	delete(t.cells, callID)
	return c
}

// remove releases the call's load; false when it was not tracked.
func (t *loadTable) remove(callID string) bool {
	c := t.take(callID)
	if c == nil {
		return false
	}
	c.set.mu.Lock()
	if c.d.dload > 0 {
		c.d.dload--
	}
	c.set.mu.Unlock()
	return true
}

// confirm marks the call answered: it now expires after ds_hash_expire.
func (t *loadTable) confirm(callID string) bool {
	if !t.enabled {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.cells[callID]
	if c == nil {
		return false
	}
	c.confirmed = true
	c.deadline = time.Now().Add(t.expire)
	return true
}

// replace moves the call's load to the destination duid of set grp
// (ds_next_dst with the call load algorithm).
func (t *loadTable) replace(m *Instance, callID string, grp int, duid string) {
	if !t.enabled {
		return
	}
	t.mu.Lock()
	c := t.cells[callID]
	t.mu.Unlock()
	if c == nil {
		return
	}
	s := c.set
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dests {
		if d.attrs.duid == duid {
			if c.d.dload > 0 {
				c.d.dload--
			}
			d.dload++
			t.mu.Lock()
			c.d = d
			t.mu.Unlock()
			return
		}
	}
}

// sweep releases the calls whose entries expired.
func (t *loadTable) sweep(now time.Time) {
	if !t.enabled {
		return
	}
	var gone []*loadCell
	t.mu.Lock()
	for id, c := range t.cells {
		if now.After(c.deadline) {
			gone = append(gone, c)
			delete(t.cells, id)
		}
	}
	t.mu.Unlock()
	for _, c := range gone {
		c.set.mu.Lock()
		if c.d.dload > 0 {
			c.d.dload--
		}
		c.set.mu.Unlock()
	}
}
