// Package ctl is the "ctl" module: it says where olelo's control
// interface listens (Kamailio's ctl module, whose binrpc socket kamcmd
// talks to). olelo speaks JSON-RPC 2.0 on it (package rpc); the module
// only carries the addresses, the socket's mode and owner, and the token
// that network addresses require.
package ctl
