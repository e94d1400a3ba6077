// Package sopsinterop_test checks render-check's SOPS code against the real
// sops library, in both directions: files encrypted by sops' own Tree,
// cipher and age key source verify (and tampering is caught) with
// secrets.Scan; files written by sopstest decrypt and verify with sops'
// own Tree.Decrypt and MAC check. It lives in its own package so that only
// this test binary links the sops root package (and its cloud SDKs).
package sopsinterop_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	sops "github.com/getsops/sops/v3"
	sopsaes "github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/secrets"
	"github.com/render-check/render-check/internal/secrets/sopstest"
)

const plain = `apiVersion: v1
kind: Secret
metadata:
    name: db
stringData:
    password: Hunter2-Sup3r-S3cret!
    port: 5432
    enabled: true
    ratio: 0.25
    hosts:
        - a.example
        - b.example
    note_unencrypted: public
`

// toTree converts a YAML mapping to a sops TreeBranch the way sops' YAML
// store does for comment-free documents (scalars decoded into interface{}).
func toTree(t *testing.T, n *yaml.Node) sops.TreeBranch {
	t.Helper()
	var b sops.TreeBranch
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "sops" {
			continue
		}
		b = append(b, sops.TreeItem{Key: n.Content[i].Value, Value: toValue(t, n.Content[i+1])})
	}
	return b
}

func toValue(t *testing.T, n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		return toTree(t, n)
	case yaml.SequenceNode:
		var out []any
		for _, c := range n.Content {
			out = append(out, toValue(t, c))
		}
		return out
	}
	var v any
	if err := n.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func fromValue(t *testing.T, v any) *yaml.Node {
	t.Helper()
	switch v := v.(type) {
	case sops.TreeBranch:
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, it := range v {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: it.Key.(string)}, fromValue(t, it.Value))
		}
		return m
	case []any:
		s := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range v {
			s.Content = append(s.Content, fromValue(t, c))
		}
		return s
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		t.Fatal(err)
	}
	return &n
}

func parse(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var d yaml.Node
	if err := yaml.Unmarshal([]byte(s), &d); err != nil {
		t.Fatal(err)
	}
	return d.Content[0]
}

type rules struct {
	encryptedRegex, unencryptedSuffix string
	macOnly                           bool
}

// sopsEncrypt encrypts plain with the real sops library.
func sopsEncrypt(t *testing.T, id *age.X25519Identity, r rules) string {
	t.Helper()
	mk, err := sopsage.MasterKeyFromRecipient(id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	lm := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tree := sops.Tree{
		Branches: sops.TreeBranches{toTree(t, parse(t, plain))},
		Metadata: sops.Metadata{
			LastModified: lm, EncryptedRegex: r.encryptedRegex, UnencryptedSuffix: r.unencryptedSuffix,
			MACOnlyEncrypted: r.macOnly, Version: "3.13.3", KeyGroups: []sops.KeyGroup{{mk}},
		},
	}
	key, errs := tree.GenerateDataKey()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cipher := sopsaes.NewCipher()
	mac, err := tree.Encrypt(key, cipher)
	if err != nil {
		t.Fatal(err)
	}
	encMAC, err := cipher.Encrypt(mac, key, lm.Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	root := fromValue(t, tree.Branches[0])
	meta := map[string]any{
		"age":          []map[string]string{{"recipient": mk.Recipient, "enc": string(mk.EncryptedDataKey())}},
		"lastmodified": lm.Format(time.RFC3339), "mac": encMAC, "version": "3.13.3",
	}
	if r.encryptedRegex != "" {
		meta["encrypted_regex"] = r.encryptedRegex
	}
	if r.unencryptedSuffix != "" {
		meta["unencrypted_suffix"] = r.unencryptedSuffix
	}
	if r.macOnly {
		meta["mac_only_encrypted"] = true
	}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "sops"}, fromValue(t, meta))
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(4)
	if err := enc.Encode(root); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func scan(t *testing.T, content string, keys *secrets.Keys) []report.Finding {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "s.yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := secrets.Scan(context.Background(), secrets.Options{Root: root, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if res.SopsFiles != 1 || len(res.Skipped) != 0 {
		t.Fatalf("SopsFiles=%d skipped=%q", res.SopsFiles, res.Skipped)
	}
	return res.Findings
}

