package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// repoScanRepo has a finding of each result the verdict cache keeps for
// the repo's own files: unknown fields of Applications (one in a cluster's
// Application, one in an app-of-apps child whose rendered object lacks the
// misspelt required field: the two are folded into one), and repo rules
// that read the AppProject found in a repo file (not rendered by any app).
func repoScanRepo() map[string]string {
	return map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\n",
		"clusters/c1/apps/web.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: team
  source: {repoURL: https://git.example.com/config.git, path: apps/web, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: web}
  syncPolicy:
    automatd: {}
`,
		"clusters/c1/apps/root.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: root, namespace: argocd}
spec:
  project: team
  source: {repoURL: https://git.example.com/config.git, path: clusters/c1/children, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: argocd}
`,
		"clusters/c1/children/child.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: child, namespace: argocd}
spec:
  projet: team
  source: {repoURL: https://git.example.com/config.git, path: apps/web, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: child}
`,
		"clusters/c1/projects/team.yaml": `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: team, namespace: argocd}
spec:
  sourceRepos: [https://git.example.com/config.git]
  destinations: [{server: https://kubernetes.default.svc, namespace: '*'}]
`,
		"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n",
	}
}

// TestRepoVerdictsMatchFresh: with and without git, a cold and a warm run
// with the verdict cache report what a run without it reports, byte for
// byte but the cache counts, and the warm run takes every verdict (the
// unknown-field results and the repo scan of each directory included) from
// the cache.
func TestRepoVerdictsMatchFresh(t *testing.T) {
	for _, withGit := range []bool{false, true} {
		t.Run(fmt.Sprintf("git=%v", withGit), func(t *testing.T) {
			fresh, cold, warm := coldWarmMatchFresh(t, repoScanRepo(), withGit)
			var rep report.Report
			if err := json.Unmarshal(fresh, &rep); err != nil {
				t.Fatal(err)
			}
			var unknown, projects, required int
			for _, f := range rep.Findings {
				switch {
				case strings.Contains(f.Message, "which Argo CD ignores"):
					unknown++
				case strings.Contains(f.Message, `AppProject "team"`):
					projects++
				case strings.Contains(f.Message, "missing required field"):
					required++
				}
			}
			if unknown != 2 || projects != 0 || required != 0 {
				t.Errorf("want 2 unknown fields (the child's missing project folded into its unknown field) and no project finding, got %d, %d, %d:\n%s", unknown, projects, required, fresh)
			}
			cs, ws := cacheStats(t, cold), cacheStats(t, warm)
			if ws.VerdictHits != cs.VerdictMisses+cs.VerdictHits || ws.VerdictMisses != 0 {
				t.Errorf("warm run: %+v after cold %+v, want every verdict from the cache", ws, cs)
			}
		})
	}
}

// TestRepoVerdictsInvalidation: after each change to what the unknown-field
// check or the repo scan reads, a run with a warm verdict cache reports
// what a run without the cache reports, and that differs from the report
// before the change. Edits are left uncommitted (the files' hashes are
// computed) or committed (git's blob ids).
func TestRepoVerdictsInvalidation(t *testing.T) {
	base := repoScanRepo()
	cases := []struct {
		name   string
		edit   map[string]string
		remove []string
		commit bool
		extra  []string
	}{
		{name: "Application field fixed", edit: map[string]string{"clusters/c1/apps/web.yaml": strings.Replace(base["clusters/c1/apps/web.yaml"], "automatd", "automated", 1)}},
		{name: "Application field fixed, committed", commit: true, edit: map[string]string{"clusters/c1/children/child.yaml": strings.Replace(base["clusters/c1/children/child.yaml"], "projet:", "project:", 1)}},
		// the fold of the child's missing project into its unknown field
		// is keyed by file name
		{name: "Application file renamed", remove: []string{"clusters/c1/children/child.yaml"}, edit: map[string]string{"clusters/c1/children/app.yaml": base["clusters/c1/children/child.yaml"]}},
		{name: "strictness", edit: map[string]string{".render-check.yaml": base[".render-check.yaml"] + "validate: {strict: false}\n"}},
		{name: "AppProject edited", edit: map[string]string{"clusters/c1/projects/team.yaml": strings.Replace(base["clusters/c1/projects/team.yaml"], "git.example.com/config.git", "other.example.com/x.git", 1)}},
		{name: "AppProject edited, committed", commit: true, edit: map[string]string{"clusters/c1/projects/team.yaml": strings.Replace(base["clusters/c1/projects/team.yaml"], "git.example.com/config.git", "other.example.com/x.git", 1)}},
		{name: "AppProject file removed", remove: []string{"clusters/c1/projects/team.yaml"}},
		{name: "AppProject file added", edit: map[string]string{"clusters/c1/projects/zz-team.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: team, namespace: argocd}\nspec: {sourceRepos: [https://other.example.com/x.git], destinations: [{server: https://kubernetes.default.svc, namespace: '*'}]}\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := writeRepo(t, base)
			gitInit(t, root)
			cache := t.TempDir()
			_, before, _ := runCheckJSON(t, root, "--cache-dir", cache)
			writeFiles(t, root, tc.edit)
			for _, f := range tc.remove {
				if err := os.Remove(filepath.Join(root, filepath.FromSlash(f))); err != nil {
					t.Fatal(err)
				}
			}
			if tc.commit {
				gitCommitAll(t, root, "edit")
			}
			_, fresh, _ := runCheckJSON(t, root, append([]string{"--no-cache"}, tc.extra...)...)
			_, cached, _ := runCheckJSON(t, root, append([]string{"--cache-dir", cache}, tc.extra...)...)
			if g := cacheSummaryRE.ReplaceAll(cached, nil); !bytes.Equal(g, fresh) {
				t.Errorf("report with the warm cache differs from a fresh one:\n--- fresh\n%s\n--- cached\n%s", fresh, g)
			}
			if bytes.Equal(cacheSummaryRE.ReplaceAll(before, nil), fresh) {
				t.Errorf("the change does not show in the report: the case tests nothing")
			}
		})
	}
}
