package validate

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/report"
)

var update = flag.Bool("update", false, "rewrite golden files")

// readInputsDir reads every manifest of dir, named relative to dir.
func readInputsDir(t *testing.T, dir string) []Input {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []Input
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, BytesInput(e.Name(), data))
	}
	return inputs
}

func formatFindings(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		ref := ""
		if f.Resource != nil {
			ref = " [" + f.Resource.APIVersion + " " + f.Resource.String() + "]"
		}
		fmt.Fprintf(&b, "%s %s %s%s %s\n", f.Location(), f.Severity, f.Rule, ref, f.Message)
	}
	return b.String()
}

// TestGolden validates the same manifests for every embedded minor; the
// expected findings of each minor are in testdata/golden/v1.NN.golden (one
// per line). Run `go test -run TestGolden -update` to rewrite them.
func TestGolden(t *testing.T) {
	inputs := readInputsDir(t, "testdata/golden/manifests")
	crds, crdFindings, err := CRDsFromInputs(context.Background(), inputs)
	if err != nil || len(crdFindings) > 0 {
		t.Fatalf("CRD findings: %v", crdFindings)
	}
	for _, minor := range kube.Versions() {
		t.Run(minor, func(t *testing.T) {
			v, err := New(Options{KubernetesVersion: minor, Strict: true, CRDs: crds})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ValidateFiles(context.Background(), v, inputs)
			if err != nil {
				t.Fatal(err)
			}
			got := formatFindings(res.Findings)
			path := filepath.Join("testdata", "golden", "v"+minor+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("findings for %s differ from %s:\n--- got\n%s--- want\n%s", minor, path, got, want)
			}
		})
	}
}
