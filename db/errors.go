package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Error is a failed database operation: which URL (password masked),
// which table, which operation.
type Error struct {
	URL   string
	Table string
	Op    string
	Err   error
}

func (e *Error) Error() string {
	if e.Table == "" {
		return fmt.Sprintf("db %s: %s: %v", e.URL, e.Op, e.Err)
	}
	return fmt.Sprintf("db %s: table %s: %s: %v", e.URL, e.Table, e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsUnavailable reports whether err means the database could not be
// reached (refused, reset, timed out, server gone) rather than that the
// statement was wrong. database/sql reconnects by itself on the next
// call; such errors are worth a retry (see Retry).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	s := err.Error()
	for _, m := range []string{"connection refused", "connection reset", "broken pipe", "bad connection",
		"failed to connect", "server closed", "invalid connection", "no such host", "i/o timeout",
		"the database system is shutting down", "terminating connection", "server has gone away"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// outage logs a database that goes away once per outage, not once per
// query, and once more when it answers again.
type outage struct {
	url  string
	down atomic.Bool
}

func (o *outage) fail(err error) {
	if o.down.CompareAndSwap(false, true) {
		slog.Default().Warn("database unreachable; queries fail until it is back", "db", o.url, "err", err)
	}
}

func (o *outage) up() {
	if o.down.Load() && o.down.CompareAndSwap(true, false) {
		slog.Default().Info("database reachable again", "db", o.url)
	}
}

// Retry runs op until it succeeds, fails with an error that is not
// IsUnavailable, or ctx ends; it waits 100 ms, 200 ms, ... up to 2 s
// between attempts. Without a deadline on ctx it gives up after 6
// attempts (about 5 s). Modules use it for work that may wait for the
// database (loading a table at startup, a reload, a timer's flush); a
// SIP request should not wait: call the Conn once and fail the request.
// log may be nil; each retry is logged at debug level (the Conn already
// logs the outage once).
func Retry(ctx context.Context, log *slog.Logger, op func() error) error {
	_, hasDeadline := ctx.Deadline()
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !IsUnavailable(err) {
			return err
		}
		if !hasDeadline && attempt >= 6 {
			return err
		}
		if log != nil {
			log.Debug("database unavailable, retrying", "attempt", attempt, "in", wait, "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, 2*time.Second)
	}
}
