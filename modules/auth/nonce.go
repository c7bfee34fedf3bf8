package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"sync"
	"sync/atomic"
	"time"
)

// Auth checks bind a nonce to parts of the request it was issued for
// (the auth_checks_* modparams), as Kamailio's auth_checks do.
const (
	CheckRURI    = 1 // the Request-URI
	CheckCallID  = 2 // the Call-ID
	CheckFromTag = 4 // the From tag
	CheckSrcIP   = 8 // the source IP address
)

// Binary nonce layout, base64url-encoded (no padding) in the challenge:
//
//	0      flags: bits 0-3 the auth checks bound, bit 4 id valid
//	1-4    since: when the nonce was issued (Unix seconds)
//	5-8    expire: when it stops being accepted (Unix seconds)
//	9-12   id: index into the nonce-count / one-time tables
//	13-20  random bytes
//	21-36  HMAC-SHA256(secret, "n" | bytes 0-20), first 16 bytes
//	37-52  only with auth checks: HMAC-SHA256(secret, "c" | bytes 0-20 |
//	       the checked request parts), first 16 bytes
//
// The first MAC tells a forged nonce (refused) from an authentic one; the
// second one, kept apart, tells a nonce used with another Call-ID, From
// tag ... (stale, as Kamailio answers), from a forged one.
const (
	nonceBase     = 21
	macLen        = 16
	nonceLen      = nonceBase + macLen
	nonceLenCheck = nonceLen + macLen
	flagIDValid   = 0x10
	// maxDrift is how far in the future a nonce's issue time may be (a
	// cluster whose clocks differ a little), as Kamailio's
	// nonce_auth_max_drift.
	maxDrift = 3
)

// nonceResult is the outcome of checking a nonce.
type nonceResult int

const (
	nonceOK      nonceResult = iota
	nonceInvalid             // malformed or forged: not ours
	nonceStale               // ours, but expired, from before the start, or its checks fail
	nonceReused              // one_time_nonce: used before
	nonceBadNC               // nc is not 8 hex digits
)

// nonces issues and checks nonces. It is safe for concurrent use.
type nonces struct {
	secret  []byte
	expire  int64 // seconds
	upSince int64
	now     func() time.Time

	macs sync.Pool // of hash.Hash (HMAC-SHA256 keyed with secret)

	// Replay protection, only when nonce_count or one_time_nonce is on.
	// nextID hands out ids; a slot is id & mask. An id more than
	// len(slots) behind nextID has had its slot reused: its nonce is
	// treated as stale, so memory stays bounded however many challenges
	// are sent.
	nextID atomic.Uint32
	mask   uint32
	nc     []atomic.Uint32 // four 8-bit last nonce-counts per word
	otn    []atomic.Uint32 // one "used" bit per id
	useNC  bool
	useOTN bool
}

func newNonces(secret []byte, expire time.Duration, tableSize int, useNC, useOTN bool) *nonces {
	n := &nonces{secret: secret, expire: int64(expire / time.Second), now: time.Now, useNC: useNC, useOTN: useOTN}
	n.upSince = n.now().Unix()
	n.macs.New = func() any { return hmac.New(sha256.New, n.secret) }
	if useNC || useOTN {
		size := uint32(1)
		for int(size) < tableSize && size < 1<<30 {
			size <<= 1
		}
		n.mask = size - 1
		// A random first id: nonces of an earlier instance (before a
		// reload) fall outside the window and are stale.
		var b [4]byte
		_, _ = rand.Read(b[:])
		n.nextID.Store(binary.BigEndian.Uint32(b[:]))
		if useNC {
			n.nc = make([]atomic.Uint32, (size+3)/4)
		}
		if useOTN {
			n.otn = make([]atomic.Uint32, (size+31)/32)
		}
	}
	return n
}

// randomSecret returns a fresh secret for a server without one.
func randomSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return b
}

// mac appends the truncated HMAC of tag | data | extra to dst.
func (n *nonces) mac(dst []byte, tag byte, data, extra []byte) []byte {
	h := n.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte{tag})
	h.Write(data)
	h.Write(extra)
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])
	n.macs.Put(h)
	return append(dst, out[:macLen]...)
}

// appendNonce appends a new nonce to dst. checks are the auth checks to
// bind and checkData the request parts they name.
func (n *nonces) appendNonce(dst []byte, checks int, checkData []byte) []byte {
	var b [nonceLenCheck]byte
	now := n.now().Unix()
	b[0] = byte(checks & 0x0f)
	binary.BigEndian.PutUint32(b[1:], uint32(now))
	binary.BigEndian.PutUint32(b[5:], uint32(now+n.expire))
	if n.useNC || n.useOTN {
		id := n.nextID.Add(1)
		binary.BigEndian.PutUint32(b[9:], id)
		b[0] |= flagIDValid
		n.resetSlot(id)
	}
	_, _ = rand.Read(b[13:nonceBase])
	raw := n.mac(b[:nonceBase], 'n', b[:nonceBase], nil)
	if checks != 0 {
		raw = n.mac(raw, 'c', b[:nonceBase], checkData)
	}
	return base64.RawURLEncoding.AppendEncode(dst, raw)
}

