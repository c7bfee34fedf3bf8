// Package siputils is the "siputils" module: small tests and changes of
// the message that configurations use everywhere (has_totag, uri_param,
// is_e164, options_reply ...).
package siputils
