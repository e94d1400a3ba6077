package main

import (
	"fmt"
	"strings"
	"testing"
)

// foldViews lists the findings of the given rules as "file:line rule: message".
func foldViews(t *testing.T, root string, rules ...string) []string {
	t.Helper()
	_, rep, errOut := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("check failed: %s", errOut)
	}
	var out []string
	for _, f := range rep.Findings {
		for _, r := range rules {
			if f.Rule == r {
				out = append(out, fmt.Sprintf("%s:%d %s: %s | %s", f.File, f.Line, f.Rule, f.Message, f.Detail))
			}
		}
	}
	return out
}

// TestCheckFoldsSharedResource: one object rendered by two Applications is
// one mistake: one finding at the object's line, not an ownership finding
// plus a duplicate-resource finding.
func TestCheckFoldsSharedResource(t *testing.T) {
	src := "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: apps/shared\n"
	root := checkRepo(t, map[string]string{
		".render-check.yaml":             checkConfig,
		"CODEOWNERS":                     checkOwners,
		"clusters/dev/one.yaml":          checkApp("one", src),
		"clusters/dev/two.yaml":          checkApp("two", src),
		"clusters/dev/ns.yaml":           "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: two\n",
		"apps/shared/cm.yaml":            okConfigMap,
		"apps/shared/kustomization.yaml": "namespace: web\nresources: [cm.yaml]\n",
	})
	got := foldViews(t, root, "repo/app-sanity", "schema/duplicate-resource")
	if len(got) != 1 {
		t.Fatalf("want one finding for the shared ConfigMap, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
	if !strings.HasPrefix(got[0], "apps/shared/cm.yaml:1 ") || !strings.Contains(got[0], "managed by two Applications") || !strings.Contains(got[0], "also defined by app") {
		t.Errorf("want the ConfigMap's line with both views, got %s", got[0])
	}
}

// TestCheckFoldsMissingMultiSourcePath: a missing path of a multi-source
// Application is one finding at the sources entry, not a render failure
// plus an app-sanity finding.
func TestCheckFoldsMissingMultiSourcePath(t *testing.T) {
	srcs := "  sources:\n  - repoURL: https://git.example.com/platform/config.git\n    path: apps/web\n  - repoURL: https://git.example.com/platform/config.git\n    path: apps/missing\n"
	root := checkRepo(t, map[string]string{
		".render-check.yaml":    checkConfig,
		"CODEOWNERS":            checkOwners,
		"clusters/dev/web.yaml": checkApp("web", srcs),
		"apps/web/cm.yaml":      okConfigMap,
	})
	got := foldViews(t, root, "repo/app-sanity", "render/failed")
	if len(got) != 1 {
		t.Fatalf("want one finding for the missing path, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
	if !strings.HasPrefix(got[0], "clusters/dev/web.yaml:12 repo/app-sanity") || !strings.Contains(got[0], `source path "apps/missing" does not exist`) {
		t.Errorf("want the sources entry's path line, got %s", got[0])
	}
}

// TestCheckAppSetSameNameOtherNamespace: Argo CD identifies an Application
// by namespace and name, so ApplicationSets in argocd and team-a that both
// generate "web" make two Applications, not a duplicate.
func TestCheckAppSetSameNameOtherNamespace(t *testing.T) {
	set := func(ns, dest string) string {
		return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web-%[1]s
  namespace: %[1]s
spec:
  generators:
    - list:
        elements:
          - app: web
  template:
    metadata:
      name: '{{app}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/platform/config.git
        path: apps/web
      destination:
        server: https://kubernetes.default.svc
        namespace: %[2]s
      syncPolicy:
        syncOptions: [CreateNamespace=true]
`, ns, dest)
	}
	files := map[string]string{
		".render-check.yaml":       checkConfig,
		"CODEOWNERS":               checkOwners,
		"clusters/dev/argocd.yaml": set("argocd", "web-a"),
		"clusters/dev/team-a.yaml": set("team-a", "web-b"),
		"apps/web/cm.yaml":         okConfigMap,
	}
	if got := foldViews(t, checkRepo(t, files), "render/appset-duplicate", "repo/app-sanity"); len(got) != 0 {
		t.Fatalf("argocd/web and team-a/web are two Applications, got:\n%s", strings.Join(got, "\n"))
	}
	// the same namespace is still a duplicate
	files["clusters/dev/team-a.yaml"] = strings.Replace(set("argocd", "web-b"), "name: web-argocd", "name: web-other", 1)
	if got := foldViews(t, checkRepo(t, files), "render/appset-duplicate"); len(got) != 1 {
		t.Fatalf("two ApplicationSets generating argocd/web: want one duplicate, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
}
