package diff

import (
	"strings"
	"testing"
)

// Only quantity fields compare by value: the same strings elsewhere are
// user data and stay different.
func TestCanonicalOnlyQuantityFields(t *testing.T) {
	desired := `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: shop, labels: {size: 1Gi}}, data: {limits: "1k", cpu: "1000m"}}`
	live := `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: shop, labels: {size: 1024Mi}}, data: {limits: "1000", cpu: "1"}}`
	r := Live("prod", liveApp(t, desired), []map[string]any{obj(t, live)})
	var paths []string
	for _, a := range r.Apps {
		for _, d := range a.Resources {
			for _, f := range d.Fields {
				paths = append(paths, f.Path)
			}
		}
	}
	if got, want := strings.Join(paths, " "), "data.cpu data.limits metadata.labels.size"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func TestCanonicalQuantities(t *testing.T) {
	for _, c := range []struct {
		desired, live any
		same          bool
	}{
		{"1", "1000m", true}, {1.0, "1", true}, {"1Gi", "1024Mi", true}, {0.5, "500m", true},
		{"1G", "1000M", true}, {int64(1073741824), "1Gi", true},
		{"1", "1001m", false}, {"1G", "1Gi", false}, {"abc", "abc", true}, {"abc", "abd", false},
	} {
		got := canonical(c.desired, c.live, false, true)
		if same := scalar(got) == scalar(c.live); same != c.same {
			t.Errorf("%v vs %v: same %v, want %v", c.desired, c.live, same, c.same)
		}
	}
}

// A Secret's stringData is compared as the data the server stores.
func TestCanonicalSecretStringData(t *testing.T) {
	d := obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: YQ==, b: Yg==}, stringData: {b: c}}`)
	got := canonicalDesired(d, nil)
	data := got["data"].(map[string]any)
	if _, ok := got["stringData"]; ok || data["a"] != "YQ==" || data["b"] != "Yw==" {
		t.Errorf("folded: %v", got)
	}
	if _, ok := d["stringData"]; !ok {
		t.Error("the desired object was modified")
	}
}
