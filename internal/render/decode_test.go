package render

import (
	"strings"
	"testing"
)

// TestDecodeYAMLOrJSONLines: documents are split and decoded as Kubernetes'
// YAMLOrJSONDecoder does, each located at its first content line.
func TestDecodeYAMLOrJSONLines(t *testing.T) {
	data := "# header\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n\n---\n# c\nkind: ConfigMap\napiVersion: v1\nmetadata:\n  name: b\ndata:\n  on: yes\n  k: 1\n  k: 2\n"
	docs, _, err := decodeYAMLOrJSON([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Line != 3 || docs[1].Line != 11 {
		t.Fatalf("docs = %+v, want lines 3 and 11", docs)
	}
	d := docs[1].Object["data"].(map[string]any)
	if d["true"] != true || d["k"] != int64(2) {
		t.Errorf("data = %v, want YAML 1.1 key/value and the last duplicate", d)
	}

	_, line, err := decodeYAMLOrJSON([]byte("kind: A\napiVersion: v1\n---\nkind: B\nmetadata: {a: [\n"))
	if err == nil || line < 4 || !strings.Contains(err.Error(), "malformed YAML") {
		t.Errorf("err = %v at line %d, want malformed YAML at line >= 4", err, line)
	}

	docs, _, err = decodeYAMLOrJSON([]byte(` {"kind": "A", "apiVersion": "v1"} {"kind": "B", "apiVersion": "v1"}`))
	if err != nil || len(docs) != 2 {
		t.Errorf("JSON stream: %v %+v", err, docs)
	}
	if _, _, err := decodeYAMLOrJSON([]byte("apiVersion: v1\nmetadata: {}\n")); err == nil {
		t.Error("an object without kind decoded")
	}
}
