package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
)

// cacheSummaryRE is the one part of a JSON report that says whether the
// cache was used.
var cacheSummaryRE = regexp.MustCompile(`,\s*"cache":\s*\{[^}]*\}`)

// runCheckJSON runs check --format json and returns the raw report.
func runCheckJSON(t *testing.T, root string, extra ...string) (int, []byte, string) {
	t.Helper()
	args := append([]string{"check", "--root", root, "--format", "json", "--images", "off"}, extra...)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	if code == exitError {
		t.Fatalf("check could not run (exit %d): %s", code, errb.String())
	}
	return code, out.Bytes(), errb.String()
}

func cacheStats(t *testing.T, raw []byte) report.CacheSummary {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	if rep.Summary.Cache == nil {
		t.Fatalf("no summary.cache in a run with a cache:\n%s", raw)
	}
	return *rep.Summary.Cache
}

// TestCacheMatchesFreshRender: on every fixture repo, a warm run (every
// app from the cache) writes the same JSON report, byte for byte but the
// summary's cache counts, as a run without the cache.
func TestCacheMatchesFreshRender(t *testing.T) {
	fixtures := []string{filepath.Join("..", "..", "testdata", "clusters")}
	layouts, err := filepath.Glob(filepath.Join("..", "..", "testdata", "layouts", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layouts {
		if st, err := os.Stat(l); err == nil && st.IsDir() {
			fixtures = append(fixtures, l)
		}
	}
	for _, fx := range fixtures {
		for _, withGit := range []bool{false, true} {
			name := filepath.Base(fx)
			if withGit {
				name += "/git"
			}
			t.Run(name, func(t *testing.T) {
				root := t.TempDir()
				if err := os.CopyFS(root, os.DirFS(fx)); err != nil {
					t.Fatal(err)
				}
				if withGit {
					gitInit(t, root)
				}
				cache := t.TempDir()
				_, fresh, _ := runCheckJSON(t, root, "--no-cache")
				if cacheSummaryRE.Match(fresh) {
					t.Fatalf("a run without cache reports cache counts:\n%s", fresh)
				}
				_, cold, _ := runCheckJSON(t, root, "--cache-dir", cache)
				_, warm, _ := runCheckJSON(t, root, "--cache-dir", cache)
				cs, ws := cacheStats(t, cold), cacheStats(t, warm)
				if cs.Hits != 0 || cs.Misses == 0 {
					t.Errorf("cold run: %+v, want only misses", cs)
				}
				if ws.Hits == 0 || ws.Hits+ws.Misses != cs.Misses {
					t.Errorf("warm run: %+v after cold %+v, want hits", ws, cs)
				}
				for label, got := range map[string][]byte{"cold": cold, "warm": warm} {
					if g := cacheSummaryRE.ReplaceAll(got, nil); !bytes.Equal(g, fresh) {
						t.Errorf("%s run's report differs from a run without cache:\n--- fresh\n%s\n--- %s\n%s", label, fresh, label, g)
					}
				}
			})
		}
	}
}

// cacheRepo is a config repo with one app of each input kind.
func cacheRepo() map[string]string {
	return map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\nrender: {kustomizeBuildOptions: --enable-helm}\n",
		"clusters/c1/apps/kust.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: kust, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/config.git, path: _base/kust/overlay, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: kust}
`,
		"_base/kust/base/kustomization.yaml": "resources: [cm.yaml]\n",
		"_base/kust/base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kust}\ndata: {from: base}\n",
		"_base/kust/overlay/kustomization.yaml": `resources: [../base]
patches:
- path: patch.yaml
`,
		"_base/kust/overlay/patch.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kust}\ndata: {patched: one}\n",
		"clusters/c1/apps/chart.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: chart, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://git.example.com/config.git
    path: _base/chart
    targetRevision: main
    helm:
      valueFiles: [../../clusters/c1/values/chart.yaml]
      parameters: [{name: param, value: p1}]
  destination: {server: https://kubernetes.default.svc, namespace: chart}
`,
		"_base/chart/Chart.yaml":  "apiVersion: v2\nname: chart\nversion: 1.0.0\n",
		"_base/chart/values.yaml": "color: grey\nparam: none\n",
		"_base/chart/templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}}
data:
  color: {{ .Values.color | quote }}
  param: {{ .Values.param | quote }}
  kube: {{ .Capabilities.KubeVersion.Minor | quote }}
`,
		"clusters/c1/values/chart.yaml": "color: blue\n",
		"clusters/c1/apps/dir.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: dir, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/config.git, path: clusters/c1/manifests, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: dir}
`,
		"clusters/c1/manifests/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"clusters/c1/apps/multi.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: multi, namespace: argocd}
spec:
  project: default
  sources:
  - repoURL: https://git.example.com/config.git
    path: _base/chart
    targetRevision: main
    helm:
      valueFiles: [$vals/clusters/c1/values/multi.yaml]
  - repoURL: https://git.example.com/config.git
    targetRevision: main
    ref: vals
  destination: {server: https://kubernetes.default.svc, namespace: multi}
`,
		"clusters/c1/values/multi.yaml": "color: green\n",
		"clusters/c1/apps/inflate.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: inflate, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/config.git, path: _base/inflate, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: inflate}
`,
		"_base/inflate/kustomization.yaml": `helmCharts:
- name: chart
  releaseName: inflated
  valuesFile: values.yaml
helmGlobals:
  chartHome: ../
`,
		"_base/inflate/values.yaml": "color: red\n",
	}
}

// renderTree runs render into a fresh directory and returns every file
// written, by path.
func renderTree(t *testing.T, root string, extra ...string) (map[string]string, string) {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"render", "--root", root, "--output-dir", out}, extra...)
	var o, e bytes.Buffer
	if code := run(context.Background(), args, strings.NewReader(""), &o, &e); code == exitError {
		t.Fatalf("render could not run: %s", e.String())
	}
	files := map[string]string{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(out, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, e.String()
}

func sameTree(t *testing.T, label string, got, want map[string]string) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if got[n] != want[n] {
			t.Errorf("%s: %s differs from a render without cache:\n--- want\n%s\n--- got\n%s", label, n, want[n], got[n])
		}
	}
}

