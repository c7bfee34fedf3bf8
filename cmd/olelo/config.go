package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/modules/xlog"
	"github.com/olelo-sip/olelo/script"
	"github.com/olelo-sip/olelo/transport"
)

// loadConfig parses and compiles the routing config. Every problem is
// returned, one per line, as file:line:col: message.
func loadConfig(o *options, log *slog.Logger, forwardReply func(context.Context, *core.Msg)) (*script.Config, *script.Engine, error) {
	cfg, err := script.ParseFile(o.configFile, o.scriptOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("config %s:\n%w", o.configFile, err)
	}
	eng, err := script.Compile(cfg, script.CompileOptions{Log: log, ForwardReply: forwardReply})
	if err != nil {
		return nil, nil, fmt.Errorf("config %s:\n%w", o.configFile, err)
	}
	for _, w := range eng.Warnings {
		log.Warn("config warning", "at", w.Pos.String(), "msg", w.Msg)
	}
	return cfg, eng, nil
}

// logLevel is the slog level for Kamailio's debug= value, unless -d flags
// on the command line chose one.
func logLevel(o *options, debug int64) slog.Level {
	if o.logLevel != slog.LevelInfo {
		return o.logLevel
	}
	return xlog.SlogLevel(int(debug))
}

// listenSpecs returns the sockets to open: the -l flags and the config's
// listen= lines; Kamailio's default (UDP and TCP on 0.0.0.0:port) when
// there are none. A listen line without a protocol opens every enabled
// protocol (UDP and, unless disable_tcp, TCP).
func listenSpecs(o *options, s *script.Settings) ([]transport.ListenSpec, error) {
	var lines []string
	lines = append(lines, o.listen...)
	disableTCP := false
	port := int64(5060)
	if s != nil {
		disableTCP = s.DisableTCP
		if s.Port != 0 {
			port = s.Port
		}
		for _, l := range s.Listen {
			for _, a := range l.Addrs {
				line, err := listenLine(a, port)
				if err != nil {
					return nil, fmt.Errorf("%v: %w", a.Pos, err)
				}
				if l.Advertise != nil && len(l.Advertise.Hosts) > 0 {
					line += " advertise " + l.Advertise.Hosts[0]
					if l.Advertise.Port != 0 {
						line += ":" + strconv.FormatInt(l.Advertise.Port, 10)
					}
				}
				lines = append(lines, line)
			}
		}
	}
	if len(lines) == 0 {
		lines = []string{"0.0.0.0:" + strconv.FormatInt(port, 10)}
	}
	var specs []transport.ListenSpec
	for _, l := range lines {
		spec, err := transport.ParseListen(l)
		if err != nil {
			return nil, fmt.Errorf("listen %q: %w", l, err)
		}
		if spec.AnyProto {
			spec.AnyProto = false
			specs = append(specs, spec)
			if !disableTCP {
				tcp := spec
				tcp.Proto = transport.ProtoTCP
				specs = append(specs, tcp)
			}
			continue
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// listenLine formats a parsed listen address as transport.ParseListen
// reads it.
func listenLine(a *script.SocketAddr, defaultPort int64) (string, error) {
	if len(a.Hosts) != 1 {
		return "", errors.New("multihomed (SCTP) listen addresses are not supported")
	}
	host := a.Hosts[0]
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	port := a.Port
	if port == 0 {
		port = defaultPort
	}
	line := host + ":" + strconv.FormatInt(port, 10)
	if a.Proto != "" {
		line = a.Proto + ":" + line
	}
	return line, nil
}

// aliases returns the alias= values as "host[:port]".
func aliases(s *script.Settings) []string {
	var out []string
	for _, a := range s.Aliases {
		for _, h := range a.Hosts {
			if a.Port != 0 {
				h += ":" + strconv.FormatInt(a.Port, 10)
			}
			out = append(out, h)
		}
	}
	return out
}
