package usrloc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olelo-sip/olelo/db"
)

// FlagMem marks a contact saved with save()'s memory-only flag: it never
// goes to the database (Kamailio's FL_MEM).
const FlagMem uint32 = 1 << 0

// pendingWrite is what one change of a record has to write.
type pendingWrite struct {
	aor     string
	upserts []Contact
	deletes []string
}

// collect takes the changes of r for the database and resets its change
// marks. It returns nil when nothing is to be written now (db_mode 0;
// db_mode 2 writes at the next timer run).
func (t *Table) collect(r *Record) *pendingWrite {
	r.changed = false
	deleted := r.deleted
	r.deleted = nil
	if t.persist == nil {
		return nil
	}
	if t.dbMode == 2 {
		// write-back: deletions wait with the dirty contacts for the
		// timer.
		t.persist.queueDeletes(deleted)
		return nil
	}
	w := &pendingWrite{aor: r.AoR, deletes: deleted}
	for i := range r.Contacts {
		c := &r.Contacts[i]
		if c.State != StateSync && c.Flags&FlagMem == 0 {
			w.upserts = append(w.upserts, *c)
		}
	}
	if len(w.upserts) == 0 && len(w.deletes) == 0 {
		return nil
	}
	return w
}

// columns are the location table's column names (the *_column modparams).
type columns struct {
	RUID, User, Domain, Contact, Received, Path, Expires, Q, CallID, CSeq,
	LastMod, Flags, CFlags, UserAgent, Socket, Methods, Instance, RegID,
	ServerID, ConnID, Keepalive, Partition string
}

func (c *columns) list() []string {
	return []string{c.RUID, c.User, c.Domain, c.Contact, c.Received, c.Path, c.Expires, c.Q, c.CallID, c.CSeq,
		c.LastMod, c.Flags, c.CFlags, c.UserAgent, c.Socket, c.Methods, c.Instance, c.RegID,
		c.ServerID, c.ConnID, c.Keepalive, c.Partition}
}

// persister writes one table's contacts to the database of db_url.
type persister struct {
	url       string
	table     string
	cols      []string
	useDomain bool
	log       *slog.Logger

	mu     sync.Mutex
	conn   db.Conn
	loaded bool     // the start-up load of db_mode 1/2 is done
	dels   []string // ruids to delete (db_mode 2, or failed writes)

	down atomic.Bool // the last database operation failed (logged once)
}

func (p *persister) queueDeletes(ruids []string) {
	if len(ruids) == 0 {
		return
	}
	p.mu.Lock()
	p.dels = append(p.dels, ruids...)
	p.mu.Unlock()
}

// connection returns the open connection, opening it when needed.
func (p *persister) connection(ctx context.Context) (db.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		return p.conn, nil
	}
	c, err := db.Open(ctx, p.url)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(p.url, "sqlite:") {
		// The embedded database starts empty: give it the table.
		if err := db.CreateTables(ctx, c, "location"); err != nil {
			c.Close()
			return nil, err
		}
	}
	p.conn = c
	return c, nil
}

func (p *persister) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// failed records a database error, logging only the first of an outage.
func (p *persister) failed(op string, err error) {
	if !p.down.Swap(true) {
		p.log.Error("usrloc: database unavailable; registrations are kept in memory and written when it is back",
			"db_url", p.url, "table", p.table, "op", op, "err", err)
	}
}

func (p *persister) ok() {
	if p.down.Swap(false) {
		p.log.Info("usrloc: database is back", "db_url", p.url, "table", p.table)
	}
}

func opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// write applies w to the database and marks the written contacts as in
// sync. On failure the contacts stay unsynced in memory and the deletions
// are queued, so the timer writes them when the database is back.
func (p *persister) write(t *Table, w *pendingWrite) error {
	ctx, cancel := opCtx()
	defer cancel()
	err := p.apply(ctx, w.aor, w.upserts, w.deletes)
	if err != nil {
		p.failed("write", err)
		p.queueDeletes(w.deletes)
		return err
	}
	p.ok()
	t.markSynced(w.aor, w.upserts)
	return nil
}

