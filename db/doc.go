// Package db is olelo's data layer: one table-level API (Conn) over the
// embedded SQLite file, MySQL/MariaDB, PostgreSQL and db_text
// directories, opened by Kamailio's db_url forms, with Kamailio's table
// and column names so that existing databases and tools keep working.
package db
