package resource

import (
	"encoding/json"
	"testing"
	"time"
)

func TestContentSum(t *testing.T) {
	sum := func(v any) Sum {
		t.Helper()
		s, ok := ContentSum(v)
		if !ok {
			t.Fatalf("ContentSum(%#v): no key", v)
		}
		return s
	}
	a := map[string]any{"kind": "Deployment", "spec": map[string]any{"replicas": int64(3), "tags": []any{"a", "b"}}}
	b := map[string]any{"spec": map[string]any{"tags": []any{"a", "b"}, "replicas": int64(3)}, "kind": "Deployment"}
	if sum(a) != sum(b) {
		t.Error("equal maps built in another order have different sums")
	}
	// values that print alike but differ in type or structure
	distinct := []any{
		nil, false, true, "", "1", int64(1), float64(1), uint64(1), json.Number("1"),
		[]any{}, map[string]any{}, map[any]any{},
		[]any{"a", "b"}, []any{"ab"}, []any{[]any{"a"}, "b"},
		map[string]any{"a": "b"}, map[string]any{"ab": ""}, map[string]any{"a": nil},
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2026-01-01T00:00:00Z",
		map[string]any{"spec": map[string]any{"replicas": "3"}},
		map[string]any{"spec": map[string]any{"replicas": int64(3)}},
	}
	seen := map[Sum]int{}
	for i, v := range distinct {
		s := sum(v)
		if j, dup := seen[s]; dup {
			t.Errorf("%#v and %#v have the same sum", distinct[j], v)
		}
		seen[s] = i
	}
	// the encoding is exact (the render cache round-trips it): an int and
	// an int64 of one value differ in Go type, so in sum
	if sum(3) == sum(int64(3)) {
		t.Error("int and int64 have the same sum")
	}
	// a type with no canonical form has no key
	if _, ok := ContentSum(map[string]any{"x": struct{}{}}); ok {
		t.Error("a struct value got a key")
	}
	if _, ok := ContentSum(map[any]any{1: "x"}); ok {
		t.Error("a map with a non-string key got a key")
	}
}
