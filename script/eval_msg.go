package script

import (
	"strconv"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
)

// methodBytes is the method keyword: the request's method, or the CSeq
// method of a reply.
func methodBytes(c *module.Ctx) []byte {
	if c.Msg == nil || c.Msg.Message == nil {
		return nil
	}
	if c.Msg.IsRequest() {
		return c.Msg.MethodBytes()
	}
	cs, err := c.Msg.CSeq()
	if err != nil {
		return nil
	}
	return cs.MethodRaw
}

// firstLineURI is the uri (and status) keyword: the current Request-URI
// of a request, the status code of a reply.
func firstLineURI(c *module.Ctx) string {
	if c.Msg == nil || c.Msg.Message == nil {
		return c.NewURI
	}
	if !c.Msg.IsRequest() {
		return strconv.Itoa(c.Msg.StatusCode())
	}
	return c.RequestURI()
}

// currentURI parses the current Request-URI.
func currentURI(c *module.Ctx) (*sip.URI, error) {
	if c.NewURI != "" {
		u, err := sip.ParseURI([]byte(c.NewURI))
		return &u, err
	}
	if c.Msg == nil || c.Msg.Message == nil || !c.Msg.IsRequest() {
		return nil, errNoURI
	}
	return c.Msg.RequestURI()
}

type noURIError struct{}

func (noURIError) Error() string { return "no Request-URI" }

var errNoURI error = noURIError{}

// addrURI is the from_uri / to_uri keyword.
func addrURI(c *module.Ctx, from bool) (string, bool) {
	u, ok := addrParsed(c, from)
	if !ok {
		return "", false
	}
	return string(u.URIRaw), true
}

func addrParsed(c *module.Ctx, from bool) (*sip.NameAddr, bool) {
	if c.Msg == nil || c.Msg.Message == nil {
		return nil, false
	}
	var na *sip.NameAddr
	var err error
	if from {
		na, err = c.Msg.From()
	} else {
		na, err = c.Msg.To()
	}
	if err != nil {
		return nil, false
	}
	return na, true
}

// uriIsMyself reports whether the host and port of u name this server;
// a URI without a port means 5060 (5061 for sips).
func uriIsMyself(c *module.Ctx, u *sip.URI) bool {
	if c.Host == nil || u == nil {
		return false
	}
	port := u.Port
	if !u.HasPort {
		port = 5060
		if u.Scheme == sip.SchemeSIPS {
			port = 5061
		}
	}
	host := string(u.Host)
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return c.Host.IsMyself(host, port)
}
