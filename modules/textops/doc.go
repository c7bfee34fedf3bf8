// Package textops is the "textops" module: header and body edits and
// regular-expression searches on the message (append_hf, remove_hf,
// search, subst, has_body, is_method ...).
//
// Header additions and removals are recorded as edits of the message,
// applied when it is sent: like Kamailio's lumps, they are not seen by
// later reads ($hdr, is_present_hf, search) until msg_apply_changes()
// (textopsx). The substitutions (subst, replace ...) rebuild the message
// instead, so their result, and every edit recorded before them, is
// visible at once.
//
// Searches and substitutions use Go's RE2 syntax, which covers the POSIX
// extended expressions scripts use.
package textops
