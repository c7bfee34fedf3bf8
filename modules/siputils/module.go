package siputils

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "siputils",
		Doc:  "SIP utilities: To-tag, URI parameters, E.164, OPTIONS replies",
		New: func() module.Instance {
			return &Instance{E164MaxLen: 16, OptionsAccept: "*/*", OptionsAcceptLanguage: "en"}
		},
	})
}

// Instance is the siputils module with its modparams.
type Instance struct {
	E164MaxLen             int    `modparam:"e164_max_len"`
	OptionsAccept          string `modparam:"options_accept"`
	OptionsAcceptEncoding  string `modparam:"options_accept_encoding"`
	OptionsAcceptLanguage  string `modparam:"options_accept_language"`
	OptionsSupport         string `modparam:"options_support"`
	RPIDPrefix             string `modparam:"rpid_prefix"`
	RPIDSuffix             string `modparam:"rpid_suffix"`
	RealmPrefix            string `modparam:"realm_prefix"`
	RPIDAVP                string `modparam:"rpid_avp"`
	ContactFieldsSeparator string `modparam:"contact_flds_separator"`
}

// Funcs lists siputils' functions.
func (m *Instance) Funcs() []module.Func {
	s, pv := module.ArgStr, module.ArgPV
	any := module.AnyRoute
	return []module.Func{
		{Name: "has_totag", Routes: any, Run: runHasToTag, Doc: "true when the To header has a tag"},
		{Name: "is_request", Routes: any, Run: runIsRequest, Doc: "true for a request"},
		{Name: "is_reply", Routes: any, Run: runIsReply, Doc: "true for a reply"},
		{Name: "is_first_hop", Routes: any, Run: runIsFirstHop, Doc: "true when the message has a single Via"},
		{Name: "is_supported", Args: []module.ArgKind{s}, Routes: any, Run: runIsSupported, Doc: "true when an option tag is in Supported"},
		{Name: "is_user", Args: []module.ArgKind{s}, Run: runIsUser, Doc: "true when the authenticated user name is the given one"},
		{Name: "uri_param", Args: []module.ArgKind{s}, Run: runURIParam, Doc: "true when the Request-URI has a parameter without a value"},
		{Name: "uri_param", Args: []module.ArgKind{s, s}, Run: runURIParam, Doc: "true when the Request-URI has a parameter with a value"},
		{Name: "uri_param_any", Args: []module.ArgKind{s}, Run: runURIParamAny, Doc: "true when the Request-URI has a parameter"},
		{Name: "add_uri_param", Args: []module.ArgKind{s}, Run: runAddURIParam, Doc: "add a parameter to the Request-URI"},
		{Name: "uri_param_rm", Args: []module.ArgKind{s}, Run: runURIParamRm, Doc: "remove a parameter from the Request-URI"},
		{Name: "is_e164", Args: []module.ArgKind{s}, Routes: any, Run: m.runIsE164, Doc: "true when the value is an E.164 number"},
		{Name: "is_uri_user_e164", Args: []module.ArgKind{s}, Routes: any, Run: m.runIsURIUserE164, Doc: "true when the user of a URI is an E.164 number"},
		{Name: "cmp_uri", Args: []module.ArgKind{s, s}, Routes: any, Run: runCmpURI, Doc: "true when two URIs are equivalent (RFC 3261 19.1.4)"},
		{Name: "cmp_aor", Args: []module.ArgKind{s, s}, Routes: any, Run: runCmpAOR, Doc: "true when two URIs have the same user, host and port"},
		{Name: "tel2sip", Args: []module.ArgKind{s, s, pv}, Routes: any, Run: runTel2SIP, Doc: "convert a tel: URI to a sip: URI at a host"},
		{Name: "options_reply", Run: m.runOptionsReply, Doc: "answer 200 to an OPTIONS for the server itself"},
	}
}
