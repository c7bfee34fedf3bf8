// Package jsonrpcs is the "jsonrpcs" module: the script's access to the
// control commands (package rpc). jsonrpc_dispatch() answers a JSON-RPC
// request that arrived over HTTP (in event_route[xhttp:request], with the
// xhttp module); jsonrpc_exec(cmd) runs one from the script and leaves
// the answer in $jsonrpl(code), $jsonrpl(text) and $jsonrpl(body).
package jsonrpcs
