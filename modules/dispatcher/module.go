package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/module"
	tmmod "github.com/olelo-sip/olelo/modules/tm"
	"github.com/olelo-sip/olelo/pv"
)

func init() {
	module.Register(module.Module{
		Name: "dispatcher",
		Doc:  "load balancing over destination sets, with failover and keepalives",
		New:  func() module.Instance { return newInstance() },
	})
}

func newInstance() *Instance {
	return &Instance{
		ListFile: "/etc/kamailio/dispatcher.list", TableName: "dispatcher",
		SetIDCol: "setid", DestinationCol: "destination", FlagsCol: "flags",
		PriorityCol: "priority", AttrsCol: "attrs", DescriptionCol: "description",
		ForceDst: 1, XAVPDst: "_dsdst_", XAVPCtx: "_dsctx_",
		PingMethod: "OPTIONS", PingFrom: "sip:dispatcher@localhost",
		ProbingThreshold: 1, InactiveThreshold: 1, LatencyEstimatorAlpha: 900,
		HashExpire: 7200, HashInitExpire: 7200, HashCheckInterval: 30,
	}
}

// Instance is the dispatcher module with its modparams.
type Instance struct {
	ListFile       string `modparam:"list_file"`
	DBURL          string `modparam:"db_url"`
	TableName      string `modparam:"table_name"`
	SetIDCol       string `modparam:"setid_col"`
	DestinationCol string `modparam:"destination_col"`
	FlagsCol       string `modparam:"flags_col"`
	PriorityCol    string `modparam:"priority_col"`
	AttrsCol       string `modparam:"attrs_col"`
	DescriptionCol string `modparam:"description_col"`

	Flags       int    `modparam:"flags"`
	ForceDst    int    `modparam:"force_dst"`
	UseDefault  int    `modparam:"use_default"`
	XAVPDst     string `modparam:"xavp_dst"`
	XAVPDstMode int    `modparam:"xavp_dst_mode"`
	XAVPCtx     string `modparam:"xavp_ctx"`
	XAVPCtxMode int    `modparam:"xavp_ctx_mode"`
	HashPVar    string `modparam:"hash_pvar"`
	SetIDPVName string `modparam:"setid_pvname"`
	AttrsPVName string `modparam:"attrs_pvname"`

	PingInterval          int    `modparam:"ds_ping_interval"`
	PingMethod            string `modparam:"ds_ping_method"`
	PingFrom              string `modparam:"ds_ping_from"`
	PingReplyCodes        string `modparam:"ds_ping_reply_codes"`
	PingLatencyStats      int    `modparam:"ds_ping_latency_stats"`
	LatencyEstimatorAlpha int    `modparam:"ds_latency_estimator_alpha"`
	ProbingThreshold      int    `modparam:"ds_probing_threshold"`
	InactiveThreshold     int    `modparam:"ds_inactive_threshold"`
	ProbingMode           int    `modparam:"ds_probing_mode"`
	EventCallbackMode     int    `modparam:"event_callback_mode"`
	OutboundProxy         string `modparam:"outbound_proxy"`

	HashSize          int `modparam:"ds_hash_size"`
	HashExpire        int `modparam:"ds_hash_expire"`
	HashInitExpire    int `modparam:"ds_hash_initexpire"`
	HashCheckInterval int `modparam:"ds_hash_check_interval"`

	// Accepted for compatibility; no effect (see the README).
	DefaultSocket string `modparam:"ds_default_socket"`
	PingSocket    string `modparam:"ds_ping_socket"`
	TimerMode     int    `modparam:"ds_timer_mode"`
	ReloadDelta   int    `modparam:"reload_delta"`
	DNSMode       int    `modparam:"ds_dns_mode"`
	DNSTTL        int    `modparam:"ds_dns_ttl"`
	DBExtraAttrs  string `modparam:"ds_db_extra_attrs"`
	AttrsNone     int    `modparam:"ds_attrs_none"`
	EventCallback string `modparam:"event_callback"`

	data       atomic.Pointer[lists]
	loads      loadTable
	replyCodes replyCodes
	hashPV     *pv.Format
	setidPV    module.SettablePV
	attrsPV    module.SettablePV
	pingActive atomic.Bool

	tm       *tmmod.Instance
	host     module.Host
	events   atomic.Pointer[module.EventRunner]
	logger   *slog.Logger
	reloadMu sync.Mutex
	cancel   context.CancelFunc
	loopDone chan struct{}
	ctx      context.Context
	now      func() time.Time // nil: time.Now (tests step the clock)
}

