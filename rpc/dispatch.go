package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/olelo-sip/olelo/module"
)

// Size limits. A request (one JSON text: a call or a batch) larger than
// MaxRequestSize is refused; a client reads at most MaxResponseSize.
const (
	MaxRequestSize  = 1 << 20
	MaxResponseSize = 64 << 20
	// maxBatch bounds the calls in one batch request.
	maxBatch = 256
)

// JSON-RPC error codes. Kamailio's jsonrpcs answers an unknown method
// with 500 "Method Not Found" and bad parameters with 400; the -32xxx
// codes are JSON-RPC 2.0's for texts that are not a request at all.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeNotFound       = 500
	CodeInternal       = 500
)

// MethodSource lists RPC methods. Sources are asked on every call, so a
// source that reads the current configuration (the engine swapped in by
// a reload) always answers with the methods of that configuration.
type MethodSource func() []module.RPC

// Dispatcher decodes JSON-RPC 2.0 requests, runs the methods and encodes
// the responses. It is safe for concurrent use.
type Dispatcher struct {
	sources []MethodSource
	log     *slog.Logger
}

// NewDispatcher returns a dispatcher over the sources; when two sources
// have a method of the same name, the first wins (the core methods come
// first, so a module cannot shadow core.version).
func NewDispatcher(log *slog.Logger, sources ...MethodSource) *Dispatcher {
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{sources: sources, log: log}
}

// Lookup finds a method by name.
func (d *Dispatcher) Lookup(name string) (module.RPC, bool) {
	for _, src := range d.sources {
		for _, m := range src() {
			if m.Name == name {
				return m, true
			}
		}
	}
	return module.RPC{}, false
}

