// Package sl is the "sl" module: stateless replies (sl_send_reply,
// sl_reply, send_reply, sl_reply_error).
//
// Other modules that answer a request themselves (sanity, siputils'
// options_reply, auth ...) send through Reply, as Kamailio's modules use
// the sl API, so that every local reply gets the same To-tag, Server
// header and append_to_reply headers.
package sl
