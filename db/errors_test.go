package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestIsUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{refused, true},
		{&Error{URL: "mysql://u:***@h/d", Table: "location", Op: "query", Err: refused}, true},
		{errors.New("Error 1146: Table 'kamailio.nosuch' doesn't exist"), false},
		{fmt.Errorf("wrapped: %w", errors.New("driver: bad connection")), true},
	} {
		if got := IsUnavailable(tt.err); got != tt.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestRetry(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	calls := 0
	err := Retry(context.Background(), nil, func() error {
		calls++
		if calls < 3 {
			return refused
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("retry until success: err %v after %d calls, want nil after 3", err, calls)
	}
	calls = 0
	bad := errors.New("syntax error")
	if err := Retry(context.Background(), nil, func() error { calls++; return bad }); err != bad || calls != 1 {
		t.Errorf("a statement error is not retried: %v after %d calls", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = Retry(ctx, nil, func() error {
		calls++
		if calls == 2 {
			cancel()
		}
		return refused
	})
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), "gave up") {
		t.Errorf("cancelled retry: %v", err)
	}
}

// TestOutageLoggedOnce: many failed queries during one outage log one
// warning, and the recovery one line.
func TestOutageLoggedOnce(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)

	o := outage{url: "mysql://u:***@h/d"}
	for range 50 {
		o.fail(errors.New("connection refused"))
	}
	o.up()
	o.up()
	o.fail(errors.New("connection refused"))
	log := buf.String()
	if n := strings.Count(log, "database unreachable"); n != 2 {
		t.Errorf("%d unreachable lines for two outages, want 2:\n%s", n, log)
	}
	if n := strings.Count(log, "reachable again"); n != 1 {
		t.Errorf("%d recovery lines, want 1:\n%s", n, log)
	}
}

// TestServerGone: a connection to a port where nothing listens fails to
// open with an error that names the URL without the password.
func TestServerGone(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, url := range []string{
		fmt.Sprintf("mysql://u:hidden@127.0.0.1:%d/d", port),
		fmt.Sprintf("postgres://u:hidden@127.0.0.1:%d/d", port),
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := Open(ctx, url)
		cancel()
		if err == nil || strings.Contains(err.Error(), "hidden") || !strings.Contains(err.Error(), "***") || !IsUnavailable(err) {
			t.Errorf("%s: %v", Mask(url), err)
		}
	}
}
