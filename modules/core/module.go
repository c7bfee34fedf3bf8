package core

import "github.com/olelo-sip/olelo/module"

func init() {
	module.Register(module.Module{
		Name: "core",
		Doc:  "core actions: forward, Request-URI rewrites, flags, force_rport, log",
		New:  func() module.Instance { return &Instance{} },
		Core: true,
	})
}

// Instance is the core module. It has no modparams.
type Instance struct{}

// Funcs lists the core actions.
func (m *Instance) Funcs() []module.Func {
	var fs []module.Func
	add := func(f module.Func, names ...string) {
		for _, n := range names {
			f.Name = n
			fs = append(fs, f)
		}
	}
	s, i := module.ArgStr, module.ArgInt

	// Stateless forwarding.
	for _, fp := range forwardProtos {
		name, proto := fp.name, fp.proto
		add(module.Func{Run: runForward(proto, 0), Doc: "forward the request statelessly to $du or the Request-URI"}, name)
		add(module.Func{Args: []module.ArgKind{s}, Run: runForward(proto, 1), Doc: "forward the request statelessly to host"}, name)
		add(module.Func{Args: []module.ArgKind{s, i}, Check: checkPort(1), Run: runForward(proto, 2), Doc: "forward the request statelessly to host:port"}, name)
	}

	// Request-URI rewrites.
	add(module.Func{Args: []module.ArgKind{s}, Run: runSetURI, Doc: "replace the Request-URI"}, "seturi", "rewriteuri")
	add(module.Func{Args: []module.ArgKind{s}, Run: rewriteStr(setHost), Doc: "replace the Request-URI host"}, "sethost", "rewritehost", "seth")
	add(module.Func{Args: []module.ArgKind{s}, Run: rewriteStr(setHostPort), Doc: "replace the Request-URI host and port"}, "sethostport", "rewritehostport", "sethp")
	add(module.Func{Args: []module.ArgKind{s}, Run: rewriteStr(setUser), Doc: "replace the Request-URI user"}, "setuser", "rewriteuser", "setu")
	add(module.Func{Args: []module.ArgKind{s}, Run: rewriteStr(setUserPass), Doc: "replace the Request-URI user and password"}, "setuserpass", "rewriteuserpass", "setup")
	add(module.Func{Args: []module.ArgKind{s}, Run: rewriteStr(setPort), Doc: "replace the Request-URI port"}, "setport", "rewriteport", "setp")
	add(module.Func{Args: []module.ArgKind{s}, Run: rewriteStr(prefixUser), Doc: "prepend to the Request-URI user"}, "prefix")
	add(module.Func{Args: []module.ArgKind{i}, Check: checkNonNegative, Run: rewriteInt(stripUser), Doc: "remove characters from the start of the Request-URI user"}, "strip")
	add(module.Func{Args: []module.ArgKind{i}, Check: checkNonNegative, Run: rewriteInt(stripUserTail), Doc: "remove characters from the end of the Request-URI user"}, "strip_tail")
	add(module.Func{Run: rewriteNone(userPhone), Doc: "add user=phone to the Request-URI"}, "userphone")
	add(module.Func{Run: runRevertURI, Doc: "restore the Request-URI as received"}, "revert_uri")

	// Message flags.
	add(module.Func{Args: []module.ArgKind{i}, Check: checkFlag, Routes: module.AnyRoute, Run: runSetFlag, Doc: "set a message flag (0-31)"}, "setflag")
	add(module.Func{Args: []module.ArgKind{i}, Check: checkFlag, Routes: module.AnyRoute, Run: runResetFlag, Doc: "clear a message flag"}, "resetflag")
	add(module.Func{Args: []module.ArgKind{i}, Check: checkFlag, Routes: module.AnyRoute, Run: runIsFlagSet, Doc: "test a message flag"}, "isflagset")

	// Via handling.
	add(module.Func{Run: runForceRPort, Doc: "send replies to the source port, as if the top Via had rport"}, "force_rport", "add_rport")
	add(module.Func{Run: runAddLocalRPort, Doc: "add rport to the Via of forwarded requests"}, "add_local_rport")

	// TCP connection behaviour, recorded for the senders.
	add(module.Func{Run: setConnFlag(ForwardNoConnect), Doc: "forward only on an open connection"}, "set_forward_no_connect")
	add(module.Func{Run: setConnFlag(ReplyNoConnect), Doc: "reply only on an open connection"}, "set_reply_no_connect")
	add(module.Func{Run: setConnFlag(ForwardClose), Doc: "close the connection after forwarding"}, "set_forward_close")
	add(module.Func{Run: setConnFlag(ReplyClose), Doc: "close the connection after replying"}, "set_reply_close")

	// Logging.
	add(module.Func{Args: []module.ArgKind{s}, Routes: module.AnyRoute, Run: runLog, Doc: "log text at level 4 (printed with debug=4 and above)"}, "log")
	add(module.Func{Args: []module.ArgKind{i, s}, Routes: module.AnyRoute, Run: runLog, Doc: "log text at a level (-5 alert ... 3 debug)"}, "log")
	add(module.Func{Args: []module.ArgKind{s, s}, Routes: module.AnyRoute, Run: runError, Doc: "not implemented in Kamailio either: logs a notice"}, "error")
	return fs
}
