package rr

import (
	"github.com/olelo-sip/olelo/module"
)

func init() {
	module.RegisterRequestRewriter(rewrite)
	module.Register(module.Module{
		Name: "rr",
		Doc:  "Record-Route and loose routing",
		New: func() module.Instance {
			return &Instance{AppendFromTag: 1, EnableDoubleRR: 1}
		},
	})
}

// Instance is the rr module with its modparams.
type Instance struct {
	// AppendFromTag adds ;ftag= with the dialog initiator's tag to the
	// Record-Route URI (Kamailio's default is 1).
	AppendFromTag int `modparam:"append_fromtag"`
	// EnableFullLR writes ;lr=on instead of ;lr.
	EnableFullLR int `modparam:"enable_full_lr"`
	// EnableDoubleRR: 1 adds two Record-Route headers when the request
	// leaves by another transport or address than it came in on; 2
	// always adds two, each with an explicit transport.
	EnableDoubleRR int `modparam:"enable_double_rr"`
	// AddUsername puts the Request-URI's user in the Record-Route URI.
	AddUsername int `modparam:"add_username"`
	// Accepted for compatibility; no effect.
	ForceSendSocket int    `modparam:"force_send_socket"`
	IgnoreSIPS      int    `modparam:"ignore_sips"`
	SocknameMode    int    `modparam:"sockname_mode"`
	IgnoreUser      string `modparam:"ignore_user"`
}

// Funcs lists rr's functions.
func (m *Instance) Funcs() []module.Func {
	s, re := module.ArgStr, module.ArgRegex
	rr := module.RequestRoute | module.BranchRoute | module.FailureRoute
	return []module.Func{
		{Name: "record_route", Run: m.runRecordRoute, Routes: rr, Doc: "add a Record-Route header with this proxy's address"},
		{Name: "record_route", Args: []module.ArgKind{s}, Run: m.runRecordRoute, Routes: rr, Doc: "add a Record-Route header with this proxy's address and extra URI parameters"},
		{Name: "record_route_preset", Args: []module.ArgKind{s}, Run: m.runPreset, Routes: rr, Doc: "add a Record-Route header with a given address"},
		{Name: "record_route_preset", Args: []module.ArgKind{s, s}, Run: m.runPreset, Routes: rr, Doc: "add two Record-Route headers with given outbound and inbound addresses"},
		{Name: "record_route_advertised_address", Args: []module.ArgKind{s}, Run: m.runAdvertised, Routes: rr, Doc: "add a Record-Route header with a given host:port"},
		{Name: "add_rr_param", Args: []module.ArgKind{s}, Run: m.runAddParam, Routes: rr, Doc: "add a parameter to the Record-Route URI"},
		{Name: "loose_route", Run: m.runLooseRoute, Routes: module.RequestRoute, Doc: "route a request by its Route headers"},
		{Name: "loose_route_preloaded", Run: m.runLooseRoutePreloaded, Routes: module.RequestRoute, Doc: "loose_route for an initial request with a pre-loaded Route"},
		{Name: "check_route_param", Args: []module.ArgKind{re}, Run: m.runCheckRouteParam, Routes: module.RequestRoute, Doc: "match the parameters of the Route entry loose_route removed"},
		{Name: "is_direction", Args: []module.ArgKind{s}, Check: checkDirection, Run: m.runIsDirection, Routes: module.RequestRoute, Doc: "tell whether a request goes downstream or upstream in its dialog"},
	}
}

// PVs exports $route_uri.
func (m *Instance) PVs() []module.PVClass {
	return []module.PVClass{{Name: "route_uri", New: newRouteURIPV, Doc: "the URI of the first Route header"}}
}
