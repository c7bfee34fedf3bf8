package permissions

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/pv"
)

func init() {
	module.Register(module.Module{
		Name: "permissions",
		Doc:  "access control by source address, trusted peers and allow/deny rule files",
		New:  func() module.Instance { return New() },
	})
}

// New returns the module with Kamailio's defaults.
func New() *Instance {
	return &Instance{
		AddressTable:     "address",
		TrustedTable:     "trusted",
		GrpCol:           "grp",
		IPAddrCol:        "ip_addr",
		MaskCol:          "mask",
		PortCol:          "port",
		TagCol:           "tag",
		SourceCol:        "src_ip",
		ProtoCol:         "proto",
		FromCol:          "from_pattern",
		RURICol:          "ruri_pattern",
		PriorityCol:      "priority",
		DefaultAllowFile: "permissions.allow",
		DefaultDenyFile:  "permissions.deny",
		AllowSuffix:      ".allow",
		DenySuffix:       ".deny",
		CheckAllBranches: 1,
		MaxSubnets:       512,
		LoadBackends:     0xffff,
		ReloadDelta:      5,
		ruleSets:         map[string]*ruleSet{},
	}
}

// Instance is the permissions module: its modparams and the loaded
// tables.
type Instance struct {
	// DBURL is where the address and trusted tables are; without it (and
	// without AddressFile) the address and trusted functions find
	// nothing.
	DBURL        string `modparam:"db_url"`
	AddressTable string `modparam:"address_table"`
	TrustedTable string `modparam:"trusted_table"`
	GrpCol       string `modparam:"grp_col"`
	IPAddrCol    string `modparam:"ip_addr_col"`
	MaskCol      string `modparam:"mask_col"`
	PortCol      string `modparam:"port_col"`
	TagCol       string `modparam:"tag_col"`
	SourceCol    string `modparam:"source_col"`
	ProtoCol     string `modparam:"proto_col"`
	FromCol      string `modparam:"from_col"`
	RURICol      string `modparam:"ruri_col"`
	PriorityCol  string `modparam:"priority_col"`
	// AddressFile, when set, is read instead of the address table.
	AddressFile string `modparam:"address_file"`
	// DBMode is for the trusted table only: 0 queries the database on
	// every allow_trusted call, 1 keeps the table in memory (the address
	// table is always kept in memory).
	DBMode int `modparam:"db_mode"`
	// PeerTagAVP names the AVP ($avp(name)) that receives the tag of
	// the matching entry.
	PeerTagAVP string `modparam:"peer_tag_avp"`
	// PeerTagMode 1 makes allow_trusted collect the tags of every
	// matching row and return their number.
	PeerTagMode      int    `modparam:"peer_tag_mode"`
	DefaultAllowFile string `modparam:"default_allow_file"`
	DefaultDenyFile  string `modparam:"default_deny_file"`
	AllowSuffix      string `modparam:"allow_suffix"`
	DenySuffix       string `modparam:"deny_suffix"`
	// CheckAllBranches makes allow_routing check every branch of the
	// destination set, not only the Request-URI.
	CheckAllBranches int `modparam:"check_all_branches"`
	// MaxSubnets caps the number of subnet entries of the address table.
	MaxSubnets int `modparam:"max_subnets"`
	// SubnetMatchMode 1 picks the longest matching prefix of a group
	// (which decides the tag) instead of the first.
	SubnetMatchMode int `modparam:"subnet_match_mode"`
	// LoadBackends is a bit mask of what to load: 1 address, 2 trusted.
	LoadBackends int `modparam:"load_backends"`
	// ReloadDelta is the minimum time in seconds between two RPC
	// reloads.
	ReloadDelta int `modparam:"reload_delta"`

	configDir string
	tagAVP    string // the AVP name of PeerTagAVP, "" when unset

	addr    atomic.Pointer[addressTable]
	trusted atomic.Pointer[trustedTable]

	dbMu sync.Mutex
	conn db.Conn // open from Start to Stop when DBURL is set

	// ruleSets are the rule files, keyed by the basename given to the
	// function ("" for the defaults, "allow\x00deny" for two files),
	// loaded at config load so that errors name the file:line before
	// the server starts.
	ruleMu   sync.Mutex
	ruleSets map[string]*ruleSet

	reloadMu   sync.Mutex
	lastReload map[string]time.Time
}

// SetConfigFile tells the module where the routing config is: bare rule
// file names are looked up in its directory, as Kamailio does.
func (m *Instance) SetConfigFile(path string) {
	if path != "" {
		m.configDir = filepath.Dir(path)
	}
}

