// Package e2e drives the real olelo binary over sockets: it builds
// cmd/olelo once, starts it on free loopback ports and talks to it with
// raw sockets and real SIP peers (SIPp, sipsak). Tests that need a peer
// that is not installed skip with a message saying which package to
// install; .ci/run installs them all.
package e2e
