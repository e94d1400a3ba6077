package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/benchrepo"
)

// TestCheckSharesVerdictsAcrossClusters runs `check` on 3 clusters that
// render one shared Kustomize base: its mistake is judged once for the run
// yet reported for every cluster, while a copy that differs from the others
// only in a value's type (a string "2" patched in for the number 2) is
// judged on its own.
func TestCheckSharesVerdictsAcrossClusters(t *testing.T) {
	root := t.TempDir()
	if err := benchrepo.Generate(root, "", 3, 3); err != nil {
		t.Fatal(err)
	}
	edit(t, root, "_base/kustomize/worker/deployment.yaml", "        image: worker:latest\n", "        image: worker:latest\n        bogusField: 1\n")
	edit(t, root, "clusters/cluster-02/overlays/svc-001/kustomization.yaml", "      value: 2\n", "      value: \"2\"\n")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"check", "--root", root, "--images", "off", "--kube-version", "1.34", "--format", "json"},
		strings.NewReader(""), &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	var rep struct {
		Findings []struct {
			Rule, Cluster, File, Message string
			Line                         int
			Affected                     []struct{ Cluster, App string }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		var clusters []string
		for _, a := range f.Affected {
			clusters = append(clusters, a.Cluster)
		}
		if len(clusters) == 0 {
			clusters = []string{f.Cluster}
		}
		slices.Sort(clusters)
		got = append(got, f.Rule+" "+f.File+" "+strings.Join(clusters, ",")+" "+f.Message)
	}
	want := []string{
		`schema/invalid _base/kustomize/worker/deployment.yaml cluster-00,cluster-01,cluster-02 spec.template.spec.containers[0].bogusField: unknown field "bogusField"`,
		// (at the base's Deployment: the finding names the object's origin, not the patch)
		`schema/invalid _base/kustomize/worker/deployment.yaml cluster-02 spec.replicas: expected integer, got string`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
