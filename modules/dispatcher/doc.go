// Package dispatcher is Kamailio's dispatcher module: destination sets
// loaded from a list file or the dispatcher table, selection algorithms
// (hashes, round robin, weights, priority, call load, parallel forking,
// latency), failover through the _dsdst_ XAVP and ds_next_dst() in a
// failure route, keepalive OPTIONS sent through tm with the state
// machine of Kamailio (A/I/D/T, P), dst-up/dst-down event routes, and
// the dispatcher.* RPC commands. See README.md.
package dispatcher
