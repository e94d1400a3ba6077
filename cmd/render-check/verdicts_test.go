package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/registry/registrytest"
	"github.com/render-check/render-check/internal/report"
)

// plantedSecret is a value the verdict cache must never hold.
const plantedSecret = "PLANTED-s3cr3t-9f8e7d6c5b4a"

// verdictRepo has a finding of each kind whose verdict the cache keeps: a
// wrong type and an unknown field (schema), a custom resource against a CRD
// of the repo, a kind served by some Kubernetes versions only, a kind
// without schema, a plaintext Secret in a source file, and a Secret whose
// value only exists in the rendered output (a Helm template joining two
// values).
func verdictRepo() map[string]string {
	return map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\n",
		"clusters/c1/apps/dir.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: dir, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/config.git, path: apps/dir, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: dir}
`,
		"apps/dir/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: "3"
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        colour: blue
`,
		"apps/dir/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData:\n  password: " + plantedSecret + "\n",
		"apps/dir/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: big}\n",
		"apps/dir/gadget.yaml": "apiVersion: gadgets.example.org/v1\nkind: Gadget\nmetadata: {name: g}\n",
		"apps/dir/flow.yaml":   "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: {name: f}\nspec: {priorityLevelConfiguration: {name: global-default}}\n",
		"crds/widget.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
`,
		"clusters/c1/apps/chart.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: chart, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://git.example.com/config.git
    path: _base/chart
    targetRevision: main
    helm: {valueFiles: [../../clusters/c1/values/chart.yaml]}
  destination: {server: https://kubernetes.default.svc, namespace: chart}
`,
		"_base/chart/Chart.yaml":  "apiVersion: v2\nname: chart\nversion: 1.0.0\n",
		"_base/chart/values.yaml": "head: none\ntail: none\n",
		"_base/chart/templates/secret.yaml": `apiVersion: v1
kind: Secret
metadata: {name: {{ .Release.Name }}}
stringData:
  token: "{{ .Values.head }}{{ .Values.tail }}"
`,
		"clusters/c1/values/chart.yaml": "head: " + plantedSecret[:12] + "\ntail: " + plantedSecret[12:] + "-chart\n",
	}
}

// coldWarmMatchFresh checks the repo files with the cache, cold and warm,
// and without it (in a git repo when withGit): both cached reports must be
// the fresh one byte for byte but the cache counts. It returns the three
// reports.
func coldWarmMatchFresh(t *testing.T, files map[string]string, withGit bool) (fresh, cold, warm []byte) {
	t.Helper()
	root := writeRepo(t, files)
	if withGit {
		gitInit(t, root)
	}
	cache := t.TempDir()
	_, fresh, _ = runCheckJSON(t, root, "--no-cache")
	_, cold, _ = runCheckJSON(t, root, "--cache-dir", cache)
	_, warm, _ = runCheckJSON(t, root, "--cache-dir", cache)
	for label, got := range map[string][]byte{"cold": cold, "warm": warm} {
		if g := cacheSummaryRE.ReplaceAll(got, nil); !bytes.Equal(g, fresh) {
			t.Errorf("%s run's report differs from a run without cache:\n--- fresh\n%s\n--- %s\n%s", label, fresh, label, g)
		}
	}
	return fresh, cold, warm
}

// TestVerdictCacheMatchesFresh: a cold and a warm run with the verdict
// cache write the report of a run without it, byte for byte but the cache
// counts; the warm run takes every verdict from the cache.
func TestVerdictCacheMatchesFresh(t *testing.T) {
	for _, withGit := range []bool{false, true} {
		t.Run(fmt.Sprintf("git=%v", withGit), func(t *testing.T) {
			fresh, cold, warm := coldWarmMatchFresh(t, verdictRepo(), withGit)
			rules := map[string]bool{}
			var rep report.Report
			if err := json.Unmarshal(fresh, &rep); err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				rules[f.Rule] = true
			}
			for _, r := range []string{report.RuleSchemaInvalid, report.RuleSchemaMissing, report.RuleSecretPlaintext} {
				if !rules[r] {
					t.Errorf("the repo should yield %s: %v", r, rules)
				}
			}
			if !strings.Contains(string(fresh), "the value is not in the app's values files") {
				t.Errorf("no rendered-only secret finding:\n%s", fresh)
			}
			cs, ws := cacheStats(t, cold), cacheStats(t, warm)
			if cs.VerdictHits != 0 || cs.VerdictMisses == 0 {
				t.Errorf("cold run: %+v, want only verdict misses", cs)
			}
			if ws.VerdictHits != cs.VerdictMisses || ws.VerdictMisses != 0 {
				t.Errorf("warm run: %+v after cold %+v, want every verdict from the cache", ws, cs)
			}
		})
	}
}

