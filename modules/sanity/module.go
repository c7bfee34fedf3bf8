package sanity

import (
	"fmt"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "sanity",
		Doc:  "request sanity checks",
		New: func() module.Instance {
			return &Instance{DefaultChecks: DefaultChecks, URIChecks: DefaultURIChecks, AutoDrop: 1}
		},
	})
}

// Instance is the sanity module with its modparams.
type Instance struct {
	DefaultChecks int    `modparam:"default_checks"`
	URIChecks     int    `modparam:"uri_checks"`
	ProxyRequire  string `modparam:"proxy_require"`
	AutoDrop      int    `modparam:"autodrop"`
	NoReply       int    `modparam:"noreply"`
	LogMissedCL   int    `modparam:"always_log_missed_content_length"`
}

// Funcs lists sanity's functions.
func (m *Instance) Funcs() []module.Func {
	i := module.ArgInt
	routes := module.RequestRoute | module.OnReplyRoute | module.CoreReplyRoute
	doc := "check the message; on failure answer it (requests) and return 0 (autodrop) or -1"
	return []module.Func{
		{Name: "sanity_check", Routes: routes, Run: m.run, Doc: doc},
		{Name: "sanity_check", Args: []module.ArgKind{i}, Routes: routes, Check: checkRanges, Run: m.run, Doc: doc},
		{Name: "sanity_check", Args: []module.ArgKind{i, i}, Routes: routes, Check: checkRanges, Run: m.run, Doc: doc},
		{Name: "sanity_reply", Routes: routes, Run: m.runReply, Doc: "send the reply a failed sanity_check held back (noreply=1)"},
	}
}

// checkRanges refuses constant check masks out of range.
func checkRanges(args []*module.Arg) error {
	if a := args[0]; a.Const && (a.Int < 1 || a.Int > MaxChecks) {
		return fmt.Errorf("message checks %d outside 1-%d", a.Int, MaxChecks)
	}
	if len(args) > 1 {
		if a := args[1]; a.Const && (a.Int < 1 || a.Int > MaxURIChecks) {
			return fmt.Errorf("URI checks %d outside 1-%d", a.Int, MaxURIChecks)
		}
	}
	return nil
}

// splitList splits a comma-separated list, trimming each element.
func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
