package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/olelo-sip/olelo/core"
	_ "github.com/olelo-sip/olelo/modules/all"
	"github.com/olelo-sip/olelo/script"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// serve runs the server until ctx is cancelled.
func serve(ctx context.Context, o *options, log *slog.Logger, stderr io.Writer) error {
	var (
		handler  core.Handler = builtinResponder{log: log}
		engine   *script.Engine
		settings *script.Settings
		host     *core.Host
	)
	if o.configFile != "" {
		// Replies the core reply route lets through are forwarded
		// statelessly along their Via (host is set before any arrives).
		forward := func(ctx context.Context, resp *core.Msg) {
			if err := core.ForwardReply(ctx, host, resp); err != nil {
				log.Debug("reply not forwarded", "err", err)
			}
		}
		_, eng, err := loadConfig(o, log, forward)
		if err != nil {
			return err
		}
		engine, settings, handler = eng, &eng.Settings, eng
		// The config's debug= decides what is logged, as in Kamailio.
		log = newLogger(stderr, logLevel(o, settings.Debug))
	}
	specs, err := listenSpecs(o, settings)
	if err != nil {
		return err
	}
	c := core.New(handler, nil, log)
	tm, err := transport.NewManager(transport.Config{Listen: specs, UDPReaders: o.readers, Logger: log}, c)
	if err != nil {
		return err
	}
	c.SetSender(tm)
	var al []string
	if settings != nil {
		al = aliases(settings)
	}
	host = core.NewHost(tm, al)
	// Modules start before the transports deliver the first message to
	// them; the transports stop (and drain) before the modules stop.
	routing := "built-in responder (no config)"
	if engine != nil {
		if err := engine.Start(ctx, host); err != nil {
			return err
		}
		defer engine.Stop()
		routing = o.configFile
	}
	if err := tm.Start(ctx); err != nil {
		return err
	}
	defer tm.Close()
	for _, l := range tm.Listeners() {
		log.Info("listening", "proto", l.Spec().Proto, "addr", l.Addr())
	}
	if o.pidFile != "" {
		if err := os.WriteFile(o.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
		defer os.Remove(o.pidFile)
	}
	log.Info("olelo started", "version", version, "routing", routing)
	<-ctx.Done()
	log.Info("shutting down")
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
