package maxfwd

import (
	"log/slog"

	"github.com/olelo-sip/olelo/module"
)

// valueKey keeps the value process wrote, so that is_maxfwd_lt sees it
// (Kamailio edits the number in place), or -1 when it added the header.
type valueKey struct{}

// current returns the Max-Forwards value of the request as the script
// left it: -1 when absent, -2 when it cannot be parsed.
func current(c *module.Ctx) int {
	if v, ok := c.Store[valueKey{}].(int); ok {
		return v
	}
	n, err := c.Msg.MaxForwards()
	if err != nil {
		return -2
	}
	return n
}

func limitArg(c *module.Ctx, a *module.Arg) (int, bool) {
	n, err := a.GetInt(c)
	if err != nil || n < 0 || n > 255 {
		logger(c).Error("maxfwd: invalid param value", "value", a.Str, "err", err)
		return 0, false
	}
	return int(n), true
}

// process: absent → add Max-Forwards: limit, 2; 0 → -1; otherwise the
// value is decremented (or lowered to max_limit when above it), 1.
// An unparsable header, or a bad limit, gives -2.
func (m *Instance) process(c *module.Ctx, args []*module.Arg) int {
	limit, ok := limitArg(c, args[0])
	if !ok {
		return -2
	}
	if _, done := c.Store[valueKey{}]; done {
		// Processed already: the header is not edited twice.
		switch current(c) {
		case -1:
			return 2
		case 0:
			return -1
		}
		return 1
	}
	v := current(c)
	switch {
	case v == -2:
		return -2
	case v == -1:
		c.Msg.SetMaxForwards(limit)
		m.remember(c, -1) // an added header is not seen by is_maxfwd_lt, as in Kamailio
		return 2
	case v == 0:
		return -1
	}
	if v > m.MaxLimit {
		v = m.MaxLimit
	} else {
		v--
	}
	c.Msg.SetMaxForwards(v)
	m.remember(c, v)
	return 1
}

func (m *Instance) remember(c *module.Ctx, v int) {
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[valueKey{}] = v
}

// isLessThan: 1 when Max-Forwards < n, -1 when not, -2 when absent, -3
// when it cannot be parsed.
func (m *Instance) isLessThan(c *module.Ctx, args []*module.Arg) int {
	n, ok := limitArg(c, args[0])
	if !ok {
		return -3
	}
	switch v := current(c); {
	case v == -1:
		return -2
	case v == -2:
		return -3
	case v < n:
		return 1
	}
	return -1
}

func logger(c *module.Ctx) *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
