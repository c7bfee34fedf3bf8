package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	_ "github.com/olelo-sip/olelo/modules/all"
	tlsmod "github.com/olelo-sip/olelo/modules/tls"
	"github.com/olelo-sip/olelo/script"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// serve runs the server until ctx is cancelled.
//
// Two loggers: the server's own (lifecycle, transport and core messages,
// at info unless -d says otherwise) and the script's, whose level follows
// the config's debug= (xlog and the engine), as Kamailio's debug= filters
// xlog. A reload can change the script's level.
func serve(ctx context.Context, o *options, log *slog.Logger, stderr io.Writer) error {
	scriptLevel := new(slog.LevelVar)
	scriptLog := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: scriptLevel}))
	var (
		handler  core.Handler = builtinResponder{log: log}
		engine   *script.Engine
		settings *script.Settings
		host     *core.Host
		forward  func(context.Context, *core.Msg)
	)
	if o.configFile != "" {
		// Replies the core reply route lets through are forwarded
		// statelessly along their Via (host is set before any arrives).
		forward = func(ctx context.Context, resp *core.Msg) {
			if err := core.ForwardReply(ctx, host, resp); err != nil {
				log.Debug("reply not forwarded", "err", err)
			}
		}
		_, eng, err := loadConfig(o, scriptLog, forward)
		if err != nil {
			return err
		}
		engine, settings, handler = eng, &eng.Settings, eng
		// The config's debug= decides what is logged, as in Kamailio.
		scriptLevel.Set(logLevel(o, settings.Debug))
	}
	specs, err := listenSpecs(o, settings)
	if err != nil {
		return err
	}
	swapper := core.NewSwapper(handler)
	c := core.New(swapper, nil, log)
	tlsCfg, err := tlsConfig(specs, engine)
	if err != nil {
		return err
	}
	tm, err := transport.NewManager(transport.Config{Listen: specs, UDPReaders: udpReaders(o, settings), TLS: tlsCfg, Logger: log}, c)
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
		defer func() { engine.Stop() }()
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-hup:
			if engine == nil {
				log.Warn("SIGHUP ignored: no config to reload (started without -f)")
				continue
			}
			if next, err := reload(ctx, o, scriptLog, host, forward, swapper); err != nil {
				log.Error("config reload failed; the running config stays", "err", err)
			} else {
				engine = next
				scriptLevel.Set(logLevel(o, next.Settings.Debug))
				log.Info("config reloaded", "file", o.configFile)
			}
		}
	}
	log.Info("shutting down")
	st := c.Stats()
	log.Info("stopped", "requests", st.Requests, "responses", st.Responses, "rejected", st.Rejected, "dropped", st.Dropped)
	return nil
}

// tlsConfig returns the TLS settings when a tls: or wss: listener is
// configured: they come from the tls module's modparams or tls.cfg.
func tlsConfig(specs []transport.ListenSpec, engine *script.Engine) (*transport.TLSConfig, error) {
	for _, s := range specs {
		if !s.Proto.Secure() {
			continue
		}
		var inst module.Instance
		if engine != nil {
			inst = engine.Instance("tls")
		}
		t, ok := inst.(*tlsmod.Instance)
		if !ok {
			return nil, fmt.Errorf("listen %s needs the tls module: loadmodule \"tls.so\" with its certificate and private_key modparams", s)
		}
		return t.TransportConfig()
	}
	return nil, nil
}

// udpReaders is the number of reader goroutines per UDP socket: -n, else
// the config's children= (Kamailio's UDP worker processes per socket),
// else one per CPU (0 lets the transport decide).
func udpReaders(o *options, s *script.Settings) int {
	if o.readers > 0 {
		return o.readers
	}
	if s != nil {
		if _, set := s.Raw["children"]; set && s.Children > 0 {
			return int(s.Children)
		}
	}
	return 0
}

// reload compiles the config again and, when it compiles, starts the new
// engine, swaps it in and stops the old one once the messages it was
// handling are done. Listen addresses are not changed by a reload.
func reload(ctx context.Context, o *options, log *slog.Logger, host *core.Host, forward func(context.Context, *core.Msg), swapper *core.Swapper) (*script.Engine, error) {
	_, next, err := loadConfig(o, log, forward)
	if err != nil {
		return nil, err
	}
	if err := next.Start(ctx, host); err != nil {
		return nil, err
	}
	old := swapper.Swap(next)
	if e, ok := old.(*script.Engine); ok {
		if err := e.Stop(); err != nil {
			log.Warn("stopping the previous config", "err", err)
		}
	}
	return next, nil
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
