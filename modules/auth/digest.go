package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"strings"
)

// Algorithm is a digest hash algorithm (RFC 7616 / RFC 8760 names).
type Algorithm uint8

const (
	// MD5 is the default of RFC 2617 and of Kamailio.
	MD5 Algorithm = iota
	// SHA256 is "SHA-256" (RFC 8760).
	SHA256
	// SHA512256 is "SHA-512-256" (RFC 8760).
	SHA512256
)

// ParseAlgorithm reads an algorithm name as the algorithm modparam and
// the algorithm parameter of credentials carry it (any case; "" is MD5).
// sess reports the "-sess" variant.
func ParseAlgorithm(s string) (alg Algorithm, sess bool, ok bool) {
	u := strings.ToUpper(s)
	if strings.HasSuffix(u, "-SESS") {
		sess = true
		u = u[:len(u)-len("-SESS")]
	}
	switch u {
	case "MD5":
		return MD5, sess, true
	case "":
		if sess {
			return 0, false, false
		}
		return MD5, false, true
	case "SHA-256":
		return SHA256, sess, true
	case "SHA-512-256":
		return SHA512256, sess, true
	}
	return 0, false, false
}

// String returns the algorithm's name as written in challenges.
func (a Algorithm) String() string {
	switch a {
	case SHA256:
		return "SHA-256"
	case SHA512256:
		return "SHA-512-256"
	}
	return "MD5"
}

// HexLen is the length of a hash of a in hex: the length of an HA1 and
// of a response.
func (a Algorithm) HexLen() int {
	if a == MD5 {
		return 2 * md5.Size
	}
	return 2 * sha256.Size
}

// appendHash appends the lowercase hex hash of data to dst.
func (a Algorithm) appendHash(dst, data []byte) []byte {
	switch a {
	case SHA256:
		s := sha256.Sum256(data)
		return hex.AppendEncode(dst, s[:])
	case SHA512256:
		s := sha512.Sum512_256(data)
		return hex.AppendEncode(dst, s[:])
	}
	s := md5.Sum(data)
	return hex.AppendEncode(dst, s[:])
}

// hashJoin appends the hex hash of the parts joined by ':' to dst. buf
// is scratch space (its storage is reused).
func (a Algorithm) hashJoin(dst []byte, buf *[]byte, parts ...[]byte) []byte {
	b := (*buf)[:0]
	for i, p := range parts {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, p...)
	}
	*buf = b
	return a.appendHash(dst, b)
}

// HA1 returns H(username:realm:password) in hex, the value auth_db's
// ha1 column holds (username as the client sends it in the credentials).
func HA1(a Algorithm, username, realm, password string) string {
	var buf []byte
	return string(a.hashJoin(nil, &buf, []byte(username), []byte(realm), []byte(password)))
}

// responseInput is what a digest response is computed from.
type responseInput struct {
	alg               Algorithm
	sess              bool
	ha1               []byte // hex, of alg
	nonce, nc, cnonce []byte
	qop               []byte // "auth", "auth-int" or nil
	method, uri       []byte
	body              []byte // for auth-int
}

// appendResponse appends the expected response (RFC 2617 3.2.2.1, RFC
// 7616 3.4.1) in lowercase hex to dst.
func appendResponse(dst []byte, in *responseInput, buf *[]byte) []byte {
	a := in.alg
	var ha1, ha2 [2 * sha256.Size]byte
	h1 := in.ha1
	if in.sess {
		// HA1 of a -sess algorithm: H(H(user:realm:pw):nonce:cnonce).
		h1 = a.hashJoin(ha1[:0], buf, in.ha1, in.nonce, in.cnonce)
	}
	var h2 []byte
	if len(in.qop) == len("auth-int") {
		var hb [2 * sha256.Size]byte
		hbody := a.appendHash(hb[:0], in.body)
		h2 = a.hashJoin(ha2[:0], buf, in.method, in.uri, hbody)
	} else {
		h2 = a.hashJoin(ha2[:0], buf, in.method, in.uri)
	}
	if in.qop != nil {
		return a.hashJoin(dst, buf, h1, in.nonce, in.nc, in.cnonce, in.qop, h2)
	}
	return a.hashJoin(dst, buf, h1, in.nonce, h2)
}
