package helm

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
)

// TestValuesMatchHelmCLI checks argoValues against helm's own CLI values
// merging (pkg/cli/values, what `helm template -f/--set/--set-string/--set-file`
// runs) fed with the arguments Argo CD's util/helm/cmd.go builds.
func TestValuesMatchHelmCLI(t *testing.T) {
	root := testRoot(t)
	chartDir := filepath.Join(root, "charts", "app")
	sources := []*argo.HelmSource{
		{ValueFiles: []string{"values-a.yaml", "values-b.yaml"}},
		{ValueFiles: []string{"values-a.yaml"}, Values: "level: inline\nimage: {tag: x}\n",
			Parameters: []argo.HelmParameter{{Name: "image.tag", Value: "1.2,3"}, {Name: "list", Value: "{p,q}"}, {Name: "n", Value: "007"},
				{Name: "s", Value: "true", ForceString: true}, {Name: "arr[1].x", Value: "y"}}},
		{ValuesObject: map[string]any{"level": "obj", "deep": map[string]any{"a": []any{1, "b"}}}, Values: "ignored: true",
			FileParameters: []argo.HelmFileParam{{Name: "cfg.file", Path: "file.txt"}}},
		{ValueFiles: []string{"env/*.yaml"}, Parameters: []argo.HelmParameter{{Name: "fromChart", Value: "null"}, {Name: `dotted\.key`, Value: `a\,b`}}},
	}
	r := NewRenderer(t.TempDir())
	if err := r.addRoot(root); err != nil {
		t.Fatal(err)
	}
	for i, h := range sources {
		pe := &pathEnv{root: root, appPath: chartDir, display: (&paths{root: root}).display, inRepo: func(string) bool { return true }}
		got, _, _, err := r.argoValues(context.Background(), pe, h)
		if err != nil {
			t.Fatal(err)
		}

		// the helm CLI arguments Argo CD builds
		opts := &values.Options{}
		locs, err := pe.resolveValueFiles(h.ValueFiles, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locs {
			opts.ValueFiles = append(opts.ValueFiles, l.path)
		}
		extra := []byte(h.Values)
		if h.ValuesObject != nil {
			extra = mustYAML(t, h.ValuesObject)
		}
		if len(extra) > 0 {
			p := filepath.Join(t.TempDir(), "extra.yaml")
			if err := os.WriteFile(p, extra, 0o600); err != nil {
				t.Fatal(err)
			}
			opts.ValueFiles = append(opts.ValueFiles, p)
		}
		for _, p := range h.Parameters {
			if p.ForceString {
				opts.StringValues = append(opts.StringValues, p.Name+"="+cleanSetParameter(p.Value))
			} else {
				opts.Values = append(opts.Values, p.Name+"="+cleanSetParameter(p.Value))
			}
		}
		for _, p := range h.FileParameters {
			opts.FileValues = append(opts.FileValues, p.Name+"="+cleanSetParameter(filepath.Join(chartDir, p.Path)))
		}
		want, err := opts.MergeValues(getter.Providers{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("source %d:\n got %#v\nwant %#v", i, got, want)
		}
	}
}

func mustYAML(t *testing.T, v any) []byte {
	t.Helper()
	b, err := sigsyaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
