package xlog

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

// Kamailio's log levels (smaller is more severe).
const (
	LAlert  = -5
	LBug    = -4
	LCrit   = -3
	LCrit2  = -2 // L_CRIT without the level name in Kamailio's output
	LErr    = -1
	LWarn   = 0
	LNotice = 1
	LInfo   = 2
	LDbg    = 3
)

// SlogLevel maps a Kamailio level to a slog level, keeping the order:
// L_DBG is slog.LevelDebug, L_INFO Info, L_NOTICE Info+2, L_WARN Warn,
// L_ERR Error, and the levels more severe than L_ERR above Error. Levels
// above L_DBG (debug=4 and up) go below Debug.
func SlogLevel(k int) slog.Level {
	switch {
	case k >= LDbg:
		return slog.LevelDebug - slog.Level(k-LDbg)
	case k == LInfo:
		return slog.LevelInfo
	case k == LNotice:
		return slog.LevelInfo + 2
	case k == LWarn:
		return slog.LevelWarn
	case k == LErr:
		return slog.LevelError
	}
	return slog.LevelError + slog.Level(LErr-k) // -2 → Error+1 ... -5 → Error+4
}

// ParseLevel reads a level name as Kamailio does: "L_" and the third
// character (L_ALERT, L_BUG, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO,
// L_DBG).
func ParseLevel(s string) (int, bool) {
	if len(s) < 3 || s[0] != 'L' || s[1] != '_' {
		return 0, false
	}
	switch s[2] {
	case 'A':
		return LAlert, true
	case 'B':
		return LBug, true
	case 'C':
		return LCrit, true
	case 'E':
		return LErr, true
	case 'W':
		return LWarn, true
	case 'N':
		return LNotice, true
	case 'I':
		return LInfo, true
	case 'D':
		return LDbg, true
	}
	return 0, false
}

// checkLevelArg refuses a constant level that is not a level name;
// Kamailio refuses it at start-up too ("wrong log level").
func checkLevelArg(i int) func([]*module.Arg) error {
	return func(args []*module.Arg) error {
		a := args[i]
		if a.Const || a.Expr == nil {
			if _, ok := ParseLevel(a.Str); !ok {
				return fmt.Errorf("unknown log level %q (want L_ALERT, L_BUG, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG or a pseudo-variable)", a.Str)
			}
		}
		return nil
	}
}

// Write logs text at Kamailio level k through c's logger, with the
// prefix in front and one trailing newline removed (the handler ends the
// record itself). It is what xlog and the core log() use.
func Write(c *module.Ctx, k int, prefix, text string) {
	lg := c.Log
	if lg == nil {
		lg = slog.Default()
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	lg.Log(ctx, SlogLevel(k), prefix+strings.TrimSuffix(text, "\n"))
}

// enabled reports whether a message at level k would be printed, so that
// the format is not expanded for nothing.
func enabled(c *module.Ctx, k int) bool {
	lg := c.Log
	if lg == nil {
		lg = slog.Default()
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return lg.Enabled(ctx, SlogLevel(k))
}

// fixed returns the Run of a function logging at level k.
func (m *Instance) fixed(k int) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		m.log(c, k, args[len(args)-1])
		return 1
	}
}

// leveled returns the Run of a function whose argument i is the level.
func (m *Instance) leveled(i int) func(*module.Ctx, []*module.Arg) int {
	return func(c *module.Ctx, args []*module.Arg) int {
		k, ok := levelOf(c, args[i])
		if !ok {
			k = LErr
		}
		m.log(c, k, args[len(args)-1])
		return 1
	}
}

// levelOf evaluates a level argument: a level name, or a pseudo-variable
// holding a number or a name.
func levelOf(c *module.Ctx, a *module.Arg) (int, bool) {
	s, err := a.GetStr(c)
	if err != nil {
		return 0, false
	}
	if k, ok := ParseLevel(s); ok {
		return k, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

func (m *Instance) log(c *module.Ctx, k int, format *module.Arg) {
	if !enabled(c, k) {
		return
	}
	text, err := format.GetStr(c)
	if err != nil {
		// Kamailio prints nothing for a format it cannot evaluate.
		return
	}
	Write(c, k, m.Prefix, text)
}
