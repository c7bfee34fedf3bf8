package sip

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseMessage feeds arbitrary bytes to the message parser and every
// accessor. Invariants: no panic; an unedited message serialises to a
// prefix-free copy of what was parsed; a proxy hop's edits produce bytes
// that parse again with the same Call-ID and CSeq.
func FuzzParseMessage(f *testing.F) {
	for _, dir := range []string{"rfc4475", "rfc5118"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "torture", dir, "*"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(inviteMsg))
	f.Add([]byte(benchRegister))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := m.Parse(b, Datagram); err != nil {
			return
		}
		_ = m.Validate()
		m.RequestURI()
		m.TopVia()
		m.From()
		m.To()
		m.CSeq()
		m.MaxForwards()
		m.Expires()
		for _, id := range []HeaderID{HdrVia, HdrContact, HdrRoute, HdrRecordRoute, HdrAllow} {
			for it := m.Values(id); ; {
				v, ok := it.Next()
				if !ok {
					break
				}
				ParseNameAddr(v.Bytes)
				ParseVia(v.Bytes)
			}
		}
		ParseDigest(m.Header(HdrAuthorization))

		plain := m.AppendTo(nil)
		if !bytes.Contains(b, plain) {
			t.Fatalf("unedited serialisation is not a slice of the input")
		}
		if !m.IsRequest() {
			return
		}
		callID := string(m.CallID())
		m.PrependVia([]byte("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz"))
		m.SetMaxForwards(69)
		it := m.Values(HdrRoute)
		if r, ok := it.Next(); ok {
			m.RemoveValue(r)
		}
		m.SetViaReceived([]byte("192.0.2.9"), 5061, true)
		out := m.AppendTo(nil)
		var again Message
		if err := again.Parse(out, Datagram); err != nil {
			t.Fatalf("edited message does not parse: %v\n%q", err, out)
		}
		if string(again.CallID()) != callID {
			t.Fatalf("Call-ID changed by edits: %q -> %q", callID, again.CallID())
		}
	})
}