// Methods returns every method, sorted by name, without duplicates.
func (d *Dispatcher) Methods() []module.RPC {
	seen := map[string]bool{}
	var out []module.RPC
	for _, src := range d.sources {
		for _, m := range src() {
			if !seen[m.Name] {
				seen[m.Name] = true
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b module.RPC) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// wireRequest is one decoded call. Fields are kept raw so that each can
// be checked with a precise error.
type wireRequest struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

// wireResponse is one answer; field order is Kamailio's.
type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *wireError      `json:"error,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
}

type wireError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// call is a decoded request ready to run.
type call struct {
	method string
	params module.RPCParams
	id     json.RawMessage
}

// decodeError is a request that cannot be run.
type decodeError struct {
	code int
	msg  string
	id   json.RawMessage
}

func (e *decodeError) Error() string { return e.msg }

// DecodeRequest parses one JSON text: a call or a batch (an array of
// calls). A text that is not JSON, or a batch that is empty or too
// large, is an error for the whole text; a bad element of a batch is an
// error for that element only (returned in errs at its index).
func DecodeRequest(body []byte) (calls []call, errs []error, batch bool, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil, false, &decodeError{code: CodeParseError, msg: "Parse Error: empty request"}
	}
	if len(body) > MaxRequestSize {
		return nil, nil, false, &decodeError{code: CodeInvalidRequest, msg: fmt.Sprintf("Invalid Request: larger than %d bytes", MaxRequestSize)}
	}
	if !json.Valid(body) {
		return nil, nil, false, &decodeError{code: CodeParseError, msg: "Parse Error"}
	}
	if body[0] != '[' {
		c, err := decodeCall(body)
		return []call{c}, []error{err}, false, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return nil, nil, false, &decodeError{code: CodeParseError, msg: "Parse Error"}
	}
	if len(elems) == 0 || len(elems) > maxBatch {
		return nil, nil, true, &decodeError{code: CodeInvalidRequest, msg: fmt.Sprintf("Invalid Request: a batch needs 1-%d calls", maxBatch)}
	}
	calls, errs = make([]call, len(elems)), make([]error, len(elems))
	for i, e := range elems {
		calls[i], errs[i] = decodeCall(e)
	}
	return calls, errs, true, nil
}

// decodeCall checks one request object.
func decodeCall(b []byte) (call, error) {
	var w wireRequest
	if len(b) == 0 || b[0] != '{' {
		return call{}, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request: not an object"}
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return call{}, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request"}
	}
	c := call{id: w.ID}
	if isNull(w.ID) {
		c.id = nil
	} else if k := w.ID[0]; k != '"' && k != '-' && (k < '0' || k > '9') {
		return c, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request: id must be a string or a number"}
	}
	// Kamailio's jsonrpcs does not insist on "jsonrpc"; a wrong value is
	// refused.
	if !isNull(w.JSONRPC) && string(w.JSONRPC) != `"2.0"` {
		return c, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request: jsonrpc must be \"2.0\"", id: c.id}
	}
	if err := json.Unmarshal(w.Method, &c.method); err != nil || c.method == "" {
		return c, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request: method must be a non-empty string", id: c.id}
	}
	switch {
	case isNull(w.Params):
	case w.Params[0] == '[':
		dec := json.NewDecoder(bytes.NewReader(w.Params))
		dec.UseNumber()
		var ps []any
		if err := dec.Decode(&ps); err != nil {
			return c, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request: bad params", id: c.id}
		}
		c.params = ps
	case w.Params[0] == '{':
		// Named parameters are passed as one structure parameter.
		dec := json.NewDecoder(bytes.NewReader(w.Params))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return c, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request: bad params", id: c.id}
		}
		c.params = module.RPCParams{m}
	default:
		return c, &decodeError{code: CodeInvalidRequest, msg: "Invalid Request: params must be an array or an object", id: c.id}
	}
	return c, nil
}

func isNull(b json.RawMessage) bool { return len(b) == 0 || string(b) == "null" }

// Options change how responses are written.
type Options struct {
	// Pretty indents the response (jsonrpcs pretty_format).
	Pretty bool
}

// Handle runs a request text and returns the response text. Every call
// gets an answer, including calls without an id (JSON-RPC 2.0
// notifications), which Kamailio answers too; their response has no id.
func (d *Dispatcher) Handle(ctx context.Context, body []byte, o Options) []byte {
	calls, errs, batch, err := DecodeRequest(body)
	if err != nil {
		de := err.(*decodeError)
		return encode(wireResponse{JSONRPC: "2.0", Error: &wireError{Code: de.code, Message: de.msg}}, o)
	}
	resps := make([]wireResponse, len(calls))
	for i, c := range calls {
		if errs[i] != nil {
			de := errs[i].(*decodeError)
			resps[i] = wireResponse{JSONRPC: "2.0", Error: &wireError{Code: de.code, Message: de.msg}, ID: de.id}
			continue
		}
		resps[i] = d.run(ctx, c)
	}
	if !batch {
		return encode(resps[0], o)
	}
	return encode(resps, o)
}

// Call runs one method with params and returns its JSON result, or an
// error (*module.RPCError for an error answer). jsonrpc_exec uses it.
func (d *Dispatcher) Call(ctx context.Context, method string, params module.RPCParams) (json.RawMessage, error) {
	r := d.run(ctx, call{method: method, params: params})
	if r.Error != nil {
		return nil, &module.RPCError{Code: r.Error.Code, Message: r.Error.Message}
	}
	return r.Result, nil
}

// run executes one call; a panic in a method is an internal error.
func (d *Dispatcher) run(ctx context.Context, c call) (resp wireResponse) {
	resp = wireResponse{JSONRPC: "2.0", ID: c.id}
	m, ok := d.Lookup(c.method)
	if !ok {
		resp.Error = &wireError{Code: CodeNotFound, Message: "Method Not Found"}
		return resp
	}
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("rpc: panic in method", "method", c.method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp.Result = nil
			resp.Error = &wireError{Code: CodeInternal, Message: "Internal Error"}
		}
	}()
	res, err := m.Run(ctx, c.params)
	if err != nil {
		var re *module.RPCError
		if errors.As(err, &re) {
			resp.Error = &wireError{Code: re.Code, Message: re.Message}
		} else {
			resp.Error = &wireError{Code: CodeInternal, Message: err.Error()}
		}
		return resp
	}
	if res == nil {
		// A method without a result answers an empty structure, as
		// Kamailio's do.
		resp.Result = json.RawMessage("{}")
		return resp
	}
	b, err := json.Marshal(res)
	if err != nil {
		resp.Error = &wireError{Code: CodeInternal, Message: "cannot encode the result: " + err.Error()}
		return resp
	}
	resp.Result = b
	return resp
}

// encode marshals a response; it cannot fail for these types, the
// results being valid JSON already.
func encode(v any, o Options) []byte {
	var b []byte
	var err error
	if o.Pretty {
		b, err = json.MarshalIndent(v, "", "\t")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return []byte(`{"jsonrpc":"2.0","error":{"code":500,"message":"Internal Error"}}`)
	}
	return b
}

// installed is the process's dispatcher (the server's), for jsonrpcs.
var installed atomic.Pointer[Dispatcher]

// Install makes d the dispatcher Installed returns: the server installs
// its own so that jsonrpc_dispatch() and jsonrpc_exec() in the script
// reach the same methods as the control socket.
func Install(d *Dispatcher) { installed.Store(d) }

// Installed returns the installed dispatcher, or nil.
func Installed() *Dispatcher { return installed.Load() }
