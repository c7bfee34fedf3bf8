// Package tm is the "tm" module: it binds the transaction layer (package
// github.com/olelo-sip/olelo/tm) to the script. t_relay creates the
// server transaction and forks to the destination set; t_on_failure,
// t_on_reply and t_on_branch arm routes that the transaction layer runs
// later through the engine that routed the request (module.RouteRunner),
// so that a transaction finishes on the configuration it started on.
//
// The transaction table is one per process, shared by the engines a
// reload swaps in. The instance implements module.ReplyHandler: the
// engine hands it every reply the core reply route lets through, before
// stateless forwarding.
package tm