// Funcs lists dispatcher's functions.
func (m *Instance) Funcs() []module.Func {
	i, s := module.ArgInt, module.ArgStr
	all := module.RequestRoute | module.FailureRoute | module.BranchRoute | module.OnReplyRoute | module.CoreReplyRoute
	sel := func(mode int) func(*module.Ctx, []*module.Arg) int {
		return func(c *module.Ctx, args []*module.Arg) int {
			set, err := args[0].GetInt(c)
			if err != nil {
				return -1
			}
			alg, err := args[1].GetInt(c)
			if err != nil {
				return -1
			}
			limit, err := optInt(c, args, 2)
			if err != nil {
				return -1
			}
			return m.selectDst(c, int(set), int(alg), int(limit), mode)
		}
	}
	return []module.Func{
		{Name: "ds_select_dst", Args: []module.ArgKind{i, i}, Run: sel(modeDst), Doc: "select a destination of the set with the algorithm and set $du"},
		{Name: "ds_select_dst", Args: []module.ArgKind{i, i, i}, Run: sel(modeDst), Doc: "select a destination, keeping at most limit in the failover list"},
		{Name: "ds_select_domain", Args: []module.ArgKind{i, i}, Run: sel(modeDomain), Doc: "select a destination and put its host:port in the Request-URI"},
		{Name: "ds_select_domain", Args: []module.ArgKind{i, i, i}, Run: sel(modeDomain), Doc: "select a destination for the Request-URI, with a failover limit"},
		{Name: "ds_select", Args: []module.ArgKind{i, i}, Run: sel(modeXAVP), Doc: "select destinations into the XAVP only"},
		{Name: "ds_select", Args: []module.ArgKind{i, i, i}, Run: sel(modeXAVP), Doc: "select destinations into the XAVP only, at most limit"},
		{Name: "ds_select_routes", Args: []module.ArgKind{s, s}, Routes: module.RequestRoute | module.FailureRoute, Run: m.runSelectRoutes, Doc: "select from several groups (\"set=alg;set=alg\") into one failover list; mode d sets $du, r the R-URI host, x nothing"},
		{Name: "ds_select_routes", Args: []module.ArgKind{s, s, i}, Routes: module.RequestRoute | module.FailureRoute, Run: m.runSelectRoutes, Doc: "select from several groups into one failover list of at most limit destinations"},
		{Name: "ds_next_dst", Routes: module.RequestRoute | module.FailureRoute, Run: func(c *module.Ctx, _ []*module.Arg) int { return m.nextDst(c, modeDst) }, Doc: "take the next destination of the failover list as $du"},
		{Name: "ds_next_domain", Routes: module.RequestRoute | module.FailureRoute, Run: func(c *module.Ctx, _ []*module.Arg) int { return m.nextDst(c, modeDomain) }, Doc: "take the next destination of the failover list as the Request-URI host"},
		{Name: "ds_set_dst", Routes: module.RequestRoute | module.FailureRoute, Run: func(c *module.Ctx, _ []*module.Arg) int { return m.setDst(c, modeDst) }, Doc: "set $du to the current destination of the failover list"},
		{Name: "ds_set_domain", Routes: module.RequestRoute | module.FailureRoute, Run: func(c *module.Ctx, _ []*module.Arg) int { return m.setDst(c, modeDomain) }, Doc: "set the Request-URI host to the current destination of the failover list"},
		{Name: "ds_mark_dst", Routes: module.RequestRoute | module.FailureRoute | module.OnReplyRoute, Run: func(c *module.Ctx, _ []*module.Arg) int { return m.markDst(c, "i") }, Doc: "mark the current destination inactive"},
		{Name: "ds_mark_dst", Args: []module.ArgKind{s}, Routes: module.RequestRoute | module.FailureRoute | module.OnReplyRoute, Check: checkState, Run: m.runMarkDst, Doc: "set the state of the current destination (a, i, d, t, with p for probing)"},
		{Name: "ds_is_from_list", Routes: all, Run: m.runIsFromList, Doc: "true when the source address is a destination of any set"},
		{Name: "ds_is_from_list", Args: []module.ArgKind{i}, Routes: all, Run: m.runIsFromList, Doc: "true when the source address is a destination of the set (-1: any)"},
		{Name: "ds_is_from_list", Args: []module.ArgKind{i, i}, Routes: all, Run: m.runIsFromList, Doc: "true when the source address is a destination of the set, with match mode flags"},
		{Name: "ds_is_from_list", Args: []module.ArgKind{i, i, s}, Routes: all, Run: m.runIsFromList, Doc: "true when the address of the URI is a destination of the set, with match mode flags"},
		{Name: "ds_list_exists", Args: []module.ArgKind{i}, Routes: all, Run: m.runListExists, Doc: "true when the set exists"},
		{Name: "ds_list_exist", Args: []module.ArgKind{i}, Routes: all, Run: m.runListExists, Doc: "true when the set exists (old name)"},
		{Name: "ds_is_active", Args: []module.ArgKind{i}, Routes: all, Run: m.runIsActive, Doc: "true when the set has an active destination"},
		{Name: "ds_is_active", Args: []module.ArgKind{i, s}, Routes: all, Run: m.runIsActive, Doc: "true when the destination of the set is active"},
		{Name: "ds_load_update", Routes: all, Run: m.runLoadUpdate, Doc: "update the call load: release it on BYE/CANCEL, confirm it on a 2xx to INVITE"},
		{Name: "ds_load_unset", Routes: all, Run: m.runLoadUnset, Doc: "release the call load of the request's call"},
		{Name: "ds_reload", Routes: all, Run: m.runReload, Doc: "reload the destination sets"},
		{Name: "ds_oc_set_attrs", Args: []module.ArgKind{i, s, i, i, i}, Routes: all, Run: m.runOCSetAttrs, Doc: "overload control (algorithm 64): skip rate % of the selections of a destination for interval ms, if seq is newer"},
	}
}

