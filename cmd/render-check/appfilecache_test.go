package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// filesEntries lists the packs of the render cache's store of per-file
// results (the parsed Application files).
func filesEntries(t *testing.T, cache string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(cache, "files", "trusted"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withoutCacheNotes is a JSON report without its cache counts and the
// render cache's notes, which is what differs from a run without cache.
func withoutCacheNotes(t *testing.T, raw []byte) ([]byte, []string) {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal(cacheSummaryRE.ReplaceAll(raw, nil), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	var notes []string
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, "render cache:") {
			notes = append(notes, n)
		}
	}
	rep.Notes = slicesDelete(rep.Notes, notes)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return b, notes
}

// TestCacheApplicationFiles: the Applications parsed from a cluster's
// files are kept in the cache's per-file store, keyed by the files' content. A warm run parses no unchanged
// Application file and reports what a run without cache reports (the YAML
// 1.1 and malformed-YAML findings of those files included); an edited
// Application file is parsed again; a corrupt entry is ignored with one
// note and rewritten.
func TestCacheApplicationFiles(t *testing.T) {
	for _, withGit := range []bool{false, true} {
		name := "plain"
		if withGit {
			name = "git"
		}
		t.Run(name, func(t *testing.T) {
			files := cacheRepo()
			files["clusters/c1/apps/yaml11.yaml"] = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: yaml11, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://git.example.com/config.git
    path: _base/chart
    targetRevision: main
    helm:
      parameters: [{name: param, value: off}]
  destination: {server: https://kubernetes.default.svc, namespace: yaml11}
`
			files["clusters/c1/apps/broken.yaml"] = files["clusters/c1/apps/dir.yaml"] + "---\nmetadata: {name: [\n"
			root := writeRepo(t, files)
			if withGit {
				gitInit(t, root)
			}
			cache := t.TempDir()
			fresh := func() []byte {
				t.Helper()
				_, raw, _ := runCheckJSON(t, root, "--no-cache")
				return raw
			}
			cached := func(label string, want []byte) []string {
				t.Helper()
				_, raw, _ := runCheckJSON(t, root, "--cache-dir", cache)
				got, notes := withoutCacheNotes(t, raw)
				w, _ := withoutCacheNotes(t, want)
				if !bytes.Equal(got, w) {
					t.Errorf("%s: report differs from a run without cache:\n%s\nwant:\n%s", label, got, w)
				}
				return notes
			}
			want := fresh()
			for _, f := range []string{`"rule":"render/malformed-yaml"`, `"file":"clusters/c1/apps/yaml11.yaml"`} {
				if !bytes.Contains(bytes.ReplaceAll(want, []byte(": "), []byte(":")), []byte(f)) {
					t.Fatalf("the fixture should give a finding with %s:\n%s", f, want)
				}
			}
			cached("cold", want)
			stored := filesEntries(t, cache)
			if len(stored) != 1 {
				t.Fatalf("%d per-file entries after a cold run, want one for the cluster's files", len(stored))
			}
			ageEntries := func() {
				for _, e := range filesEntries(t, cache) {
					if err := os.Chtimes(e, oldTime, oldTime); err != nil {
						t.Fatal(err)
					}
				}
			}
			ageEntries()
			if notes := cached("warm", want); len(notes) != 0 {
				t.Errorf("warm run notes: %q", notes)
			}
			for _, e := range filesEntries(t, cache) {
				if st, err := os.Stat(e); err != nil || st.ModTime().Equal(oldTime) {
					t.Errorf("entry %s not used by the warm run", e)
				}
			}

			// an edited Application file is parsed again
			writeFiles(t, root, map[string]string{"clusters/c1/apps/dir.yaml": strings.Replace(files["clusters/c1/apps/dir.yaml"], "name: dir,", "name: dir-renamed,", 1)})
			want = fresh()
			if !bytes.Contains(want, []byte(`"dir-renamed"`)) {
				t.Fatalf("the renamed app is not in the fresh report:\n%s", want)
			}
			cached("after an edit", want)
			if n := len(filesEntries(t, cache)); n != 2 {
				t.Errorf("%d per-file packs after the edit, want 2 (one more with the cluster's files with the edited content)", n)
			}

			// corrupt entries: parsed again, one note, rewritten
			for _, e := range filesEntries(t, cache) {
				if err := os.WriteFile(e, []byte("not an entry"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			packs := len(filesEntries(t, cache))
			notes := cached("corrupt entries", want)
			// each spoilt pack is ignored whole, counted once
			if len(notes) != 1 || !strings.Contains(notes[0], fmt.Sprintf("ignored %d corrupt", packs)) || !strings.Contains(notes[0], "parsed again") {
				t.Errorf("notes after corrupting the %d packs: %q, want one about %[1]d ignored", packs, notes)
			}
			if notes := cached("rewritten", want); len(notes) != 0 {
				t.Errorf("the corrupt entries were not rewritten: %q", notes)
			}
		})
	}
}
