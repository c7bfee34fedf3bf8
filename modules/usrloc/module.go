package usrloc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "usrloc",
		Doc:  "user location: the in-memory (and database) store of registered contacts",
		New: func() module.Instance {
			return &Instance{
				DBMode: 0, TimerInterval: 60, HashSize: 10, NATBFlag: -1, DBOpsRUID: 1,
				cols: columns{
					RUID: "ruid", User: "username", Domain: "domain", Contact: "contact", Received: "received",
					Path: "path", Expires: "expires", Q: "q", CallID: "callid", CSeq: "cseq", LastMod: "last_modified",
					Flags: "flags", CFlags: "cflags", UserAgent: "user_agent", Socket: "socket", Methods: "methods",
					Instance: "instance", RegID: "reg_id", ServerID: "server_id", ConnID: "connection_id",
					Keepalive: "keepalive", Partition: "partition",
				},
			}
		},
	})
}

// Instance is the usrloc module with its modparams.
type Instance struct {
	DBURL         string   `modparam:"db_url"`
	DBMode        int      `modparam:"db_mode"`
	TimerInterval int      `modparam:"timer_interval"`
	HashSize      int      `modparam:"hash_size"`
	UseDomain     int      `modparam:"use_domain"`
	DescTimeOrder int      `modparam:"desc_time_order"`
	MatchingMode  int      `modparam:"matching_mode"`
	NATBFlag      int      `modparam:"nat_bflag"`
	Preload       []string `modparam:"preload"`
	ServerID      int      `modparam:"server_id"`
	// Accepted for compatibility (olelo has one timer goroutine and
	// always deletes by ruid).
	TimerProcs int `modparam:"timer_procs"`
	DBOpsRUID  int `modparam:"db_ops_ruid"`

	// Column names of the location table.
	RUIDCol      string `modparam:"ruid_column"`
	UserCol      string `modparam:"user_column"`
	DomainCol    string `modparam:"domain_column"`
	ContactCol   string `modparam:"contact_column"`
	ReceivedCol  string `modparam:"received_column"`
	PathCol      string `modparam:"path_column"`
	ExpiresCol   string `modparam:"expires_column"`
	QCol         string `modparam:"q_column"`
	CallIDCol    string `modparam:"callid_column"`
	CSeqCol      string `modparam:"cseq_column"`
	LastModCol   string `modparam:"last_mod_column"`
	FlagsCol     string `modparam:"flags_column"`
	CFlagsCol    string `modparam:"cflags_column"`
	UserAgentCol string `modparam:"user_agent_column"`
	SocketCol    string `modparam:"socket_column"`
	MethodsCol   string `modparam:"methods_column"`
	InstanceCol  string `modparam:"instance_column"`
	RegIDCol     string `modparam:"reg_id_column"`
	ServerIDCol  string `modparam:"server_id_column"`
	ConnIDCol    string `modparam:"connection_id_column"`
	KeepaliveCol string `modparam:"keepalive_column"`
	PartitionCol string `modparam:"partition_column"`

	cols columns

	mu      sync.Mutex
	tables  map[string]*Table
	started bool
	stop    context.CancelFunc
	done    chan struct{}
	log     *slog.Logger
}

// Funcs: usrloc exports no script functions; registrar uses it.
func (m *Instance) Funcs() []module.Func { return nil }

// columns returns the column names with the *_column modparams applied.
func (m *Instance) columns() []string {
	c := m.cols
	for _, o := range []struct {
		set string
		dst *string
	}{
		{m.RUIDCol, &c.RUID}, {m.UserCol, &c.User}, {m.DomainCol, &c.Domain}, {m.ContactCol, &c.Contact},
		{m.ReceivedCol, &c.Received}, {m.PathCol, &c.Path}, {m.ExpiresCol, &c.Expires}, {m.QCol, &c.Q},
		{m.CallIDCol, &c.CallID}, {m.CSeqCol, &c.CSeq}, {m.LastModCol, &c.LastMod}, {m.FlagsCol, &c.Flags},
		{m.CFlagsCol, &c.CFlags}, {m.UserAgentCol, &c.UserAgent}, {m.SocketCol, &c.Socket},
		{m.MethodsCol, &c.Methods}, {m.InstanceCol, &c.Instance}, {m.RegIDCol, &c.RegID},
		{m.ServerIDCol, &c.ServerID}, {m.ConnIDCol, &c.ConnID}, {m.KeepaliveCol, &c.Keepalive},
		{m.PartitionCol, &c.Partition},
	} {
		if o.set != "" {
			*o.dst = o.set
		}
	}
	return c.list()
}

// check validates the modparams.
func (m *Instance) check() error {
	switch {
	case m.DBMode < 0 || m.DBMode > 3:
		return fmt.Errorf("usrloc: db_mode %d is not supported (0 memory, 1 write-through, 2 write-back, 3 database only)", m.DBMode)
	case m.DBMode > 0 && m.DBURL == "":
		return fmt.Errorf("usrloc: db_mode %d needs a db_url", m.DBMode)
	case m.TimerInterval <= 0:
		return fmt.Errorf("usrloc: timer_interval must be positive, got %d", m.TimerInterval)
	case m.MatchingMode < 0 || m.MatchingMode > 3:
		return fmt.Errorf("usrloc: matching_mode %d is not 0-3", m.MatchingMode)
	case m.HashSize < 1 || m.HashSize > 20:
		return fmt.Errorf("usrloc: hash_size %d is not 1-20", m.HashSize)
	case m.NATBFlag > 63:
		return fmt.Errorf("usrloc: nat_bflag %d is not a branch flag (0-63)", m.NATBFlag)
	}
	return nil
}

