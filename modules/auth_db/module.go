package auth_db

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/auth"
)

// DefaultDBURL is Kamailio's default db_url.
const DefaultDBURL = "mysql://kamailio:kamailiorw@localhost/kamailio"

// subscriberVersion is the table version auth_db works with.
const subscriberVersion = 7

func init() {
	module.Register(module.Module{
		Name: "auth_db",
		Doc:  "digest authentication against a subscriber table",
		New: func() module.Instance {
			return &Instance{
				DBURL: DefaultDBURL, UserColumn: "username", DomainColumn: "domain",
				PasswordColumn: "ha1", PasswordColumn2: "ha1b", VersionTable: 1,
				CredentialsCache: DefaultCredentialsCache,
			}
		},
	})
}

// Instance is the auth_db module with its modparams.
type Instance struct {
	DBURL             string `modparam:"db_url"`
	UserColumn        string `modparam:"user_column"`
	DomainColumn      string `modparam:"domain_column"`
	PasswordColumn    string `modparam:"password_column"`
	PasswordColumn2   string `modparam:"password_column_2"`
	CalculateHA1      int    `modparam:"calculate_ha1"`
	UseDomain         int    `modparam:"use_domain"`
	LoadCredentials   string `modparam:"load_credentials"`
	VersionTable      int    `modparam:"version_table"`
	ForceGenerateAVPs int    `modparam:"force_generate_avps"`
	// CredentialsCache is olelo's own: how many subscriber rows to keep
	// while the database is unchanged (SQLite only; 0: always query).
	CredentialsCache int `modparam:"credentials_cache"`

	auth  *auth.Instance
	creds []credential // parsed load_credentials
	conn  db.Conn
	cache *credCache // nil: every lookup queries

	mu     sync.Mutex
	tables []string // constant table names used by the script (version check)
}

// credential is one load_credentials entry: column into $avp(avp).
type credential struct {
	column, avp string
}

// Link finds the auth module, which does the digest work.
func (m *Instance) Link(find func(name string) module.Instance) error {
	a, ok := find("auth").(*auth.Instance)
	if !ok || a == nil {
		return fmt.Errorf("auth_db needs the auth module: loadmodule \"auth.so\"")
	}
	m.auth = a
	creds, err := parseCredentials(m.LoadCredentials)
	if err != nil {
		return err
	}
	m.creds = creds
	return nil
}

// parseCredentials reads load_credentials: entries separated by ';',
// each "column" (loaded into $avp(column)) or "$avp(name)=column".
func parseCredentials(s string) ([]credential, error) {
	var out []credential
	for _, e := range strings.Split(s, ";") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		pv, col, found := cutLast(e, "=")
		if !found {
			out = append(out, credential{column: e, avp: e})
			continue
		}
		pv, col = strings.TrimSpace(pv), strings.TrimSpace(col)
		name, ok := strings.CutPrefix(pv, "$avp(")
		if !ok || !strings.HasSuffix(name, ")") || col == "" {
			return nil, fmt.Errorf("auth_db: load_credentials entry %q: want column or $avp(name)=column", e)
		}
		name = strings.TrimSuffix(name, ")")
		name = strings.TrimPrefix(name, "s:")
		if name == "" {
			return nil, fmt.Errorf("auth_db: load_credentials entry %q: empty AVP name", e)
		}
		out = append(out, credential{column: col, avp: name})
	}
	return out, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// Start opens the database and checks the version of the tables the
// script names.
func (m *Instance) Start(ctx context.Context, h module.Host) error {
	if m.auth == nil {
		return fmt.Errorf("auth_db needs the auth module: loadmodule \"auth.so\"")
	}
	conn, err := db.Open(ctx, m.DBURL)
	if err != nil {
		return fmt.Errorf("auth_db: %w", err)
	}
	m.conn = conn
	m.cache = newCredCache(conn, m.CredentialsCache)
	if m.VersionTable == 0 {
		return nil
	}
	m.mu.Lock()
	tables := append([]string(nil), m.tables...)
	m.mu.Unlock()
	for _, t := range tables {
		if err := checkVersion(ctx, conn, t); err != nil {
			return err
		}
	}
	return nil
}

