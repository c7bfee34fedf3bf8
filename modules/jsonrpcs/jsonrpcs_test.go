package jsonrpcs_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	_ "github.com/olelo-sip/olelo/modules/core"
	_ "github.com/olelo-sip/olelo/modules/jsonrpcs"
	"github.com/olelo-sip/olelo/modules/xhttp"
	"github.com/olelo-sip/olelo/rpc"
	"github.com/olelo-sip/olelo/script"
)

type router struct{ *script.Engine }

func (r router) RunEventCtx(c *module.Ctx, name string) bool {
	_, ok := r.RunRoute(c.Context, script.EventRoute, name, c)
	return ok
}

// TestDispatchAndExec: jsonrpc_dispatch answers the HTTP body with the
// installed dispatcher; jsonrpc_exec fills $jsonrpl(code/text/body).
func TestDispatchAndExec(t *testing.T) {
	rpc.Install(rpc.NewDispatcher(nil, func() []module.RPC {
		return []module.RPC{{Name: "test.hello", Doc: "greets", Run: func(_ context.Context, p module.RPCParams) (any, error) {
			who, err := p.Str(0)
			return "hello " + who, err
		}}}
	}))
	parsed, err := script.ParseBytes("test.cfg", []byte(`
loadmodule "xhttp.so"
loadmodule "jsonrpcs.so"
modparam("jsonrpcs", "pretty_format", 0)
modparam("jsonrpcs", "transport", 1)
request_route { exit; }
event_route[xhttp:request] {
	if ($hu =~ "^/RPC") {
		jsonrpc_dispatch();
		exit;
	}
	jsonrpc_exec("{\"jsonrpc\":\"2.0\",\"method\":\"$rb\",\"params\":[\"bob\"],\"id\":1}");
	xhttp_reply("200", "OK", "text/plain", "$jsonrpl(code)|$jsonrpl(text)|$jsonrpl(body)");
}
`), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := script.Compile(parsed, script.CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := e.Instance("xhttp").(*xhttp.Instance)
	tests := []struct{ url, body, want string }{
		{"/RPC", `{"jsonrpc":"2.0","method":"test.hello","params":["alice"],"id":7}`, `{"jsonrpc":"2.0","result":"hello alice","id":7}` + "\n"},
		{"/RPC", `not json`, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse Error"}}` + "\n"},
		{"/exec", `test.hello`, `200|OK|{"jsonrpc":"2.0","result":"hello bob","id":1}`},
		{"/exec", `no.such`, `500|Method Not Found|{"jsonrpc":"2.0","error":{"code":500,"message":"Method Not Found"},"id":1}`},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		x.Serve(w, httptest.NewRequest("POST", tc.url, strings.NewReader(tc.body)), router{e})
		got, _ := io.ReadAll(w.Result().Body)
		if string(got) != tc.want {
			t.Errorf("POST %s %s:\n got %q\nwant %q", tc.url, tc.body, got, tc.want)
		}
	}
}