// TestCacheInvalidation: after each kind of change, a run with a warm cache
// renders what a run without cache renders, and the change shows.
func TestCacheInvalidation(t *testing.T) {
	cases := []struct {
		name  string
		edit  map[string]string // files written (content "" removes)
		extra []string          // flags of the run after the edit
		app   string            // the output file that must change
		want  string            // a substring of it after the change
	}{
		{"kustomize base file", map[string]string{"_base/kust/base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kust}\ndata: {from: edited-base}\n"}, nil, "c1/kust.yaml", "edited-base"},
		{"kustomize patch", map[string]string{"_base/kust/overlay/patch.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kust}\ndata: {patched: two}\n"}, nil, "c1/kust.yaml", "patched: two"},
		{"kustomization file added next to the overlay", map[string]string{"_base/kust/overlay/kustomization.yaml": "", "_base/kust/overlay/kustomization.yml": "resources: [../base]\nnamePrefix: yml-\n"}, nil, "c1/kust.yaml", "yml-kust"},
		{"helm values file", map[string]string{"clusters/c1/values/chart.yaml": "color: purple\n"}, nil, "c1/chart.yaml", "purple"},
		{"chart template", map[string]string{"_base/chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\ndata: {edited: template}\n"}, nil, "c1/chart.yaml", "edited: template"},
		{"file added to a chart", map[string]string{"_base/chart/templates/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra-{{ .Release.Name }}}\n"}, nil, "c1/chart.yaml", "extra-chart"},
		{"file added to a directory source", map[string]string{"clusters/c1/manifests/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b-added}\n"}, nil, "c1/dir.yaml", "b-added"},
		{"multi-source $ref values file", map[string]string{"clusters/c1/values/multi.yaml": "color: orange\n"}, nil, "c1/multi.yaml", "orange"},
		{"kustomize helmCharts values", map[string]string{"_base/inflate/values.yaml": "color: cyan\n"}, nil, "c1/inflate.yaml", "cyan"},
		{"Application spec", map[string]string{"clusters/c1/apps/chart.yaml": strings.Replace(cacheRepo()["clusters/c1/apps/chart.yaml"], "value: p1", "value: p2", 1)}, nil, "c1/chart.yaml", "param: p2"},
		{"kube version", nil, []string{"--kube-version", "1.30"}, "c1/chart.yaml", `kube: "30"`},
		{"config", map[string]string{".render-check.yaml": "repoURLs: [https://git.example.com/other.git]\nrender: {kustomizeBuildOptions: --enable-helm}\n"}, nil, "c1/kust.yaml", ""},
		{"build option", map[string]string{".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\nrender: {kustomizeBuildOptions: --enable-helm}\n"}, nil, "c1/inflate.yaml", "cyan"},
	}
	for _, withGit := range []bool{false, true} {
		for _, tc := range cases {
			name := tc.name
			if withGit {
				name += "/git"
			}
			t.Run(name, func(t *testing.T) {
				files := cacheRepo()
				if tc.name == "build option" {
					// stored with helm enabled; the edit below turns it off
					files["_base/inflate/values.yaml"] = "color: cyan\n"
					tc.edit = map[string]string{".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\n"}
					tc.app, tc.want = "c1/inflate.yaml", ""
				}
				root := writeRepo(t, files)
				if withGit {
					gitInit(t, root)
				}
				cache := t.TempDir()
				before, _ := renderTree(t, root, "--cache-dir", cache)
				if tc.app != "" && tc.want != "" && strings.Contains(before[tc.app], tc.want) {
					t.Fatalf("%s already contains %q before the change", tc.app, tc.want)
				}
				if again, _ := renderTree(t, root, "--cache-dir", cache); true {
					sameTree(t, "warm run before the change", again, before)
				}
				for p, c := range tc.edit {
					full := filepath.Join(root, filepath.FromSlash(p))
					if c == "" {
						if err := os.Remove(full); err != nil {
							t.Fatal(err)
						}
						continue
					}
					if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				fresh, _ := renderTree(t, root, append([]string{"--no-cache"}, tc.extra...)...)
				got, _ := renderTree(t, root, append([]string{"--cache-dir", cache}, tc.extra...)...)
				sameTree(t, "after the change", got, fresh)
				if tc.app != "" {
					if tc.want != "" && !strings.Contains(got[tc.app], tc.want) {
						t.Errorf("%s after the change lacks %q:\n%s", tc.app, tc.want, got[tc.app])
					}
					if tc.want == "" && got[tc.app] == before[tc.app] {
						t.Errorf("%s did not change", tc.app)
					}
				}
			})
		}
	}
}

// cachePacks lists the pack files of a store (render, verdicts, files) of
// the cache in a namespace.
func cachePacks(t *testing.T, cache, store, ns string) []string {
	t.Helper()
	out, err := filepath.Glob(filepath.Join(cache, store, ns, "pack-*.rcp"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// packKeys lists the keys of the records of a pack.
func packKeys(t *testing.T, pack string) []string {
	t.Helper()
	idx, err := rendercache.PackIndex(pack)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range idx {
		out = append(out, e.Key.String())
	}
	return out
}

// cacheEntries lists the keys stored in a namespace of the render cache
// (each once, though several packs may hold it).
func cacheEntries(t *testing.T, cache, ns string) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, p := range cachePacks(t, cache, "render", ns) {
		for _, k := range packKeys(t, p) {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// spoilRecords spoils three records of the packs of a store's trusted
// namespace in place: the first one's payload is corrupt, the second is
// another key's record (foreign), the third says it is shorter than its
// index does (truncated).
func spoilRecords(t *testing.T, cache, store string) {
	t.Helper()
	type rec struct {
		pack string
		e    rendercache.PackEntry
	}
	var recs []rec
	for _, p := range cachePacks(t, cache, store, "trusted") {
		idx, err := rendercache.PackIndex(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range idx {
			recs = append(recs, rec{p, e})
		}
	}
	if len(recs) < 4 {
		t.Fatalf("want at least 4 records in %s, got %d", store, len(recs))
	}
	edit := func(r rec, at int64, f func([]byte)) {
		b, err := os.ReadFile(r.pack)
		if err != nil {
			t.Fatal(err)
		}
		f(b[r.e.Offset+at:])
		if err := os.WriteFile(r.pack, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit(recs[0], rendercache.RecordHeaderSize, func(b []byte) { b[0] ^= 0xff })
	edit(recs[1], 0, func(b []byte) { copy(b, recs[3].e.Key[:]) })
	edit(recs[2], 64, func(b []byte) { b[0]-- })
}

// TestCacheBadEntries: a corrupt, a truncated and a foreign (another key's)
// entry are ignored with one note, the apps are rendered again, the report
// is that of a fresh run, and the entries are rewritten.
func TestCacheBadEntries(t *testing.T) {
	spoiltRun(t, cacheRepo(), "render", "render cache: ", func(st report.CacheSummary) int { return st.Misses })
}

// spoiltRun checks the repo files with an empty cache, spoils three records
// of the store (spoilRecords) and checks again: the three are misses
// (misses counts them), with one note starting with notePrefix about 3
// ignored entries; the report is a fresh run's but for that note and the
// counts; the next run finds every entry rewritten and reports what a
// fresh run does.
func spoiltRun(t *testing.T, files map[string]string, store, notePrefix string, misses func(report.CacheSummary) int) {
	t.Helper()
	root := writeRepo(t, files)
	cache := t.TempDir()
	_, fresh, _ := runCheckJSON(t, root, "--no-cache")
	runCheckJSON(t, root, "--cache-dir", cache)
	spoilRecords(t, cache, store)
	_, got, _ := runCheckJSON(t, root, "--cache-dir", cache)
	var rep report.Report
	if err := json.Unmarshal(got, &rep); err != nil {
		t.Fatal(err)
	}
	if n := misses(cacheStats(t, got)); n != 3 {
		t.Errorf("after 3 bad %s entries: %+v, want 3 misses", store, cacheStats(t, got))
	}
	var notes, others []string
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, notePrefix) {
			notes = append(notes, n)
		} else {
			others = append(others, n)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "ignored 3 corrupt, truncated, foreign or outdated entries") {
		t.Errorf("want one note about 3 ignored %s entries, got %q", store, notes)
	}
	// but for the note and the counts, the report is a fresh run's
	rep.Notes, rep.Summary.Cache = others, nil
	var want report.Report
	if err := json.Unmarshal(fresh, &want); err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(rep)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("report with bad entries differs from a fresh one:\n%s\n%s", gj, wj)
	}
	_, again, _ := runCheckJSON(t, root, "--cache-dir", cache)
	if n := misses(cacheStats(t, again)); n != 0 {
		t.Errorf("bad entries were not rewritten: %+v", cacheStats(t, again))
	}
	if g := cacheSummaryRE.ReplaceAll(again, nil); !bytes.Equal(g, fresh) {
		t.Errorf("after rewriting, the report differs from a fresh one")
	}
}

func slicesDelete(all, drop []string) []string {
	var out []string
	for _, s := range all {
		keep := true
		for _, d := range drop {
			keep = keep && s != d
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

// TestCacheTrustSplit: an untrusted run writes only the untrusted
// namespace (a pull request cannot poison what trusted runs read), reads
// the trusted one, and the checkout's own config cannot move the cache.
func TestCacheTrustSplit(t *testing.T) {
	files := cacheRepo()
	elsewhere := t.TempDir()
	files[".render-check.yaml"] = "repoURLs: [https://git.example.com/config.git]\nrender: {kustomizeBuildOptions: --enable-helm}\ncache: {dir: " + elsewhere + "}\n"
	root := writeRepo(t, files)
	cache := t.TempDir()
	t.Setenv(cacheEnv, cache)
	_, raw, _ := runCheckJSON(t, root, "--untrusted")
	if st := cacheStats(t, raw); st.Misses == 0 || st.Hits != 0 {
		t.Errorf("first untrusted run: %+v", st)
	}
	if n := cacheEntries(t, cache, "trusted"); len(n) != 0 {
		t.Errorf("an untrusted run wrote the trusted namespace: %v", n)
	}
	if n := cacheEntries(t, cache, "untrusted"); len(n) == 0 {
		t.Errorf("an untrusted run wrote nothing to its namespace")
	}
	if n := cacheEntries(t, elsewhere, "untrusted"); len(n) != 0 {
		t.Errorf("the untrusted checkout's cache.dir was used: %v", n)
	}
	var rep report.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if f := findRule(&rep, report.RuleRepoUntrusted, ""); f == nil || !strings.Contains(f.Message, "cache.dir") {
		t.Errorf("no finding about the ignored cache.dir: %+v", rep.Findings)
	}
	// a trusted run does not read what the untrusted one wrote (the
	// environment unset: the trusted config's cache.dir applies)
	t.Setenv(cacheEnv, "")
	_, raw, _ = runCheckJSON(t, root, "--trusted", "--cache-dir", cache)
	if st := cacheStats(t, raw); st.Hits != 0 {
		t.Errorf("a trusted run used entries of an untrusted one: %+v", st)
	}
	_, raw, _ = runCheckJSON(t, root, "--trusted")
	if st := cacheStats(t, raw); st.Hits != 0 {
		t.Errorf("a trusted run used entries of an untrusted one: %+v", st)
	}
	if n := cacheEntries(t, elsewhere, "trusted"); len(n) == 0 {
		t.Errorf("a trusted run did not honour the trusted config's cache.dir")
	}
	// an untrusted run reads what a trusted one wrote
	t.Setenv(cacheEnv, elsewhere)
	_, raw, _ = runCheckJSON(t, root, "--untrusted")
	if st := cacheStats(t, raw); st.Misses != 0 {
		t.Errorf("an untrusted run did not read the trusted namespace: %+v", st)
	}
}

// TestCacheRemoteChart: a result built from a remote chart is reused while
// the archive in the chart cache is the one it was rendered from, rendered
// again when the archive changed, and not used by a run whose network
// policy refuses the chart's repository.
func TestCacheRemoteChart(t *testing.T) {
	version := "1"
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  lite:\n    - apiVersion: v2\n      name: lite\n      version: 1.2.3\n      urls: [%s/lite-1.2.3.tgz]\ngenerated: \"2026-01-01T00:00:00Z\"\n", srv.URL)
		case "/lite-1.2.3.tgz":
			_, _ = w.Write(chartArchive(t, "lite", "1.2.3", map[string]string{
				"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lite}\ndata: {pushed: \"" + version + "\"}\n",
			}))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	charts := t.TempDir()
	root := writeRepo(t, map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\nrender: {chartCacheDir: " + charts + "}\n",
		"clusters/c1/apps/lite.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: lite, namespace: argocd}
spec:
  project: default
  source: {repoURL: ` + srv.URL + `, chart: lite, targetRevision: 1.2.3}
  destination: {server: https://kubernetes.default.svc, namespace: lite}
`,
	})
	cache := t.TempDir()
	first, _ := renderTree(t, root, "--cache-dir", cache)
	if !strings.Contains(first["c1/lite.yaml"], `pushed: "1"`) {
		t.Fatalf("first render: %q", first["c1/lite.yaml"])
	}
	_, raw, _ := runCheckJSON(t, root, "--cache-dir", cache)
	if st := cacheStats(t, raw); st.Hits != 1 {
		t.Errorf("warm run with the archive in place: %+v, want a hit", st)
	}
	// the version is pushed again with other content and the chart cache
	// is cleared: the stored result is not the archive's any more
	version = "2"
	if err := os.RemoveAll(charts); err != nil {
		t.Fatal(err)
	}
	got, _ := renderTree(t, root, "--cache-dir", cache)
	if !strings.Contains(got["c1/lite.yaml"], `pushed: "2"`) {
		t.Errorf("after the archive changed: %q, want the new content", got["c1/lite.yaml"])
	}
	// a run that may not fetch from the repository does not use the result
	_, fresh, _ := runCheckJSON(t, root, "--no-cache", "--network", "off")
	_, cached, _ := runCheckJSON(t, root, "--cache-dir", cache, "--network", "off")
	if st := cacheStats(t, cached); st.Hits != 0 {
		t.Errorf("a run with network off used a fetched result: %+v", st)
	}
	if g := cacheSummaryRE.ReplaceAll(cached, nil); !bytes.Equal(g, fresh) {
		t.Errorf("network off: cached run differs from a fresh one:\n%s\n%s", g, fresh)
	}
}

// TestCacheVerboseLine: the text report says what the cache did under
// --verbose only.
func TestCacheVerboseLine(t *testing.T) {
	root := writeRepo(t, cacheRepo())
	cache := t.TempDir()
	text := func(extra ...string) string {
		var o, e bytes.Buffer
		args := append([]string{"check", "--root", root, "--images", "off", "--format", "text", "--cache-dir", cache}, extra...)
		if code := run(context.Background(), args, strings.NewReader(""), &o, &e); code == exitError {
			t.Fatalf("check: %s", e.String())
		}
		return o.String()
	}
	verdicts := regexp.MustCompile(`verdict cache: (\d+) hit, (\d+) checked\n`)
	out := text("--verbose")
	if !strings.Contains(out, "render cache: 0 hit, 5 rendered\n") {
		t.Errorf("cold verbose run:\n%s", out)
	}
	m := verdicts.FindStringSubmatch(out)
	if m == nil || m[1] != "0" || m[2] == "0" {
		t.Errorf("cold verbose run, want only verdict misses:\n%s", out)
	}
	out = text("--verbose")
	if !strings.Contains(out, "render cache: 5 hit, 0 rendered\n") {
		t.Errorf("warm verbose run:\n%s", out)
	}
	if w := verdicts.FindStringSubmatch(out); m != nil && (w == nil || w[1] != m[2] || w[2] != "0") {
		t.Errorf("warm verbose run, want every verdict from the cache (cold checked %v):\n%s", m, out)
	}
	if out := text(); strings.Contains(out, "render cache:") {
		t.Errorf("the cache line without --verbose:\n%s", out)
	}
}