// Start checks the modparams, reads the rule files and loads the tables.
// A missing table or an unreachable database fails the start with the
// reason.
func (m *Instance) Start(ctx context.Context, h module.Host) error {
	if m.DBMode != 0 && m.DBMode != 1 {
		return fmt.Errorf("permissions: invalid db_mode %d (want 0 or 1)", m.DBMode)
	}
	if m.PeerTagMode != 0 && m.PeerTagMode != 1 {
		return fmt.Errorf("permissions: invalid peer_tag_mode %d (want 0 or 1)", m.PeerTagMode)
	}
	if m.SubnetMatchMode != 0 && m.SubnetMatchMode != 1 {
		return fmt.Errorf("permissions: invalid subnet_match_mode %d (want 0 or 1)", m.SubnetMatchMode)
	}
	if m.PeerTagAVP != "" {
		name, err := avpName(m.PeerTagAVP)
		if err != nil {
			return fmt.Errorf("permissions: peer_tag_avp: %w", err)
		}
		m.tagAVP = name
	}
	if _, err := m.defaultRules(); err != nil {
		return fmt.Errorf("permissions: %w", err)
	}
	if m.DBURL != "" && m.LoadBackends&3 != 0 {
		conn, err := db.Open(ctx, m.DBURL)
		if err != nil {
			return fmt.Errorf("permissions: db_url: %w", err)
		}
		m.dbMu.Lock()
		m.conn = conn
		m.dbMu.Unlock()
	}
	if m.LoadBackends&1 != 0 && (m.AddressFile != "" || m.DBURL != "") {
		t, err := m.loadAddresses(ctx)
		if err != nil {
			m.Stop()
			return fmt.Errorf("permissions: %w", err)
		}
		m.addr.Store(t)
	}
	if m.LoadBackends&2 != 0 && m.DBURL != "" {
		if err := m.checkVersion(ctx, m.TrustedTable, trustedVersion); err != nil {
			m.Stop()
			return fmt.Errorf("permissions: %w", err)
		}
		if m.DBMode == 1 {
			t, err := m.loadTrusted(ctx)
			if err != nil {
				m.Stop()
				return fmt.Errorf("permissions: %w", err)
			}
			m.trusted.Store(t)
		} else if _, err := m.queryTrusted(ctx, ""); err != nil {
			// db_mode 0 queries per call; check now that the table
			// is there, so that a typo fails the start, not calls.
			m.Stop()
			return fmt.Errorf("permissions: %w", err)
		}
	}
	return nil
}

// Stop closes the database connection.
func (m *Instance) Stop() error {
	m.dbMu.Lock()
	defer m.dbMu.Unlock()
	if m.conn == nil {
		return nil
	}
	err := m.conn.Close()
	m.conn = nil
	return err
}

// db returns the open connection, or nil.
func (m *Instance) db() db.Conn {
	m.dbMu.Lock()
	defer m.dbMu.Unlock()
	return m.conn
}

// avpName reads "$avp(name)" (or "$avp(s:name)").
func avpName(spec string) (string, error) {
	s := strings.TrimSpace(spec)
	if !strings.HasPrefix(s, "$avp(") || !strings.HasSuffix(s, ")") || len(s) == len("$avp()") {
		return "", fmt.Errorf("%q is not an AVP ($avp(name))", spec)
	}
	return pv.AVPName(s[len("$avp(") : len(s)-1]), nil
}

