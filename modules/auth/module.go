package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "auth",
		Doc:  "digest authentication: challenges, nonces, response checks",
		New: func() module.Instance {
			return &Instance{NonceExpire: 300, NCArraySize: 1 << 20, OTNInFlight: 1 << 20}
		},
	})
}

// Instance is the auth module with its modparams.
type Instance struct {
	Secret         string `modparam:"secret"`
	NonceExpire    int    `modparam:"nonce_expire"`
	NonceCount     int    `modparam:"nonce_count"`
	OneTimeNonce   int    `modparam:"one_time_nonce"`
	NCArraySize    int    `modparam:"nc_array_size"`
	OTNInFlight    int    `modparam:"otn_in_flight_no"`
	QOP            string `modparam:"qop"`
	AlgorithmName  string `modparam:"algorithm"`
	ChecksRegister int    `modparam:"auth_checks_register"`
	ChecksNoDlg    int    `modparam:"auth_checks_no_dlg"`
	ChecksInDlg    int    `modparam:"auth_checks_in_dlg"`
	ForceStateless int    `modparam:"force_stateless_reply"`
	RealmPrefix    string `modparam:"realm_prefix"`
	AddAuthInfo    int    `modparam:"add_authinfo_hdr"`
	UseDomain      int    `modparam:"use_domain"`

	alg    Algorithm
	nonces *nonces
}

// Link validates the modparams and prepares the nonce state. It runs
// after modparams are set and before any message (olelo check reports a
// bad value); auth itself links to no other module.
func (m *Instance) Link(func(string) module.Instance) error { return m.setup() }

func (m *Instance) setup() error {
	if m.nonces != nil {
		return nil
	}
	alg, sess, ok := ParseAlgorithm(m.AlgorithmName)
	if !ok || sess {
		return fmt.Errorf("auth: unsupported algorithm %q (want MD5, SHA-256 or SHA-512-256)", m.AlgorithmName)
	}
	m.alg = alg
	switch m.QOP {
	case "", "auth", "auth-int":
	default:
		return fmt.Errorf("auth: qop %q is not \"auth\" or \"auth-int\"", m.QOP)
	}
	if m.NonceExpire <= 0 {
		return fmt.Errorf("auth: nonce_expire must be positive, got %d", m.NonceExpire)
	}
	size := 0
	if m.NonceCount != 0 {
		size = max(size, m.NCArraySize)
	}
	if m.OneTimeNonce != 0 {
		size = max(size, m.OTNInFlight)
	}
	if (m.NonceCount != 0 || m.OneTimeNonce != 0) && (size < 1 || size > 1<<30) {
		return fmt.Errorf("auth: nc_array_size / otn_in_flight_no must be 1-%d, got %d", 1<<30, size)
	}
	for _, v := range []int{m.ChecksRegister, m.ChecksNoDlg, m.ChecksInDlg} {
		if v < 0 || v > 15 {
			return fmt.Errorf("auth: auth_checks_* must be 0-15, got %d", v)
		}
	}
	secret := []byte(m.Secret)
	if len(secret) == 0 {
		secret = processSecret()
	}
	m.nonces = newNonces(secret, time.Duration(m.NonceExpire)*time.Second, size, m.NonceCount != 0, m.OneTimeNonce != 0)
	return nil
}

// Start prepares the nonce state when Link was not called (tests).
func (m *Instance) Start(ctx context.Context, h module.Host) error { return m.setup() }

