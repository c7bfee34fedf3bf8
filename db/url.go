package db

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// URL is a parsed Kamailio db_url.
type URL struct {
	// Scheme is the backend: "sqlite", "mysql", "postgres" or "text"
	// (pgsql:// is read as postgres).
	Scheme string
	// User, Password, Host, Port and Database are set for the SQL servers.
	User, Password, Host string
	Port                 int
	Database             string
	// Params are the query parameters of a server URL (?sslmode=disable),
	// passed to the driver.
	Params url.Values
	// Path is the file (sqlite) or directory (text) of an embedded backend.
	Path string
	// Raw is the URL as given.
	Raw string
}

// ParseURL reads a Kamailio db_url:
//
//	sqlite:///abs/path/file.db   sqlite:///./rel.db   sqlite://rel.db
//	mysql://user:pass@host[:port]/db
//	postgres://user:pass@host[:port]/db   pgsql://... (the same)
//	text:///abs/dir   text://rel/dir
func ParseURL(raw string) (URL, error) {
	u := URL{Raw: raw}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" {
		return u, fmt.Errorf("db_url %q: want scheme://..., e.g. sqlite:///var/lib/olelo/olelo.db, mysql://user:pass@host/db, postgres://user:pass@host/db or text:///dir", raw)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		u.Scheme = "sqlite"
	case "mysql":
		u.Scheme = "mysql"
	case "postgres", "postgresql", "pgsql":
		u.Scheme = "postgres"
	case "text", "dbtext":
		u.Scheme = "text"
	default:
		return u, fmt.Errorf("db_url %q: unknown scheme %q (want sqlite, mysql, postgres, pgsql or text)", Mask(raw), scheme)
	}
	if u.Scheme == "sqlite" || u.Scheme == "text" {
		p := rest
		// "sqlite:///./x.db" and "sqlite:///../x.db" are relative paths
		// (the third slash separates the empty host from the path).
		if strings.HasPrefix(p, "/./") || strings.HasPrefix(p, "/../") {
			p = p[1:]
		}
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		if p == "" || p == "/" {
			return u, fmt.Errorf("db_url %q: no path (want %s:///path)", raw, u.Scheme)
		}
		if strings.ContainsRune(p, 0) {
			return u, fmt.Errorf("db_url %q: NUL in path", raw)
		}
		u.Path = filepath.Clean(p)
		return u, nil
	}
	// Server URLs: user:pass@host[:port]/db. The password may hold '@' or
	// ':' (Kamailio splits at the last '@'), so parse by hand.
	at := strings.LastIndexByte(rest, '@')
	cred, hostPart := "", rest
	if at >= 0 {
		cred, hostPart = rest[:at], rest[at+1:]
	}
	// The credentials are taken as written (Kamailio does not
	// %-unescape them either).
	u.User, u.Password, _ = strings.Cut(cred, ":")
	hostPort, dbName, ok := strings.Cut(hostPart, "/")
	if !ok || dbName == "" {
		return u, fmt.Errorf("db_url %q: no database name (want %s://user:pass@host[:port]/dbname)", Mask(raw), scheme)
	}
	if q := strings.IndexByte(dbName, '?'); q >= 0 {
		params, err := url.ParseQuery(dbName[q+1:])
		if err != nil {
			return u, fmt.Errorf("db_url %q: bad parameters: %w", Mask(raw), err)
		}
		u.Params = params
		dbName = dbName[:q]
	}
	if dbName == "" || strings.ContainsAny(dbName, "/\x00") {
		return u, fmt.Errorf("db_url %q: bad database name %q", Mask(raw), dbName)
	}
	u.Database = dbName
	host := hostPort
	if strings.HasPrefix(hostPort, "[") { // [::1]:3306
		end := strings.IndexByte(hostPort, ']')
		if end < 0 {
			return u, fmt.Errorf("db_url %q: unclosed [ in host", Mask(raw))
		}
		host = hostPort[1:end]
		if tail := hostPort[end+1:]; tail != "" {
			if !strings.HasPrefix(tail, ":") {
				return u, fmt.Errorf("db_url %q: junk after host", Mask(raw))
			}
			if err := u.setPort(tail[1:]); err != nil {
				return u, fmt.Errorf("db_url %q: %w", Mask(raw), err)
			}
		}
	} else if h, p, ok := strings.Cut(hostPort, ":"); ok {
		host = h
		if err := u.setPort(p); err != nil {
			return u, fmt.Errorf("db_url %q: %w", Mask(raw), err)
		}
	}
	if host == "" {
		return u, fmt.Errorf("db_url %q: no host (want %s://user:pass@host[:port]/dbname)", Mask(raw), scheme)
	}
	u.Host = host
	return u, nil
}

func (u *URL) setPort(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("bad port %q (want 1-65535)", s)
	}
	u.Port = n
	return nil
}

// String returns the URL with the password masked.
func (u URL) String() string { return Mask(u.Raw) }

// Mask returns a db_url with its password replaced by "***", for logs and
// errors.
func Mask(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return raw
	}
	// The credentials end at the last '@', as ParseURL reads them (a
	// password may hold '/' or '@'), so whatever ParseURL takes for the
	// password is what is hidden.
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return raw
	}
	return scheme + "://" + user + ":***@" + rest[at+1:]
}