func TestSopsLibraryFilesVerify(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeys(id.String(), "test")
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]rules{
		"full": {}, "encrypted_regex": {encryptedRegex: "^(data|stringData)$"},
		"unencrypted_suffix": {unencryptedSuffix: "_unencrypted"},
		"mac_only_encrypted": {encryptedRegex: "^stringData$", macOnly: true},
	} {
		t.Run(name, func(t *testing.T) {
			file := sopsEncrypt(t, id, r)
			if strings.Contains(file, "Hunter2") {
				t.Fatal("sops left the password in plaintext")
			}
			if fs := scan(t, file, keys); len(fs) != 0 {
				t.Fatalf("clean sops file has findings: %v", fs)
			}
			// sequence items swapped: sops' MAC is order-sensitive
			lines := strings.Split(file, "\n")
			var items []int
			for i, l := range lines {
				if strings.HasPrefix(strings.TrimSpace(l), "- ") && strings.HasPrefix(l, "        ") {
					items = append(items, i)
				}
			}
			if len(items) < 2 {
				t.Fatalf("no hosts items in %s", file)
			}
			lines[items[0]], lines[items[1]] = lines[items[1]], lines[items[0]]
			fs := scan(t, strings.Join(lines, "\n"), keys)
			// (with mac_only_encrypted the hosts are still in the MAC: they
			// are under stringData, which is encrypted)
			if len(fs) != 1 || fs[0].Rule != report.RuleSecretSopsMACMismatch {
				t.Fatalf("swapped items: findings %v, want one %s", fs, report.RuleSecretSopsMACMismatch)
			}
		})
	}
}

func TestSopstestFilesDecryptWithSops(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for name, o := range map[string]sopstest.Options{
		"full":               {},
		"encrypted_regex":    {EncryptedRegex: "^(data|stringData)$"},
		"unencrypted_suffix": {UnencryptedSuffix: "_unencrypted"},
		"mac_only_encrypted": {EncryptedRegex: "^stringData$", MACOnlyEncrypted: true},
	} {
		t.Run(name, func(t *testing.T) {
			o.Recipients = []*age.X25519Recipient{id.Recipient()}
			out, err := sopstest.Encrypt([]byte(plain), o)
			if err != nil {
				t.Fatal(err)
			}
			root := parse(t, string(out))
			var meta struct {
				LastModified string `yaml:"lastmodified"`
				MAC          string `yaml:"mac"`
				Age          []struct {
					Recipient string `yaml:"recipient"`
					Enc       string `yaml:"enc"`
				} `yaml:"age"`
			}
			for i := 0; i+1 < len(root.Content); i += 2 {
				if root.Content[i].Value == "sops" {
					if err := root.Content[i+1].Decode(&meta); err != nil {
						t.Fatal(err)
					}
				}
			}
			lm, err := time.Parse(time.RFC3339, meta.LastModified)
			if err != nil {
				t.Fatal(err)
			}
			// sops' local key service rebuilds the age key from the
			// recipient and reads the identity from the environment.
			t.Setenv("SOPS_AGE_KEY", id.String())
			t.Setenv("SOPS_AGE_KEY_FILE", "")
			mk := &sopsage.MasterKey{Recipient: meta.Age[0].Recipient, EncryptedKey: meta.Age[0].Enc}
			tree := sops.Tree{
				Branches: sops.TreeBranches{toTree(t, root)},
				Metadata: sops.Metadata{LastModified: lm, EncryptedRegex: o.EncryptedRegex, UnencryptedSuffix: o.UnencryptedSuffix,
					MACOnlyEncrypted: o.MACOnlyEncrypted, KeyGroups: []sops.KeyGroup{{mk}}},
			}
			key, err := tree.Metadata.GetDataKey()
			if err != nil {
				t.Fatal(err)
			}
			cipher := sopsaes.NewCipher()
			mac, err := tree.Decrypt(key, cipher)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := cipher.Decrypt(meta.MAC, key, lm.Format(time.RFC3339))
			if err != nil {
				t.Fatal(err)
			}
			if stored != mac {
				t.Fatalf("sops computes MAC %v, file says %v", mac, stored)
			}
			pw, err := tree.Branches[0].Truncate([]any{"stringData", "password"})
			if err != nil || pw != "Hunter2-Sup3r-S3cret!" {
				t.Fatal("sops did not decrypt the password to its plaintext")
			}
		})
	}
}
