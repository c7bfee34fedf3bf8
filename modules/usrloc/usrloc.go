package usrloc

import (
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// QUnset is the q of a contact registered without a q value (Kamailio's
// Q_UNSPECIFIED). Contacts are ordered by their raw q, so an unset q
// sorts after every explicit one.
const QUnset = -1

// MethodsAll is the methods mask of a contact that did not say which
// methods it accepts.
const MethodsAll = -1

// Contact state in relation to the database (Kamailio's CS_NEW,
// CS_SYNC, CS_DIRTY), shown by ul.dump.
const (
	StateNew   uint8 = iota // not written to the database yet
	StateSync               // the database has it as it is
	StateDirty              // changed since it was written
)

var stateNames = [...]string{"CS_NEW", "CS_SYNC", "CS_DIRTY"}

// Contact is one binding of an AoR, with the fields of Kamailio's
// location table.
type Contact struct {
	RUID      string // unique record id (location.ruid)
	Address   string // the Contact URI
	Received  string // source address when behind NAT ("sip:ip:port")
	Path      string // Path header values, comma separated
	Expires   int64  // unix seconds; 0 = permanent
	Q         int32  // q * 1000, or QUnset
	CallID    string
	CSeq      int32
	Flags     uint32 // usrloc flags (FL_*)
	CFlags    uint32 // branch flags saved with the contact (nat_bflag ...)
	UserAgent string
	Socket    string // "proto:ip:port" it registered through
	Methods   int32  // mask of methods it accepts (Kamailio's METHOD_* bits), MethodsAll
	Instance  string // +sip.instance
	RegID     int32
	ServerID  int32
	ConnID    int32 // TCP connection id, -1 when none
	Keepalive int32

	LastModified  int64
	LastKeepalive int64

	State   uint8
	version uint32 // bumped on every change; a flush marks sync only what it wrote
}

// Valid reports whether c is a live binding at now (permanent or not yet
// expired).
func (c *Contact) Valid(now int64) bool { return c.Expires == 0 || c.Expires > now }

// Record is the set of contacts of one AoR, ordered as lookup returns
// them: highest q first, equal q oldest first (desc_time_order 0) or
// newest first (desc_time_order 1).
type Record struct {
	AoR      string
	Contacts []Contact

	table   *Table
	deleted []string // ruids removed since the last write (for the database)
	changed bool
}

// Find returns the index of the contact that matches addr, callID and
// path under the table's matching_mode, or -1.
func (r *Record) Find(addr, callID, path string) int {
	mode := 0
	if r.table != nil {
		mode = r.table.matchingMode
	}
	for i := range r.Contacts {
		c := &r.Contacts[i]
		var ok bool
		switch mode {
		case 1: // contact and Call-ID
			ok = c.Address == addr && c.CallID == callID
		case 2: // contact and path
			ok = c.Address == addr && c.Path == path
		case 3: // Call-ID only
			ok = c.CallID == callID
		default:
			ok = c.Address == addr
		}
		if ok {
			return i
		}
	}
	return -1
}

// FindRUID returns the index of the contact with ruid, or -1.
func (r *Record) FindRUID(ruid string) int {
	for i := range r.Contacts {
		if r.Contacts[i].RUID == ruid {
			return i
		}
	}
	return -1
}

// FindInstance returns the index of the contact with the same
// +sip.instance and reg-id (RFC 5626 flows), or -1.
func (r *Record) FindInstance(instance string, regID int32) int {
	if instance == "" {
		return -1
	}
	for i := range r.Contacts {
		if c := &r.Contacts[i]; c.Instance == instance && c.RegID == regID {
			return i
		}
	}
	return -1
}

// Insert adds c (a new ruid is given when it has none) at its place in
// the q order and returns it.
func (r *Record) Insert(c Contact) *Contact {
	if c.RUID == "" {
		c.RUID = newRUID()
	}
	if c.LastModified == 0 {
		c.LastModified = time.Now().Unix()
	}
	c.State = StateNew
	c.version++
	r.changed = true
	i := r.position(c.Q)
	r.Contacts = slices.Insert(r.Contacts, i, c)
	return &r.Contacts[i]
}

// place puts a contact read from the database at its place, unchanged.
func (r *Record) place(c Contact) {
	r.Contacts = slices.Insert(r.Contacts, r.position(c.Q), c)
}

// position is where a new contact with q goes.
func (r *Record) position(q int32) int {
	newestFirst := r.table != nil && r.table.descTimeOrder
	for i := range r.Contacts {
		if r.Contacts[i].Q < q || (newestFirst && r.Contacts[i].Q == q) {
			return i
		}
	}
	return len(r.Contacts)
}

// Update replaces contact i by c (keeping its ruid) and moves it when its
// q changed.
func (r *Record) Update(i int, c Contact) *Contact {
	old := r.Contacts[i]
	c.RUID = old.RUID
	c.version = old.version + 1
	if c.LastModified == 0 {
		c.LastModified = time.Now().Unix()
	}
	if old.State != StateNew {
		c.State = StateDirty
	} else {
		c.State = StateNew
	}
	r.changed = true
	if c.Q == old.Q && !(r.table != nil && r.table.descTimeOrder) {
		r.Contacts[i] = c
		return &r.Contacts[i]
	}
	r.Contacts = slices.Delete(r.Contacts, i, i+1)
	j := r.position(c.Q)
	r.Contacts = slices.Insert(r.Contacts, j, c)
	return &r.Contacts[j]
}

// Remove deletes contact i.
func (r *Record) Remove(i int) {
	if r.Contacts[i].State != StateNew || r.table == nil || r.table.dbMode == 3 {
		r.deleted = append(r.deleted, r.Contacts[i].RUID)
	}
	r.Contacts = slices.Delete(r.Contacts, i, i+1)
	r.changed = true
}

// RemoveAll deletes every contact.
func (r *Record) RemoveAll() {
	for i := len(r.Contacts) - 1; i >= 0; i-- {
		r.Remove(i)
	}
}

// Valid returns how many contacts are live at now.
func (r *Record) Valid(now int64) int {
	n := 0
	for i := range r.Contacts {
		if r.Contacts[i].Valid(now) {
			n++
		}
	}
	return n
}

var (
	ruidPrefix  = fmt.Sprintf("uloc-%x-%x-", time.Now().Unix(), os.Getpid())
	ruidCounter atomic.Uint64
)

// newRUID returns a record id unique to this process run, in the form
// Kamailio uses (uloc-TIME-PID-N).
func newRUID() string {
	return ruidPrefix + fmt.Sprint(ruidCounter.Add(1))
}

// shard is one slot group of a table, with its own lock.
type shard struct {
	mu   sync.Mutex
	aors map[string]*Record
}

// Table is one location table ("location"): AoRs sharded by hash, each
// shard locked on its own, so that saves and lookups of different users
// do not wait for each other.
type Table struct {
	Name   string
	shards []shard
	mask   uint32

	matchingMode  int
	descTimeOrder bool
	dbMode        int
	persist       *persister // nil in db_mode 0
	sharedKey     string
}

func newTable(name string, hashSize int) *Table {
	if hashSize < 1 || hashSize > 20 {
		hashSize = 10
	}
	n := 1 << hashSize
	t := &Table{Name: name, shards: make([]shard, n), mask: uint32(n - 1)}
	for i := range t.shards {
		t.shards[i].aors = map[string]*Record{}
	}
	return t
}

// HashID is the hash of an AoR (ul.dump's HashID); its low bits pick the
// shard.
func HashID(aor string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(aor))
	return h.Sum32()
}

