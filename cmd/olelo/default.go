package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/olelo-sip/olelo/db"
	"github.com/olelo-sip/olelo/examples"
	"github.com/olelo-sip/olelo/script"
)

// builtinDBURL is the built-in configuration's database when -A DBURL
// does not name another (the config's own #!trydef says the same).
const builtinDBURL = "sqlite:///./olelo.db"

// useBuiltinConfig makes a server or check started without -f use the
// built-in configuration (examples/olelo-default.cfg, embedded), as
// Kamailio falls back to its default kamailio.cfg.
func (o *options) useBuiltinConfig() {
	if o.configFile == "" {
		o.configFile = examples.DefaultConfigName
		o.builtinConfig = true
	}
}

// scriptOptions are the parser options for the config: the -A defines,
// and for the built-in configuration a reader that serves it from the
// binary (files it would include are still read from disk).
func (o *options) scriptOptions() script.Options {
	opt := script.Options{Defines: o.defines}
	if o.builtinConfig {
		opt.ReadFile = func(name string) ([]byte, error) {
			if name == examples.DefaultConfigName {
				return examples.DefaultConfig, nil
			}
			return os.ReadFile(name)
		}
	}
	return opt
}

// runConfigCommand implements `olelo config default`: print the built-in
// configuration, to start a deployment's own from it.
func runConfigCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] != "default" {
		fmt.Fprintln(stderr, "usage: olelo config default   (print the built-in configuration)")
		return 2
	}
	stdout.Write(examples.DefaultConfig)
	return 0
}

// prepareBuiltinDB creates the tables of the built-in configuration's
// database when they are missing, so that the first `olelo` in an empty
// directory just runs (a config given with -f gets no such help: as
// with Kamailio, its tables are created with olelo db create).
func prepareBuiltinDB(ctx context.Context, o *options, log *slog.Logger) error {
	if !o.builtinConfig {
		return nil
	}
	url := builtinDBURL
	if v, ok := o.defines["DBURL"]; ok {
		url = strings.Trim(v, `"`)
	}
	conn, err := db.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("built-in config: database: %w", err)
	}
	defer conn.Close()
	// usrloc creates its location table itself on an SQLite database.
	if err := db.CreateTables(ctx, conn, "version", "subscriber"); err != nil {
		return fmt.Errorf("built-in config: creating tables in %s: %w", conn.URL(), err)
	}
	log.Info("built-in config", "domain", o.defineOr("DOMAIN", "localhost"), "db", conn.URL())
	return nil
}

// defineOr returns the value of the -A define name without its quotes,
// or def.
func (o *options) defineOr(name, def string) string {
	if v, ok := o.defines[name]; ok {
		return strings.Trim(v, `"`)
	}
	return def
}
