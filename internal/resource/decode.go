package resource

import "encoding/json"

// ExpandList returns the items of a List object (any object with a top-level
// items array of objects), or the object itself.
func ExpandList(obj map[string]any) []map[string]any {
	items, ok := obj["items"].([]any)
	if !ok {
		return []map[string]any{obj}
	}
	var out []map[string]any
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// NormalizeNumbers turns json.Number values (from a decoder with UseNumber)
// into int64 when integral, else float64, in place: the value model of
// rendered objects, as Kubernetes decodes them.
func NormalizeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = NormalizeNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = NormalizeNumbers(e)
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	}
	return v
}
