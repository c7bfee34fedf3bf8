package corex

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

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

// maxBranches is the most branches a destination set may have (Kamailio's
// default max_branches).
const maxBranches = 12

type consumedKey struct{}

// runAppendBranch is append_branch([uri[, q]]): adds uri (by default the
// current Request-URI with its $du, which is then not sent on its own) to
// the destination set that tm forks to. 1, or -1 when the set is full or
// q is not a number.
func runAppendBranch(c *module.Ctx, args []*module.Arg) int {
	if len(c.Branches)+1 >= maxBranches {
		logger(c).Error("append_branch: too many branches", "max", maxBranches)
		return -1
	}
	b := module.Branch{Q: -1}
	if len(args) == 0 {
		b.URI, b.DstURI, b.Flags = c.RequestURI(), c.DstURI, c.BranchFlags
		if c.Store == nil {
			c.Store = map[any]any{}
		}
		c.Store[consumedKey{}] = b.URI + "\x00" + b.DstURI
	} else {
		u, err := args[0].GetStr(c)
		if err != nil || u == "" {
			return -1
		}
		b.URI = u
	}
	if len(args) > 1 {
		qs, err := args[1].GetStr(c)
		if err != nil {
			return -1
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(qs), 64)
		if err != nil || q < 0 || q > 1 {
			logger(c).Error("append_branch: bad q value", "q", qs)
			return -1
		}
		b.Q = int(q*1000 + 0.5)
	}
	c.Branches = append(c.Branches, b)
	return 1
}

// URIConsumed reports whether append_branch() without arguments moved the
// current Request-URI (and $du) into the branches, so that tm does not
// send it a second time as branch 0.
func URIConsumed(c *module.Ctx) bool {
	s, ok := c.Store[consumedKey{}].(string)
	return ok && s == c.RequestURI()+"\x00"+c.DstURI
}
