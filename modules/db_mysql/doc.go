// Package db_mysql is the "db_mysql" module. The MySQL/MariaDB backend
// lives in package db (go-sql-driver/mysql); loading this module is what
// Kamailio configurations do before using a mysql:// db_url, so olelo
// accepts it and its modparams.
package db_mysql
