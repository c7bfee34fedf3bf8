// Package db_postgres is the "db_postgres" module. The PostgreSQL
// backend lives in package db (pgx/v5 through database/sql); loading this
// module is what Kamailio configurations do before using a postgres://
// or pgsql:// db_url, so olelo accepts it and its modparams.
package db_postgres
