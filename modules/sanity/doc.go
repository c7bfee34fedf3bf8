// Package sanity is the "sanity" module: optional checks of a request's
// well-formedness (sanity_check), answering a failing request with the
// status Kamailio sends.
//
// olelo's core already refuses requests that break the rules every
// server must enforce (missing or repeated required headers, a bad
// Request-URI, CSeq or Via, a bad Content-Length ...) before the script
// runs, so in olelo most checks pass by construction; the ones that
// matter are those the core leaves to the configuration: Proxy-Require,
// digest credentials, duplicated tags, and the exact Content-Length.
package sanity
