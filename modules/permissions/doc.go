// Package permissions is the "permissions" module: access control by
// where a request comes from and what it asks for.
//
// The address table (groups of IP addresses, subnets and names, with an
// optional port and tag) answers allow_source_address("200") — "is this
// request from one of our carriers?". It is loaded into memory at start
// and on permissions.addressReload: exact addresses in a hash map keyed
// by group and address (one probe, no allocation per lookup), subnets in
// a list sorted by group. A reload builds a new table and swaps it in
// atomically; a failed reload keeps the old one.
//
// The trusted table admits peers by source address, protocol and
// regular expressions on the From URI and Request-URI (allow_trusted),
// from memory (db_mode 1) or by a query per call (db_mode 0).
//
// Rule files in the style of hosts.allow/hosts.deny decide on pairs of
// URIs: From and Request-URI (allow_routing), To and Contact
// (allow_register), From and any URI (allow_uri). They are read when
// the configuration is loaded, so that a bad line fails the load with
// its file:line.
package permissions
