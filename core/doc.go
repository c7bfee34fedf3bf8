// Package core is olelo's receive loop: it takes complete messages from the
// transports, parses them into pooled sip.Messages, applies the checks and
// the Via handling every SIP element owes its peers (RFC 3261 18.2.1 and
// RFC 3581: received and rport on requests; 18.2.2: where replies go),
// answers what cannot be processed (400, 505, 416 ...), and hands the rest
// to a Handler — the routing script once the script engine is loaded.
//
// Worker model: the handler runs on the transport goroutine that read the
// message (one per UDP socket, SO_REUSEPORT gives one socket per core, and
// one per stream connection). There is no queue and no goroutine per
// message: a message is parsed, routed and sent without leaving the
// goroutine whose cache already holds its bytes. Kamailio's UDP children
// work the same way; a slow handler blocks only its own socket reader, and
// the number of readers is the knob (children=, -n).
package core
