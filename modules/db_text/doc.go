// Package db_text is the "db_text" module. The db_text backend (one
// file per table in a directory, Kamailio's and OpenSIPS' format) lives
// in package db; loading this module is what Kamailio configurations do
// before using a text:// db_url, so olelo accepts it and its modparams.
package db_text
