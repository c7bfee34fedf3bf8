package registrar

import (
	"errors"
	"fmt"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/usrloc"
)

func init() {
	module.Register(module.Module{
		Name: "registrar",
		Doc:  "SIP registrar: save() REGISTERs in usrloc, lookup() registered contacts",
		New: func() module.Instance {
			return &Instance{
				DefaultExpires: 3600, MinExpires: 60, DefaultQ: usrloc.QUnset, AppendBranches: 1,
				ReceivedParam: "received", PathMode: 2, CaseSensitive: 1, ContactMaxSize: 512,
				GRUUEnabled: 1, CSeqDelay: 20,
			}
		},
	})
}

// Instance is the registrar module with its modparams.
type Instance struct {
	DefaultExpires      int    `modparam:"default_expires"`
	DefaultExpiresRange int    `modparam:"default_expires_range"`
	MinExpires          int    `modparam:"min_expires"`
	MinExpiresMode      int    `modparam:"min_expires_mode"`
	MaxExpires          int    `modparam:"max_expires"`
	MaxContacts         int    `modparam:"max_contacts"`
	RetryAfter          int    `modparam:"retry_after"`
	DefaultQ            int    `modparam:"default_q"`
	AppendBranches      int    `modparam:"append_branches"`
	ReceivedAVP         string `modparam:"received_avp"`
	ReceivedParam       string `modparam:"received_param"`
	UsePath             int    `modparam:"use_path"`
	PathMode            int    `modparam:"path_mode"`
	PathUseReceived     int    `modparam:"path_use_received"`
	CaseSensitive       int    `modparam:"case_sensitive"`
	RealmPrefix         string `modparam:"realm_prefix"`
	MethodFiltering     int    `modparam:"method_filtering"`
	ContactMaxSize      int    `modparam:"contact_max_size"`
	XAVPCfg             string `modparam:"xavp_cfg"`
	// Accepted for compatibility: olelo has no GRUU or outbound support
	// yet, and tolerates a same-Call-ID retransmission at any delay.
	GRUUEnabled  int `modparam:"gruu_enabled"`
	OutboundMode int `modparam:"outbound_mode"`
	CSeqDelay    int `modparam:"cseq_delay"`

	ul         *usrloc.Instance
	receivedAV string // received_avp as a key of Ctx.AVPs
}

// Link finds usrloc, where registrar keeps the contacts.
func (m *Instance) Link(find func(name string) module.Instance) error {
	ul, ok := find("usrloc").(*usrloc.Instance)
	if !ok || ul == nil {
		return errors.New(`registrar needs usrloc: add loadmodule "usrloc.so"`)
	}
	if err := m.check(); err != nil {
		return err
	}
	m.ul = ul
	m.receivedAV = avpName(m.ReceivedAVP)
	return nil
}

func (m *Instance) check() error {
	switch {
	case m.DefaultExpires < 0:
		return fmt.Errorf("registrar: default_expires %d is negative", m.DefaultExpires)
	case m.MinExpires < 0 || m.MaxExpires < 0:
		return fmt.Errorf("registrar: min_expires and max_expires must not be negative")
	case m.MaxExpires > 0 && m.MinExpires > m.MaxExpires:
		return fmt.Errorf("registrar: min_expires %d is above max_expires %d", m.MinExpires, m.MaxExpires)
	case m.DefaultExpiresRange < 0 || m.DefaultExpiresRange > 100:
		return fmt.Errorf("registrar: default_expires_range %d is not a percentage (0-100)", m.DefaultExpiresRange)
	case m.PathMode < 0 || m.PathMode > 2:
		return fmt.Errorf("registrar: path_mode %d is not 0, 1 or 2", m.PathMode)
	case m.DefaultQ != usrloc.QUnset && (m.DefaultQ < 0 || m.DefaultQ > 1000):
		return fmt.Errorf("registrar: default_q %d is not -1 or 0-1000", m.DefaultQ)
	case m.ReceivedAVP != "" && avpName(m.ReceivedAVP) == "":
		return fmt.Errorf("registrar: received_avp %q is not an $avp(name)", m.ReceivedAVP)
	}
	return nil
}

