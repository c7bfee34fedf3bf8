package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/olelo-sip/olelo/db"
)

// defaultDBURL is the database `olelo db` and `olelo ctl` use without
// --db or $OLELO_DB_URL: an SQLite file in the current directory.
const defaultDBURL = "sqlite:///./olelo.db"

// dbURLEnv names the environment variable holding the default db_url.
const dbURLEnv = "OLELO_DB_URL"

const dbUsage = `usage: olelo db COMMAND [--db URL] [TABLE...]

Creates and checks the database tables of Kamailio 5.6 (like kamdbctl).

Commands:
  create [TABLE...]    create the tables (all when none is named) and their
                       version rows; tables that exist are left alone
  migrate [TABLE...]   create the missing tables and version rows, and
                       report tables whose version differs (exit 1)
  tables               list the known tables: exists, version, expected
  drop --yes [TABLE...] drop the tables (all when none is named) and their
                       version rows

Flags:
  --db URL   the database (default: $OLELO_DB_URL, else ` + defaultDBURL + `)
             sqlite:///path/file.db  mysql://user:pass@host[:port]/db
             postgres://user:pass@host[:port]/db  text:///dir
  --yes      confirm drop
Tables: ` + "version subscriber location location_attrs aliases address trusted\n" +
	`  dispatcher dialplan htable acc missed_calls acc_cdrs uacreg domain
  domain_attrs grp rtpengine sip_trace dialog dialog_vars
`

// dbFlags are the flags `olelo db` and `olelo ctl` share; the others are
// returned in args.
type dbFlags struct {
	url    string
	yes    bool
	domain string
	rpc    string
	help   bool
}

// parseDBFlags takes --db, --yes, --domain, --rpc (and -s) from anywhere
// in args. allowed lists the flags the command takes.
func parseDBFlags(args []string, allowed ...string) (dbFlags, []string, error) {
	f := dbFlags{url: os.Getenv(dbURLEnv)}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "s" {
			name = "rpc"
		}
		if name == "h" || name == "help" {
			f.help = true
			continue
		}
		ok := false
		for _, x := range allowed {
			ok = ok || x == name
		}
		if !ok {
			return f, nil, fmt.Errorf("unknown flag %s", a)
		}
		if name == "yes" {
			f.yes = true
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return f, nil, fmt.Errorf("%s needs a value", a)
			}
			i++
			val = args[i]
		}
		switch name {
		case "db":
			f.url = val
		case "domain":
			f.domain = val
		case "rpc":
			f.rpc = val
		}
	}
	if f.url == "" {
		f.url = defaultDBURL
	}
	return f, rest, nil
}

// runDB is `olelo db`.
func runDB(args []string, stdout, stderr io.Writer) int {
	f, rest, err := parseDBFlags(args, "db", "yes")
	if err != nil {
		fmt.Fprintf(stderr, "olelo db: %v\n\n%s", err, dbUsage)
		return 2
	}
	if f.help || len(rest) == 0 || rest[0] == "help" {
		fmt.Fprint(stdout, dbUsage)
		if len(rest) == 0 && !f.help {
			return 2
		}
		return 0
	}
	cmd, tables := rest[0], rest[1:]
	switch cmd {
	case "create", "migrate", "drop":
	case "tables", "status":
		if len(tables) > 0 {
			fmt.Fprintf(stderr, "olelo db %s: takes no table names\n", cmd)
			return 2
		}
	default:
		fmt.Fprintf(stderr, "olelo db: unknown command %q\n\n%s", cmd, dbUsage)
		return 2
	}
	if cmd == "drop" && !f.yes {
		fmt.Fprintf(stderr, "olelo db drop: this deletes the tables and their data in %s; add --yes to confirm\n", db.Mask(f.url))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := db.Open(ctx, f.url)
	if err != nil {
		fmt.Fprintf(stderr, "olelo db: %v\n", err)
		return 1
	}
	defer c.Close()
	switch cmd {
	case "create":
		if err := db.CreateTables(ctx, c, tables...); err != nil {
			fmt.Fprintf(stderr, "olelo db create: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "tables created in %s\n", c.URL())
		return 0
	case "drop":
		if err := db.DropTables(ctx, c, tables...); err != nil {
			fmt.Fprintf(stderr, "olelo db drop: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "tables dropped in %s\n", c.URL())
		return 0
	case "migrate":
		st, err := db.Migrate(ctx, c, tables...)
		printStatus(stdout, st)
		if err != nil {
			fmt.Fprintf(stderr, "olelo db migrate: %v\n", err)
			return 1
		}
		return 0
	}
	st, err := db.Status(ctx, c)
	if err != nil {
		fmt.Fprintf(stderr, "olelo db tables: %v\n", err)
		return 1
	}
	printStatus(stdout, st)
	return 0
}

// printStatus prints one line per table.
func printStatus(w io.Writer, st []db.TableStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tSTATE\tVERSION\tEXPECTED")
	for _, s := range st {
		state := "ok"
		switch {
		case !s.Exists:
			state = "missing"
		case s.Created:
			state = "created"
		case s.Version == 0:
			state = "no version row"
		case s.Version != s.Expected:
			state = "other version"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", s.Name, state, s.Version, s.Expected)
	}
	tw.Flush()
}

// openDBTable opens the database and checks that table exists, with an
// error that says how to create it.
func openDBTable(ctx context.Context, url, table string) (db.Conn, error) {
	c, err := db.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	ok, err := db.TableExists(ctx, c, table)
	if err == nil && !ok {
		err = fmt.Errorf("table %s does not exist in %s; create it with: olelo db create --db '%s' %s", table, c.URL(), c.URL(), table)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

var errUsage = errors.New("usage")