// Table returns the location table name, creating it (the fix-up of
// registrar's functions calls this at load time). It fails on bad
// modparams.
func (m *Instance) Table(name string) (*Table, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.tables[name]; t != nil {
		return t, nil
	}
	if m.tables == nil {
		m.tables = map[string]*Table{}
	}
	t := acquireTable(name, m.DBURL, m.HashSize)
	t.matchingMode = m.MatchingMode
	t.descTimeOrder = m.DescTimeOrder != 0
	t.dbMode = m.DBMode
	if m.DBMode > 0 && t.persist == nil {
		t.persist = &persister{url: m.DBURL, table: name, cols: m.columns(), useDomain: m.UseDomain != 0, log: m.logger()}
	}
	m.tables[name] = t
	if m.started && m.DBMode != 0 && m.DBMode != 3 {
		t.persist.loadAll(t)
	}
	return t, nil
}

// LookupTable returns an existing table (for RPC commands), or nil.
func (m *Instance) LookupTable(name string) *Table {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tables[name]
}

// UseDomainEnabled reports the use_domain modparam: AoRs are user@domain.
func (m *Instance) UseDomainEnabled() bool { return m.UseDomain != 0 }

// NATFlag returns the nat_bflag branch flag mask (0 when unset).
func (m *Instance) NATFlag() uint64 {
	if m.NATBFlag < 0 {
		return 0
	}
	return 1 << uint(m.NATBFlag)
}

// ServerIDValue is the server_id stored with new contacts.
func (m *Instance) ServerIDValue() int32 { return int32(m.ServerID) }

func (m *Instance) logger() *slog.Logger {
	if m.log != nil {
		return m.log
	}
	return slog.Default()
}

// Start loads the tables from the database (db_mode 1 and 2) and starts
// the one timer that expires contacts and writes back (db_mode 2) or
// retries failed writes (db_mode 1).
func (m *Instance) Start(ctx context.Context, h module.Host) error {
	if err := m.check(); err != nil {
		return err
	}
	for _, name := range m.Preload {
		if _, err := m.Table(name); err != nil {
			return err
		}
	}
	m.mu.Lock()
	tables := make([]*Table, 0, len(m.tables))
	for _, t := range m.tables {
		tables = append(tables, t)
	}
	m.started = true
	tctx, cancel := context.WithCancel(context.Background())
	m.stop, m.done = cancel, make(chan struct{})
	m.mu.Unlock()
	if m.DBMode == 1 || m.DBMode == 2 {
		for _, t := range tables {
			// A database that is down now is retried by the timer;
			// registrations go on in memory meanwhile.
			t.persist.loadAll(t)
		}
	}
	go m.timer(tctx, time.Duration(m.TimerInterval)*time.Second)
	return nil
}

// Stop stops the timer, writes back what is pending (db_mode 2) and
// releases the tables.
func (m *Instance) Stop() error {
	m.mu.Lock()
	stop, done := m.stop, m.done
	m.stop = nil
	tables := m.tables
	m.tables = nil
	m.started = false
	m.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	for _, t := range tables {
		if t.persist != nil && (m.DBMode == 1 || m.DBMode == 2) {
			t.persist.flush(t)
		}
		releaseTable(t)
	}
	return nil
}

func (m *Instance) timer(ctx context.Context, every time.Duration) {
	defer close(m.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.RunTimer()
		}
	}
}

// RunTimer does one timer run: it removes expired contacts and writes
// back to the database what db_mode asks (ul.flush runs it too).
func (m *Instance) RunTimer() {
	m.mu.Lock()
	tables := make([]*Table, 0, len(m.tables))
	for _, t := range m.tables {
		tables = append(tables, t)
	}
	m.mu.Unlock()
	now := time.Now().Unix()
	for _, t := range tables {
		if t.persist != nil && (t.dbMode == 1 || t.dbMode == 2) {
			t.persist.mu.Lock()
			loaded := t.persist.loaded
			t.persist.mu.Unlock()
			if !loaded {
				t.persist.loadAll(t)
			}
		}
		if t.dbMode == 3 {
			t.persist.expireDB(now)
			continue
		}
		t.Expire(now)
		if t.persist != nil {
			t.persist.flush(t)
		}
	}
}

// Tables shared by the instances of successive configurations (a reload
// keeps the registrations): name and db_url -> table and reference count.
var (
	sharedMu sync.Mutex
	shared   = map[string]*sharedTable{}
)

type sharedTable struct {
	t    *Table
	key  string
	refs int
}

func acquireTable(name, dbURL string, hashSize int) *Table {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	key := name + "\x00" + dbURL
	s := shared[key]
	if s == nil || len(s.t.shards) != 1<<hashSize {
		s = &sharedTable{t: newTable(name, hashSize), key: key}
		shared[key] = s
	}
	s.t.sharedKey = key
	s.refs++
	return s.t
}

func releaseTable(t *Table) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	s := shared[t.sharedKey]
	if s == nil || s.t != t {
		return
	}
	s.refs--
	if s.refs <= 0 {
		delete(shared, t.sharedKey)
		if t.persist != nil {
			t.persist.close()
		}
	}
}
