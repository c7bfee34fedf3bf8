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
	_ "github.com/olelo-sip/olelo/modules/all"
	tlsmod "github.com/olelo-sip/olelo/modules/tls"
	"github.com/olelo-sip/olelo/script"
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
	// Replies the core reply route lets through are forwarded statelessly
	// along their Via (host is set before any arrives).
	var host *core.Host
	forward := func(ctx context.Context, resp *core.Msg) {
		if err := core.ForwardReply(ctx, host, resp); err != nil {
			log.Debug("reply not forwarded", "err", err)
		}
	}
	// Without -f the built-in configuration runs (main set configFile).
	if err := prepareBuiltinDB(ctx, o, log); err != nil {
		return err
	}
	_, engine, err := loadConfig(o, scriptLog, forward)
	if err != nil {
		return err
	}
	settings := &engine.Settings
	// The config's debug= decides what is logged, as in Kamailio.
	scriptLevel.Set(logLevel(o, settings.Debug))
	specs, err := listenSpecs(o, settings)
	if err != nil {
		return err
	}
	swapper := core.NewSwapper(engine)
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
	host = core.NewHost(tm, aliases(settings))
	// Modules start before the transports deliver the first message to
	// them; the transports stop (and drain) before the modules stop.
	ctrl := &controller{runCtx: ctx, engine: engine, o: o, log: log, scriptLog: scriptLog, scriptLevel: scriptLevel, host: host, forward: forward, swapper: swapper}
	if err := engine.Start(ctx, host); err != nil {
		return err
	}
	defer func() { ctrl.current().Stop() }()
	if err := tm.Start(ctx); err != nil {
		return err
	}
	defer tm.Close()
	stopRPC, err := startRPC(o, log, ctrl, c, tm)
	if err != nil {
		return err
	}
	defer stopRPC()
	for _, l := range tm.Listeners() {
		log.Info("listening", "proto", l.Spec().Proto, "addr", l.Addr())
	}
	if o.pidFile != "" {
		if err := os.WriteFile(o.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
		defer os.Remove(o.pidFile)
	}
	log.Info("olelo started", "version", version, "routing", o.configFile)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-hup:
			_ = ctrl.reload(ctx) // logs the outcome; cfg.reload takes the same path
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
		t, ok := engine.Instance("tls").(*tlsmod.Instance)
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
