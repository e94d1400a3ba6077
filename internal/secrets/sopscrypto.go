package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/getsops/sops/v3/shamir"
	"gopkg.in/yaml.v3"
)

// The SOPS value format and MAC, implemented from sops' own definitions
// (aes/cipher.go, sops.go Tree.Decrypt, decrypt/decrypt.go) so that the
// binary does not link the sops root package, which imports every cloud KMS
// SDK. Plaintext exists only in memory, is hashed at once, and is never
// returned, logged or written.

var encValue = regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)

// isEncrypted reports whether s is a sops-encrypted value.
func isEncrypted(s string) bool { return encValue.MatchString(s) }

// errDecrypt means a value did not authenticate under the data key: it was
// tampered with, moved to another key path, or encrypted with another key.
var errDecrypt = errors.New("value does not decrypt")

// errTooComplex means the document expands beyond the walk budget (aliases).
var errTooComplex = errors.New("document too complex (alias expansion)")

// decryptValue decrypts one ENC[...] value bound to additional data aad and
// returns the bytes sops feeds the MAC for it, and whether it is a comment
// (comments are not part of the MAC).
func decryptValue(value string, key []byte, aad string) (macBytes []byte, isComment bool, err error) {
	if value == "" {
		return nil, false, nil
	}
	m := encValue.FindStringSubmatch(value)
	if m == nil {
		return nil, false, fmt.Errorf("%w: not in sops' format", errDecrypt)
	}
	data, err1 := base64.StdEncoding.DecodeString(m[1])
	iv, err2 := base64.StdEncoding.DecodeString(m[2])
	tag, err3 := base64.StdEncoding.DecodeString(m[3])
	if err := errors.Join(err1, err2, err3); err != nil || len(iv) == 0 {
		return nil, false, fmt.Errorf("%w: bad encoding", errDecrypt)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", errDecrypt, err)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", errDecrypt, err)
	}
	sealed := make([]byte, 0, len(data)+len(tag))
	sealed = append(append(sealed, data...), tag...)
	plain, err := gcm.Open(nil, iv, sealed, []byte(aad))
	if err != nil {
		return nil, false, errDecrypt
	}
	switch m[4] {
	case "str", "bytes":
		return plain, false, nil
	case "int":
		i, err := strconv.Atoi(string(plain))
		if err != nil {
			return nil, false, fmt.Errorf("%w: bad int", errDecrypt)
		}
		return []byte(strconv.Itoa(i)), false, nil
	case "float":
		f, err := strconv.ParseFloat(string(plain), 64)
		if err != nil {
			return nil, false, fmt.Errorf("%w: bad float", errDecrypt)
		}
		return []byte(strconv.FormatFloat(f, 'f', -1, 64)), false, nil
	case "bool":
		b, err := strconv.ParseBool(string(plain))
		if err != nil {
			return nil, false, fmt.Errorf("%w: bad bool", errDecrypt)
		}
		return boolBytes(b), false, nil
	case "time":
		var t time.Time
		if err := t.UnmarshalText(plain); err != nil {
			return nil, false, fmt.Errorf("%w: bad time", errDecrypt)
		}
		b, err := t.MarshalText()
		if err != nil {
			return nil, false, fmt.Errorf("%w: bad time", errDecrypt)
		}
		return b, false, nil
	case "comment":
		return nil, true, nil
	}
	return nil, false, fmt.Errorf("%w: unknown type", errDecrypt)
}

func boolBytes(b bool) []byte {
	if b {
		return []byte("True")
	}
	return []byte("False")
}

// plainMACBytes returns what sops feeds the MAC for an unencrypted scalar
// (sops.ToBytes of the value yaml.v3 decodes into interface{}).
func plainMACBytes(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case string:
		return []byte(v), nil
	case int:
		return []byte(strconv.Itoa(v)), nil
	case float64:
		return []byte(strconv.FormatFloat(v, 'f', -1, 64)), nil
	case bool:
		return boolBytes(v), nil
	case time.Time:
		return v.MarshalText()
	case []byte:
		return v, nil
	}
	return nil, fmt.Errorf("sops cannot represent a %T value", v)
}