// Funcs lists the module's functions.
func (m *Instance) Funcs() []module.Func {
	s, i := module.ArgStr, module.ArgInt
	reqFail := module.RequestRoute | module.FailureRoute
	any := module.AnyRoute
	return []module.Func{
		{Name: "allow_source_address", Routes: any, Run: m.allowSourceAddress,
			Doc: "true when the source address and port are in address group 1"},
		{Name: "allow_source_address", Args: []module.ArgKind{i}, Routes: any, Run: m.allowSourceAddress,
			Doc: "true when the source address and port are in the address group"},
		{Name: "allow_source_address_group", Routes: any, Run: m.allowSourceAddressGroup,
			Doc: "the address group of the source address and port, -1 when none"},
		{Name: "allow_address", Args: []module.ArgKind{i, s, i}, Routes: any, Run: m.allowAddress,
			Doc: "true when the address and port are in the address group"},
		{Name: "allow_address_group", Args: []module.ArgKind{s, i}, Routes: any, Run: m.allowAddressGroup,
			Doc: "the address group of an address and port, -1 when none"},
		{Name: "allow_trusted", Routes: any, Run: m.allowTrusted,
			Doc: "true when the trusted table admits the source address, protocol, From URI and Request-URI"},
		{Name: "allow_trusted", Args: []module.ArgKind{s, s}, Routes: any, Run: m.allowTrusted,
			Doc: "allow_trusted with the given source address and protocol"},
		{Name: "allow_trusted", Args: []module.ArgKind{s, s, s}, Routes: any, Run: m.allowTrusted,
			Doc: "allow_trusted with the given source address, protocol and URI instead of the From URI"},
		{Name: "allow_routing", Routes: any, Check: m.checkRuleArgs, Run: m.allowRouting,
			Doc: "check From and Request-URI (and branches) against the default allow/deny files"},
		{Name: "allow_routing", Args: []module.ArgKind{s}, Routes: any, Check: m.checkRuleArgs, Run: m.allowRouting,
			Doc: "check From and Request-URI against basename.allow/basename.deny"},
		{Name: "allow_routing", Args: []module.ArgKind{s, s}, Routes: any, Check: m.checkRuleArgs, Run: m.allowRouting,
			Doc: "check From and Request-URI against an allow file and a deny file"},
		{Name: "allow_register", Args: []module.ArgKind{s}, Routes: reqFail, Check: m.checkRuleArgs, Run: m.allowRegister(false),
			Doc: "check the To URI and each Contact against basename.allow/basename.deny"},
		{Name: "allow_register", Args: []module.ArgKind{s, s}, Routes: reqFail, Check: m.checkRuleArgs, Run: m.allowRegister(false),
			Doc: "check the To URI and each Contact against an allow file and a deny file"},
		{Name: "allow_register_include_port", Args: []module.ArgKind{s}, Routes: reqFail, Check: m.checkRuleArgs, Run: m.allowRegister(true),
			Doc: "allow_register with the Contact port in the checked URI"},
		{Name: "allow_register_include_port", Args: []module.ArgKind{s, s}, Routes: reqFail, Check: m.checkRuleArgs, Run: m.allowRegister(true),
			Doc: "allow_register with the Contact port, with an allow file and a deny file"},
		{Name: "allow_uri", Args: []module.ArgKind{s, s}, Routes: reqFail, Check: m.checkURIArgs, Run: m.allowURI,
			Doc: "check the From URI and a URI against basename.allow/basename.deny"},
	}
}

// ruleKey is the key of a rule set for the file arguments of a call.
func ruleKey(files ...string) string { return strings.Join(files, "\x00") }

// checkRuleArgs loads the rule files named by constant arguments at
// config load (a file name must be a constant, as in Kamailio).
func (m *Instance) checkRuleArgs(args []*module.Arg) error {
	var files []string
	for _, a := range args {
		if !a.Const {
			return errors.New("rule file names must be constant strings")
		}
		files = append(files, a.Str)
	}
	_, err := m.rulesFor(files...)
	return err
}

// checkURIArgs checks allow_uri's basename (the second argument is the
// URI, evaluated per message).
func (m *Instance) checkURIArgs(args []*module.Arg) error {
	return m.checkRuleArgs(args[:1])
}

// defaultRules returns the rule set of default_allow_file and
// default_deny_file.
func (m *Instance) defaultRules() (*ruleSet, error) { return m.rulesFor() }

// rulesFor returns (loading it once) the rule set for no files (the
// defaults), a basename (basename+allow_suffix, basename+deny_suffix) or
// an allow file and a deny file.
func (m *Instance) rulesFor(files ...string) (*ruleSet, error) {
	key := ruleKey(files...)
	m.ruleMu.Lock()
	defer m.ruleMu.Unlock()
	if rs, ok := m.ruleSets[key]; ok {
		return rs, nil
	}
	var allow, deny string
	switch len(files) {
	case 0:
		allow, deny = m.DefaultAllowFile, m.DefaultDenyFile
	case 1:
		allow, deny = files[0]+m.AllowSuffix, files[0]+m.DenySuffix
	default:
		allow, deny = files[0], files[1]
	}
	rs := &ruleSet{allowPath: rulePath(m.configDir, allow), denyPath: rulePath(m.configDir, deny)}
	var err error
	if rs.allow, err = readRules(rs.allowPath); err != nil {
		return nil, err
	}
	if rs.deny, err = readRules(rs.denyPath); err != nil {
		return nil, err
	}
	if m.ruleSets == nil {
		m.ruleSets = map[string]*ruleSet{}
	}
	m.ruleSets[key] = rs
	return rs, nil
}

// rules returns the loaded rule set for the constant file arguments of a
// call (loaded by Check; loaded here for contexts that skip Check).
func (m *Instance) rules(c *module.Ctx, args []*module.Arg) *ruleSet {
	var key string
	switch len(args) {
	case 0:
	case 1:
		key = args[0].Str // no allocation on the common path
	default:
		key = ruleKey(args[0].Str, args[1].Str)
	}
	m.ruleMu.Lock()
	rs, ok := m.ruleSets[key]
	m.ruleMu.Unlock()
	if ok {
		return rs
	}
	files := make([]string, len(args))
	for i, a := range args {
		files[i] = a.Str
	}
	rs, err := m.rulesFor(files...)
	if err != nil {
		c.Log.Error("permissions: rule file", "err", err)
		return nil
	}
	return rs
}
