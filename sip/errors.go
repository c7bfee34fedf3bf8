package sip

import (
	"fmt"
	"strings"
)

// ParseError is returned when a message cannot be parsed or breaks a rule
// of RFC 3261. Status and Reason are the reply a server should send when
// it answers a request with the error (400 Bad Request in most cases,
// 505 for an unsupported SIP version, 416 for an unsupported URI scheme);
// Detail says what exactly is wrong, for logs.
type ParseError struct {
	Status int
	Reason string
	Detail string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("sip: %s (%d %s)", e.Detail, e.Status, e.Reason)
}

func errBad(reason, format string, args ...any) *ParseError {
	return &ParseError{Status: 400, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// detail returns an error's text without the "sip: " prefix, for nesting
// one parser's error inside another's message.
func detail(err error) string {
	return strings.TrimPrefix(err.Error(), "sip: ")
}
