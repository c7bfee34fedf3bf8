package sip

import (
	"bytes"
	"testing"
	"unsafe"
)

// within reports whether s is nil or lies inside b, which is what
// "returned slices alias the input" means.
func within(b, s []byte) bool {
	if s == nil {
		return true
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b[:cap(b)])))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= base && p+uintptr(len(s)) <= base+uintptr(len(b))
}

func uriSlices(u *URI) [][]byte {
	return [][]byte{u.SchemeRaw, u.User, u.Password, u.Host, u.Params, u.Headers, u.Opaque,
		u.Transport, u.MAddr, u.UserParam, u.Method, u.TTL}
}

// checkURIInvariants verifies what must hold for any URI ParseURI accepted
// from in.
func checkURIInvariants(t *testing.T, in []byte, u *URI) {
	t.Helper()
	for i, s := range uriSlices(u) {
		if !within(in, s) {
			t.Fatalf("%q: field %d (%q) does not alias the input", in, i, s)
		}
	}
	if !u.Equal(u) {
		t.Fatalf("%q: not Equal to itself", in)
	}
	out := u.AppendTo(nil)
	v, err := ParseURI(out)
	if err != nil {
		t.Fatalf("%q: AppendTo wrote %q, which does not parse: %v", in, out, err)
	}
	if !u.Equal(&v) || !v.Equal(u) {
		t.Fatalf("%q: AppendTo wrote %q, which parses to a different URI", in, out)
	}
	if again := v.AppendTo(nil); !bytes.Equal(again, out) {
		t.Fatalf("%q: AppendTo is not stable: %q then %q", in, out, again)
	}
	if !u.HasPort && !bytes.Equal(out, in) {
		t.Fatalf("%q: AppendTo wrote %q", in, out)
	}
	if u.Scheme == SchemeSIP || u.Scheme == SchemeSIPS {
		for _, c := range []struct {
			name string
			f    []byte
		}{{"transport", u.Transport}, {"maddr", u.MAddr}, {"user", u.UserParam}, {"method", u.Method}, {"ttl", u.TTL}} {
			pv, ok := u.Param(c.name)
			if ok != (c.f != nil) || !bytes.Equal(pv, c.f) {
				t.Fatalf("%q: %s field %q, Param() %q %v", in, c.name, c.f, pv, ok)
			}
		}
		if _, ok := u.Param("lr"); ok != u.LR {
			t.Fatalf("%q: LR %v, Param(lr) %v", in, u.LR, ok)
		}
		if len(u.Host) == 0 {
			t.Fatalf("%q: empty host", in)
		}
		if u.HasUser && len(u.User) == 0 {
			t.Fatalf("%q: HasUser with an empty user", in)
		}
	}
	_ = Unescape(nil, u.User)
}

func FuzzParseURI(f *testing.F) {
	for _, tc := range uriGood {
		f.Add([]byte(tc.in))
	}
	for _, tc := range uriBad {
		f.Add([]byte(tc.in))
	}
	for _, tc := range nameAddrGood {
		f.Add([]byte(tc.uri))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		u, err := ParseURI(in)
		us, errS := ParseURIString(string(in))
		if (err == nil) != (errS == nil) || (err == nil && string(u.AppendTo(nil)) != string(us.AppendTo(nil))) {
			t.Fatalf("ParseURIString(%q) = %q, %v; ParseURI: %q, %v", in, us.AppendTo(nil), errS, u.AppendTo(nil), err)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		checkURIInvariants(t, in, &u)
	})
}