func checkState(args []*module.Arg) error {
	if a := args[0]; a.Const {
		if _, ok := parseState(a.Str); !ok {
			return fmt.Errorf("bad state %q (want a, i, d or t, optionally followed by p)", a.Str)
		}
	}
	return nil
}

// PVs exports $dsv (in the dst-up/down event routes).
func (m *Instance) PVs() []module.PVClass {
	return []module.PVClass{{Name: "dsv", New: newDSV, Doc: "the destination of a dispatcher event: code, reason, uri, flags, setid/group"}}
}

// Events lists the event routes dispatcher runs.
func (m *Instance) Events() []string {
	return []string{"dispatcher:dst-down", "dispatcher:dst-up"}
}

// SetEventRunner implements module.EventUser.
func (m *Instance) SetEventRunner(r module.EventRunner) { m.events.Store(&r) }

// Link loads the destination sets (so that `olelo check` reports a bad
// list file), prepares the modparams that name pseudo-variables, and
// finds tm, which sends the keepalives.
func (m *Instance) Link(find func(name string) module.Instance) error {
	if t, ok := find("tm").(*tmmod.Instance); ok {
		m.tm = t
	} else if m.PingInterval > 0 {
		return errors.New("dispatcher: ds_ping_interval needs tm: loadmodule \"tm.so\"")
	}
	var err error
	if m.replyCodes, err = parseReplyCodes(m.PingReplyCodes); err != nil {
		return fmt.Errorf("dispatcher: %w", err)
	}
	if m.HashPVar != "" {
		if m.hashPV, err = pv.ParseFormat(m.HashPVar, pv.CoreLookup); err != nil {
			return fmt.Errorf("dispatcher: hash_pvar %q: %w", m.HashPVar, err)
		}
	}
	if m.setidPV, err = settable("setid_pvname", m.SetIDPVName); err != nil {
		return err
	}
	if m.attrsPV, err = settable("attrs_pvname", m.AttrsPVName); err != nil {
		return err
	}
	if m.ProbingThreshold < 1 {
		m.ProbingThreshold = 1
	}
	if m.InactiveThreshold < 1 {
		m.InactiveThreshold = 1
	}
	m.loads.init(m.HashSize, m.HashInitExpire, m.HashExpire)
	m.pingActive.Store(true)
	l, err := m.load(context.Background())
	if err != nil {
		return err
	}
	m.data.Store(l)
	return nil
}

