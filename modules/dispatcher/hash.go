package dispatcher

import (
	"bytes"
	"math/rand/v2"

	"github.com/olelo-sip/olelo/sip"
)

// dsHash is Kamailio's dispatcher hash over one or two keys (the second
// may be nil), so that a key lands on the same destination index as with
// Kamailio: every 4-byte chunk (big endian, bytes sign-extended as C's
// signed char) and the tail packed the same way add v ^ (v>>3); then the
// sum is mixed; 0 becomes 1.
func dsHash(k1, k2 []byte) uint32 {
	var h uint32
	for _, k := range [2][]byte{k1, k2} {
		if k == nil {
			continue
		}
		p := 0
		for ; p+4 <= len(k); p += 4 {
			v := uint32(int32(int8(k[p]))<<24 + int32(int8(k[p+1]))<<16 + int32(int8(k[p+2]))<<8 + int32(int8(k[p+3])))
			h += v ^ (v >> 3)
		}
		var v uint32
		for ; p < len(k); p++ {
			v <<= 8
			v += uint32(int32(int8(k[p])))
		}
		h += v ^ (v >> 3)
	}
	h = h + (h >> 11) + (h >> 13) + (h >> 23)
	if h == 0 {
		return 1
	}
	return h
}

// uriKeys returns the hash keys of a URI: the user, and the host with
// ":port" when the port is given and not the default one (none with
// userOnly, flags bit 1).
func uriKeys(raw []byte, userOnly bool) (k1, k2 []byte, ok bool) {
	u, err := sip.ParseURI(raw)
	if err != nil {
		return nil, nil, false
	}
	k1 = u.User
	if k1 == nil {
		k1 = []byte{}
	}
	if userOnly {
		return k1, nil, true
	}
	k2 = u.Host
	def := uint16(5060)
	if u.Scheme == sip.SchemeSIPS {
		def = 5061
	}
	if u.HasPort && u.Port != def {
		// host:port as written in the URI
		if i := bytes.Index(raw, u.Host); i >= 0 {
			end := i + len(u.Host)
			for end < len(raw) && raw[end] != ';' && raw[end] != '?' && raw[end] != '>' {
				end++
			}
			k2 = raw[i:end]
		}
	}
	return k1, k2, true
}

// shuffle permutes the weight slots (once per load, as Kamailio does).
func shuffle(a []uint8) {
	rand.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
}

// trim removes surrounding whitespace as Kamailio's trim() does.
func trim(b []byte) []byte { return bytes.TrimSpace(b) }
