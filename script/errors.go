package script

import (
	"fmt"
	"strings"
)

// Error is one problem found in a configuration, at a position.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats the problem as file:line:col: message.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every problem found in a configuration, in the order they
// were found (which is file order, with includes in place).
type ErrorList []*Error

// Error lists the problems, one per line.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find the individual *Error values.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// maxErrors bounds the list: past it, more messages would only be noise
// caused by the first ones.
const maxErrors = 200

// diagnostics collects errors and warnings while a configuration is read.
type diagnostics struct {
	errs    ErrorList
	warns   ErrorList
	last    Pos
	dropped bool
	// eofSwallowed is set when an unterminated string or comment ran to
	// the end of a file; "unexpected end of file" is then not reported.
	eofSwallowed bool
}

// errorf records an error. A second error at the same position as the
// previous one is dropped: it is nearly always a consequence of the first.
func (d *diagnostics) errorf(p Pos, format string, args ...any) {
	if p == d.last && len(d.errs) > 0 {
		return
	}
	d.last = p
	if len(d.errs) >= maxErrors {
		if !d.dropped {
			d.dropped = true
			d.errs = append(d.errs, &Error{Pos: p, Msg: "too many errors, giving up"})
		}
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	d.errs = append(d.errs, &Error{Pos: p, Msg: msg})
}

func (d *diagnostics) warnf(p Pos, format string, args ...any) {
	if len(d.warns) >= maxErrors {
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	d.warns = append(d.warns, &Error{Pos: p, Msg: msg})
}

// tooMany reports whether the error budget is spent; the parser then stops.
func (d *diagnostics) tooMany() bool { return d.dropped }
