package bench

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/olelo-sip/olelo/sip"
)

// TestSameWork checks that the olelo and sipgo sides of each benchmark read
// the same values and that both proxy hops produce an equivalent message,
// so that the comparison is between equal amounts of work.
func TestSameWork(t *testing.T) {
	for _, msg := range []string{benchInvite, benchRegister} {
		buf := []byte(msg)
		var m sip.Message
		if err := m.Parse(buf, sip.Datagram); err != nil {
			t.Fatal(err)
		}
		oRURI, oBranch, oFromTag, oToTag, oCallID, oCSeq, oMF := oleloCore(t, &m)
		req := sipgoParse(t, buf)
		sRURI, sBranch, sFromTag, sToTag, sCallID, sCSeq, sMF := sipgoCore(t, req)
		got := []string{string(oRURI.User), string(oRURI.Host), string(oBranch), string(oFromTag), string(oToTag), string(oCallID), strconv.Itoa(int(oCSeq.Num)), string(oCSeq.MethodRaw), strconv.Itoa(oMF)}
		want := []string{sRURI.User, sRURI.Host, sBranch, sFromTag, sToTag, sCallID, strconv.Itoa(int(sCSeq.SeqNo)), string(sCSeq.MethodName), strconv.Itoa(int(sMF))}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("core field %d: olelo %q, sipgo %q", i, got[i], want[i])
			}
		}
	}

	var m sip.Message
	buf := []byte(benchRegister)
	if err := m.Parse(buf, sip.Datagram); err != nil {
		t.Fatal(err)
	}
	oResp, oContact := oleloRegisterFields(t, &m)
	sResp, sContact := sipgoRegisterFields(t, sipgoParse(t, buf))
	if string(oResp) != sResp {
		t.Errorf("digest response: olelo %q, sipgo %q", oResp, sResp)
	}
	if string(oContact.URI.User) != sContact.Address.User || string(oContact.URI.Host) != sContact.Address.Host {
		t.Errorf("Contact: olelo %s@%s, sipgo %s@%s", oContact.URI.User, oContact.URI.Host, sContact.Address.User, sContact.Address.Host)
	}

	// Proxy hop: both outputs, parsed back with olelo, must show the same
	// changes and the same body.
	ibuf := []byte(benchInvite)
	if err := m.Parse(ibuf, sip.Datagram); err != nil {
		t.Fatal(err)
	}
	oOut := oleloHop(t, &m, nil, []byte(hopVia), []byte(hopRR))
	var sOut bytes.Buffer
	sipgoHop(t, sipgoParse(t, ibuf), &sOut)
	for name, out := range map[string][]byte{"olelo": oOut, "sipgo": sOut.Bytes()} {
		var h sip.Message
		if err := h.Parse(out, sip.Datagram); err != nil {
			t.Fatalf("%s hop output does not parse: %v\n%s", name, err, out)
		}
		if v, err := h.TopVia(); err != nil || string(v.Branch) != hopViaBranch {
			t.Errorf("%s: top Via %v %v", name, v, err)
		}
		if n := h.HeaderCount(sip.HdrVia); n != 2 {
			t.Errorf("%s: %d Via lines, want 2", name, n)
		}
		if mf, _ := h.MaxForwards(); mf != 69 {
			t.Errorf("%s: Max-Forwards %d, want 69", name, mf)
		}
		if h.Has(sip.HdrRoute) {
			t.Errorf("%s: Route still present", name)
		}
		if rr := h.Header(sip.HdrRecordRoute); string(rr) != hopRR {
			t.Errorf("%s: Record-Route %q, want %q", name, rr, hopRR)
		}
		if !bytes.Equal(h.Body(), m.Body()) {
			t.Errorf("%s: body changed", name)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out)
		}
	}
}
