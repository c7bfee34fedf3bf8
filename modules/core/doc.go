// Package core is the "core" module: the core actions of kamailio.cfg that
// behave like functions (forward, the Request-URI rewrites, message flags,
// force_rport, log). It is always loaded, with no loadmodule line.
//
// drop, exit, return, break and route() are statements the compiler
// handles; they are not here.
package core
