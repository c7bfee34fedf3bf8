// Package module is olelo's module registry and the contract between the
// script engine and everything a script can call.
//
// A module registers once, from an init function in its own package:
//
//	func init() {
//		module.Register(module.Module{
//			Name: "maxfwd",
//			Doc:  "Max-Forwards processing (RFC 3261 16.6 step 3)",
//			New:  func() module.Instance { return &maxfwd{Limit: 256} },
//		})
//	}
//
// The Instance it creates carries the module's state and its modparams
// (exported fields tagged `modparam:"name"`, set from modparam() lines
// before Start), and lists what the module exports: script functions
// (Funcs), pseudo-variable classes (PVs, optional) and event routes
// (Events, optional). Lifecycle hooks are optional interfaces: Starter,
// Stopper.
//
// Script functions are resolved by name and number of arguments, as in
// Kamailio. Each declares the kind of each argument (ArgStr, ArgInt ...),
// and the compiler checks and prepares the arguments at load time: a
// constant is converted once, a string holding pseudo-variables becomes a
// format evaluated per message. A function returns Kamailio's codes:
// negative is false, positive is true, 0 stops the script (like exit).
//
// Ctx is the per-message execution context: the message, where it came
// from, the script's variables and flags, and the pending changes (new
// Request-URI, destination URI) that a forward applies.
package module
