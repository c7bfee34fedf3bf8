package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/rpc"
)

// defaultCtlDomain is the SIP domain (and digest realm) of `olelo ctl add`
// when neither USER@DOMAIN, --domain, $OLELO_DOMAIN nor $SIP_DOMAIN
// gives one.
const defaultCtlDomain = "localhost"

const ctlUsage = `usage: olelo ctl [--db URL] [--domain DOMAIN] [--rpc ADDR] COMMAND ...

Manages subscribers, addresses and dispatcher entries in the database, and
asks the running server to reload them (like kamctl).

Subscribers (table subscriber):
  add USER PASSWORD         add a user; USER may be user@domain
  passwd USER PASSWORD      change a user's password
  rm USER                   remove a user
  show [USER]               list the users (or one)
Addresses (table address, module permissions):
  address add GROUP IP [MASK [PORT [TAG]]]   MASK 32, PORT 0 (any) by default
  address rm GROUP IP
  address show
  address reload            RPC permissions.addressReload
Dispatcher (table dispatcher):
  dispatcher add SETID URI [FLAGS [PRIORITY [ATTRS [DESCRIPTION]]]]
  dispatcher rm ID | dispatcher rm SETID URI
  dispatcher show
  dispatcher reload         RPC dispatcher.reload
Registrations (usrloc, from the running server):
  ul show [AOR]             RPC ul.dump, or ul.lookup location AOR

Flags:
  --db URL        the database (default: $OLELO_DB_URL, else ` + defaultDBURL + `)
  --domain DOMAIN the SIP domain and realm for users without @domain
                  (default: $OLELO_DOMAIN, else $SIP_DOMAIN, else ` + defaultCtlDomain + `)
  --rpc ADDR      the server's control address for reload and ul
                  (unix:/path or http://127.0.0.1:PORT; default: the local socket)
The password is stored as kamctl does: in clear in column password, and as
ha1 = MD5(user:realm:password) and ha1b = MD5(user@domain:realm:password),
the realm being the domain.
`

// runCtl is `olelo ctl`.
func runCtl(args []string, stdout, stderr io.Writer) int {
	f, rest, err := parseDBFlags(args, "db", "domain", "rpc")
	if err != nil {
		fmt.Fprintf(stderr, "olelo ctl: %v\n\n%s", err, ctlUsage)
		return 2
	}
	if f.help || len(rest) == 0 || rest[0] == "help" {
		fmt.Fprint(stdout, ctlUsage)
		if len(rest) == 0 && !f.help {
			return 2
		}
		return 0
	}
	if f.domain == "" {
		f.domain = os.Getenv("OLELO_DOMAIN")
	}
	if f.domain == "" {
		f.domain = os.Getenv("SIP_DOMAIN")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := ctlCmd{f: f, out: stdout, errw: stderr}
	switch rest[0] {
	case "add", "passwd", "rm", "show":
		err = c.subscriber(ctx, rest[0], rest[1:])
	case "address":
		err = c.address(ctx, rest[1:])
	case "dispatcher":
		err = c.dispatcher(ctx, rest[1:])
	case "ul":
		err = c.ul(ctx, rest[1:])
	default:
		fmt.Fprintf(stderr, "olelo ctl: unknown command %q\n\n%s", rest[0], ctlUsage)
		return 2
	}
	if errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "olelo ctl: %v\n\n%s", err, ctlUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "olelo ctl: %v\n", err)
		return 1
	}
	return 0
}

// ctlCmd carries the flags and outputs of one `olelo ctl` run.
type ctlCmd struct {
	f    dbFlags
	out  io.Writer
	errw io.Writer
}

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), errUsage)
}

// splitUser splits USER or USER@DOMAIN, the domain defaulting to the
// flags'.
func (c ctlCmd) splitUser(s string) (user, domain string, err error) {
	user, domain, _ = strings.Cut(s, "@")
	if strings.HasPrefix(user, "sip:") {
		user = strings.TrimPrefix(user, "sip:")
	}
	if user == "" || strings.ContainsAny(user, " \t:@") {
		return "", "", fmt.Errorf("bad user name %q (want user or user@domain)", s)
	}
	if domain == "" {
		domain = c.f.domain
	}
	if domain == "" {
		domain = defaultCtlDomain
		fmt.Fprintf(c.errw, "olelo ctl: no domain given, using %q (set --domain, OLELO_DOMAIN or write user@domain)\n", domain)
	}
	return user, domain, nil
}

// ha1 returns MD5(user:realm:password) and MD5(user@domain:realm:password)
// in hex, as auth_db compares them.
func ha1(user, domain, realm, password string) (string, string) {
	a := md5.Sum([]byte(user + ":" + realm + ":" + password))
	b := md5.Sum([]byte(user + "@" + domain + ":" + realm + ":" + password))
	return hex.EncodeToString(a[:]), hex.EncodeToString(b[:])
}

