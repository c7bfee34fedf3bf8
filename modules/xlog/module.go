package xlog

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "xlog",
		Doc:  "formatted log messages from the script",
		New:  func() module.Instance { return &Instance{Prefix: DefaultPrefix, BufSize: 4096} },
	})
}

// DefaultPrefix is what every script log message starts with, as in
// Kamailio.
const DefaultPrefix = "<script>: "

// Instance is the xlog module with its modparams. Only prefix changes
// anything; the others are accepted so that configurations load (colours,
// facility and long format belong to the server's log handler).
type Instance struct {
	Prefix        string   `modparam:"prefix"`
	PrefixMode    int      `modparam:"prefix_mode"`
	BufSize       int      `modparam:"buf_size"`
	ForceColor    int      `modparam:"force_color"`
	LongFormat    int      `modparam:"long_format"`
	LogFacility   string   `modparam:"log_facility"`
	LogColors     []string `modparam:"log_colors"`
	MethodsFilter int      `modparam:"methods_filter"`
}

// Funcs lists xlog's functions.
func (m *Instance) Funcs() []module.Func {
	s := module.ArgStr
	var fs []module.Func
	add := func(name string, args []module.ArgKind, run func(*module.Ctx, []*module.Arg) int, check func([]*module.Arg) error, doc string) {
		fs = append(fs, module.Func{Name: name, Args: args, Routes: module.AnyRoute, Check: check, Run: run, Doc: doc})
	}
	for _, name := range []string{"xlog", "xlogl"} {
		add(name, []module.ArgKind{s}, m.fixed(LErr), nil, "log a formatted message at L_ERR")
		add(name, []module.ArgKind{s, s}, m.leveled(0), checkLevelArg(0), "log a formatted message at a level (\"L_INFO\" or a pseudo-variable)")
		add(name, []module.ArgKind{s, s, s}, m.leveled(1), checkLevelArg(1), "log a formatted message with a facility (ignored) and a level")
	}
	for _, f := range fixedLevels {
		add(f.name, []module.ArgKind{s}, m.fixed(f.level), nil, "log a formatted message at "+f.levelName)
	}
	add("xdbgl", []module.ArgKind{s}, m.fixed(LDbg), nil, "log a formatted message at L_DBG")
	return fs
}

var fixedLevels = []struct {
	name      string
	level     int
	levelName string
}{
	{"xdbg", LDbg, "L_DBG"},
	{"xinfo", LInfo, "L_INFO"},
	{"xnotice", LNotice, "L_NOTICE"},
	{"xwarn", LWarn, "L_WARN"},
	{"xerr", LErr, "L_ERR"},
	{"xbug", LBug, "L_BUG"},
	{"xcrit", LCrit, "L_CRIT"},
	{"xalert", LAlert, "L_ALERT"},
}
