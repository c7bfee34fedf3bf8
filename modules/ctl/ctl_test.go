package ctl

import (
	"os"
	"strings"
	"testing"
)

// TestFileMode covers the mode modparam: octal numbers from the config
// (0600 arrives as 384), strings with a leading 0, and refusals.
func TestFileMode(t *testing.T) {
	tests := []struct {
		in   string
		want os.FileMode
		err  string
	}{
		{in: "", want: 0o600},
		{in: "384", want: 0o600}, // modparam("ctl", "mode", 0600)
		{in: "0660", want: 0o660},
		{in: "0666", err: "other users"},
		{in: "600", err: "octal"}, // 600 decimal is not a mode
		{in: "rw", err: "octal"},
	}
	for _, tc := range tests {
		got, err := (&Instance{Mode: tc.in}).FileMode()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("mode %q: %v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("mode %q = %#o, %v; want %#o", tc.in, got, err, tc.want)
		}
	}
}

// TestLinkChecks: Link refuses the udp: form and unknown owners, so that
// `olelo check` reports them.
func TestLinkChecks(t *testing.T) {
	tests := []struct {
		inst Instance
		err  string
	}{
		{inst: Instance{Binrpc: []string{"unix:/run/olelo/olelo_ctl", "tcp:127.0.0.1:2049"}}},
		{inst: Instance{Binrpc: []string{"udp:127.0.0.1:2046"}}, err: "datagram"},
		{inst: Instance{User: "0", Group: "0"}},
		{inst: Instance{User: "no-such-user-olelo"}, err: "user"},
	}
	for _, tc := range tests {
		err := tc.inst.Link(nil)
		if (err != nil) != (tc.err != "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: Link = %v, want error containing %q", tc.inst, err, tc.err)
		}
	}
}