func hashString(s string) uint32 {
	// FNV-1a without the allocation of hash.Hash32.
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (t *Table) shard(aor string) *shard { return &t.shards[hashString(aor)&t.mask] }

// Size is the number of slots (ul.dump's Size).
func (t *Table) Size() int { return len(t.shards) }

// Update runs fn with the record of aor under its shard's lock (a new,
// empty record when there is none; it is dropped again when fn leaves it
// empty) and then writes the changes to the database as db_mode says.
// An error from fn leaves the store as fn left it and is returned.
func (t *Table) Update(aor string, fn func(r *Record) error) error {
	sh := t.shard(aor)
	sh.mu.Lock()
	r := sh.aors[aor]
	loaded := false
	if r == nil {
		r = &Record{AoR: aor, table: t}
		if t.dbMode == 3 && t.persist != nil {
			// db only: the database is the store; read the AoR now.
			if err := t.persist.loadAoR(r); err != nil {
				sh.mu.Unlock()
				return err
			}
		}
		loaded = true
	}
	err := fn(r)
	var w *pendingWrite
	if r.changed {
		w = t.collect(r)
	}
	switch {
	case t.dbMode == 3:
		delete(sh.aors, aor)
	case len(r.Contacts) == 0:
		delete(sh.aors, aor)
	case loaded:
		sh.aors[aor] = r
	}
	sh.mu.Unlock()
	if w != nil && t.persist != nil {
		t.persist.write(t, w)
	}
	return err
}

// View runs fn with the record of aor (nil when there is none) under its
// shard's lock; fn must not keep r or change it.
func (t *Table) View(aor string, fn func(r *Record)) error {
	if t.dbMode == 3 && t.persist != nil {
		r := &Record{AoR: aor, table: t}
		if err := t.persist.loadAoR(r); err != nil {
			return err
		}
		if len(r.Contacts) == 0 {
			r = nil
		}
		fn(r)
		return nil
	}
	sh := t.shard(aor)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	fn(sh.aors[aor])
	return nil
}

// Get returns a copy of the contacts of aor (nil when it has none).
func (t *Table) Get(aor string) []Contact {
	var out []Contact
	t.View(aor, func(r *Record) {
		if r != nil {
			out = slices.Clone(r.Contacts)
		}
	})
	return out
}

// Delete removes aor with all its contacts; it reports whether it
// existed.
func (t *Table) Delete(aor string) (bool, error) {
	found := false
	err := t.Update(aor, func(r *Record) error {
		found = len(r.Contacts) > 0
		r.RemoveAll()
		return nil
	})
	return found, err
}

// Walk calls fn for every record, one shard at a time under its lock;
// fn must not keep r.
func (t *Table) Walk(fn func(r *Record)) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for _, r := range sh.aors {
			fn(r)
		}
		sh.mu.Unlock()
	}
}

// Count returns the number of AoRs and contacts in memory.
func (t *Table) Count() (aors, contacts int) {
	t.Walk(func(r *Record) {
		aors++
		contacts += len(r.Contacts)
	})
	return aors, contacts
}

// Expire removes the contacts that expired before now and returns how
// many. The removal reaches the database like any other.
func (t *Table) Expire(now int64) int {
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		var writes []*pendingWrite
		sh.mu.Lock()
		for aor, r := range sh.aors {
			for j := len(r.Contacts) - 1; j >= 0; j-- {
				if !r.Contacts[j].Valid(now) {
					r.Remove(j)
					n++
				}
			}
			if r.changed {
				if w := t.collect(r); w != nil {
					writes = append(writes, w)
				}
			}
			if len(r.Contacts) == 0 {
				delete(sh.aors, aor)
			}
		}
		sh.mu.Unlock()
		if t.persist != nil {
			for _, w := range writes {
				t.persist.write(t, w)
			}
		}
	}
	return n
}

// SplitAoR splits "user@domain" into its parts (domain "" without '@').
func SplitAoR(aor string) (user, domain string) {
	if i := strings.LastIndexByte(aor, '@'); i >= 0 {
		return aor[:i], aor[i+1:]
	}
	return aor, ""
}
