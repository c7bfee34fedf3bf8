package corex

import (
	"context"
	"log/slog"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/core"
	"github.com/olelo-sip/olelo/transport"
)

const (
	protoUDP = transport.ProtoUDP
	protoTCP = transport.ProtoTCP
)

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// runSend sends the request with the script's edits and new Request-URI
// but no Via of this server: 1 sent, -1 not.
func runSend(proto transport.Proto) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		if !c.Msg.IsRequest() {
			return -1
		}
		uri := ""
		if len(args) > 0 {
			var err error
			if uri, err = args[0].GetStr(c); err != nil {
				return -1
			}
		}
		t, err := core.Destination(c, uri, proto)
		if err == nil {
			err = core.SendAsIs(c, t)
		}
		if err != nil {
			logger(c).Error("send failed", "uri", uri, "proto", proto, "err", err)
			return -1
		}
		return 1
	}
}

// runSendData sends data to the URI's address (its transport parameter,
// else UDP): 1 sent, -1 not.
func runSendData(c *module.Ctx, args []*module.Arg) int {
	uri, err := args[0].GetStr(c)
	if err != nil || uri == "" {
		return -1
	}
	data, err := args[1].GetStr(c)
	if err != nil {
		return -1
	}
	t, err := core.Destination(c, uri, 0)
	if err == nil {
		ctx := c.Context
		if ctx == nil {
			ctx = context.Background()
		}
		err = c.Host.Send(ctx, t, []byte(data))
	}
	if err != nil {
		logger(c).Error("send_data failed", "uri", uri, "err", err)
		return -1
	}
	return 1
}
