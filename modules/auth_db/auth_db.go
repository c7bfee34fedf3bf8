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
		where := []db.Cond{db.Eq(m.UserColumn, cr.User)}
		if m.UseDomain != 0 {
			dom := cr.Domain
			if dom == "" {
				dom = cr.Realm
			}
			where = append(where, db.Eq(m.DomainColumn, dom))
		}
		r, code := m.fetch(c, table, col, where)
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

// fetch queries the row of one subscriber: col first, then the
// load_credentials columns. code is 0, auth.UserUnknown or auth.Error.
func (m *Instance) fetch(c *module.Ctx, table, col string, where []db.Cond) (db.Row, int) {
	cols := make([]string, 0, 1+len(m.creds))
	cols = append(cols, col)
	for _, cr := range m.creds {
		cols = append(cols, cr.column)
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := m.conn.Query(ctx, table, cols, where, "")
	if err != nil {
		logger(c).Error("auth_db: query failed", "table", table, "err", err)
		return nil, auth.Error
	}
	if len(rows) == 0 {
		return nil, auth.UserUnknown
	}
	return rows[0], 0
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
	where := []db.Cond{db.Eq(m.UserColumn, string(u.User))}
	if flags&1 != 0 {
		where = append(where, db.Eq(m.DomainColumn, string(u.Host)))
	}
	row, code := m.fetch(c, table, m.UserColumn, where)
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
