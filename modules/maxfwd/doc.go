// Package maxfwd is the "maxfwd" module: Max-Forwards processing (RFC
// 3261 16.6 step 3 and 16.3 step 2). The script decides what to do when
// the count is exhausted; the usual answer is 483 Too Many Hops.
package maxfwd