// avpName turns "$avp(RECEIVED)" (or "$avp(s:RECEIVED)") into the key
// of Ctx.AVPs; "" when spec is not an AVP.
func avpName(spec string) string {
	s := strings.TrimSpace(spec)
	if !strings.HasPrefix(s, "$avp(") || !strings.HasSuffix(s, ")") {
		return ""
	}
	s = s[len("$avp(") : len(s)-1]
	if len(s) > 2 && (s[:2] == "s:" || s[:2] == "i:") {
		s = s[2:]
	}
	return s
}

// Funcs lists registrar's functions.
func (m *Instance) Funcs() []module.Func {
	s, i := module.ArgStr, module.ArgInt
	saveRoutes := module.RequestRoute | module.FailureRoute
	lookupRoutes := module.RequestRoute | module.FailureRoute | module.BranchRoute
	t := m.checkTable
	return []module.Func{
		{Name: "save", Args: []module.ArgKind{s}, Check: t, Run: m.runSave, Routes: saveRoutes, Doc: "save the contacts of a REGISTER in a location table and reply"},
		{Name: "save", Args: []module.ArgKind{s, i}, Check: t, Run: m.runSave, Routes: saveRoutes, Doc: "save with flags (1 memory only, 2 no reply, 4 one contact, 8 no expires randomising)"},
		{Name: "save", Args: []module.ArgKind{s, i, s}, Check: t, Run: m.runSave, Routes: saveRoutes, Doc: "save with flags for the AoR of a given URI"},
		{Name: "lookup", Args: []module.ArgKind{s}, Check: t, Run: m.runLookup, Routes: lookupRoutes, Doc: "set the Request-URI (and branches) to the registered contacts of the Request-URI's AoR"},
		{Name: "lookup", Args: []module.ArgKind{s, s}, Check: t, Run: m.runLookup, Routes: lookupRoutes, Doc: "lookup for the AoR of a given URI"},
		{Name: "lookup_branches", Args: []module.ArgKind{s}, Check: t, Run: m.runLookupBranches, Routes: lookupRoutes, Doc: "lookup for the Request-URI and every branch"},
		{Name: "registered", Args: []module.ArgKind{s}, Check: t, Run: m.runRegistered, Routes: module.AnyRoute, Doc: "tell whether the Request-URI's AoR has a registered contact"},
		{Name: "registered", Args: []module.ArgKind{s, s}, Check: t, Run: m.runRegistered, Routes: module.AnyRoute, Doc: "tell whether the AoR of a URI has a registered contact"},
		{Name: "registered", Args: []module.ArgKind{s, s, i}, Check: t, Run: m.runRegistered, Routes: module.AnyRoute, Doc: "registered, matching Call-ID (1), received (2) or contact (4)"},
		{Name: "registered", Args: []module.ArgKind{s, s, i, i}, Check: t, Run: m.runRegistered, Routes: module.AnyRoute, Doc: "registered with a match action (1 refresh the keepalive time)"},
		{Name: "unregister", Args: []module.ArgKind{s, s}, Check: t, Run: m.runUnregister, Routes: module.AnyRoute, Doc: "remove every contact of an AoR"},
		{Name: "unregister", Args: []module.ArgKind{s, s, s}, Check: t, Run: m.runUnregister, Routes: module.AnyRoute, Doc: "remove the contact with a ruid from an AoR"},
		{Name: "reg_fetch_contacts", Args: []module.ArgKind{s, s, s}, Check: t, Run: m.runFetch, Routes: module.AnyRoute, Doc: "load the contacts of an AoR into a $ulc profile"},
		{Name: "reg_free_contacts", Args: []module.ArgKind{s}, Run: m.runFree, Routes: module.AnyRoute, Doc: "free a $ulc profile"},
	}
}

// checkTable creates the location table named by a constant first
// argument at load time, so that a bad usrloc setting fails the
// configuration and db_mode 1/2 load it at start.
func (m *Instance) checkTable(args []*module.Arg) error {
	if m.ul == nil || !args[0].Const {
		return nil
	}
	if args[0].Str == "" {
		return errors.New("empty location table name")
	}
	_, err := m.ul.Table(args[0].Str)
	return err
}

// PVs exports $ulc(profile=>attr).
func (m *Instance) PVs() []module.PVClass {
	return []module.PVClass{{Name: "ulc", New: newULCPV, Doc: "the contacts loaded by reg_fetch_contacts: $ulc(profile=>attr), [n] for the n-th contact"}}
}
