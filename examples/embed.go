// Package examples holds olelo's runnable example configurations (the
// seed tutorials among them) and embeds the built-in one, which `olelo`
// runs when started without -f.
package examples

import _ "embed"

// DefaultConfig is olelo-default.cfg: a registrar and proxy for one
// domain with digest authentication and an SQLite database.
//
//go:embed olelo-default.cfg
var DefaultConfig []byte

// DefaultConfigName is the name logs and errors give the built-in
// configuration.
const DefaultConfigName = "olelo-default.cfg (built in)"