// TestVerdictCacheInvalidation: after each change, a run with a warm
// verdict cache reports what a run without the cache reports, and that
// differs from the report before the change (the change shows).
func TestVerdictCacheInvalidation(t *testing.T) {
	cases := []struct {
		name  string
		edit  map[string]string
		extra []string
	}{
		{"kube version", nil, []string{"--kube-version", "1.30"}},
		{"CRD schema", map[string]string{"crds/widget.yaml": strings.Replace(verdictRepo()["crds/widget.yaml"], "type: integer", "type: string", 1)}, nil},
		{"missingSchema severity", map[string]string{".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\nvalidate: {missingSchema: {gadgets.example.org: warning}}\n"}, nil},
		{"strictness", map[string]string{".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\nvalidate: {strict: false}\n"}, nil},
		{"source secret", map[string]string{"apps/dir/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData:\n  password: other-" + plantedSecret + "\n"}, nil},
		{"rendered secret", map[string]string{"clusters/c1/values/chart.yaml": "head: x" + plantedSecret[:12] + "\ntail: " + plantedSecret[12:] + "-chart\n"}, nil},
		{".sops.yaml rule", map[string]string{".sops.yaml": "creation_rules:\n- path_regex: apps/dir/secret\\.yaml$\n  age: age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := writeRepo(t, verdictRepo())
			gitInit(t, root)
			cache := t.TempDir()
			_, before, _ := runCheckJSON(t, root, "--cache-dir", cache)
			writeFiles(t, root, tc.edit)
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

// TestVerdictCacheHoldsNoSecretValue: no file of the verdict cache holds
// the planted secret value, in plain or base64 form, though its findings
// are stored.
func TestVerdictCacheHoldsNoSecretValue(t *testing.T) {
	root := writeRepo(t, verdictRepo())
	cache := t.TempDir()
	_, raw, _ := runCheckJSON(t, root, "--cache-dir", cache)
	if !strings.Contains(string(raw), report.RuleSecretPlaintext) {
		t.Fatalf("no secret finding:\n%s", raw)
	}
	forms := []string{plantedSecret, base64.StdEncoding.EncodeToString([]byte(plantedSecret)), plantedSecret[:12], plantedSecret[12:]}
	n := 0
	err := filepath.WalkDir(filepath.Join(cache, "verdicts"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		n++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, f := range forms {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("%s holds %q", p, f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no verdict was stored")
	}
}

// TestVerdictCacheImageTTL runs check against a real registry: a tag
// missing on the first run and pushed before the second is found (misses
// are never kept); with the registry stopped, found tags and digests come
// from the cache within their TTL; with images.tagCacheTTL at 1ns the tags
// are asked again (and unreachable) while the digest (24h) is still found.
func TestVerdictCacheImageTTL(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.Start(t, registrytest.Options{})
	digest := reg.Push(t, reg.Ref("shop/web", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	digestRef := reg.Ref("shop/web", "@"+digest)
	files := map[string]string{
		".render-check.yaml": fmt.Sprintf("repoURLs: [https://git.example.com/config.git]\nimages: {insecure: [%q]}\n", reg.Host),
		"clusters/c1/apps/web.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/config.git, path: apps/web, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`,
		"apps/web/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: a, image: %s}
      - {name: b, image: %s}
      - {name: c, image: %s}
`, reg.Ref("shop/web", ":1.0"), reg.Ref("shop/web", ":1.1"), digestRef),
	}
	root := writeRepo(t, files)
	cache := t.TempDir()
	imageRules := func(raw []byte) []string {
		t.Helper()
		var rep report.Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range rep.Findings {
			if strings.HasPrefix(f.Rule, "image/") {
				out = append(out, f.Rule+" "+f.Message)
			}
		}
		return out
	}
	check := func() []string {
		_, raw, _ := runCheckJSON(t, root, "--cache-dir", cache, "--images", "verify")
		return imageRules(raw)
	}
	if got := check(); len(got) != 1 || !strings.Contains(got[0], ":1.1") || !strings.HasPrefix(got[0], report.RuleImageTagNotFound) {
		t.Fatalf("first run: %q, want only 1.1 not found", got)
	}
	reg.Push(t, reg.Ref("shop/web", ":1.1"), registrytest.RandomImage(t, "linux/amd64"))
	if got := check(); len(got) != 0 {
		t.Fatalf("after pushing 1.1: %q, want none (a miss must not be kept)", got)
	}
	reg.Stop()
	if got := check(); len(got) != 0 {
		t.Fatalf("registry stopped, within the TTL: %q, want every reference found from the cache", got)
	}
	writeFiles(t, root, map[string]string{".render-check.yaml": fmt.Sprintf(
		"repoURLs: [https://git.example.com/config.git]\nimages: {insecure: [%q], tagCacheTTL: 1ns, retries: 0}\n", reg.Host)})
	got := check()
	if len(got) != 2 {
		t.Fatalf("registry stopped, tag TTL over: %q, want the two tags unreachable", got)
	}
	for _, g := range got {
		if !strings.HasPrefix(g, report.RuleImageUnreachable) || strings.Contains(g, "@sha256:") {
			t.Errorf("registry stopped, tag TTL over: %q, want tags unreachable and the digest still found", g)
		}
	}
}

// TestVerdictCacheBadEntries: verdict records that are corrupt, truncated,
// or another key's are misses with one note; the report is a
// fresh run's but for the note, and the entries are rewritten.
func TestVerdictCacheBadEntries(t *testing.T) {
	spoiltRun(t, verdictRepo(), "verdicts", "verdict cache: ", func(st report.CacheSummary) int { return st.VerdictMisses })
}
