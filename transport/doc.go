// Package transport moves SIP messages between the network and the core:
// UDP, TCP, TLS, WebSocket (WS/WSS, RFC 7118) and, behind the build tag
// "sctp", SCTP (RFC 4168).
//
// A Manager binds the listeners of a Config, delivers every complete
// received message to one Handler as a Packet, and sends messages with
// Send to a Target (protocol, address, and optionally the connection a
// request came in on).
//
// # Worker model
//
// The reader is the worker. Each UDP listener opens Config.UDPReaders
// sockets on the same address with SO_REUSEPORT, so that the kernel spreads
// datagrams over them, and runs one goroutine per socket that reads a
// datagram into its own buffer and calls the Handler inline before reading
// the next one. Each stream connection (TCP, TLS, WS, WSS) has one goroutine
// that reads, frames and calls the Handler inline in the same way. This is
// Kamailio's model (a fixed set of UDP children, each reading and routing
// one message at a time; a TCP reader per connection) in Go terms, and it
// is chosen for the same reasons:
//
//   - No hand-off: there is no queue, channel or goroutine per packet
//     between the socket and the routing logic, so a proxy hop costs no
//     allocation and no scheduler round trip, and the buffer the message
//     was read into is the one the Handler parses in place.
//   - Back-pressure is natural: when handlers are slow, readers stop
//     reading and the kernel socket buffer absorbs (then drops) the excess,
//     instead of an unbounded queue growing in memory.
//   - Messages of one connection are handled in order, which SIP over
//     streams expects (a CANCEL does not overtake its INVITE).
//
// The cost is that a Handler which blocks (a slow database, DNS) stalls its
// socket or connection: with UDP, other readers carry on, but handlers
// should bound their blocking work with timeouts, and run long jobs
// elsewhere.
//
// Packet.Data (and the Packet) are only valid during the Handler call;
// a handler that keeps the message must copy it.
//
// # Streams
//
// TCP and TLS messages are framed by Content-Length (sip.FrameStream;
// RFC 3261 18.3 makes it mandatory on streams). CRLF keep-alives are
// skipped and an RFC 5626 "\r\n\r\n" ping is answered with "\r\n". A
// framing error, a read buffer over Config.TCPMaxBuffered without a
// complete message, or Config.TCPIdleTimeout without traffic closes the
// connection. Both inbound and outbound connections are kept in a table by
// id (Packet.ConnID, Target.ConnID) and by (protocol, remote address), so
// replies and later requests reuse them. Writes on a connection are
// serialised and bounded by Config.WriteTimeout.
//
// WebSocket connections are accepted on ws:/wss: listeners only, with the
// "sip" subprotocol required; each WebSocket message is one SIP message.
// Outbound WebSocket connections are not supported: Send over WS/WSS only
// uses connections that clients opened.
package transport
