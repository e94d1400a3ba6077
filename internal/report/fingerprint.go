package report

import (
	"crypto/sha256"
	"encoding/hex"
)

// SecretFingerprint is the short identity of a secret value shown in place
// of the value in every output (secret findings, baselines, diffs): a
// domain-separated SHA-256 prefix of 64 bits, enough to tell values apart
// and to see that a value changed, never any part of the value. Like any
// hash it can confirm a guess of a weak value; it never reveals one.
func SecretFingerprint(value []byte) string {
	h := sha256.New()
	h.Write([]byte("render-check/secret/v1\x00"))
	h.Write(value)
	return hex.EncodeToString(h.Sum(nil))[:16]
}