func (c ctlCmd) subscriber(ctx context.Context, cmd string, args []string) error {
	want := map[string]int{"add": 2, "passwd": 2, "rm": 1}
	if n, ok := want[cmd]; ok && len(args) != n {
		return usageErr("%s takes %d argument(s), got %d", cmd, n, len(args))
	}
	if cmd == "show" && len(args) > 1 {
		return usageErr("show takes at most one user")
	}
	conn, err := openDBTable(ctx, c.f.url, "subscriber")
	if err != nil {
		return err
	}
	defer conn.Close()
	if cmd == "show" {
		var where []db.Cond
		if len(args) == 1 {
			user, domain, err := c.splitUser(args[0])
			if err != nil {
				return err
			}
			where = []db.Cond{db.Eq("username", user)}
			if strings.Contains(args[0], "@") || c.f.domain != "" {
				where = append(where, db.Eq("domain", domain))
			}
		}
		rows, err := conn.Query(ctx, "subscriber", []string{"id", "username", "domain", "password", "ha1", "ha1b"}, where, "id")
		if err != nil {
			return err
		}
		if len(args) == 1 && len(rows) == 0 {
			return fmt.Errorf("no user %s", args[0])
		}
		tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tDOMAIN\tPASSWORD\tHA1\tHA1B")
		for _, r := range rows {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5))
		}
		return tw.Flush()
	}
	user, domain, err := c.splitUser(args[0])
	if err != nil {
		return err
	}
	key := []db.Cond{db.Eq("username", user), db.Eq("domain", domain)}
	switch cmd {
	case "add":
		if args[1] == "" {
			return errors.New("empty password")
		}
		rows, err := conn.Query(ctx, "subscriber", []string{"id"}, key, "")
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			return fmt.Errorf("user %s@%s exists; change the password with: olelo ctl passwd %s@%s PASSWORD", user, domain, user, domain)
		}
		h1, h1b := ha1(user, domain, domain, args[1])
		if err := conn.Insert(ctx, "subscriber", []string{"username", "domain", "password", "ha1", "ha1b"},
			[]any{user, domain, args[1], h1, h1b}); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "added %s@%s\n", user, domain)
	case "passwd":
		if args[1] == "" {
			return errors.New("empty password")
		}
		h1, h1b := ha1(user, domain, domain, args[1])
		n, err := conn.Update(ctx, "subscriber", key, []string{"password", "ha1", "ha1b"}, []any{args[1], h1, h1b})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no user %s@%s (add it with: olelo ctl add %s@%s PASSWORD)", user, domain, user, domain)
		}
		fmt.Fprintf(c.out, "password of %s@%s changed\n", user, domain)
	case "rm":
		n, err := conn.Delete(ctx, "subscriber", key)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no user %s@%s", user, domain)
		}
		fmt.Fprintf(c.out, "removed %s@%s\n", user, domain)
	}
	return nil
}

// parseIntArg reads a numeric argument within [lo, hi].
func parseIntArg(name, s string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("bad %s %q (want a number %d-%d)", name, s, lo, hi)
	}
	return n, nil
}

func (c ctlCmd) address(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageErr("address needs add, rm, show or reload")
	}
	if args[0] == "reload" {
		if len(args) != 1 {
			return usageErr("address reload takes no arguments")
		}
		return c.call(ctx, "permissions.addressReload")
	}
	conn, err := openDBTable(ctx, c.f.url, "address")
	if err != nil {
		return err
	}
	defer conn.Close()
	switch args[0] {
	case "add":
		if len(args) < 3 || len(args) > 6 {
			return usageErr("address add GROUP IP [MASK [PORT [TAG]]]")
		}
		grp, err := parseIntArg("group", args[1], 0, 1<<32-1)
		if err != nil {
			return err
		}
		ip := args[2]
		maxMask := int64(32)
		if p := net.ParseIP(ip); p == nil {
			if strings.ContainsAny(ip, " /:") || ip == "" {
				return fmt.Errorf("bad address %q (want an IPv4 or IPv6 address, or a domain name)", ip)
			}
		} else if p.To4() == nil {
			maxMask = 128
		}
		mask, port := maxMask, int64(0)
		if len(args) > 3 {
			if mask, err = parseIntArg("mask", args[3], 0, maxMask); err != nil {
				return err
			}
		}
		if len(args) > 4 {
			if port, err = parseIntArg("port", args[4], 0, 65535); err != nil {
				return err
			}
		}
		var tag any
		if len(args) > 5 {
			tag = args[5]
		}
		if err := conn.Insert(ctx, "address", []string{"grp", "ip_addr", "mask", "port", "tag"}, []any{grp, ip, mask, port, tag}); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "address %s/%d port %d added to group %d (apply with: olelo ctl address reload)\n", ip, mask, port, grp)
	case "rm":
		if len(args) != 3 {
			return usageErr("address rm GROUP IP")
		}
		grp, err := parseIntArg("group", args[1], 0, 1<<32-1)
		if err != nil {
			return err
		}
		n, err := conn.Delete(ctx, "address", []db.Cond{db.Eq("grp", grp), db.Eq("ip_addr", args[2])})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no address %s in group %d", args[2], grp)
		}
		fmt.Fprintf(c.out, "removed %d address(es) (apply with: olelo ctl address reload)\n", n)
	case "show":
		rows, err := conn.Query(ctx, "address", []string{"id", "grp", "ip_addr", "mask", "port", "tag"}, nil, "id")
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tGROUP\tIP\tMASK\tPORT\tTAG")
		for _, r := range rows {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\t%s\n", r.Int(0), r.Int(1), r.Str(2), r.Int(3), r.Int(4), r.Str(5))
		}
		return tw.Flush()
	default:
		return usageErr("unknown address command %q", args[0])
	}
	return nil
}

