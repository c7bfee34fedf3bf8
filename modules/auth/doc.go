// Package auth is Kamailio's auth module: HTTP digest authentication
// (RFC 2617, RFC 7616 and RFC 8760 algorithms) for SIP (RFC 3261 22).
//
// It builds challenges (401 with WWW-Authenticate, 407 with
// Proxy-Authenticate), issues and verifies nonces, and checks digest
// responses. It keeps no passwords: a backend module (auth_db, or the
// pv_* functions with a password held in a variable) supplies the HA1 or
// the password through Instance.Authorize.
//
// Nonces are self-contained and stateless by default: the time they were
// issued, when they expire, an identifier and random bytes, protected by
// an HMAC-SHA256 keyed with the secret modparam. A server that did not
// issue a nonce (another secret) or a tampered nonce fails the MAC. With
// nonce_count or one_time_nonce, the identifier indexes bounded tables
// that record the last nonce-count seen and whether the nonce was used,
// so replayed requests are refused while memory stays fixed under a
// flood of challenges.
package auth