// macOnlyEncryptedInit is sops' MACOnlyEncryptedInitialization: sha256("sops").
var macOnlyEncryptedInit = []byte{0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0xb, 0xb, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69}

// macResult is the outcome of verifying one SOPS file.
type macResult struct {
	// badLeaf is set when a value does not decrypt: its index in leaves.
	badLeaf int
	// mismatch is set when every value decrypts but the MAC differs.
	mismatch bool
	// macUnreadable is set when the stored MAC itself does not decrypt
	// (tampered, or lastmodified changed).
	macUnreadable bool
}

// verifyMAC decrypts every encrypted leaf in memory and compares the MAC.
func verifyMAC(leaves []sopsLeaf, rules *sopsRules, key []byte, storedMAC, lastModified string) (macResult, error) {
	res := macResult{badLeaf: -1}
	h := sha512.New()
	if rules.macOnlyEncrypted {
		h.Write(macOnlyEncryptedInit)
	}
	for i, l := range leaves {
		if l.isComment {
			continue // comments never enter the MAC
		}
		var b []byte
		if l.encrypt {
			var s string
			if err := l.node.Decode(&s); err != nil || (s != "" && !isEncrypted(s)) {
				// a plaintext value where sops expects ciphertext: sops
				// itself fails to decrypt the file.
				res.badLeaf = i
				return res, nil
			}
			mb, comment, err := decryptValue(s, key, strings.Join(l.path, ":")+":")
			if err != nil {
				res.badLeaf = i
				return res, nil
			}
			if comment {
				continue
			}
			b = mb
		} else {
			mb, err := plainMACBytes(l.node)
			if err != nil {
				return res, err
			}
			b = mb
		}
		if !rules.macOnlyEncrypted || l.encrypt {
			h.Write(b)
		}
	}
	computed := fmt.Sprintf("%X", h.Sum(nil))
	t, err := time.Parse(time.RFC3339, lastModified)
	if err != nil {
		res.macUnreadable = true
		return res, nil
	}
	stored, comment, err := decryptValue(storedMAC, key, t.Format(time.RFC3339))
	if err != nil || comment {
		res.macUnreadable = true
		return res, nil
	}
	res.mismatch = string(stored) != computed
	return res, nil
}

// keyGroup is one sops key group: the age-encrypted copies of its data key
// share (other key types are listed but cannot be used here).
type keyGroup struct {
	ageEnc []string
	other  int
}

// errNoKey means no configured age identity opens the file's data key.
var errNoKey = errors.New("no age identity matches")

// dataKey recovers the file's data key with the given identities.
func dataKey(groups []keyGroup, threshold int, ids []age.Identity) ([]byte, error) {
	if len(ids) == 0 {
		return nil, errNoKey
	}
	var parts [][]byte
	for _, g := range groups {
		for _, enc := range g.ageEnc {
			r, err := age.Decrypt(armor.NewReader(strings.NewReader(enc)), ids...)
			if err != nil {
				continue
			}
			var b bytes.Buffer
			if _, err := io.Copy(&b, io.LimitReader(r, 1<<16)); err != nil {
				continue
			}
			parts = append(parts, b.Bytes())
			break
		}
	}
	if len(groups) <= 1 {
		if len(parts) != 1 {
			return nil, errNoKey
		}
		return parts[0], nil
	}
	if threshold <= 0 {
		threshold = len(groups)
	}
	if len(parts) < threshold {
		return nil, errNoKey
	}
	k, err := shamir.Combine(parts)
	if err != nil {
		return nil, fmt.Errorf("combining key group shares: %w", err)
	}
	return k, nil
}