func (c ctlCmd) dispatcher(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageErr("dispatcher needs add, rm, show or reload")
	}
	if args[0] == "reload" {
		if len(args) != 1 {
			return usageErr("dispatcher reload takes no arguments")
		}
		return c.call(ctx, "dispatcher.reload")
	}
	conn, err := openDBTable(ctx, c.f.url, "dispatcher")
	if err != nil {
		return err
	}
	defer conn.Close()
	switch args[0] {
	case "add":
		if len(args) < 3 || len(args) > 7 {
			return usageErr("dispatcher add SETID URI [FLAGS [PRIORITY [ATTRS [DESCRIPTION]]]]")
		}
		setid, err := parseIntArg("set id", args[1], 0, 1<<31-1)
		if err != nil {
			return err
		}
		uri := args[2]
		if !strings.HasPrefix(uri, "sip:") && !strings.HasPrefix(uri, "sips:") {
			return fmt.Errorf("bad destination %q (want a SIP URI: sip:host[:port])", uri)
		}
		var flags, prio int64
		if len(args) > 3 {
			if flags, err = parseIntArg("flags", args[3], 0, 1<<31-1); err != nil {
				return err
			}
		}
		if len(args) > 4 {
			if prio, err = parseIntArg("priority", args[4], -(1 << 31), 1<<31-1); err != nil {
				return err
			}
		}
		attrs, desc := "", ""
		if len(args) > 5 {
			attrs = args[5]
		}
		if len(args) > 6 {
			desc = args[6]
		}
		if err := conn.Insert(ctx, "dispatcher", []string{"setid", "destination", "flags", "priority", "attrs", "description"},
			[]any{setid, uri, flags, prio, attrs, desc}); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "destination %s added to set %d (apply with: olelo ctl dispatcher reload)\n", uri, setid)
	case "rm":
		var where []db.Cond
		switch len(args) {
		case 2:
			id, err := parseIntArg("id", args[1], 1, 1<<62)
			if err != nil {
				return err
			}
			where = []db.Cond{db.Eq("id", id)}
		case 3:
			setid, err := parseIntArg("set id", args[1], 0, 1<<31-1)
			if err != nil {
				return err
			}
			where = []db.Cond{db.Eq("setid", setid), db.Eq("destination", args[2])}
		default:
			return usageErr("dispatcher rm ID | dispatcher rm SETID URI")
		}
		n, err := conn.Delete(ctx, "dispatcher", where)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no such dispatcher entry %s", strings.Join(args[1:], " "))
		}
		fmt.Fprintf(c.out, "removed %d destination(s) (apply with: olelo ctl dispatcher reload)\n", n)
	case "show":
		rows, err := conn.Query(ctx, "dispatcher", []string{"id", "setid", "destination", "flags", "priority", "attrs", "description"}, nil, "id")
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSETID\tDESTINATION\tFLAGS\tPRIORITY\tATTRS\tDESCRIPTION")
		for _, r := range rows {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\t%s\t%s\n", r.Int(0), r.Int(1), r.Str(2), r.Int(3), r.Int(4), r.Str(5), r.Str(6))
		}
		return tw.Flush()
	default:
		return usageErr("unknown dispatcher command %q", args[0])
	}
	return nil
}

func (c ctlCmd) ul(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "show" || len(args) > 2 {
		return usageErr("ul show [AOR]")
	}
	if len(args) == 2 {
		aor := strings.TrimPrefix(args[1], "sip:")
		return c.call(ctx, "ul.lookup", "location", aor)
	}
	return c.call(ctx, "ul.dump")
}

// call runs an RPC on the server and prints its result.
func (c ctlCmd) call(ctx context.Context, method string, params ...any) error {
	res, err := rpc.Call(ctx, c.f.rpc, method, params...)
	var rpcErr *module.RPCError
	if errors.As(err, &rpcErr) {
		return fmt.Errorf("%s: %w", method, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w (is olelo running? give its control address with --rpc)", method, err)
	}
	var s string
	if json.Unmarshal(res, &s) == nil {
		fmt.Fprintln(c.out, s)
		return nil
	}
	var buf bytes.Buffer
	if json.Indent(&buf, res, "", "  ") != nil {
		buf.Reset()
		buf.Write(res)
	}
	buf.WriteByte('\n')
	_, err = c.out.Write(buf.Bytes())
	return err
}
