// Package sip is olelo's SIP message layer: parsing, typed header access,
// edits and message building. It does no I/O.
//
// A Message keeps the bytes it was parsed from. Parse builds an index of the
// start line and the header lines (offsets only) and nothing else; typed
// values (Via, CSeq, From/To, URIs ...) are parsed on first access and
// cached. Byte slices returned by accessors alias the message buffer: they
// are valid until the Message is reset or released, and must not be
// modified.
//
// Changes are recorded as edits (splices against the original bytes, like
// Kamailio's lumps) and applied once, when the message is serialised with
// AppendTo. Untouched bytes are copied through unchanged, so a proxy hop
// does not reformat headers it did not touch. Accessors always read the
// message as received, not as edited.
//
// The hot path (Parse, the core accessors, a proxy hop's edits and
// AppendTo) does not allocate once a Message has been reused a few times;
// see the benchmarks in bench_test.go.
package sip
