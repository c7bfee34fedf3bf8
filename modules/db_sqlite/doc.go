// Package db_sqlite is the "db_sqlite" module. The embedded SQLite
// backend itself lives in package db (modernc.org/sqlite, pure Go, WAL
// mode); loading this module is what Kamailio configurations do before
// using a sqlite:// db_url, so olelo accepts it and its modparams.
package db_sqlite
