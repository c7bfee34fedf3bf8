package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// defaultListen is Kamailio's default: UDP and TCP on every IPv4 address,
// port 5060.
var defaultListen = []string{"udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"}

// serve runs the server until ctx is cancelled.
func serve(ctx context.Context, o *options, log *slog.Logger) error {
	if o.configFile != "" {
		// The routing-script engine is being built (issue #3); refusing is
		// better than starting with a config whose routes would not run.
		return fmt.Errorf("running a routing config (-f %s) needs the script engine, which is not in this build yet; use 'olelo check -f %s' to check it", o.configFile, o.configFile)
	}
	listen := o.listen
	if len(listen) == 0 {
		listen = defaultListen
	}
	cfg := transport.Config{UDPReaders: o.readers, Logger: log}
	for _, l := range listen {
		spec, err := transport.ParseListen(l)
		if err != nil {
			return fmt.Errorf("listen %q: %w", l, err)
		}
		cfg.Listen = append(cfg.Listen, spec)
	}

	c := core.New(builtinResponder{log: log}, nil, log)
	tm, err := transport.NewManager(cfg, c)
	if err != nil {
		return err
	}
	c.SetSender(tm)
	if err := tm.Start(ctx); err != nil {
		return err
	}
	for _, l := range tm.Listeners() {
		log.Info("listening", "proto", l.Spec().Proto, "addr", l.Addr())
	}
	if o.pidFile != "" {
		if err := os.WriteFile(o.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			tm.Close()
			return fmt.Errorf("pid file: %w", err)
		}
		defer os.Remove(o.pidFile)
	}
	log.Info("olelo started", "version", version, "routing", "built-in responder (no config)")
	<-ctx.Done()
	log.Info("shutting down")
	if err := tm.Close(); err != nil {
		return err
	}
	st := c.Stats()
	log.Info("stopped", "requests", st.Requests, "responses", st.Responses, "rejected", st.Rejected, "dropped", st.Dropped)
	return nil
}

// builtinResponder is the routing used when no config is given: it
// answers OPTIONS with 200 (a SIP "ping" target for monitoring and for
// tests), absorbs ACK, answers other requests with 501 and drops
// responses, since nothing was sent that they could answer.
type builtinResponder struct{ log *slog.Logger }

var optionsHeaders = []byte("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nAccept: application/sdp\r\nServer: olelo\r\n")

func (b builtinResponder) HandleRequest(ctx context.Context, req *core.Msg) {
	switch req.Method() {
	case sip.MethodACK:
		return
	case sip.MethodOPTIONS:
		if err := req.Reply(ctx, 200, "OK", &sip.ReplyOptions{ToTag: []byte("olelo-builtin"), Headers: optionsHeaders}); err != nil {
			b.log.Debug("reply failed", "err", err)
		}
	default:
		if err := req.Reply(ctx, 501, "Not Implemented", &sip.ReplyOptions{ToTag: []byte("olelo-builtin"), Headers: []byte("Server: olelo\r\n")}); err != nil {
			b.log.Debug("reply failed", "err", err)
		}
	}
}

func (builtinResponder) HandleResponse(context.Context, *core.Msg) {}
