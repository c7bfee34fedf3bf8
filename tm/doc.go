// Package tm is olelo's transaction layer (RFC 3261 section 17, with the
// proxy behaviour of section 16): server transactions for received
// requests, client transactions ("branches") for what they are
// forwarded to, reply selection across branches, CANCEL, and the timers.
// It knows nothing of scripts: the tm module binds it to kamailio.cfg
// through Hooks (failure and onreply routes) and the Tx fields it sets
// (route names, flags, User).
//
// # Data structures, and why
//
// Table. Transactions live in a Manager, in two sharded maps: server
// transactions keyed by what RFC 3261 17.2.3 matches on (top Via branch,
// sent-by, method class; INVITE and ACK share a class so that an ACK
// finds its INVITE, a CANCEL finds its INVITE with LookupInvite), and
// the same transactions keyed by a 64-bit id for replies. Requests from
// RFC 2543 peers (no magic cookie) are keyed by Call-ID, From tag, CSeq
// number, top Via and Request-URI instead. The branch we put in our Via
// is "z9hG4bK" + a per-process salt + the id in hex + "." + the branch
// index, so a reply finds its transaction and branch by parsing its top
// Via, without hashing strings. Each shard has its own mutex and every
// transaction its own: messages of different calls never contend, and
// lookups do not allocate (the key is built in a stack buffer and looked
// up with a string conversion the compiler does not copy). The table is
// bounded (Config.MaxTransactions): past it NewTx fails with ErrTooMany
// and the caller answers 503.
//
// Copy once. Received messages live in transport buffers that are reused
// when the handler returns, so a transaction copies the request (with the
// script's edits applied: received/rport, Record-Route, added headers)
// once, in the same allocation as its key. Nothing else is copied per
// message: a branch's request is rebuilt from that copy (request line,
// our Via, the rest) into a pooled buffer when it is sent or
// retransmitted, and CANCEL and ACK are built from that rebuilt request;
// a branch keeps its own bytes only when a branch route changed it. The
// last reply sent upstream is kept (its buffer reused) for
// retransmissions; our own 100 is not kept but rebuilt from the
// retransmitted request. A typical INVITE transaction with one branch
// takes about 1.5 KB (TestMemoryPerTransaction).
//
// One timer wheel. All timers (retransmissions A/E and G, fr_timer /
// fr_inv_timer per branch, the whole-transaction lifetime standing for
// Timer C, and the wait timer that deletes a completed transaction) are
// intrusive entries in the transaction and its branches, linked into
// one hashed timing wheel. Under traffic the packets advance it (Poke,
// called by the tm module before it routes a request or matches a reply,
// with no transaction held); a timer goroutine takes over when packets
// stop, and parks while no timer is pending, so an idle proxy wakes no
// thread. Tests drive it with Advance and a fake clock. Arming a timer is
// a list insert under the wheel's mutex: no goroutine, no
// time.AfterFunc, no allocation per transaction. Firing takes the transaction's lock and
// checks a generation number, so a timer stopped or re-armed after it
// was collected does nothing.
//
// Locking. Lookup, LookupInvite, LookupReply and NewTx return the
// transaction locked; the caller unlocks it. Hooks run with the lock
// held, so a failure route can add branches (serial forking) or reply
// without re-entering the lock. Sends happen under the lock.
//
// # Proxy behaviour
//
// Provisional replies are relayed (not 100), a 2xx at once, and every
// later 2xx too (also after a CANCEL or another 2xx); after a 2xx or a
// 6xx the other pending branches are cancelled. Other final replies wait
// until every branch has one; then the failure route runs when armed,
// and the best reply goes upstream otherwise (6xx, 3xx, 4xx with
// 401/407/415/420/484 first, 5xx; lower code first). A branch without a
// final reply when its fr timer fires ends with a local 408 (487 when
// the transaction was cancelled) and is cancelled if it had a
// provisional reply. A non-2xx final reply of an INVITE branch is ACKed
// hop by hop; a CANCEL of the transaction cancels the branches that
// answered and, with Kamailio's cancel_b_method 1, the others once they
// send a provisional reply.
package tm