func checkVersion(ctx context.Context, conn db.Conn, table string) error {
	rows, err := conn.Query(ctx, "version", []string{"table_version"}, []db.Cond{db.Eq("table_name", table)}, "")
	if err != nil {
		return fmt.Errorf("auth_db: cannot read the version of table %s from %s: %w", table, conn.URL(), err)
	}
	if len(rows) == 0 || rows[0].Int(0) != subscriberVersion {
		got := "none"
		if len(rows) > 0 {
			got = rows[0].Str(0)
		}
		return fmt.Errorf("auth_db: table %s in %s has version %s, want %d (olelo db create, or version_table 0)", table, conn.URL(), got, subscriberVersion)
	}
	return nil
}

// Stop closes the database.
func (m *Instance) Stop() error {
	if m.conn != nil {
		return m.conn.Close()
	}
	return nil
}

// Funcs lists auth_db's functions.
func (m *Instance) Funcs() []module.Func {
	s, i := module.ArgStr, module.ArgInt
	authorize := func(name string, proxy bool, doc string) module.Func {
		return module.Func{Name: name, Args: []module.ArgKind{s, s}, Routes: module.RequestRoute, Doc: doc, Check: m.checkArgs,
			Run: func(c *module.Ctx, args []*module.Arg) int {
				realm, table, ok := strArgs(c, args[0], args[1])
				if !ok {
					return auth.Error
				}
				code, _ := m.Authorize(c, realm, table, proxy)
				return code
			}}
	}
	return []module.Func{
		authorize("www_authorize", false, "check the Authorization credentials against the table"),
		authorize("www_authenticate", false, "check the Authorization credentials against the table"),
		authorize("proxy_authorize", true, "check the Proxy-Authorization credentials against the table"),
		authorize("proxy_authenticate", true, "check the Proxy-Authorization credentials against the table"),
		{Name: "auth_check", Args: []module.ArgKind{s, s, i}, Routes: module.RequestRoute, Check: m.checkArgs,
			Doc: "www_authorize for REGISTER, proxy_authorize otherwise, with an optional identity check",
			Run: func(c *module.Ctx, args []*module.Arg) int {
				realm, table, ok := strArgs(c, args[0], args[1])
				if !ok {
					return auth.Error
				}
				flags, err := args[2].GetInt(c)
				if err != nil {
					return auth.Error
				}
				return m.AuthCheck(c, realm, table, int(flags))
			}},
		{Name: "is_subscriber", Args: []module.ArgKind{s, s, i}, Routes: module.AnyRoute, Check: m.checkTableArg(1),
			Doc: "whether the user of a SIP URI is in the table (loading its credentials)",
			Run: func(c *module.Ctx, args []*module.Arg) int {
				uri, table, ok := strArgs(c, args[0], args[1])
				if !ok {
					return auth.Error
				}
				flags, err := args[2].GetInt(c)
				if err != nil {
					return auth.Error
				}
				return m.IsSubscriber(c, uri, table, int(flags))
			}},
	}
}

func strArgs(c *module.Ctx, a, b *module.Arg) (string, string, bool) {
	x, err := a.GetStr(c)
	if err != nil {
		return "", "", false
	}
	y, err := b.GetStr(c)
	if err != nil {
		return "", "", false
	}
	return x, y, true
}

// checkArgs refuses empty constant realms and tables at load time and
// records constant table names for the version check.
func (m *Instance) checkArgs(args []*module.Arg) error {
	if a := args[0]; a.Const && strings.TrimSpace(a.Str) == "" {
		return fmt.Errorf("empty realm")
	}
	return m.checkTableArg(1)(args)
}

func (m *Instance) checkTableArg(i int) func(args []*module.Arg) error {
	return func(args []*module.Arg) error {
		a := args[i]
		if !a.Const {
			return nil
		}
		if strings.TrimSpace(a.Str) == "" {
			return fmt.Errorf("empty table name")
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, t := range m.tables {
			if t == a.Str {
				return nil
			}
		}
		m.tables = append(m.tables, a.Str)
		return nil
	}
}
