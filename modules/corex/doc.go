// Package corex is the "corex" module: sending a request as it is
// (send_udp, send_tcp) and sending raw data (send_data).
package corex
