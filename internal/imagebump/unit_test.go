package imagebump

import (
	"context"
	"fmt"
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

// TestValueLayersDoNotExpandAliases: a value file built of aliases that
// fan out (each level names the previous one twice: 2^40 paths) is paired
// with its chart's values without following them, so the bump finishes.
func TestValueLayersDoNotExpandAliases(t *testing.T) {
	var b strings.Builder
	b.WriteString("l0: &l0 {tag: x}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "l%d: &l%d {a: *l%d, b: *l%d}\n", i, i, i-1, i-1)
	}
	b.WriteString("image:\n  tag: 1.0.0\n")
	dir := t.TempDir()
	files := map[string]string{
		"clusters/prod/app.yaml":    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: https://git.example/config.git\n    path: chart\n    helm:\n      valueFiles: [/clusters/prod/values.yaml]\n",
		"clusters/prod/values.yaml": b.String(),
		"chart/Chart.yaml":          "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"chart/values.yaml":         "image:\n  repository: ghcr.io/org/web\n  tag: \"\"\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Bump(context.Background(), Options{Root: dir, Image: "ghcr.io/org/web", Tag: "1.1.0", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0] != "clusters/prod/values.yaml" || !strings.Contains(res.Diff, "+  tag: 1.1.0") {
		t.Fatalf("files %v\n%s", res.Files, res.Diff)
	}
}

// TestLocatorHelmTag: the image check's locator names the layer whose tag
// wins, by the same value stack bump edits with.
func TestLocatorHelmTag(t *testing.T) {
	app := func(helm string) string {
		return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: https://git.example/config.git\n    path: chart\n    helm:\n" + helm
	}
	dir := t.TempDir()
	files := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"chart/values.yaml": "image:\n  repository: ghcr.io/org/web\n  tag: \"0.1\"\n",
		"v/a.yaml":          "image:\n  repository: ghcr.io/org/web\n  tag: \"1.0\"\n",
		"v/b.yaml":          "x: 1\nimage:\n  tag: \"1.0\"\n",
		"apps/files.yaml":   app("      valueFiles: [/v/a.yaml, /v/b.yaml]\n"),
		"apps/object.yaml":  app("      valueFiles: [/v/a.yaml]\n      valuesObject:\n        image: {tag: \"1.0\"}\n"),
		"apps/url.yaml":     app("      valueFiles: [/v/b.yaml, \"https://values.example/x.yaml\"]\n"),
		"apps/param.yaml":   app("      valueFiles: [/v/b.yaml]\n      parameters:\n      - name: image.tag\n        value: \"1.0\"\n"),
		"apps/chart.yaml":   app("      releaseName: web\n"),
		"apps/block.yaml":   app("      valueFiles: [/v/b.yaml]\n      values: |\n        image:\n          tag: \"1.0\"\n"),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := NewLocator(dir)
	for _, tc := range []struct {
		app, image, want string
	}{
		{"apps/files.yaml", "ghcr.io/org/web:1.0", "v/b.yaml:3"},           // the last file setting the tag, tag alone
		{"apps/object.yaml", "ghcr.io/org/web:1.0", "apps/object.yaml:12"}, // valuesObject over the files
		{"apps/block.yaml", "ghcr.io/org/web:1.0", "apps/block.yaml:13"},   // a helm.values block over the files
		{"apps/url.yaml", "ghcr.io/org/web:1.0", ":0"},                     // a URL above: unknown
		{"apps/param.yaml", "ghcr.io/org/web:1.0", ":0"},                   // a parameter: found by Line
		{"apps/chart.yaml", "ghcr.io/org/web:0.1", "chart/values.yaml:3"},  // the chart's own values
		{"apps/chart.yaml", "ghcr.io/org/web:9.9", ":0"},                   // not the tag deployed
		{"apps/files.yaml", "ghcr.io/org/other:1.0", ":0"},                 // another repository
	} {
		f, line := l.HelmTag(tc.app, 0, tc.image)
		if got := fmt.Sprintf("%s:%d", f, line); got != tc.want {
			t.Errorf("HelmTag(%s, %s) = %s, want %s", tc.app, tc.image, got, tc.want)
		}
	}
}
