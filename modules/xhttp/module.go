package xhttp

import (
	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.Register(module.Module{
		Name: "xhttp",
		Doc:  "HTTP requests on SIP listeners, routed by event_route[xhttp:request]",
		New:  func() module.Instance { return &Instance{} },
	})
}

// EventName is the event route HTTP requests run.
const EventName = "xhttp:request"

// Instance is the xhttp module with its modparams.
type Instance struct {
	// URLMatch: only URLs matching this regular expression run the
	// event route (empty: all).
	URLMatch string `modparam:"url_match"`
	// URLSkip: URLs matching this regular expression do not.
	URLSkip string `modparam:"url_skip"`
	// EventCallback is the KEMI function to run instead of the event
	// route (Lua and other KEMI configs).
	EventCallback string `modparam:"event_callback"`

	match, skip regexpMatcher
}

// Funcs lists xhttp's functions.
func (m *Instance) Funcs() []module.Func {
	s := module.ArgStr
	return []module.Func{
		{Name: "xhttp_reply", Args: []module.ArgKind{s, s, s, s}, Run: m.runReply, Routes: module.EventRoute,
			Doc: "send the HTTP reply (code, reason, content type, body) to the request of event_route[xhttp:request]"},
	}
}

// PVs exports $hu.
func (m *Instance) PVs() []module.PVClass {
	return []module.PVClass{{Name: "hu", New: newURLPV, Doc: "the URL of the HTTP request"}}
}

// Events lists the event route xhttp runs.
func (m *Instance) Events() []string { return []string{EventName} }
