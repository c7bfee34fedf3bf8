// Command olelo is the olelo SIP server and its command-line tools.
//
//	olelo [run] [-f FILE] [-l ADDR]... [-A NAME[=VALUE]]... [-E] [-D] [-P PIDFILE]
//	olelo -c -f FILE          check a config and exit (also: olelo check -f FILE)
//	olelo version
//
// The flags follow Kamailio's so that service files and scripts written for
// kamailio keep working; see docs/COMPATIBILITY.md for the differences.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintf(stdout, "olelo %s\n", version)
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "rpc":
		return runRPC(args, stdout, stderr)
	case "db":
		return runDB(args, stdout, stderr)
	case "ctl":
		return runCtl(args, stdout, stderr)
	case "config":
		return runConfigCommand(args, stdout, stderr)
	case "run", "check":
	default:
		fmt.Fprintf(stderr, "olelo: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	opts, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "olelo: %v\n\n%s", err, usage)
		return 2
	}
	if opts.version {
		fmt.Fprintf(stdout, "olelo %s\n", version)
		return 0
	}
	if cmd == "check" {
		opts.checkOnly = true
	}
	if opts.checkOnly {
		return checkConfig(opts, stdout, stderr)
	}

	opts.useBuiltinConfig()
	logger := newLogger(stderr, opts.logLevel)
	stopProfile, err := startProfile(os.Getenv("OLELO_CPUPROFILE"))
	if err != nil {
		logger.Error("cpu profile", "err", err)
		return 1
	}
	defer stopProfile()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, opts, logger, stderr); err != nil {
		logger.Error("olelo stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

const usage = `olelo - a programmable SIP server that runs kamailio.cfg

Usage:
  olelo [run] [flags]        run the server
  olelo check -f FILE        check a config file and exit (same as -c)
  olelo version              print the version
  olelo config default       print the built-in configuration (run without -f)
  olelo rpc METHOD [ARGS...] call a control command (kamcmd); olelo rpc -h
  olelo ctl COMMAND ...      manage users, permissions, dispatcher, registrations
                             (kamctl); olelo ctl help
  olelo db create|drop|migrate|tables [--db URL]
                             manage the database tables (kamdbctl)

Flags (Kamailio's names):
  -f FILE            routing config (kamailio.cfg syntax); without it, the
                     built-in registrar/proxy (olelo config default)
  -c                 check the config and exit
  -A NAME[=VALUE]    #!define NAME for the config (repeatable)
  -l ADDRESS         listen on ADDRESS, e.g. udp:127.0.0.1:5060 (repeatable;
                     default udp and tcp on 0.0.0.0:5060)
  -n N               UDP reader goroutines per socket (default: one per CPU)
  -d                 more verbose logging (repeatable, like debug=)
  -D, -DD, -E        accepted: olelo always runs in the foreground, logging to stderr
  -P PIDFILE         write the process id to PIDFILE
  -m, -M SIZE        accepted and ignored (Go manages memory)
  -V                 print the version
  --rpc ADDR         control address: unix:PATH, tcp:127.0.0.1:PORT,
                     http://HOST:PORT, or off (default: modparam ctl binrpc,
                     else /run/olelo/olelo_ctl; see rpc/README.md)
  --rpc-token TOKEN  bearer token HTTP control clients must send (required
                     for a non-loopback address)
`