// resetSlot clears the tables' entries of a newly issued id.
func (n *nonces) resetSlot(id uint32) {
	i := id & n.mask
	if n.nc != nil {
		w, shift := &n.nc[i/4], (i%4)*8
		for {
			old := w.Load()
			if w.CompareAndSwap(old, old&^(0xff<<shift)) {
				break
			}
		}
	}
	if n.otn != nil {
		n.otn[i/32].And(^(1 << (i % 32)))
	}
}

// decoded is a nonce that passed its first MAC.
type decoded struct {
	flags  byte
	since  int64
	expire int64
	id     uint32
	raw    [nonceLenCheck]byte
	n      int
}

// check verifies nonce for a request. wantChecks are the auth checks
// the request's kind requires, checkData(flags) the request parts for a
// set of checks, nc the nonce-count of the credentials (nil without
// qop).
func (n *nonces) check(nonce []byte, wantChecks int, checkData func(checks int) []byte, nc []byte) nonceResult {
	var d decoded
	if base64.RawURLEncoding.DecodedLen(len(nonce)) > len(d.raw) {
		return nonceInvalid
	}
	k, err := base64.RawURLEncoding.Decode(d.raw[:], nonce)
	if err != nil || (k != nonceLen && k != nonceLenCheck) {
		return nonceInvalid
	}
	d.n = k
	d.flags = d.raw[0]
	d.since = int64(binary.BigEndian.Uint32(d.raw[1:]))
	d.expire = int64(binary.BigEndian.Uint32(d.raw[5:]))
	d.id = binary.BigEndian.Uint32(d.raw[9:])
	var want [macLen]byte
	if subtle.ConstantTimeCompare(n.mac(want[:0], 'n', d.raw[:nonceBase], nil), d.raw[nonceBase:nonceLen]) != 1 {
		return nonceInvalid
	}
	checks := int(d.flags & 0x0f)
	if (checks != 0) != (k == nonceLenCheck) {
		return nonceInvalid
	}
	now := n.now().Unix()
	// Issued before this instance started (another secret, tables of
	// another run): stale, so that the client retries with a new nonce
	// without asking its user, as Kamailio does.
	if d.since < n.upSince && d.since < now {
		return nonceStale
	}
	if d.since > now+maxDrift {
		return nonceStale
	}
	if wantChecks&^checks != 0 {
		return nonceStale
	}
	if checks != 0 {
		if subtle.ConstantTimeCompare(n.mac(want[:0], 'c', d.raw[:nonceBase], checkData(checks)), d.raw[nonceLen:nonceLenCheck]) != 1 {
			return nonceStale
		}
	}
	if d.expire < now {
		return nonceStale
	}
	if n.useNC || n.useOTN {
		if d.flags&flagIDValid == 0 {
			return nonceStale
		}
		inWindow := n.nextID.Load()-d.id <= n.mask
		if n.useNC && nc != nil {
			v, ok := parseNC(nc)
			if !ok {
				return nonceBadNC
			}
			// Kamailio answers a replayed or too large nonce-count with
			// a stale nonce: the client retries with a fresh one.
			if !inWindow || !n.advanceNC(d.id, v) {
				return nonceStale
			}
			return nonceOK
		}
		if n.useOTN {
			if !inWindow || !n.markUsed(d.id) {
				return nonceReused
			}
		}
	}
	return nonceOK
}

// parseNC reads an nc value: exactly 8 hex digits.
func parseNC(b []byte) (uint32, bool) {
	if len(b) != 8 {
		return 0, false
	}
	var v uint32
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}

// advanceNC records nc for id; false when nc is not above the last one
// seen or does not fit the table's 8 bits (nonce_count allows 255
// requests per nonce, as Kamailio's does).
func (n *nonces) advanceNC(id, nc uint32) bool {
	if nc == 0 || nc > 255 {
		return false
	}
	i := id & n.mask
	w, shift := &n.nc[i/4], (i%4)*8
	for {
		old := w.Load()
		if (old>>shift)&0xff >= nc {
			return false
		}
		if w.CompareAndSwap(old, old&^(0xff<<shift)|nc<<shift) {
			return true
		}
	}
}

// markUsed marks id used; false when it was already.
func (n *nonces) markUsed(id uint32) bool {
	i := id & n.mask
	bit := uint32(1) << (i % 32)
	return n.otn[i/32].Or(bit)&bit == 0
}

var (
	processSecretOnce sync.Once
	processSecretVal  []byte
)

// processSecret is the random secret of a server without the secret
// modparam: one per process, so that a configuration reload keeps the
// nonces in flight valid.
func processSecret() []byte {
	processSecretOnce.Do(func() { processSecretVal = randomSecret() })
	return processSecretVal
}
