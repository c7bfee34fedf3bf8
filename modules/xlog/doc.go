// Package xlog is the "xlog" module: formatted log messages from the
// script (xlog, xinfo, xdbg ...), written through the server's logger at
// the level named in the call.
//
// Kamailio's numeric levels (L_ALERT -5 ... L_DBG 3) map to slog levels
// with SlogLevel; the server sets its handler's level to
// SlogLevel(debug) so that, as in Kamailio, a message is printed only
// when its level is at most the debug= global.
package xlog
