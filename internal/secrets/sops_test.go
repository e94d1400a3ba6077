package secrets

import (
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/render-check/render-check/internal/secrets/sopstest"
)

const sopsPlain = `apiVersion: v1
kind: Secret
metadata:
    name: db
    namespace: app
type: Opaque
stringData:
    password: ` + "Hunter2-Sup3r-S3cret!" + `
    port: 5432
    enabled: true
    ratio: 0.5
    empty: ""
    hosts:
        - a.example
        - b.example
    note_unencrypted: public
`

func newKey(t *testing.T) (*age.X25519Identity, *Keys) {
	t.Helper()
	id, err := sopstest.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKeys("# test key\n"+id.String()+"\n", "test")
	if err != nil {
		t.Fatal(err)
	}
	return id, k
}

func encrypt(t *testing.T, plain string, o sopstest.Options) string {
	t.Helper()
	out, err := sopstest.Encrypt([]byte(plain), o)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// replaceLeaf replaces the value on the line that starts with prefix
// (after indentation) by a new value.
func replaceLeaf(t *testing.T, doc, prefix, value string) string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
			lines[i] = indent + prefix + " " + value
			return strings.Join(lines, "\n")
		}
	}
	t.Fatalf("no line starting with %q", prefix)
	return ""
}

func lineOf(doc, prefix string) string {
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), prefix))
		}
	}
	return ""
}

func TestSops(t *testing.T) {
	id, keys := newKey(t)
	_, otherKeys := newKey(t)
	rcp := id.Recipient()
	full := encrypt(t, sopsPlain, sopstest.Options{Recipients: []*age.X25519Recipient{rcp}})
	regex := encrypt(t, sopsPlain, sopstest.Options{Recipients: []*age.X25519Recipient{rcp}, EncryptedRegex: "^(data|stringData)$"})
	suffix := encrypt(t, sopsPlain, sopstest.Options{Recipients: []*age.X25519Recipient{rcp}, UnencryptedSuffix: "_unencrypted"})
	macOnly := encrypt(t, sopsPlain, sopstest.Options{Recipients: []*age.X25519Recipient{rcp}, EncryptedRegex: "^stringData$", MACOnlyEncrypted: true})

	// two values of the same file swapped: each decrypts only at its own path
	swapped := replaceLeaf(t, full, "password:", lineOf(full, "ratio:"))
	// a ciphertext bit flipped
	enc := lineOf(full, "password:")
	flipped := replaceLeaf(t, full, "password:", strings.Replace(enc, "data:", "data:A", 1))
	// an unencrypted (suffix) value edited by hand: only the MAC notices
	editedPlain := strings.Replace(suffix, "note_unencrypted: public", "note_unencrypted: changed", 1)
	// a value removed
	removed := dropLine(full, "- "+lineOf(full, "- ")[:0]+secondItem(full))
	// in mac_only_encrypted files, unencrypted values are outside the MAC
	macOnlyEdited := strings.Replace(macOnly, "name: db", "name: db2", 1)
	// a key added after encryption
	added := strings.Replace(regex, "stringData:\n", "stringData:\n    newkey: "+secretToken+"\n", 1)
	addedSuffix := strings.Replace(suffix, "stringData:\n", "stringData:\n    apikey: "+secretToken+"\n    url_unencrypted: https://x\n", 1)
	// metadata damaged
	noMAC := dropLine(full, "mac:")
	noLM := dropLine(full, "lastmodified:")
	noKeys := cutFrom(full, "    age:")
	stripped := cutFrom(full, "sops:")

	cases := []struct {
		name    string
		content string
		keys    *Keys
		want    []string
		skipped bool
	}{
		{"encrypted, key", full, keys, nil, false},
		{"encrypted, no key: skipped", full, nil, nil, true},
		{"encrypted, wrong key: skipped", full, otherKeys, nil, true},
		{"encrypted_regex", regex, keys, nil, false},
		{"unencrypted_suffix", suffix, keys, nil, false},
		{"mac_only_encrypted", macOnly, keys, nil, false},
		{"mac_only_encrypted, plain value edited", macOnlyEdited, keys, nil, false},
		{"tampered: swapped values", swapped, keys, []string{"secret/sops-mac-mismatch s.yaml:8"}, false},
		{"tampered: flipped bit", flipped, keys, []string{"secret/sops-mac-mismatch s.yaml:8"}, false},
		{"MAC mismatch: plain value edited", editedPlain, keys, []string{"secret/sops-mac-mismatch s.yaml:" + macLine(editedPlain)}, false},
		{"MAC mismatch: value removed", removed, keys, []string{"secret/sops-mac-mismatch s.yaml:" + macLine(removed)}, false},
		{"plaintext value added (encrypted_regex)", added, nil, []string{"secret/sops-plaintext-value s.yaml:8"}, false},
		{"plaintext value added (unencrypted_suffix)", addedSuffix, keys, []string{"secret/sops-plaintext-value s.yaml:8"}, false},
		{"metadata: no mac", noMAC, keys, []string{"secret/sops-metadata s.yaml:" + sopsLine(noMAC)}, false},
		{"metadata: no lastmodified", noLM, keys, []string{"secret/sops-metadata s.yaml:" + sopsLine(noLM)}, false},
		{"metadata: no key group", noKeys, keys, []string{"secret/sops-metadata s.yaml:" + sopsLine(noKeys)}, false},
		{"metadata stripped", stripped, keys, []string{"secret/sops-metadata s.yaml:1"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := scanTree(t, map[string]string{"s.yaml": tc.content}, Options{Keys: tc.keys})
			got := brief(res.Findings)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("findings:\n got %q\nwant %q", got, tc.want)
				for _, f := range res.Findings {
					t.Logf("  %s: %s %s", f.Location(), f.Rule, f.Message)
				}
			}
			if (len(res.Skipped) > 0) != tc.skipped {
				t.Errorf("skipped = %q, want skipped %v", res.Skipped, tc.skipped)
			}
			if res.SopsFiles != 1 && !strings.Contains(tc.name, "stripped") {
				t.Errorf("SopsFiles = %d", res.SopsFiles)
			}
			for _, f := range res.Findings {
				assertNoSecrets(t, "finding", f.Message)
			}
		})
	}
}

// secondItem returns the value of the second sequence item of the file.
func secondItem(doc string) string {
	n := 0
	for _, l := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "- ENC[") {
			if n++; n == 2 {
				return strings.TrimPrefix(t, "- ")
			}
		}
	}
	return "?"
}

func dropLine(doc, prefix string) string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// cutFrom removes the lines from the first one starting with prefix to the
// end of the sops block (lines indented deeper).
func cutFrom(doc, prefix string) string {
	lines := strings.Split(doc, "\n")
	var out []string
	cutting, indent := false, 0
	for _, l := range lines {
		ind := len(l) - len(strings.TrimLeft(l, " "))
		if !cutting && strings.HasPrefix(l, prefix) {
			cutting, indent = true, ind
			continue
		}
		if cutting && (ind > indent || (strings.HasPrefix(strings.TrimSpace(l), "-") && ind >= indent)) && strings.TrimSpace(l) != "" {
			continue
		}
		cutting = false
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func lineNo(doc, prefix string) string {
	for i, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
}

func macLine(doc string) string  { return lineNo(doc, "    mac:") }
func sopsLine(doc string) string { return lineNo(doc, "sops:") }
