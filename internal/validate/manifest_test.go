package validate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

func TestParseChunkEdgeCases(t *testing.T) {
	tests := []struct {
		name, data string
		objects    int
		errSub     string
		errLine    int
	}{
		{"empty", "# only a comment\n", 0, "", 0},
		{"list document", "- a\n- b\n", 0, "not an object", 1},
		{"scalar", "hello\n", 0, "not an object", 1},
		{"syntax error", "a: b\n  c: [\n", 0, "YAML", 0},
		{"recursive alias", "a: &x [*x]\n", 0, "", 0},
		{"duplicate key", "kind: A\nmetadata: {}\nkind: B\n", 0, `duplicate key "kind" (first at line 1)`, 3},
		{"merge key", "base: &b {x: 1}\nkind: A\napiVersion: v1\nspec:\n  <<: *b\n  y: 2\n", 1, "", 0},
		{"List with non-object item", "apiVersion: v1\nkind: List\nitems:\n- 3\n- {kind: A}\n", 1, "List item 0 is not an object", 4},
		{"timestamp stays string", "kind: A\nt: 2024-01-01T00:00:00Z\n", 1, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := ParseChunk(Chunk{Data: []byte(tt.data), Line: 1}, true)
			objects := 0
			var errs []string
			for _, d := range docs {
				if d.Err != nil {
					errs = append(errs, d.Err.Error())
					if tt.errLine > 0 && d.ErrLine != tt.errLine {
						t.Errorf("error line %d, want %d", d.ErrLine, tt.errLine)
					}
					continue
				}
				objects++
				if tt.name == "timestamp stays string" {
					if _, ok := d.Object["t"].(string); !ok {
						t.Errorf("t = %T, want string", d.Object["t"])
					}
				}
				if tt.name == "merge key" {
					spec, _ := d.Object["spec"].(map[string]any)
					if spec["x"] != int64(1) || spec["y"] != int64(2) {
						t.Errorf("merged spec = %v", spec)
					}
				}
			}
			if objects != tt.objects {
				t.Errorf("objects = %d, want %d (errors %v)", objects, tt.objects, errs)
			}
			if tt.errSub != "" && !strings.Contains(strings.Join(errs, "|"), tt.errSub) {
				t.Errorf("errors %v, want %q", errs, tt.errSub)
			}
			if tt.name == "recursive alias" && len(errs) == 0 && objects == 0 {
				t.Error("recursive alias produced nothing")
			}
		})
	}
}

func TestStreamDocumentsLines(t *testing.T) {
	data := "---\na: 1\n---\n\n# c\nb: 2\n--- {c: 3}\n...\n"
	var got []Chunk
	if err := StreamDocuments(strings.NewReader(data), func(c Chunk) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Line != 2 || got[1].Line != 4 || got[2].Line != 7 {
		t.Fatalf("chunks = %+v", got)
	}
	docs := ParseChunk(got[1], true)
	if len(docs) != 1 || docs[0].Line != 6 {
		t.Errorf("doc line = %+v, want 6", docs)
	}
}

// TestHTTPSchemaLocation serves a schema over HTTP (127.0.0.1) as a
// kubeconform schema location, with a cache directory: the second validator
// reads the cache, not the server.
func TestHTTPSchemaLocation(t *testing.T) {
	schema, err := os.ReadFile("testdata/kubeconform/registry/trainingjob-sagemaker-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/trainingjob-sagemaker-v1.json" {
			http.NotFound(w, r)
			return
		}
		w.Write(schema)
	}))
	defer srv.Close()
	cache := t.TempDir()
	data, err := os.ReadFile("testdata/kubeconform/test_crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		v, err := New(Options{Strict: false, SchemaLocations: []string{srv.URL + "/{{ .ResourceKind }}{{ .KindSuffix }}.json"}, SchemaCacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ValidateFiles(context.Background(), v, []Input{BytesInput("test_crd.yaml", data)})
		if err != nil || res.Resources != 1 || len(res.Findings) != 0 {
			t.Fatalf("run %d: %v %+v", i, err, res)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("server hits = %d, want 1 (second run from cache)", hits.Load())
	}
	// A location without the schema leaves the kind missing.
	v, err := New(Options{SchemaLocations: []string{srv.URL + "/nothing/{{ .ResourceKind }}.json"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ValidateFiles(context.Background(), v, []Input{BytesInput("test_crd.yaml", data)})
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Rule != report.RuleSchemaMissing {
		t.Errorf("missing: %v %+v", err, res)
	}
}
