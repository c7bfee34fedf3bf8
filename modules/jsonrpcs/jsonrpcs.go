package jsonrpcs

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/modules/xhttp"
	"github.com/olelo-sip/olelo/rpc"
)

// Link checks the transport mask.
func (m *Instance) Link(func(string) module.Instance) error {
	if m.Transport < 0 || m.Transport > 7 {
		return fmt.Errorf("jsonrpcs: transport %d: want a mask of 1 (HTTP), 2 (FIFO), 4 (datagram)", m.Transport)
	}
	return nil
}

// dispatcher is the server's, or nil outside a running server.
func dispatcher() *rpc.Dispatcher { return rpc.Installed() }

func (m *Instance) runDispatch(c *module.Ctx, _ []*module.Arg) int {
	req, ok := xhttp.RequestFrom(c)
	if !ok {
		c.Log.Error("jsonrpc_dispatch: no HTTP request (use it in event_route[xhttp:request] with the xhttp module)")
		return -1
	}
	if m.Transport != 0 && m.Transport&1 == 0 {
		c.Log.Warn("jsonrpc_dispatch: HTTP is not in the jsonrpcs transport mask")
		return -1
	}
	d := dispatcher()
	if d == nil {
		if err := xhttp.Reply(c, 500, "Server Error", "text/plain", []byte("RPC not available\n")); err != nil {
			c.Log.Error("jsonrpc_dispatch: " + err.Error())
		}
		return -1
	}
	body := d.Handle(c.Context, req.Body, rpc.Options{Pretty: m.Pretty()})
	// As Kamailio, an error answer goes with its code as HTTP status.
	status := 200
	if code, _ := errorOf(body); code >= 100 && code <= 699 {
		status = int(code)
	}
	if err := xhttp.Reply(c, status, "", "application/json", append(body, '\n')); err != nil {
		c.Log.Error("jsonrpc_dispatch: " + err.Error())
		return -1
	}
	return 1
}

// reply is the answer of the last jsonrpc_exec in a message's Ctx.
type reply struct {
	code int64
	text string
	body string
}

type replyKey struct{}

func (m *Instance) runExec(c *module.Ctx, args []*module.Arg) int {
	cmd, err := args[0].GetStr(c)
	if err != nil {
		c.Log.Error("jsonrpc_exec: " + err.Error())
		return -1
	}
	r := exec(c, cmd, m.Pretty())
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[replyKey{}] = r
	if r.code != 200 {
		return -1
	}
	return 1
}

// exec runs cmd and reads the code and text from the answer: 200 "OK"
// for a result, the error's code and message otherwise.
func exec(c *module.Ctx, cmd string, pretty bool) *reply {
	d := dispatcher()
	if d == nil {
		return &reply{code: 500, text: "RPC not available"}
	}
	body := d.Handle(c.Context, []byte(cmd), rpc.Options{Pretty: pretty})
	r := &reply{code: 200, text: "OK", body: string(body)}
	if code, msg := errorOf(body); code != 0 {
		r.code, r.text = code, msg
	}
	return r
}

// errorOf returns the code and message of a single error answer (0 for
// a result or a batch).
func errorOf(body []byte) (int64, string) {
	var resp struct {
		Error *struct {
			Code    int64  `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &resp) != nil || resp.Error == nil {
		return 0, ""
	}
	return resp.Error.Code, resp.Error.Message
}

// replyPV is $jsonrpl(code|text|body).
type replyPV struct{ field string }

func newReplyPV(arg string) (module.PV, error) {
	switch arg {
	case "code", "text", "body":
		return replyPV{arg}, nil
	}
	return nil, errors.New("$jsonrpl needs code, text or body")
}

func (p replyPV) Get(c *module.Ctx) (module.Value, error) {
	r, ok := c.Store[replyKey{}].(*reply)
	if !ok {
		return module.Value{}, nil
	}
	switch p.field {
	case "code":
		return module.IntValue(r.code), nil
	case "text":
		return module.StrValue(r.text), nil
	}
	return module.StrValue(r.body), nil
}
