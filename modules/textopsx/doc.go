// Package textopsx is the "textopsx" module: msg_apply_changes, which
// makes the recorded edits of the message visible to the rest of the
// script, and a few message rewrites (remove_body, change_reply_status).
package textopsx