func settable(param, name string) (module.SettablePV, error) {
	if name == "" {
		return nil, nil
	}
	p, err := pv.Parse(name, pv.CoreLookup)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: %s %q: %w", param, name, err)
	}
	s, ok := p.(module.SettablePV)
	if !ok {
		return nil, fmt.Errorf("dispatcher: %s %q is not a writable pseudo-variable", param, name)
	}
	return s, nil
}

// load reads the destinations from the database (db_url) or the list
// file, and builds the sets.
func (m *Instance) load(ctx context.Context) (*lists, error) {
	var entries []entry
	if m.DBURL != "" {
		var err error
		if entries, err = m.loadDB(ctx); err != nil {
			return nil, err
		}
	} else {
		f, err := os.Open(m.ListFile)
		if err != nil {
			return nil, fmt.Errorf("dispatcher: list_file: %w", err)
		}
		defer f.Close()
		if entries, err = parseList(m.ListFile, f); err != nil {
			return nil, fmt.Errorf("dispatcher: %w", err)
		}
	}
	l, err := buildLists(ctx, entries, net.DefaultResolver)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: %w", err)
	}
	return l, nil
}

// loadDB reads the dispatcher table.
func (m *Instance) loadDB(ctx context.Context) ([]entry, error) {
	conn, err := db.Open(ctx, m.DBURL)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: db_url: %w", err)
	}
	defer conn.Close()
	cols := []string{m.SetIDCol, m.DestinationCol, m.FlagsCol, m.PriorityCol, m.AttrsCol, m.DescriptionCol}
	rows, err := conn.Query(ctx, m.TableName, cols, nil, "")
	if err != nil {
		return nil, fmt.Errorf("dispatcher: table %s: %w", m.TableName, err)
	}
	out := make([]entry, 0, len(rows))
	for i, r := range rows {
		out = append(out, entry{
			setid: int(r.Int(0)), uri: strings.TrimSpace(r.Str(1)), flags: int(r.Int(2)),
			priority: int(r.Int(3)), attrs: r.Str(4), desc: r.Str(5),
			where: fmt.Sprintf("%s row %d", m.TableName, i+1),
		})
	}
	return out, nil
}

// Start starts the keepalive timer.
func (m *Instance) Start(ctx context.Context, h module.Host) error {
	m.host = h
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.ctx, m.cancel = ctx, cancel
	m.loopDone = make(chan struct{})
	go m.pingLoop(ctx)
	return nil
}

// Stop ends the keepalive timer.
func (m *Instance) Stop() error {
	if m.cancel != nil {
		m.cancel()
		<-m.loopDone
		m.cancel = nil
	}
	return nil
}

func (m *Instance) baseCtx() context.Context {
	if m.ctx != nil {
		return m.ctx
	}
	return context.Background()
}

func (m *Instance) log() *slog.Logger {
	if m.logger != nil {
		return m.logger
	}
	return slog.Default()
}

// reload re-reads the destinations; on error the old sets stay.
func (m *Instance) reload(ctx context.Context) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	l, err := m.load(ctx)
	if err != nil {
		return err
	}
	m.data.Store(l)
	return nil
}
