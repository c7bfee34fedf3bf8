package ctl

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/module"
)

// Link checks the modparams, so that `olelo check` reports a bad one.
func (m *Instance) Link(func(string) module.Instance) error {
	if _, err := m.FileMode(); err != nil {
		return err
	}
	if _, _, err := m.Owner(); err != nil {
		return err
	}
	for _, a := range m.Binrpc {
		if strings.HasPrefix(a, "udp:") {
			return fmt.Errorf("ctl: binrpc %q: olelo has no datagram control transport; use unix:PATH or tcp:127.0.0.1:PORT", a)
		}
	}
	return nil
}

// FileMode returns the socket's mode: 0600 by default. The value is
// octal: 0600 in the config (an octal number) reaches the module as 384
// and is taken as such; a string starting with 0 ("0660") is read as
// octal. Modes that let others than owner and group in are refused.
func (m *Instance) FileMode() (os.FileMode, error) {
	s := strings.TrimSpace(m.Mode)
	if s == "" {
		return 0o600, nil
	}
	base := 10
	if len(s) > 1 && s[0] == '0' {
		base = 8
	}
	n, err := strconv.ParseUint(s, base, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("ctl: mode %q: want an octal file mode such as 0600", m.Mode)
	}
	if n&0o007 != 0 {
		return 0, fmt.Errorf("ctl: mode %#o gives other users access to the control socket; use 0600 or 0660", n)
	}
	return os.FileMode(n), nil
}

// Owner returns the uid and gid the socket is given (-1: unchanged).
func (m *Instance) Owner() (uid, gid int, err error) {
	uid, gid = -1, -1
	if m.User != "" {
		if uid, err = lookupID(m.User, func(s string) (string, error) {
			u, err := user.Lookup(s)
			if err != nil {
				return "", err
			}
			return u.Uid, nil
		}); err != nil {
			return -1, -1, fmt.Errorf("ctl: user %q: %w", m.User, err)
		}
	}
	if m.Group != "" {
		if gid, err = lookupID(m.Group, func(s string) (string, error) {
			g, err := user.LookupGroup(s)
			if err != nil {
				return "", err
			}
			return g.Gid, nil
		}); err != nil {
			return -1, -1, fmt.Errorf("ctl: group %q: %w", m.Group, err)
		}
	}
	return uid, gid, nil
}

func lookupID(s string, byName func(string) (string, error)) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	id, err := byName(s)
	if err != nil {
		return -1, err
	}
	return strconv.Atoi(id)
}
