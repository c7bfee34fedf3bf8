package module

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// RPC is a control command a module exports, reachable as a JSON-RPC 2.0
// method over olelo's control socket (`olelo rpc NAME ARGS...`, Kamailio's
// kamcmd) and from the script through jsonrpcs. Names and result shapes
// are Kamailio's ("ul.dump", "dispatcher.list").
type RPC struct {
	// Name is the method name, "<module>.<command>".
	Name string
	// Doc is a one-line description (system.methodHelp, the README check).
	Doc string
	// Run executes the command. The result is marshalled to JSON: return
	// maps (map[string]any) and slices in Kamailio's shapes. An error is
	// sent as a JSON-RPC error; return an *RPCError to choose the code.
	Run func(ctx context.Context, params RPCParams) (any, error)
}

// RPCProvider is implemented by instances that export RPC commands.
type RPCProvider interface {
	RPCs() []RPC
}

// RPCError is an error with a code, sent as the JSON-RPC error object
// (Kamailio uses SIP-like codes: 400 bad parameters, 404 not found, 500).
type RPCError struct {
	Code    int
	Message string
}

func (e *RPCError) Error() string { return strconv.Itoa(e.Code) + " " + e.Message }

// RPCErrorf returns an *RPCError.
func RPCErrorf(code int, format string, args ...any) error {
	return &RPCError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RPCParams are the positional parameters of a call, as decoded from JSON
// (strings, json.Number, bool, nil, nested values). kamcmd-style clients
// send every argument as a string or a number; the accessors convert.
type RPCParams []any

// Len returns the number of parameters.
func (p RPCParams) Len() int { return len(p) }

// Str returns parameter i as a string; a missing one is a 400 error.
func (p RPCParams) Str(i int) (string, error) {
	if i >= len(p) {
		return "", RPCErrorf(400, "missing parameter %d", i+1)
	}
	switch v := p[i].(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case nil:
		return "", nil
	default:
		return fmt.Sprint(v), nil
	}
}

// Int returns parameter i as an integer; a missing or non-numeric one is
// a 400 error.
func (p RPCParams) Int(i int) (int64, error) {
	if i >= len(p) {
		return 0, RPCErrorf(400, "missing parameter %d", i+1)
	}
	var s string
	switch v := p[i].(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	case float64:
		return int64(v), nil
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	default:
		return 0, RPCErrorf(400, "parameter %d must be an integer", i+1)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, RPCErrorf(400, "parameter %d must be an integer, got %q", i+1, s)
	}
	return n, nil
}

// OptStr returns parameter i as a string, or def when it is absent.
func (p RPCParams) OptStr(i int, def string) (string, error) {
	if i >= len(p) {
		return def, nil
	}
	return p.Str(i)
}

// OptInt returns parameter i as an integer, or def when it is absent.
func (p RPCParams) OptInt(i int, def int64) (int64, error) {
	if i >= len(p) {
		return def, nil
	}
	return p.Int(i)
}