// Funcs lists auth's functions.
func (m *Instance) Funcs() []module.Func {
	s, i := module.ArgStr, module.ArgInt
	challenge := func(name, doc string, proxy func(c *module.Ctx) bool) module.Func {
		return module.Func{
			Name: name, Args: []module.ArgKind{s, i}, Routes: module.RequestRoute, Doc: doc, Check: checkRealmArg,
			Run: func(c *module.Ctx, args []*module.Arg) int {
				if name == "auth_challenge" {
					switch c.Msg.Method().String() {
					case "ACK", "CANCEL":
						return OK
					}
				}
				if err := m.setup(); err != nil {
					return Error
				}
				flags, err := args[1].GetInt(c)
				if err != nil {
					logger(c).Error("auth: bad flags", "err", err)
					flags = 0
				}
				realm, err := args[0].GetStr(c)
				if err != nil {
					realm = ""
				}
				return m.Challenge(c, realm, int(flags), proxy(c))
			},
		}
	}
	isProxy := func(*module.Ctx) bool { return true }
	isWWW := func(*module.Ctx) bool { return false }
	byMethod := func(c *module.Ctx) bool { return c.Msg.Method().String() != "REGISTER" }
	pvAuth := func(name, doc string, proxy bool) module.Func {
		return module.Func{
			Name: name, Args: []module.ArgKind{s, s, i}, Routes: module.RequestRoute, Doc: doc, Check: checkRealmArg,
			Run: func(c *module.Ctx, args []*module.Arg) int {
				code, _ := m.pvAuthenticate(c, args, proxy)
				return code
			},
		}
	}
	return []module.Func{
		challenge("www_challenge", "answer 401 with a WWW-Authenticate challenge for realm", isWWW),
		challenge("proxy_challenge", "answer 407 with a Proxy-Authenticate challenge for realm", isProxy),
		challenge("auth_challenge", "challenge with 401 for REGISTER, 407 for other requests", byMethod),
		{Name: "consume_credentials", Routes: module.RequestRoute, Doc: "remove the credentials header the last authorization used",
			Run: func(c *module.Ctx, _ []*module.Arg) int { return m.ConsumeCredentials(c) }},
		{Name: "has_credentials", Args: []module.ArgKind{s}, Routes: module.AnyRoute, Doc: "whether the request has credentials for realm",
			Run: func(c *module.Ctx, args []*module.Arg) int {
				realm, err := args[0].GetStr(c)
				if err != nil {
					return Error
				}
				return m.HasCredentials(c, realm)
			}},
		pvAuth("pv_www_authenticate", "check Authorization credentials against a password (or HA1) from a variable", false),
		pvAuth("pv_proxy_authenticate", "check Proxy-Authorization credentials against a password (or HA1) from a variable", true),
		{Name: "pv_auth_check", Args: []module.ArgKind{s, s, i, i}, Routes: module.RequestRoute, Check: checkRealmArg,
			Doc: "pv_www_authenticate for REGISTER, pv_proxy_authenticate otherwise, with an optional identity check",
			Run: func(c *module.Ctx, args []*module.Arg) int {
				switch c.Msg.Method().String() {
				case "ACK", "CANCEL":
					return OK
				}
				code, cr := m.pvAuthenticate(c, args[:3], c.Msg.Method().String() != "REGISTER")
				checks, err := args[3].GetInt(c)
				if err != nil {
					return Error
				}
				if code == OK && checks&1 != 0 {
					if cr == nil {
						return OK // ACK, CANCEL, PRACK
					}
					return CheckIdentity(c, cr, m.UseDomain != 0, false)
				}
				return code
			}},
	}
}

// pvAuthenticate runs pv_www_authenticate / pv_proxy_authenticate: args
// are realm, password and flags (1: the password is an HA1).
func (m *Instance) pvAuthenticate(c *module.Ctx, args []*module.Arg, proxy bool) (int, *Credentials) {
	if err := m.setup(); err != nil {
		return Error, nil
	}
	realm, err := args[0].GetStr(c)
	if err != nil || realm == "" {
		logger(c).Error("auth: empty realm")
		return Error, nil
	}
	pw, err := args[1].GetStr(c)
	if err != nil || pw == "" {
		logger(c).Error("auth: empty password value")
		return Error, nil
	}
	flags, err := args[2].GetInt(c)
	if err != nil {
		return Error, nil
	}
	return m.Authorize(c, realm, proxy, func(c *module.Ctx, cr *Credentials) ([]byte, int) {
		if flags&1 != 0 {
			return []byte(pw), 0
		}
		return []byte(HA1(m.alg, cr.Username, cr.Realm, pw)), 0
	})
}

// checkRealmArg refuses an empty constant realm at load time.
func checkRealmArg(args []*module.Arg) error {
	if a := args[0]; a.Const && strings.TrimSpace(a.Str) == "" {
		return fmt.Errorf("empty realm")
	}
	return nil
}
