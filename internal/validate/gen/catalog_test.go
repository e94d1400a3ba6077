package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVendoredSources: every vendored file is the pinned upstream blob,
// holds a CustomResourceDefinition, and upstream/PROVENANCE names its repo,
// commit and path.
func TestVendoredSources(t *testing.T) {
	prov, err := os.ReadFile(filepath.Join("upstream", "PROVENANCE"))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range vendoredSources {
		if len(src.Commit) != 40 {
			t.Errorf("%s: commit %q is not a full commit", src.Repo, src.Commit)
		}
		for _, want := range []string{"github.com/" + src.Repo, src.Commit} {
			if !strings.Contains(string(prov), want) {
				t.Errorf("PROVENANCE lacks %q", want)
			}
		}
		for _, f := range src.Files {
			if !strings.Contains(string(prov), f.Path) || !strings.Contains(string(prov), f.Blob) {
				t.Errorf("PROVENANCE lacks %s (blob %s)", f.Path, f.Blob)
			}
			data, err := readVendored("upstream", src, f)
			if err != nil {
				t.Error(err)
				continue
			}
			objs, err := decodeObjects(data)
			if err != nil {
				t.Errorf("%s: %v", f.Path, err)
				continue
			}
			crds := 0
			for _, o := range objs {
				if o["kind"] == "CustomResourceDefinition" {
					crds++
				}
			}
			if crds == 0 {
				t.Errorf("%s: no CustomResourceDefinition", f.Path)
			}
		}
	}
	// a changed copy is refused
	src := vendoredSources[0]
	dir := t.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(src.Repo), filepath.FromSlash(src.Files[0].Path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("apiVersion: v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readVendored(dir, src, src.Files[0]); err == nil || !strings.Contains(err.Error(), "not the upstream file") {
		t.Errorf("changed copy: err = %v", err)
	}
}
