package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/olelo-sip/olelo/module"
)

// TokenEnv is the environment variable the client reads the bearer token
// from for HTTP addresses (the server's rpc_token).
const TokenEnv = "OLELO_RPC_TOKEN"

// Call sends one JSON-RPC 2.0 request to the server at addr (see
// ParseAddr; "" is DefaultAddr()) and returns the result. An error
// answer is returned as a *module.RPCError with the server's code and
// message. For HTTP addresses the token in $OLELO_RPC_TOKEN, when set, is
// sent as "Authorization: Bearer".
func Call(ctx context.Context, addr, method string, params ...any) (json.RawMessage, error) {
	c := Client{Addr: addr, Token: os.Getenv(TokenEnv)}
	return c.Call(ctx, method, params...)
}

// Client calls one server.
type Client struct {
	// Addr is the server's address ("" is DefaultAddr()).
	Addr string
	// Token is sent as a bearer token on HTTP.
	Token string
}

// clientTimeout bounds a call when ctx has no deadline (cfg.reload can
// take a while on a large config).
const clientTimeout = 60 * time.Second

// Call sends one request and returns its result (see the package Call).
func (c Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	s := c.Addr
	if s == "" {
		s = DefaultAddr()
	}
	a, err := ParseAddr(s)
	if err != nil {
		return nil, err
	}
	if params == nil {
		params = []any{}
	}
	req, err := json.Marshal(request{JSONRPC: "2.0", Method: method, Params: params, ID: 1})
	if err != nil {
		return nil, fmt.Errorf("rpc: encoding %s: %w", method, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, clientTimeout)
		defer cancel()
	}
	var body []byte
	if a.Network == "unix" {
		body, err = callUnix(ctx, a.Path, req)
	} else {
		body, err = callHTTP(ctx, a, c.Token, req)
	}
	if err != nil {
		return nil, fmt.Errorf("rpc %s at %s: %w", method, a, err)
	}
	return decodeResponse(body)
}

// request is what the client sends.
type request struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
	ID      int    `json:"id"`
}

// response is what the client reads.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeResponse(body []byte) (json.RawMessage, error) {
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("rpc: bad response %.200q: %w", body, err)
	}
	if r.Error != nil {
		return nil, &module.RPCError{Code: r.Error.Code, Message: r.Error.Message}
	}
	return r.Result, nil
}

// callUnix writes the request on a new connection and reads one JSON
// value back (the framing of the unix socket: one JSON text per request,
// one per response, each followed by a newline).
func callUnix(ctx context.Context, path string, req []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	dec := json.NewDecoder(io.LimitReader(conn, MaxResponseSize))
	if err := dec.Decode(&raw); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	return raw, nil
}

func callHTTP(ctx context.Context, a Addr, token string, req []byte) ([]byte, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+a.Host+a.URLPath, bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	// One request per connection: servers such as Kamailio's xhttp with
	// set_reply_close() close it after the answer.
	hr.Close = true
	hr.Header.Set("Content-Type", "application/json")
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize))
	if err != nil {
		return nil, err
	}
	// Kamailio's jsonrpcs sends an error answer with the error code as
	// the HTTP status: an answer in the body is read whatever the status.
	if resp.StatusCode != http.StatusOK && !isRPCAnswer(body) {
		msg := string(bytes.TrimSpace(body))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, errors.New("HTTP " + resp.Status + ": " + msg)
	}
	return body, nil
}

// isRPCAnswer reports whether body is a JSON-RPC answer object.
func isRPCAnswer(body []byte) bool {
	var r struct {
		JSONRPC string `json:"jsonrpc"`
	}
	return json.Unmarshal(body, &r) == nil && r.JSONRPC == "2.0"
}
