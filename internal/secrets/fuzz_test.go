package secrets

import (
	"strings"
	"testing"

	"filippo.io/age"
	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/secrets/sopstest"
)

// FuzzDetectors feeds arbitrary bytes to every detector as a YAML/JSON
// file, a kustomization and a SOPS file (with a key, so the MAC walk runs),
// and as a rendered object. Nothing may panic, and every finding must be
// well formed. Seeds: the rule corpus and SOPS files of the tests.
func FuzzDetectors(f *testing.F) {
	for _, tc := range ruleCases {
		for _, c := range tc.files {
			f.Add([]byte(c))
		}
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	keys, err := ParseKeys(id.String(), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	for _, o := range []sopstest.Options{{}, {EncryptedRegex: "^(data|stringData)$"}, {UnencryptedSuffix: "_unencrypted", MACOnlyEncrypted: true}} {
		o.Recipients = []*age.X25519Recipient{id.Recipient()}
		enc, err := sopstest.Encrypt([]byte(sopsPlain), o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b, *b]\n"))
	f.Add([]byte("- name: PASSWORD\n  value: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rfs, err := rootfs.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer rfs.Close()
		s := newScanner(rfs, keys)
		for _, name := range []string{"f.yaml", "kustomization.yaml", "f.json"} {
			sf := &srcFile{path: name, data: data, lines: strings.Split(string(data), "\n")}
			sf.docs, sf.parseErr, sf.parseLine = parseDocs(data)
			s.files[name] = sf
			s.scanPath(name)
		}
		var obj map[string]any
		if yaml.Unmarshal(data, &obj) == nil && obj != nil {
			s.scanRendered([]*resource.Cluster{{Name: "c", Apps: []*resource.App{{Name: "a", Resources: []*resource.Resource{
				{Object: obj, Origin: resource.Origin{File: "f.yaml", Line: 1}, ValuesFiles: []string{"f.yaml"}},
			}}}}}, map[string]bool{})
		}
		for _, h := range s.hits {
			fd := h.finding()
			if !strings.HasPrefix(fd.Rule, "secret/") || len(fd.Fingerprint) != 16 || fd.Message == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
			s.inlineIgnored(h)
		}
	})
}
