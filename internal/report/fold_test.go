package report

import (
	"reflect"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	in := []Finding{
		// one missing values file, seen by the sanity check and the renderer
		{Rule: "render/failed", Severity: SeverityError, Cluster: "c1", App: "a", File: "values/x.yaml", Message: "values file not found", Cause: "missing:values/x.yaml"},
		{Rule: "repo/app-sanity", Severity: SeverityWarning, Cluster: "c1", App: "a", File: "apps/a.yaml", Line: 14, Message: "values file does not exist", Cause: "missing:values/x.yaml"},
		// one syntax error, three views
		{Rule: "secret/unparsable", Severity: SeverityWarning, File: "v.yaml", Line: 3, Message: "not scanned"},
		{Rule: "render/malformed-yaml", Severity: SeverityError, Cluster: "c1", File: "v.yaml", Line: 3, Message: "malformed YAML"},
		{Rule: "render/failed", Severity: SeverityError, Cluster: "c1", App: "b", File: "v.yaml", Line: 3, Message: "failed to parse values"},
		// one base, two clusters
		{Rule: "schema/invalid", Severity: SeverityError, Cluster: "c2", App: "w", File: "base/d.yaml", Line: 8, Message: "unknown field", Resource: &ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "w-api"}},
		{Rule: "schema/invalid", Severity: SeverityError, Cluster: "c1", App: "f", File: "base/d.yaml", Line: 8, Message: "unknown field", Resource: &ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}},
		// different messages stay apart
		{Rule: "schema/invalid", Severity: SeverityError, Cluster: "c1", App: "f", File: "base/d.yaml", Line: 9, Message: "other"},
	}
	got := Fold(in)
	if len(got) != 4 {
		t.Fatalf("%d findings, want 4: %+v", len(got), got)
	}
	byRule := map[string]Finding{}
	for _, f := range got {
		byRule[f.Rule+":"+f.Location()] = f
	}
	sanity := byRule["repo/app-sanity:apps/a.yaml:14"]
	if sanity.Severity != SeverityError || sanity.Detail == "" {
		t.Errorf("missing values file: %+v", sanity)
	}
	yml := byRule["render/malformed-yaml:v.yaml:3"]
	if yml.Cluster != "c1" || yml.App != "b" || len(yml.Affected) != 0 {
		t.Errorf("syntax error: %+v", yml)
	}
	shared := byRule["schema/invalid:base/d.yaml:8"]
	want := []Target{{"c1", "f"}, {"c2", "w"}}
	if !reflect.DeepEqual(shared.Affected, want) || shared.Cluster != "c1" || shared.App != "f" {
		t.Errorf("shared base: %+v", shared)
	}
	if where(shared) != "c1/f, c2/w" {
		t.Errorf("where = %q", where(shared))
	}
	// folding is idempotent (reports of shards are folded again on merge)
	again := Fold(append([]Finding(nil), got...))
	if !reflect.DeepEqual(again, got) {
		t.Errorf("second fold changed the findings:\n%+v\n%+v", got, again)
	}
}

// TestFoldAPIVersion: an apiVersion edited in a base breaks an overlay's
// patch in one cluster and is a removed API in another: one finding at the
// apiVersion line naming both apps; a schema finding elsewhere stays.
func TestFoldAPIVersion(t *testing.T) {
	cause := APIVersionCause("base/d.yaml", 1)
	in := []Finding{
		{Rule: "render/failed", Severity: SeverityError, Cluster: "c1", App: "f", File: "base/d.yaml", Line: 1, Message: "patch matches no resource", Cause: cause},
		{Rule: "schema/removed-api", Severity: SeverityError, Cluster: "c2", App: "w", File: "base/d.yaml", Line: 1, Message: "apps/v1beta1 Deployment was removed"},
		{Rule: "schema/removed-api", Severity: SeverityError, Cluster: "c2", App: "w", File: "other/d.yaml", Line: 1, Message: "apps/v1beta1 Deployment was removed"},
	}
	got := Fold(in)
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2: %+v", len(got), got)
	}
	f := got[0]
	if f.Rule != "schema/removed-api" || f.Cluster != "c2" || f.App != "w" || f.Location() != "base/d.yaml:1" || !reflect.DeepEqual(f.Affected, []Target{{"c1", "f"}, {"c2", "w"}}) || !strings.Contains(f.Detail, "patch matches no resource") {
		t.Errorf("folded: %+v", f)
	}
	if got[1].File != "other/d.yaml" || got[1].Affected != nil {
		t.Errorf("unrelated: %+v", got[1])
	}
}

// TestFoldLinks: every view of one out-of-bounds symlink is one finding at
// the link, naming the apps it broke; a path next to the link (a prefix
// only by name) and another link's views stay apart.
func TestFoldLinks(t *testing.T) {
	in := []Finding{
		{Rule: RuleRenderSymlink, Severity: SeverityError, File: "charts/linked", Message: "symlink points outside"},
		{Rule: RuleRenderSymlink, Severity: SeverityError, File: "apps/base", Message: "symlink points outside"},
		// the chart dir link: the render failure at the link and the sanity check's missing source path, two clusters
		{Rule: "render/failed", Severity: SeverityError, Cluster: "c1", App: "a", File: "charts/linked", Message: "app path: symlink"},
		{Rule: "repo/app-sanity", Severity: SeverityWarning, Cluster: "c1", App: "a", File: "apps/a.yaml", Line: 11, Message: "source path does not exist", Cause: "missing:charts/linked"},
		{Rule: "render/failed", Severity: SeverityError, Cluster: "c2", App: "a", File: "charts/linked/templates", Message: "refused"},
		// the kustomize base link, seen as a missing resources entry
		{Rule: "render/failed", Severity: SeverityError, Cluster: "c1", App: "k", File: "apps/k/kustomization.yaml", Line: 2, Message: "entry does not exist", Cause: "missing:apps/base"},
		// not through a link
		{Rule: "render/failed", Severity: SeverityError, Cluster: "c1", App: "b", File: "charts/linked-too/values.yaml", Message: "bad"},
		{Rule: "repo/app-sanity", Severity: SeverityWarning, Cluster: "c1", App: "b", File: "apps/b.yaml", Line: 3, Message: "no", Cause: "missing:apps/basement"},
	}
	got := Fold(in)
	if len(got) != 4 {
		t.Fatalf("%d findings, want 4: %+v", len(got), got)
	}
	by := map[string]Finding{}
	for _, f := range got {
		by[f.Rule+":"+f.Location()] = f
	}
	chart := by[RuleRenderSymlink+":charts/linked"]
	if want := []Target{{"c1", "a"}, {"c2", "a"}}; !reflect.DeepEqual(chart.Affected, want) || chart.Detail == "" {
		t.Errorf("chart link: %+v", chart)
	}
	base := by[RuleRenderSymlink+":apps/base"]
	if base.Cluster != "c1" || base.App != "k" || len(base.Affected) != 0 {
		t.Errorf("base link: %+v", base)
	}
	if _, ok := by["render/failed:charts/linked-too/values.yaml"]; !ok {
		t.Errorf("a file next to the link was folded: %+v", got)
	}
	if _, ok := by["repo/app-sanity:apps/b.yaml:3"]; !ok {
		t.Errorf("a path next to the link was folded: %+v", got)
	}
}
