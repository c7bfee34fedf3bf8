// Package rr is the "rr" module: Record-Route and loose routing (RFC 3261
// 16.4, 16.6 step 4 and 16.12).
//
// record_route() puts this proxy in the route set of a dialog;
// loose_route() follows the route set of a request inside a dialog,
// removing this proxy's own entries and setting the next hop ($du, or the
// Request-URI when the next hop is a strict router). The parameters of
// the entry that loose_route() removed are kept for the rest of the
// message (check_route_param, is_direction).
package rr
