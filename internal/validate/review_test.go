package validate

import (
	"fmt"
	"github.com/render-check/render-check/internal/kube"
	"strings"
	"testing"
	"time"
)

func TestAliasFanOutIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	done := make(chan []Document, 1)
	go func() { done <- ParseChunk(Chunk{Data: []byte(b.String()), Line: 1}, true) }()
	select {
	case docs := <-done:
		if len(docs) != 1 || docs[0].Err == nil || !strings.Contains(docs[0].Err.Error(), "excessive aliasing") {
			t.Fatalf("docs %+v: want an excessive-aliasing error", docs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("alias fan-out was expanded without bound")
	}
}

func TestPatternFindingsDoNotQuoteTheValue(t *testing.T) {
	crd := map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "tokens.example.com"},
		"spec": map[string]any{
			"group": "example.com", "scope": "Namespaced",
			"names": map[string]any{"kind": "Token", "plural": "tokens"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "properties": map[string]any{
					"spec": map[string]any{"type": "object", "properties": map[string]any{
						"key":  map[string]any{"type": "string", "pattern": "^ref:"},
						"date": map[string]any{"type": "string", "format": "date-time"},
					}},
				}}}}},
		},
	}
	cs, err := ConvertCRD(crd)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(Options{KubernetesVersion: kube.DefaultVersion(), Strict: true, CRDs: cs})
	if err != nil {
		t.Fatal(err)
	}
	ps := v.Validate(map[string]any{"apiVersion": "example.com/v1", "kind": "Token",
		"metadata": map[string]any{"name": "t"},
		"spec":     map[string]any{"key": "sk_live_51HxSECRETvalue", "date": "sk_live_51HxSECRETdate"}})
	if len(ps) == 0 {
		t.Fatal("pattern violation not reported")
	}
	for _, p := range ps {
		if m := problemMessage(p); strings.Contains(m, "SECRET") {
			t.Errorf("finding quotes the value: %s", m)
		}
	}
}
