package diff

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/resource"
)

var update = flag.Bool("update", false, "rewrite golden files")

func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func cluster(name string, apps map[string][]map[string]any) *resource.Cluster {
	c := &resource.Cluster{Name: name}
	for _, n := range sortedKeys(apps) {
		a := &resource.App{Name: n, Cluster: name}
		for _, o := range apps[n] {
			a.Resources = append(a.Resources, &resource.Resource{Cluster: name, App: n, Object: o})
		}
		c.Apps = append(c.Apps, a)
	}
	return c
}

const cm1 = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {LOG_LEVEL: info, REGION: eu}
`

const cm1Reordered = `kind: ConfigMap
data:
  REGION: eu
  LOG_LEVEL: info
metadata:
  namespace: shop
  name: settings
apiVersion: v1
`

const secretA = `apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: hunter2-very-secret}
`

const secretB = `apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: correct-horse-battery}
`

const svc = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
`

func TestCompare(t *testing.T) {
	base := []*resource.Cluster{cluster("prod", map[string][]map[string]any{
		"shop":   {obj(t, cm1), obj(t, secretA), obj(t, svc)},
		"legacy": {obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: old, namespace: shop}}`)},
	})}
	head := []*resource.Cluster{cluster("prod", map[string][]map[string]any{
		"shop":     {obj(t, cm1Reordered), obj(t, secretB)},
		"frontend": {obj(t, svc), obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: new, namespace: shop}}`)},
	})}
	r := Compare(base, head)
	got := map[string]Change{}
	for _, a := range r.Apps {
		for _, d := range a.Resources {
			got[a.App+" "+d.Resource.String()] = d.Change
		}
	}
	want := map[string]Change{
		"shop Secret/shop/db":         Changed,
		"frontend Service/shop/web":   Moved,
		"frontend ConfigMap/shop/new": Added,
		"legacy ConfigMap/shop/old":   Removed,
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	// the reordered ConfigMap is not a change; no secret value anywhere
	for _, format := range Formats {
		var b strings.Builder
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"hunter2", "correct-horse", "aHVudGVy"} {
			if strings.Contains(b.String(), secret) {
				t.Errorf("%s output contains secret value %q", format, secret)
			}
		}
		if strings.Contains(b.String(), "settings") {
			t.Errorf("%s output shows the reordered ConfigMap as changed:\n%s", format, b.String())
		}
	}
	if !strings.Contains(r.Apps[len(r.Apps)-1].Resources[0].Diff, "<redacted ") {
		t.Errorf("secret change not shown as a fingerprint change: %q", r.Apps[len(r.Apps)-1].Resources[0].Diff)
	}
	golden(t, "compare.md", Markdown(r, DefaultMarkdownLimit))
}

func TestCompareIdenticalIsEmpty(t *testing.T) {
	a := []*resource.Cluster{cluster("prod", map[string][]map[string]any{"shop": {obj(t, cm1)}})}
	b := []*resource.Cluster{cluster("prod", map[string][]map[string]any{"shop": {obj(t, cm1Reordered)}})}
	if r := Compare(a, b); !r.Empty() {
		t.Fatalf("identical renders differ: %+v", r)
	}
	if md := Markdown(Compare(a, b), 0); !strings.Contains(md, "No rendered resource changes") {
		t.Fatalf("markdown for no change: %q", md)
	}
}

func TestMarkdownTruncates(t *testing.T) {
	apps := map[string][]map[string]any{}
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		apps[n] = []map[string]any{obj(t, strings.Replace(cm1, "settings", "settings-"+n, 1))}
	}
	r := Compare(nil, []*resource.Cluster{cluster("prod", apps)})
	md := Markdown(r, 1200)
	if !strings.Contains(md, "Output truncated") || len(md) > 1400 {
		t.Fatalf("not truncated (len %d):\n%s", len(md), md)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden; got:\n%s", name, got)
	}
}

// TestMarkdownCountsAppsAndResources: the heading counts apps and resources
// separately, in the singular for one, and each app's summary has its own
// counts.
func TestMarkdownCountsAppsAndResources(t *testing.T) {
	apps := map[string][]map[string]any{"shop": {
		obj(t, cm1),
		obj(t, strings.Replace(cm1, "settings", "settings-2", 1)),
		obj(t, strings.Replace(cm1, "settings", "settings-3", 1)),
	}}
	r := Compare(nil, []*resource.Cluster{cluster("prod", apps)})
	md := Markdown(r, DefaultMarkdownLimit)
	for _, want := range []string{
		"1 app changed: 3 resources added, 0 changed, 0 removed.\n",
		"| Cluster | App | Added | Changed | Removed |\n",
		"| prod | shop | 3 | 0 | 0 |\n",
		"<summary>prod / shop: 3 resources added, 0 changed, 0 removed</summary>",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	var text strings.Builder
	if err := Write(&text, r, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(text.String(), "1 app changed: 3 resources added, 0 changed, 0 removed\n") {
		t.Errorf("text summary line:\n%s", text.String())
	}
}
