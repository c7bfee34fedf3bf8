package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	ctlmod "github.com/olelo-sip/olelo/modules/ctl"
	"github.com/olelo-sip/olelo/modules/xhttp"
	"github.com/olelo-sip/olelo/rpc"
	"github.com/olelo-sip/olelo/script"
	"github.com/olelo-sip/olelo/transport"
)

// controller holds the running configuration and serialises reloads:
// SIGHUP and the cfg.reload RPC take the same path.
type controller struct {
	mu          sync.Mutex
	runCtx      context.Context // the server's: modules of a reloaded config live in it
	engine      *script.Engine  // nil without -f
	o           *options
	log         *slog.Logger // the server's
	scriptLog   *slog.Logger
	scriptLevel *slog.LevelVar
	host        *core.Host
	forward     func(context.Context, *core.Msg)
	swapper     *core.Swapper
}

// current returns the running engine (nil without a config).
func (c *controller) current() *script.Engine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.engine
}

// reload compiles the config file again and swaps it in; on an error the
// running configuration stays and the error (file:line:col: message
// lines) is returned and logged. The new configuration's modules start
// with the server's context, not ctx (an RPC request's, which ends with
// the request).
func (c *controller) reload(context.Context) error {
	ctx := c.runCtx
	c.mu.Lock()
	defer c.mu.Unlock()
	next, err := reload(ctx, c.o, c.scriptLog, c.host, c.forward, c.swapper)
	if err != nil {
		c.log.Error("config reload failed; the running config stays", "err", err)
		return err
	}
	c.engine = next
	c.scriptLevel.Set(logLevel(c.o, next.Settings.Debug))
	c.log.Info("config reloaded", "file", c.o.configFile)
	return nil
}

// startRPC opens the control listeners and installs the dispatcher for
// jsonrpcs. Addresses: --rpc, else modparam("ctl", "binrpc", ...) lines,
// else rpc.DefaultListenAddr(). A default socket another olelo holds is
// not an error (the server runs without one, with a warning); an
// address that was asked for is. The returned func closes them.
func startRPC(o *options, log *slog.Logger, ctrl *controller, c *core.Core, tm *transport.Manager) (func(), error) {
	stats := rpc.NewStats()
	stats.Add(func() map[string]uint64 { return coreStats(c.Stats()) })
	stats.Add(func() map[string]uint64 {
		out := map[string]uint64{}
		e := ctrl.current()
		for _, name := range e.Modules() {
			if p, ok := e.Instance(name).(rpc.StatsProvider); ok {
				for k, v := range p.Statistics() {
					out[k] = v
				}
			}
		}
		return out
	})
	var d *rpc.Dispatcher
	var addrs []string
	cc := rpc.CoreConfig{
		Name: "olelo", Version: version, Started: time.Now(), Stats: stats,
		Methods: func() []module.RPC { return d.Methods() },
		Roles: func() []string {
			roles := []string{"main process - attendant"}
			for _, l := range tm.Listeners() {
				roles = append(roles, l.Spec().Proto.String()+" receiver sock="+l.Addr().String())
			}
			for _, a := range addrs {
				roles = append(roles, "ctl handler "+a)
			}
			return roles
		},
	}
	cc.Reload = ctrl.reload
	coreMethods := rpc.CoreMethods(cc)
	d = rpc.NewDispatcher(log,
		func() []module.RPC { return coreMethods },
		func() []module.RPC { return ctrl.current().RPCs() })
	rpc.Install(d)
	tm.SetHTTPHandler(xhttpHandler{ctrl})

	lc := rpc.ListenConfig{Token: o.rpcToken, Log: log}
	ctl, _ := ctrl.current().Instance("ctl").(*ctlmod.Instance)
	explicit := true
	switch {
	case o.rpcAddr == "off" || o.rpcAddr == "none":
		return func() {}, nil
	case o.rpcAddr != "":
		addrs = []string{o.rpcAddr}
	case ctl != nil && len(ctl.Binrpc) > 0:
		addrs = ctl.Binrpc
	default:
		addrs = []string{rpc.DefaultListenAddr()}
		explicit = false
	}
	if ctl != nil {
		mode, err := ctl.FileMode()
		if err != nil {
			return nil, err
		}
		uid, gid, err := ctl.Owner()
		if err != nil {
			return nil, err
		}
		lc.Mode, lc.UID, lc.GID, lc.Chown = mode, uid, gid, uid >= 0 || gid >= 0
		if lc.Token == "" {
			lc.Token = ctl.RPCToken
		}
	}
	if j, ok := ctrl.current().Instance("jsonrpcs").(interface{ Pretty() bool }); ok {
		lc.Pretty = j.Pretty()
	}
	var servers []*rpc.Server
	closeAll := func() {
		for _, s := range servers {
			if err := s.Close(); err != nil {
				log.Warn("closing the control listener", "addr", s.Addr(), "err", err)
			}
		}
	}
	var listening []string
	for _, a := range addrs {
		lc.Addr = a
		s, err := rpc.Listen(lc, d)
		if err != nil {
			if !explicit && errors.Is(err, rpc.ErrInUse) {
				log.Warn("control socket in use by another olelo; running without one (set --rpc or modparam(\"ctl\", \"binrpc\", ...))", "addr", a)
				continue
			}
			closeAll()
			return nil, err
		}
		servers = append(servers, s)
		listening = append(listening, s.Addr())
		log.Info("control listening", "addr", s.Addr())
		go func() {
			if err := s.Serve(); err != nil {
				log.Error("control listener stopped", "addr", s.Addr(), "err", err)
			}
		}()
	}
	addrs = listening
	return closeAll, nil
}

