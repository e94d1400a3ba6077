// Package sopstest writes SOPS-encrypted YAML files for tests, with age
// keys made in the test. It follows sops' file format (AES-256-GCM values
// bound to their key path, SHA-512 MAC encrypted with lastmodified as
// additional data, age-wrapped data key); the interop tests check that the
// real sops library decrypts what it writes. Only tests import it.
package sopstest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"gopkg.in/yaml.v3"
)

// Options select the sops encryption rules.
type Options struct {
	// Recipients wrap the data key (one age entry each).
	Recipients []*age.X25519Recipient
	// The per-file rules sops records in its metadata.
	EncryptedRegex, UnencryptedRegex   string
	EncryptedSuffix, UnencryptedSuffix string
	MACOnlyEncrypted                   bool
	// LastModified defaults to a fixed time.
	LastModified time.Time
	// DataKey defaults to a random key.
	DataKey []byte
}

// NewIdentity makes an age key pair.
func NewIdentity() (*age.X25519Identity, error) { return age.GenerateX25519Identity() }

type leaf struct {
	node    *yaml.Node
	path    []string
	encrypt bool
}

func (o *Options) shouldEncrypt(path []string) bool {
	enc := true
	if o.UnencryptedSuffix != "" {
		for _, p := range path {
			if strings.HasSuffix(p, o.UnencryptedSuffix) {
				enc = false
				break
			}
		}
	}
	if o.EncryptedSuffix != "" {
		enc = false
		for _, p := range path {
			if strings.HasSuffix(p, o.EncryptedSuffix) {
				enc = true
				break
			}
		}
	}
	if o.UnencryptedRegex != "" {
		for _, p := range path {
			if ok, _ := regexp.MatchString(o.UnencryptedRegex, p); ok {
				enc = false
				break
			}
		}
	}
	if o.EncryptedRegex != "" {
		enc = false
		for _, p := range path {
			if ok, _ := regexp.MatchString(o.EncryptedRegex, p); ok {
				enc = true
				break
			}
		}
	}
	return enc
}

func collect(n *yaml.Node, path []string, o *Options, out *[]leaf) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := append(path[:len(path):len(path)], n.Content[i].Value)
			collect(n.Content[i+1], p, o, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			collect(c, path, o, out)
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return
		}
		*out = append(*out, leaf{node: n, path: path, encrypt: o.shouldEncrypt(path)})
	}
}

// typed returns sops' type name and canonical bytes for a scalar.
func typed(n *yaml.Node) (string, []byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return "", nil, err
	}
	switch v := v.(type) {
	case string:
		return "str", []byte(v), nil
	case int:
		return "int", []byte(strconv.Itoa(v)), nil
	case float64:
		return "float", []byte(strconv.FormatFloat(v, 'f', -1, 64)), nil
	case bool:
		if v {
			return "bool", []byte("True"), nil
		}
		return "bool", []byte("False"), nil
	}
	return "", nil, fmt.Errorf("unsupported %T", v)
}

// EncryptValue encrypts one value the way sops does.
func EncryptValue(plain []byte, typ string, key []byte, aad string) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, 32)
	if err != nil {
		return "", err
	}
	iv := make([]byte, 32)
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	out := gcm.Seal(nil, iv, plain, []byte(aad))
	n := len(out) - 16
	return fmt.Sprintf("ENC[AES256_GCM,data:%s,iv:%s,tag:%s,type:%s]",
		base64.StdEncoding.EncodeToString(out[:n]), base64.StdEncoding.EncodeToString(iv),
		base64.StdEncoding.EncodeToString(out[n:]), typ), nil
}

// Encrypt encrypts every document of a plaintext YAML file and appends the
// sops metadata to each document, as `sops -e` does.
func Encrypt(plain []byte, o Options) ([]byte, error) {
	key := o.DataKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	lm := o.LastModified
	if lm.IsZero() {
		lm = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(plain))
	for {
		var d yaml.Node
		if err := dec.Decode(&d); err != nil {
			break
		}
		docs = append(docs, &d)
	}
	h := sha512.New()
	if o.MACOnlyEncrypted {
		h.Write([]byte{0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0xb, 0xb, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69})
	}
	for _, d := range docs {
		var leaves []leaf
		collect(d.Content[0], nil, &o, &leaves)
		for _, l := range leaves {
			typ, b, err := typed(l.node)
			if err != nil {
				return nil, err
			}
			if !o.MACOnlyEncrypted || l.encrypt {
				h.Write(b)
			}
			if !l.encrypt || len(b) == 0 && typ == "str" {
				continue
			}
			enc, err := EncryptValue(b, typ, key, strings.Join(l.path, ":")+":")
			if err != nil {
				return nil, err
			}
			l.node.SetString(enc)
			l.node.Style = 0
		}
	}
	mac, err := EncryptValue([]byte(fmt.Sprintf("%X", h.Sum(nil))), "str", key, lm.Format(time.RFC3339))
	if err != nil {
		return nil, err
	}
	meta := map[string]any{"lastmodified": lm.Format(time.RFC3339), "mac": mac, "version": "3.13.3"}
	var ages []map[string]string
	for _, r := range o.Recipients {
		var buf bytes.Buffer
		aw := armor.NewWriter(&buf)
		w, err := age.Encrypt(aw, r)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(key); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
		ages = append(ages, map[string]string{"recipient": r.String(), "enc": buf.String()})
	}
	meta["age"] = ages
	for k, v := range map[string]string{"encrypted_regex": o.EncryptedRegex, "unencrypted_regex": o.UnencryptedRegex,
		"encrypted_suffix": o.EncryptedSuffix, "unencrypted_suffix": o.UnencryptedSuffix} {
		if v != "" {
			meta[k] = v
		}
	}
	if o.MACOnlyEncrypted {
		meta["mac_only_encrypted"] = true
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(4)
	for _, d := range docs {
		var mn yaml.Node
		if err := mn.Encode(meta); err != nil {
			return nil, err
		}
		root := d.Content[0]
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "sops"}, &mn)
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
