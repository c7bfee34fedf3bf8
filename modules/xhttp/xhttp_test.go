package xhttp_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/module"
	_ "github.com/olelo-sip/olelo/modules/core"
	"github.com/olelo-sip/olelo/modules/xhttp"
	"github.com/olelo-sip/olelo/script"
)

// router runs the event route of a compiled engine.
type router struct{ *script.Engine }

func (r router) RunEventCtx(c *module.Ctx, name string) bool {
	_, ok := r.RunRoute(c.Context, script.EventRoute, name, c)
	return ok
}

func compile(t *testing.T, cfg string) (*script.Engine, *xhttp.Instance) {
	t.Helper()
	parsed, err := script.ParseBytes("test.cfg", []byte(cfg), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := script.Compile(parsed, script.CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e, e.Instance("xhttp").(*xhttp.Instance)
}

// TestServe runs HTTP requests through event_route[xhttp:request]: $hu,
// $hdr, $rb and $rm are readable, xhttp_reply answers, url_skip and a
// route without a reply give 404.
func TestServe(t *testing.T) {
	e, x := compile(t, `
loadmodule "xhttp.so"
modparam("xhttp", "url_skip", "^/skip")
request_route { exit; }
event_route[xhttp:request] {
	if ($hu =~ "^/echo") {
		xhttp_reply("200", "OK", "text/plain", "$rm $hu $hdr(X-Test) [$rb]");
		exit;
	}
	if ($hu == "/teapot") {
		xhttp_reply("418", "Teapot", "text/plain", "short and stout");
	}
}
`)
	tests := []struct {
		method, url, hdr, body string
		status                 int
		want                   string
	}{
		{"POST", "/echo?a=1", "yes", "hello", 200, "POST /echo?a=1 yes [hello]"},
		{"GET", "/echo", "", "", 200, "GET /echo <null> []"}, // as Kamailio prints an absent header
		{"GET", "/teapot", "", "", 418, "short and stout"},
		{"GET", "/nothing", "", "", 404, "Not Found (event_route[xhttp:request] sent no reply)\n"},
		{"GET", "/skip/echo", "", "", 404, "Not Found\n"},
	}
	for _, tc := range tests {
		req := httptest.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
		if tc.hdr != "" {
			req.Header.Set("X-Test", tc.hdr)
		}
		w := httptest.NewRecorder()
		x.Serve(w, req, router{e})
		got, _ := io.ReadAll(w.Result().Body)
		if w.Code != tc.status || string(got) != tc.want {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.url, w.Code, got, tc.status, tc.want)
		}
	}
}

// TestBadURLMatch: a bad url_match is a config error.
func TestBadURLMatch(t *testing.T) {
	parsed, err := script.ParseBytes("test.cfg", []byte(`loadmodule "xhttp.so"
modparam("xhttp", "url_match", "([")
request_route { exit; }
`), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := script.Compile(parsed, script.CompileOptions{}); err == nil || !strings.Contains(err.Error(), "url_match") {
		t.Errorf("Compile with a bad url_match: %v", err)
	}
}
