package resource

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// DecodeAll decodes every document of a YAML or JSON stream into objects,
// skipping empty documents and expanding Lists (any object with a top-level
// items array), as Argo CD does. The error names the document's line.
func DecodeAll(data []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("decoding YAML: %w", err)
		}
		var obj map[string]any
		if err := n.Decode(&obj); err != nil {
			return out, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if obj == nil {
			continue
		}
		out = append(out, ExpandList(obj)...)
	}
}

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