func (p *persister) apply(ctx context.Context, aor string, upserts []Contact, deletes []string) error {
	conn, err := p.connection(ctx)
	if err != nil {
		return err
	}
	for _, ruid := range deletes {
		if _, err := conn.Delete(ctx, p.table, []db.Cond{db.Eq(p.cols[0], ruid)}); err != nil {
			return fmt.Errorf("delete %s: %w", ruid, err)
		}
	}
	for i := range upserts {
		if err := conn.Replace(ctx, p.table, 1, p.cols, p.row(aor, &upserts[i])); err != nil {
			return fmt.Errorf("write %s: %w", upserts[i].RUID, err)
		}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// row returns the column values of c in the order of p.cols.
func (p *persister) row(aor string, c *Contact) []any {
	user, domain := aor, ""
	if p.useDomain {
		user, domain = SplitAoR(aor)
	}
	expires := time.Unix(c.Expires, 0)
	if c.Expires == 0 {
		expires = time.Unix(0, 0) // permanent
	}
	q := float64(c.Q) / 1000
	if c.Q == QUnset {
		q = -1
	}
	return []any{c.RUID, user, nullIfEmpty(domain), c.Address, nullIfEmpty(c.Received), nullIfEmpty(c.Path),
		expires.UTC(), q, c.CallID, int64(c.CSeq), time.Unix(c.LastModified, 0).UTC(), int64(c.Flags), int64(c.CFlags),
		c.UserAgent, nullIfEmpty(c.Socket), int64(c.Methods), nullIfEmpty(c.Instance), int64(c.RegID),
		int64(c.ServerID), int64(c.ConnID), int64(c.Keepalive), int64(0)}
}

// contact builds a contact from a row read with p.cols; aor is its AoR.
func (p *persister) contact(r db.Row) (aor string, c Contact) {
	user, domain := r.Str(1), r.Str(2)
	aor = user
	if p.useDomain && domain != "" {
		aor = user + "@" + domain
	}
	c = Contact{
		RUID: r.Str(0), Address: r.Str(3), Received: r.Str(4), Path: r.Str(5),
		CallID: r.Str(8), CSeq: int32(r.Int(9)), Flags: uint32(r.Int(11)), CFlags: uint32(r.Int(12)),
		UserAgent: r.Str(13), Socket: r.Str(14), Methods: int32(r.Int(15)), Instance: r.Str(16),
		RegID: int32(r.Int(17)), ServerID: int32(r.Int(18)), ConnID: int32(r.Int(19)), Keepalive: int32(r.Int(20)),
		State: StateSync,
	}
	if r.IsNull(15) {
		c.Methods = MethodsAll
	}
	if exp := r.Time(6); !exp.IsZero() && exp.Unix() > 0 {
		c.Expires = exp.Unix()
	}
	q := r.Float(7)
	if q < 0 {
		c.Q = QUnset
	} else {
		c.Q = int32(q*1000 + 0.5)
	}
	c.LastModified = r.Time(10).Unix()
	c.LastKeepalive = c.LastModified
	return aor, c
}

// loadAoR reads the contacts of r.AoR (db_mode 3).
func (p *persister) loadAoR(r *Record) error {
	ctx, cancel := opCtx()
	defer cancel()
	conn, err := p.connection(ctx)
	if err != nil {
		p.failed("query", err)
		return err
	}
	user, domain := r.AoR, ""
	if p.useDomain {
		user, domain = SplitAoR(r.AoR)
	}
	where := []db.Cond{db.Eq(p.cols[1], user)}
	if p.useDomain && domain != "" {
		where = append(where, db.Eq(p.cols[2], domain))
	}
	rows, err := conn.Query(ctx, p.table, p.cols, where, "")
	if err != nil {
		p.failed("query", err)
		return err
	}
	p.ok()
	now := time.Now().Unix()
	for _, row := range rows {
		_, c := p.contact(row)
		if !c.Valid(now) {
			continue
		}
		r.place(c)
	}
	return nil
}

// loadAll reads every row into t (db_mode 1 and 2 at start). Contacts
// already in memory (saved while the database was down) win.
func (p *persister) loadAll(t *Table) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := p.connection(ctx)
	if err != nil {
		p.failed("load", err)
		return err
	}
	rows, err := conn.Query(ctx, p.table, p.cols, nil, "")
	if err != nil {
		p.failed("load", err)
		return err
	}
	p.ok()
	now := time.Now().Unix()
	for _, row := range rows {
		aor, c := p.contact(row)
		if !c.Valid(now) || aor == "" {
			continue
		}
		sh := t.shard(aor)
		sh.mu.Lock()
		r := sh.aors[aor]
		if r == nil {
			r = &Record{AoR: aor, table: t}
			sh.aors[aor] = r
		}
		if r.FindRUID(c.RUID) < 0 && r.Find(c.Address, c.CallID, c.Path) < 0 {
			r.place(c)
		}
		sh.mu.Unlock()
	}
	p.mu.Lock()
	p.loaded = true
	p.mu.Unlock()
	return nil
}

// flush writes every unsynced contact and queued deletion (the timer of
// db_mode 2, and the retry of failed writes in db_mode 1).
func (p *persister) flush(t *Table) error {
	p.mu.Lock()
	dels := p.dels
	p.dels = nil
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if len(dels) > 0 {
		if err := p.apply(ctx, "", nil, dels); err != nil {
			p.failed("flush", err)
			p.queueDeletes(dels)
			return err
		}
	}
	for i := range t.shards {
		sh := &t.shards[i]
		var batch []pendingWrite
		sh.mu.Lock()
		for _, r := range sh.aors {
			var w pendingWrite
			for j := range r.Contacts {
				if c := &r.Contacts[j]; c.State != StateSync && c.Flags&FlagMem == 0 {
					w.upserts = append(w.upserts, *c)
				}
			}
			if len(w.upserts) > 0 {
				w.aor = r.AoR
				batch = append(batch, w)
			}
		}
		sh.mu.Unlock()
		for _, w := range batch {
			if err := p.apply(ctx, w.aor, w.upserts, nil); err != nil {
				p.failed("flush", err)
				return err
			}
			t.markSynced(w.aor, w.upserts)
		}
	}
	p.ok()
	return nil
}

// markSynced marks the written contacts as in sync, unless they changed
// again meanwhile.
func (t *Table) markSynced(aor string, written []Contact) {
	if len(written) == 0 || t.dbMode == 3 {
		return
	}
	sh := t.shard(aor)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.aors[aor]
	if r == nil {
		return
	}
	for i := range written {
		if j := r.FindRUID(written[i].RUID); j >= 0 && r.Contacts[j].version == written[i].version {
			r.Contacts[j].State = StateSync
		}
	}
}

// expireDB deletes expired rows (db_mode 3, where memory holds nothing).
func (p *persister) expireDB(now int64) error {
	ctx, cancel := opCtx()
	defer cancel()
	conn, err := p.connection(ctx)
	if err != nil {
		p.failed("expire", err)
		return err
	}
	_, err = conn.Delete(ctx, p.table, []db.Cond{
		{Col: p.cols[6], Op: "<", Val: time.Unix(now, 0).UTC()},
		{Col: p.cols[6], Op: ">", Val: time.Unix(0, 0).UTC()},
	})
	if err != nil {
		p.failed("expire", err)
		return err
	}
	p.ok()
	return nil
}
