// Package auth_db is Kamailio's auth_db module: digest authentication of
// requests against the subscriber table (or another table with the same
// columns) of a database, using the auth module for challenges, nonces
// and response checks.
//
// Each authorization runs one query (WHERE username=? [AND domain=?]) on
// the shared db.Conn of db_url; there is no cache, so a change in the
// table applies to the next request.
package auth_db
