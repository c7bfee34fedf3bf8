package xhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/olelo-sip/olelo/core"
	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// MaxBodySize bounds the body of an HTTP request.
const MaxBodySize = 1 << 20

type regexpMatcher = *regexp.Regexp

// Link compiles url_match and url_skip, so that a bad expression is a
// config error.
func (m *Instance) Link(func(string) module.Instance) error {
	var err error
	if m.URLMatch != "" {
		if m.match, err = regexp.Compile(m.URLMatch); err != nil {
			return fmt.Errorf("xhttp: url_match: %w", err)
		}
	}
	if m.URLSkip != "" {
		if m.skip, err = regexp.Compile(m.URLSkip); err != nil {
			return fmt.Errorf("xhttp: url_skip: %w", err)
		}
	}
	return nil
}

// Request is the HTTP request being handled, kept in the Ctx's Store
// for xhttp_reply and for other modules (jsonrpcs).
type Request struct {
	HTTP *http.Request
	// Body is the request body, read in full.
	Body []byte
	w    http.ResponseWriter
	// Replied is set once a reply was sent.
	Replied bool
}

type storeKey struct{}

// RequestFrom returns the HTTP request of the event route running in c.
func RequestFrom(c *module.Ctx) (*Request, bool) {
	r, ok := c.Store[storeKey{}].(*Request)
	return r, ok
}

// Reply answers the HTTP request of c; it fails when there is none or
// when it was answered already. The reason phrase is not sent: Go's HTTP
// server writes the standard one for the code.
func Reply(c *module.Ctx, code int, reason, ctype string, body []byte) error {
	r, ok := RequestFrom(c)
	if !ok {
		return errors.New("xhttp: no HTTP request in this route")
	}
	if r.Replied {
		return errors.New("xhttp: the HTTP request was already answered")
	}
	if code < 100 || code > 999 {
		return fmt.Errorf("xhttp: bad status code %d", code)
	}
	r.Replied = true
	h := r.w.Header()
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Server", "olelo")
	r.w.WriteHeader(code)
	_, err := r.w.Write(body)
	return err
}

func (m *Instance) runReply(c *module.Ctx, args []*module.Arg) int {
	var vals [4]string
	for i := range vals {
		v, err := args[i].GetStr(c)
		if err != nil {
			c.Log.Error("xhttp_reply: " + err.Error())
			return -1
		}
		vals[i] = v
	}
	code, err := strconv.Atoi(strings.TrimSpace(vals[0]))
	if err != nil {
		c.Log.Error("xhttp_reply: bad status code " + strconv.Quote(vals[0]))
		return -1
	}
	if err := Reply(c, code, vals[1], vals[2], []byte(vals[3])); err != nil {
		c.Log.Error(err.Error())
		return -1
	}
	return 1
}

// urlPV is $hu.
type urlPV struct{}

func newURLPV(arg string) (module.PV, error) {
	if arg != "" {
		return nil, errors.New("$hu takes no argument")
	}
	return urlPV{}, nil
}

func (urlPV) Get(c *module.Ctx) (module.Value, error) {
	if r, ok := RequestFrom(c); ok {
		return module.StrValue(r.HTTP.RequestURI), nil
	}
	return module.Value{}, nil
}

// Router is what Serve needs of the running configuration: a context
// from its pool and the event route (the script engine, through a small
// adapter in the server).
type Router interface {
	AcquireCtx(ctx context.Context, msg *core.Msg, rt module.RouteType) *module.Ctx
	ReleaseCtx(c *module.Ctx)
	// RunEvent runs event_route[name] with c; ran is false when the
	// configuration has no such route.
	RunEventCtx(c *module.Ctx, name string) (ran bool)
}

// Serve answers one HTTP request by running event_route[xhttp:request]
// of router. The request is also presented to the script as a message
// (so $hdr(Name), $rb, $si, $sp, $rm work) whose first line is the HTTP
// one with SIP/2.0 as version. A URL that url_match does not match or
// url_skip matches, or a route that does not reply, is answered 404.
func (m *Instance) Serve(w http.ResponseWriter, r *http.Request, router Router) {
	if (m.match != nil && !m.match.MatchString(r.RequestURI)) || (m.skip != nil && m.skip.MatchString(r.RequestURI)) {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	msg, err := asMessage(r, body)
	if err != nil {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	req := &Request{HTTP: r, Body: body, w: w}
	c := router.AcquireCtx(r.Context(), msg, module.EventRoute)
	if c.Store == nil {
		c.Store = map[any]any{}
	}
	c.Store[storeKey{}] = req
	ran := router.RunEventCtx(c, EventName)
	router.ReleaseCtx(c)
	if !req.Replied {
		msg := "Not Found"
		if ran {
			msg = "Not Found (event_route[xhttp:request] sent no reply)"
		}
		http.Error(w, msg, http.StatusNotFound)
	}
}

// asMessage builds the message the script sees: the request line with
// SIP/2.0, the headers, a Content-Length and the body.
func asMessage(r *http.Request, body []byte) (*core.Msg, error) {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.RequestURI + " SIP/2.0\r\n")
	if r.Host != "" {
		b.WriteString("Host: " + r.Host + "\r\n")
	}
	for name, vals := range r.Header {
		if strings.EqualFold(name, "Content-Length") {
			continue
		}
		for _, v := range vals {
			if strings.ContainsAny(v, "\r\n") {
				continue
			}
			b.WriteString(name + ": " + v + "\r\n")
		}
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	msg := &core.Msg{Message: new(sip.Message)}
	if err := msg.Parse([]byte(b.String()), sip.Stream); err != nil {
		return nil, err
	}
	if info, ok := transport.HTTPConnFrom(r.Context()); ok {
		msg.Proto, msg.Remote, msg.Local, msg.ConnID = info.Proto, info.Remote, info.Local, info.ConnID
	}
	return msg, nil
}
