package imagebump

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseImage(t *testing.T) {
	tests := []struct {
		in              string
		ok              bool
		canon, tag, dig string
	}{
		{"nginx", true, "index.docker.io/library/nginx", "", ""},
		{"nginx:1.27", true, "index.docker.io/library/nginx", "1.27", ""},
		{"docker.io/library/nginx:1.27", true, "index.docker.io/library/nginx", "1.27", ""},
		{"localhost:5000/app", true, "localhost:5000/app", "", ""},
		{"localhost:5000/app:1.2.3", true, "localhost:5000/app", "1.2.3", ""},
		{"registry.example:443/org/team/app:v1@sha256:" + strings.Repeat("a", 64), true, "registry.example:443/org/team/app", "v1", "sha256:" + strings.Repeat("a", 64)},
		{"ghcr.io/org/app@sha256:" + strings.Repeat("b", 64), true, "ghcr.io/org/app", "", "sha256:" + strings.Repeat("b", 64)},
		{"ghcr.io/org/app@sha256:short", false, "", "", ""},
		{"Not An Image", false, "", "", ""},
		{"{{ .Values.image }}", false, "", "", ""},
		{"", false, "", "", ""},
		{"app:", false, "", "", ""},
	}
	for _, tt := range tests {
		sp, ok := parseImage(tt.in)
		if ok != tt.ok {
			t.Errorf("parseImage(%q) ok=%v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var tag, dig string
		if sp.tagStart >= 0 {
			tag = tt.in[sp.tagStart:sp.tagEnd]
		}
		if sp.digStart >= 0 {
			dig = tt.in[sp.digStart:sp.digEnd]
		}
		if sp.canonical != tt.canon || tag != tt.tag || dig != tt.dig {
			t.Errorf("parseImage(%q) = %q %q %q, want %q %q %q", tt.in, sp.canonical, tag, dig, tt.canon, tt.tag, tt.dig)
		}
	}
}

func TestTemplateMayBe(t *testing.T) {
	const canon = "registry.example/org/app"
	for s, want := range map[string]bool{
		"{{ .Values.registry }}/org/app":                         true,
		"{{ .Values.registry }}/app":                             true,
		"registry.example/{{ .Values.org }}/app":                 true,
		"${REGISTRY}/org/app":                                    true,
		"{{ .Values.registry }}/org/other":                       false,
		"{{ .Values.image.repository }}:{{ .Values.image.tag }}": false,
		"{{ .Values.registry }}/org/app-worker":                  false,
	} {
		if got := templateMayBe(s, canon); got != want {
			t.Errorf("templateMayBe(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestPickSemver(t *testing.T) {
	tags := []string{"latest", "1.8.1", "1.8.10", "1.8.9", "v1.8.10", "1.9.0-rc.1", "1.9.0", "main-abc123", "2.0.0-beta.1"}
	tests := []struct{ rng, want string }{
		{"~1.8", "1.8.10"},
		{"^1", "1.9.0"},
		{">=1.9.0-0", "2.0.0-beta.1"},
		{"1.8.1", "1.8.1"},
		{"<1.0", ""},
	}
	for _, tt := range tests {
		got, err := pickSemver(tags, tt.rng)
		if tt.want == "" {
			if err == nil {
				t.Errorf("pickSemver(%q) = %q, want an error", tt.rng, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("pickSemver(%q) = %q, %v; want %q", tt.rng, got, err, tt.want)
		}
	}
}

func TestParseRepository(t *testing.T) {
	if got, err := ParseRepository("nginx"); err != nil || got != "index.docker.io/library/nginx" {
		t.Errorf("nginx: %q %v", got, err)
	}
	if got, err := ParseRepository("localhost:5000/org/app"); err != nil || got != "localhost:5000/org/app" {
		t.Errorf("port: %q %v", got, err)
	}
	for _, bad := range []string{"", "app:1.0", "app@sha256:" + strings.Repeat("a", 64), "UPPER/Case", "a b"} {
		if _, err := ParseRepository(bad); err == nil {
			t.Errorf("ParseRepository(%q): no error", bad)
		}
	}
}

// TestValueOffset checks byte positions for the scalar forms a tag can take.
func TestValueOffset(t *testing.T) {
	src := "a:\r\n  é: x\r\n  t1: &anc 1.8.2\r\n  t2: !!str '1.8.2'\r\n  t3: \"1.8.2\" # c\r\n  t4: *anc\r\n  t5: [\"1.8.2\", 'x']\r\n  t6: |\r\n    1.8.2\r\n  t7: \"a\\u0041\"\r\n"
	docs, err := parseDocs([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	starts := lineStarts([]byte(src))
	m := docs[0].Content[0].Content[1]
	get := func(k string) *yaml.Node { return mapGet(m, k) }
	for _, k := range []string{"t1", "t2", "t3", "t4"} {
		n := get(k)
		off, _, err := valueOffset([]byte(src), starts, n)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if got := src[off : off+len(n.Value)]; got != "1.8.2" {
			t.Errorf("%s: offset points at %q", k, got)
		}
	}
	seq := get("t5")
	if off, q, err := valueOffset([]byte(src), starts, seq.Content[0]); err != nil || q != '"' || src[off:off+5] != "1.8.2" {
		t.Errorf("flow sequence item: %d %c %v", off, q, err)
	}
	if _, _, err := valueOffset([]byte(src), starts, get("t6")); err == nil {
		t.Error("block scalar: no error")
	}
	if _, _, err := valueOffset([]byte(src), starts, get("t7")); err == nil {
		t.Error("escaped scalar: no error")
	}
}

func TestVerifyPatchedRejectsCollateralChanges(t *testing.T) {
	orig := []byte("a: 1 # one\nb: x\n")
	docs, err := parseDocs(orig)
	if err != nil {
		t.Fatal(err)
	}
	b := mapGet(docs[0], "b")
	want := map[*yaml.Node]string{b: "y"}
	if err := verifyPatched(docs, []byte("a: 1 # one\nb: y\n"), want, nil); err != nil {
		t.Errorf("intended patch rejected: %v", err)
	}
	for _, bad := range []string{
		"a: 1 # uno\nb: y\n",  // comment changed
		"a: 2 # one\nb: y\n",  // other value changed
		"a: 1 # one\nb: 2\n",  // value reads back as an int
		"a: 1 # one\nb: [y\n", // not YAML
		"a: 1 # one\nb: y\nc: z\n",
	} {
		if err := verifyPatched(docs, []byte(bad), want, nil); err == nil {
			t.Errorf("patch %q accepted", bad)
		}
	}
}

func TestNeedle(t *testing.T) {
	for in, want := range map[string]string{
		"index.docker.io/library/nginx": "nginx",
		"index.docker.io/bitnami/redis": "bitnami/redis",
		"registry.example/org/app":      "org/app",
	} {
		if got := needleOf(in); got != want {
			t.Errorf("needleOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerifyPatchedInsertion(t *testing.T) {
	orig := []byte("images:\n  - name: app # x\n  - name: db\n")
	docs, err := parseDocs(orig)
	if err != nil {
		t.Fatal(err)
	}
	entry := mapGet(docs[0], "images").Content[0]
	ins := map[*yaml.Node]insertion{entry: {key: "newTag", value: "1.0", afterLine: 2}}
	if err := verifyPatched(docs, []byte("images:\n  - name: app # x\n    newTag: \"1.0\"\n  - name: db\n"), nil, ins); err != nil {
		t.Errorf("intended insertion rejected: %v", err)
	}
	for _, bad := range []string{
		"images:\n  - name: app # x\n  - name: db\n    newTag: \"1.0\"\n", // into the wrong entry
		"images:\n  - name: app # x\n    newTag: 1.0\n  - name: db\n",     // a float
		"images:\n  - name: app # x\n    newTag: \"1.1\"\n  - name: db\n", // another value
	} {
		if err := verifyPatched(docs, []byte(bad), nil, ins); err == nil {
			t.Errorf("patch %q accepted", bad)
		}
	}
}

func TestBumpFileWithByteOrderMark(t *testing.T) {
	src := []byte("\xef\xbb\xbfimage: registry.example/org/app:1.0.0 # bom\n")
	dir := writeTree(t, map[string][]byte{"clusters/prod/values.yaml": src})
	res, err := Bump(t.Context(), Options{Root: dir, Image: "registry.example/org/app", Tag: "2.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "clusters/prod/values.yaml"))
	if want := "\xef\xbb\xbfimage: registry.example/org/app:2.0.0 # bom\n"; string(got) != want || !res.Changed {
		t.Errorf("got %q", got)
	}
}
