// Package dispatcher is Kamailio's dispatcher module: destination sets
// loaded from a list file or the dispatcher table, selection algorithms
// (hashes, round robin, weights, priority, call load, parallel forking,
// latency, and Kamailio 5.8's round robin with overload control),
// selection over several sets at once (ds_select_routes), failover
// through the _dsdst_ XAVP and ds_next_dst() in a failure route,
// keepalive OPTIONS sent through tm with the state machine of Kamailio
// (A/I/D/T, P), dst-up/dst-down event routes, and the dispatcher.* RPC
// commands. See README.md.
package dispatcher
