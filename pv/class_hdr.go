package pv

import (
	"fmt"
	"strings"

	"github.com/olelo-sip/olelo/module"
	"github.com/olelo-sip/olelo/sip"
)

// hdrJoin separates the bodies of several header lines in $(hdr(X)[*]):
// a bare comma, which is Kamailio's PV_HDR_DELIM (the spec digest says
// ", "; Kamailio 5.6 prints "a,b" and that is what scripts see).
const hdrJoin = ","

// headerName is a header chosen by name: its ID when olelo knows it (so
// that compact forms match), else the name compared without case.
type headerName struct {
	id   sip.HeaderID
	name string
}

func newHeaderName(class, arg string) (headerName, error) {
	name := strings.TrimSpace(arg)
	if name == "" || strings.ContainsAny(name, " \t:\r\n,;") {
		return headerName{}, fmt.Errorf("$%s(%s): bad header name", class, arg)
	}
	return headerName{id: sip.LookupHeader([]byte(name)), name: name}, nil
}

func (h headerName) matches(hd *sip.Header) bool {
	if h.id != sip.HdrOther {
		return hd.ID == h.id
	}
	return hd.ID == sip.HdrOther && strings.EqualFold(string(hd.Name), h.name)
}

// lines returns the values of the matching header lines.
func (h headerName) lines(c *module.Ctx) [][]byte {
	m := msgOf(c)
	if m == nil {
		return nil
	}
	var out [][]byte
	hs := m.Headers()
	for i := range hs {
		if h.matches(&hs[i]) {
			out = append(out, hs[i].Value)
		}
	}
	return out
}

// hdrPV is $hdr(name): the body of the first header line with that name;
// indexed per header line.
type hdrPV struct{ h headerName }

func (p *hdrPV) Get(c *module.Ctx) (module.Value, error) {
	m := msgOf(c)
	if m == nil {
		return null()
	}
	if p.h.id != sip.HdrOther {
		return bytesVal(m.Header(p.h.id))
	}
	hs := m.Headers()
	for i := range hs {
		if p.h.matches(&hs[i]) {
			return strVal(string(hs[i].Value))
		}
	}
	return null()
}

func (p *hdrPV) GetAt(c *module.Ctx, idx int) (module.Value, error) {
	ls := p.h.lines(c)
	if i, ok := listIndex(int64(idx), len(ls)); ok {
		return strVal(string(ls[i]))
	}
	return null()
}

func (p *hdrPV) GetAll(c *module.Ctx) (module.Value, error) {
	return joinValues(p.h.lines(c))
}

func joinValues(ls [][]byte) (module.Value, error) {
	if len(ls) == 0 {
		return null()
	}
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteString(hdrJoin)
		}
		b.Write(l)
	}
	return strVal(b.String())
}

// hflPV is $hfl(name): like $hdr, but Via, Route, Record-Route and
// Contact are split into their comma-separated values.
type hflPV struct{ h headerName }

func (p *hflPV) values(c *module.Ctx) [][]byte {
	if !splitsPerValue(p.h.id) {
		return p.h.lines(c)
	}
	m := msgOf(c)
	if m == nil {
		return nil
	}
	var out [][]byte
	it := m.Values(p.h.id)
	for {
		v, ok := it.Next()
		if !ok {
			return out
		}
		out = append(out, v.Bytes)
	}
}

func splitsPerValue(id sip.HeaderID) bool {
	switch id {
	case sip.HdrVia, sip.HdrRoute, sip.HdrRecordRoute, sip.HdrContact:
		return true
	}
	return false
}

func (p *hflPV) Get(c *module.Ctx) (module.Value, error) { return p.GetAt(c, 0) }

func (p *hflPV) GetAt(c *module.Ctx, idx int) (module.Value, error) {
	vs := p.values(c)
	if i, ok := listIndex(int64(idx), len(vs)); ok {
		return strVal(string(vs[i]))
	}
	return null()
}

func (p *hflPV) GetAll(c *module.Ctx) (module.Value, error) { return joinValues(p.values(c)) }

func headerClasses() {
	withArg("hdr", "body of a header (first one; [n], [-n] and [*] for the others)", func(arg string) (module.PV, error) {
		h, err := newHeaderName("hdr", arg)
		if err != nil {
			return nil, err
		}
		return &hdrPV{h: h}, nil
	})
	withArg("hdrc", "number of headers with a name", func(arg string) (module.PV, error) {
		h, err := newHeaderName("hdrc", arg)
		if err != nil {
			return nil, err
		}
		return &roPV{get: func(c *module.Ctx) (module.Value, error) {
			m := msgOf(c)
			if m == nil {
				return intVal(0)
			}
			if h.id != sip.HdrOther {
				return intVal(int64(m.HeaderCount(h.id)))
			}
			return intVal(int64(len(h.lines(c))))
		}}, nil
	})
	withArg("hfl", "like $hdr, but Via, Route, Record-Route and Contact count per value", func(arg string) (module.PV, error) {
		h, err := newHeaderName("hfl", arg)
		if err != nil {
			return nil, err
		}
		return &hflPV{h: h}, nil
	})
	withArg("hflc", "number of values for $hfl", func(arg string) (module.PV, error) {
		h, err := newHeaderName("hflc", arg)
		if err != nil {
			return nil, err
		}
		p := &hflPV{h: h}
		return &roPV{get: func(c *module.Ctx) (module.Value, error) {
			return intVal(int64(len(p.values(c))))
		}}, nil
	})
	keyed("msg", "message attributes: len, buf, body, body_len, hdrs, hdrc, fline, hdrs_len", map[string]getter{
		"len": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				return intVal(int64(m.Len()))
			}
			return null()
		},
		"buf": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				return strVal(string(m.Bytes()))
			}
			return null()
		},
		"body": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				return strVal(string(m.Body()))
			}
			return null()
		},
		"body_len": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				return intVal(int64(len(m.Body())))
			}
			return null()
		},
		"hdrc": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				return intVal(int64(len(m.Headers())))
			}
			return null()
		},
		"fline": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				first, _ := splitHead(m.Bytes())
				return strVal(first)
			}
			return null()
		},
		"hdrs": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				_, hdrs := splitHead(m.Bytes())
				return strVal(hdrs)
			}
			return null()
		},
		"hdrs_len": func(c *module.Ctx) (module.Value, error) {
			if m := msgOf(c); m != nil {
				_, hdrs := splitHead(m.Bytes())
				return intVal(int64(len(hdrs)))
			}
			return null()
		},
	})
}

// splitHead returns the start line (with its CRLF) and the header lines
// (each with its CRLF, without the empty line) of a raw message.
func splitHead(b []byte) (first, hdrs string) {
	s := string(b)
	s = strings.TrimLeft(s, "\r\n")
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, ""
	}
	first, rest := s[:i+1], s[i+1:]
	if end := strings.Index(rest, "\r\n\r\n"); end >= 0 {
		return first, rest[:end+2]
	}
	if end := strings.Index(rest, "\n\n"); end >= 0 {
		return first, rest[:end+1]
	}
	return first, rest
}
