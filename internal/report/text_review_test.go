package report

import (
	"strings"
	"testing"
)

// TestTextShowsEveryFinding: a finding is printed whatever its cluster and
// app, including a cluster the report has no summary for.
func TestTextShowsEveryFinding(t *testing.T) {
	r := &Report{
		Clusters: []Cluster{{Name: "prod", KubernetesVersion: "1.34", Apps: []App{{Name: "web", Source: "helm"}}}},
		Findings: []Finding{
			{Rule: "repo/codeowners", Severity: SeverityError, Message: "repo-level"},
			{Rule: "secret/x", Severity: SeverityError, App: "orphan-app", Message: "app without cluster"},
			{Rule: "render/failed", Severity: SeverityError, Cluster: "gone", App: "db", Message: "cluster without summary"},
			{Rule: "render/failed", Severity: SeverityError, Cluster: "gone", Message: "cluster-level"},
			{Rule: "schema/invalid", Severity: SeverityWarning, Cluster: "prod", App: "web", Message: "in place"},
		},
	}
	r.Finalize()
	var b strings.Builder
	w, err := New(&b, "text", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(r); err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if !strings.Contains(b.String(), f.Message) {
			t.Errorf("finding %q missing from the text report:\n%s", f.Message, b.String())
		}
	}
}

func TestSortIsATotalOrder(t *testing.T) {
	a := Finding{Rule: "x/y", Severity: SeverityError, Message: "m"}
	w := a
	w.Severity = SeverityWarning
	for _, in := range [][]Finding{{a, w, a}, {w, a, a}, {a, a, w}} {
		if got := Sort(append([]Finding(nil), in...)); len(got) != 2 {
			t.Fatalf("Sort(%v) kept %d findings, want 2 (one per severity)", in, len(got))
		}
	}
}