func FuzzParseNameAddr(f *testing.F) {
	for _, tc := range nameAddrGood {
		f.Add([]byte(tc.in))
	}
	for _, tc := range nameAddrBad {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		n, err := ParseNameAddr(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		for i, s := range append(uriSlices(&n.URI), n.Display, n.URIRaw, n.Params) {
			if !within(in, s) {
				t.Fatalf("%q: field %d (%q) does not alias the input", in, i, s)
			}
		}
		u, err := ParseURI(n.URIRaw)
		if err != nil || !u.Equal(&n.URI) {
			t.Fatalf("%q: URIRaw %q does not parse to URI (%v)", in, n.URIRaw, err)
		}
		checkURIInvariants(t, n.URIRaw, &n.URI)
		if n.Display != nil && !n.Angle {
			t.Fatalf("%q: display name without <>", in)
		}
		tag := n.Tag()
		_ = UnquoteDisplay(nil, n.Display)

		// Writing the value back in the <> form gives the same value.
		var out []byte
		if n.Display != nil {
			out = append(append(out, n.Display...), ' ')
		}
		out = append(append(append(out, '<'), n.URIRaw...), '>')
		out = append(out, n.Params...)
		m, err := ParseNameAddr(out)
		if err != nil {
			t.Fatalf("%q: rewritten as %q, which does not parse: %v", in, out, err)
		}
		if !bytes.Equal(m.Display, n.Display) || !bytes.Equal(m.URIRaw, n.URIRaw) ||
			!bytes.Equal(m.Params, n.Params) || !bytes.Equal(m.Tag(), tag) || !m.URI.Equal(&n.URI) {
			t.Fatalf("%q: rewritten as %q, which parses differently", in, out)
		}
	})
}

func FuzzParseDigest(f *testing.F) {
	for _, tc := range digestGood {
		f.Add([]byte(tc.in))
	}
	for _, tc := range digestBad {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ParseDigest(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		fields := [][]byte{d.Username, d.Realm, d.Nonce, d.URI, d.Response, d.Algorithm,
			d.CNonce, d.Opaque, d.QOP, d.NC, d.Domain, d.Stale}
		for i, s := range append(fields, d.Scheme, d.Params) {
			if !within(in, s) {
				t.Fatalf("%q: field %d (%q) does not alias the input", in, i, s)
			}
		}
		if len(d.Scheme) == 0 {
			t.Fatalf("%q: empty scheme", in)
		}
		// Scheme and parameter list, rejoined, give the same fields.
		out := append(append(append([]byte(nil), d.Scheme...), ' '), d.Params...)
		e, err := ParseDigest(out)
		if err != nil {
			t.Fatalf("%q: rewritten as %q, which does not parse: %v", in, out, err)
		}
		again := [][]byte{e.Username, e.Realm, e.Nonce, e.URI, e.Response, e.Algorithm,
			e.CNonce, e.Opaque, e.QOP, e.NC, e.Domain, e.Stale}
		for i := range fields {
			if !bytes.Equal(fields[i], again[i]) || (fields[i] == nil) != (again[i] == nil) {
				t.Fatalf("%q: rewritten as %q, field %d %q became %q", in, out, i, fields[i], again[i])
			}
		}
	})
}

// FuzzURIEqual checks that Equal is symmetric and survives serialisation.
func FuzzURIEqual(f *testing.F) {
	f.Add([]byte("sip:%61lice@atlanta.com;transport=TCP"), []byte("sip:alice@AtLanTa.CoM;Transport=tcp"))
	f.Add([]byte("sip:carol@chicago.com;newparam=5"), []byte("sip:carol@chicago.com;security=on"))
	f.Add([]byte("sip:h?a=b&c=d"), []byte("sip:h?c=d&a=b"))
	f.Add([]byte("sip:[2001:db8::1]"), []byte("sip:[2001:DB8:0:0::1]"))
	f.Add([]byte("tel:+1-201-555-0123;a=1;b"), []byte("tel:+12015550123;b;A=1"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		u, err := ParseURI(a)
		if err != nil {
			return
		}
		v, err := ParseURI(b)
		if err != nil {
			return
		}
		eq := u.Equal(&v)
		if eq != v.Equal(&u) {
			t.Fatalf("%q, %q: Equal is not symmetric", a, b)
		}
		u2, err1 := ParseURI(u.AppendTo(nil))
		v2, err2 := ParseURI(v.AppendTo(nil))
		if err1 != nil || err2 != nil || u2.Equal(&v2) != eq {
			t.Fatalf("%q, %q: Equal changes after AppendTo", a, b)
		}
	})
}