// coreStats are the core counters under Kamailio's names, for those the
// core counts.
func coreStats(s core.Stats) map[string]uint64 {
	return map[string]uint64{
		"core:rcv_requests": s.Requests + s.Rejected,
		"core:rcv_replies":  s.Responses,
		"core:err_requests": s.Rejected,
		"core:bad_msg_hdr":  s.Dropped,
	}
}

const rpcUsage = `Usage: olelo rpc [-s ADDR] [-t TOKEN] [-r] METHOD [ARGS...]

Calls a control command of a running olelo (JSON-RPC 2.0), as kamcmd does.
  -s ADDR    unix:PATH, tcp:HOST:PORT or http://HOST:PORT[/PATH]
             (default: the running server's default socket, see rpc/README.md)
  -t TOKEN   bearer token for HTTP (default: $OLELO_RPC_TOKEN)
  -r         print the result as compact JSON (a string result with quotes)
Arguments that look like integers are sent as numbers; s:VALUE forces a
string, i:VALUE an integer. A string result is printed as is, anything else
as indented JSON. An error prints "error: CODE - MESSAGE" and exits 1.
`

// runRPC is `olelo rpc`.
func runRPC(args []string, stdout, stderr io.Writer) int {
	addr, token, raw := "", os.Getenv(rpc.TokenEnv), false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		args = args[1:]
		switch a {
		case "-h", "--help":
			fmt.Fprint(stdout, rpcUsage)
			return 0
		case "-r":
			raw = true
		case "-s", "-t", "--rpc", "--rpc-token":
			if len(args) == 0 {
				fmt.Fprintf(stderr, "olelo rpc: %s needs a value\n\n%s", a, rpcUsage)
				return 2
			}
			if a == "-s" || a == "--rpc" {
				addr = args[0]
			} else {
				token = args[0]
			}
			args = args[1:]
		default:
			fmt.Fprintf(stderr, "olelo rpc: unknown flag %s\n\n%s", a, rpcUsage)
			return 2
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, rpcUsage)
		return 2
	}
	params := make([]any, 0, len(args)-1)
	for _, a := range args[1:] {
		p, err := rpcArg(a)
		if err != nil {
			fmt.Fprintf(stderr, "olelo rpc: %v\n", err)
			return 2
		}
		params = append(params, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := rpc.Client{Addr: addr, Token: token}.Call(ctx, args[0], params...)
	if err != nil {
		var re *module.RPCError
		if errors.As(err, &re) {
			fmt.Fprintf(stderr, "error: %d - %s\n", re.Code, re.Message)
		} else {
			fmt.Fprintf(stderr, "olelo rpc: %v\n", err)
		}
		return 1
	}
	fmt.Fprint(stdout, formatResult(res, raw))
	return 0
}

// rpcArg converts a command-line argument the way kamcmd does.
func rpcArg(a string) (any, error) {
	switch {
	case strings.HasPrefix(a, "s:"):
		return a[2:], nil
	case strings.HasPrefix(a, "i:"):
		n, err := strconv.ParseInt(a[2:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("argument %q: not an integer", a)
		}
		return n, nil
	}
	if n, err := strconv.ParseInt(a, 10, 64); err == nil {
		return n, nil
	}
	return a, nil
}

// formatResult prints a string result as is and anything else as
// indented JSON, ending with a newline.
func formatResult(res json.RawMessage, raw bool) string {
	if raw {
		return string(res) + "\n"
	}
	var s string
	if json.Unmarshal(res, &s) == nil {
		return s + "\n"
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(res)))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(res) + "\n"
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return string(res) + "\n"
	}
	return string(b) + "\n"
}

// xhttpHandler serves HTTP requests that arrive on SIP TCP/TLS listeners
// with the xhttp module of the running configuration (404 when it is not
// loaded).
type xhttpHandler struct{ ctrl *controller }

func (h xhttpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := h.ctrl.current()
	x, _ := e.Instance("xhttp").(*xhttp.Instance)
	if x == nil {
		http.Error(w, "Not Found (no xhttp module loaded)", http.StatusNotFound)
		return
	}
	x.Serve(w, r, engineRouter{e})
}

// engineRouter adapts the engine to xhttp.Router.
type engineRouter struct{ *script.Engine }

func (e engineRouter) RunEventCtx(c *module.Ctx, name string) bool {
	_, ok := e.RunRoute(c.Context, script.EventRoute, name, c)
	return ok
}
