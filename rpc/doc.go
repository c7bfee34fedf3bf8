// Package rpc is olelo's control interface: a JSON-RPC 2.0 dispatcher
// (Dispatcher), its listeners (a unix socket and HTTP, Listen), the core
// methods with Kamailio's names and result shapes (CoreMethods, Stats),
// and the client (Call) that `olelo rpc` and other tools use.
//
// Methods are resolved on every call against their sources, so that the
// module methods always come from the configuration running now (a
// reload swaps the script engine). See README.md for the socket, the
// framing, the security rules and the method list.
package rpc
