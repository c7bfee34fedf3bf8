package auth_db

import (
	"context"
	"log/slog"
	"time"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/auth"
	"github.com/olelo-sip/olelo/sip"
)

// queryTimeout bounds one credentials query, so that a stuck database
// costs a request an error reply rather than a worker.
const queryTimeout = 5 * time.Second

// Authorize checks the credentials of the request of c for realm
// (Authorization, or Proxy-Authorization when proxy) against table. It
// returns Kamailio's codes (auth.OK, auth.InvalidPass, auth.UserUnknown
// ...) and the credentials used, nil when there were none.
func (m *Instance) Authorize(c *module.Ctx, realm, table string, proxy bool) (int, *auth.Credentials) {
	if realm == "" || table == "" {
		logger(c).Error("auth_db: empty realm or table")
		return auth.Error, nil
	}
	if m.auth == nil || m.conn == nil {
		logger(c).Error("auth_db: not started")
		return auth.Error, nil
	}
	var row db.Row
	code, cr := m.auth.Authorize(c, realm, proxy, func(c *module.Ctx, cr *auth.Credentials) ([]byte, int) {
		col := m.PasswordColumn
		if cr.Domain != "" && m.CalculateHA1 == 0 {
			// The HA1 of "user@domain" is a different value: ha1b.
			col = m.PasswordColumn2
		}
		k := credKey{table: table, col: col, user: cr.User}
		if m.UseDomain != 0 {
			k.domain, k.byDomain = cr.Domain, true
			if k.domain == "" {
				k.domain = cr.Realm
			}
		}
		r, code := m.fetch(c, k)
		if code != 0 {
			return nil, code
		}
		row = r
		if m.ForceGenerateAVPs != 0 {
			m.setAVPs(c, row, 1)
		}
		secret := row.Str(0)
		if m.CalculateHA1 != 0 {
			return []byte(auth.HA1(m.auth.Algorithm(), cr.Username, cr.Realm, secret)), 0
		}
		return []byte(secret), 0
	})
	if code == auth.OK && row != nil && m.ForceGenerateAVPs == 0 {
		m.setAVPs(c, row, 1)
	}
	return code, cr
}

// fetch returns the row of one subscriber: k.col first, then the
// load_credentials columns, from the cache while the database is
// unchanged, else from the database. code is 0, auth.UserUnknown or
// auth.Error.
func (m *Instance) fetch(c *module.Ctx, k credKey) (db.Row, int) {
	gen, cacheable := m.cache.generation()
	if cacheable {
		if row, hit := m.cache.get(gen, k); hit {
			if row == nil {
				return nil, auth.UserUnknown
			}
			return row, 0
		}
	}
	cols := make([]string, 0, 1+len(m.creds))
	cols = append(cols, k.col)
	for _, cr := range m.creds {
		cols = append(cols, cr.column)
	}
	where := []db.Cond{db.Eq(m.UserColumn, k.user)}
	if k.byDomain {
		where = append(where, db.Eq(m.DomainColumn, k.domain))
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := m.conn.Query(ctx, k.table, cols, where, "")
	if err != nil {
		logger(c).Error("auth_db: query failed", "table", k.table, "err", err)
		return nil, auth.Error
	}
	var row db.Row
	if len(rows) > 0 {
		row = rows[0]
	}
	if cacheable {
		m.cache.put(gen, k, row)
	}
	if row == nil {
		return nil, auth.UserUnknown
	}
	return row, 0
}

// setAVPs loads the load_credentials columns of row (from index first)
// into AVPs. NULL columns are skipped.
func (m *Instance) setAVPs(c *module.Ctx, row db.Row, first int) {
	if len(m.creds) == 0 {
		return
	}
	if c.AVPs == nil {
		c.AVPs = map[string][]module.Value{}
	}
	for i, cr := range m.creds {
		j := first + i
		if j >= len(row) || row.IsNull(j) {
			continue
		}
		var v module.Value
		if n, ok := row[j].(int64); ok {
			v = module.IntValue(n)
		} else {
			v = module.StrValue(row.Str(j))
		}
		// The last value added is index 0.
		c.AVPs[cr.avp] = append([]module.Value{v}, c.AVPs[cr.avp]...)
	}
}

// AuthCheck is auth_check(realm, table, flags): www_authorize for
// REGISTER, proxy_authorize otherwise; flag 1 adds the identity check
// (auth.CheckIdentity), flag 2 skips its user check for INVITE, BYE,
// PRACK, UPDATE and MESSAGE.
func (m *Instance) AuthCheck(c *module.Ctx, realm, table string, flags int) int {
	switch c.Msg.Method() {
	case sip.MethodACK, sip.MethodCANCEL:
		return auth.OK
	}
	code, cr := m.Authorize(c, realm, table, c.Msg.Method() != sip.MethodREGISTER)
	if code == auth.OK && cr != nil && flags&1 != 0 {
		return auth.CheckIdentity(c, cr, m.UseDomain != 0, flags&2 != 0)
	}
	return code
}

// IsSubscriber is is_subscriber(uri, table, flags): 1 when the user of
// uri (and its host, with flag 1) is in table, -2 when not, -1 on an
// error. The load_credentials columns are loaded into AVPs unless flag 2
// is set.
func (m *Instance) IsSubscriber(c *module.Ctx, uri, table string, flags int) int {
	if uri == "" || table == "" {
		return auth.Error
	}
	if m.conn == nil {
		logger(c).Error("auth_db: not started")
		return auth.Error
	}
	u, err := sip.ParseURI([]byte(uri))
	if err != nil {
		logger(c).Error("auth_db: is_subscriber: bad uri", "uri", uri, "err", err)
		return auth.Error
	}
	k := credKey{table: table, col: m.UserColumn, user: string(u.User)}
	if flags&1 != 0 {
		k.domain, k.byDomain = string(u.Host), true
	}
	row, code := m.fetch(c, k)
	switch code {
	case auth.UserUnknown:
		return -2
	case auth.Error:
		return auth.Error
	}
	if flags&2 == 0 {
		m.setAVPs(c, row, 1)
	}
	return auth.OK
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
