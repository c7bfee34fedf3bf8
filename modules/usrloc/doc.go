// Package usrloc is the "usrloc" module: the location table of
// registered contacts that registrar's save() writes and lookup() reads.
//
// Contacts live in memory, sharded by a hash of the AoR; every shard has
// its own lock, so saves and lookups of different users run in parallel
// and take constant time however many users are registered. One timer
// goroutine per module instance (timer_interval) removes expired
// contacts and, depending on db_mode, writes back to the database
// (Kamailio's location table, columns and all): 0 memory only, 1
// write-through, 2 write-back at every timer run, 3 database only. In
// modes 1 and 2 the table is loaded at start, and a database outage never
// loses a registration: unwritten contacts stay marked in memory and are
// written when the database answers again.
package usrloc
