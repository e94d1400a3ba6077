package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
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

// TestCommittedCatalogIsEncoded: the committed catalog (../catalog) is what
// encodeCatalog writes for its own CRDs, byte for byte: the index's
// provenance, kinds, scopes, served versions and offsets follow from the
// CRD bodies, each CRD is one gzip member and nothing else is in the blob.
// (TestCatalogKinds in package validate and `go generate` check the CRDs
// themselves against the pinned sources.)
func TestCommittedCatalogIsEncoded(t *testing.T) {
	index, err := os.ReadFile(filepath.Join("..", "catalog", indexFile))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := os.ReadFile(filepath.Join("..", "catalog", blobFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		CRDs []indexEntry `json:"crds"`
	}
	if err := json.Unmarshal(index, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.CRDs) < 50 {
		t.Fatalf("only %d CRDs in the index", len(doc.CRDs))
	}
	var entries []catalogEntry
	for _, e := range doc.CRDs {
		if e.Offset < 0 || e.Size <= 0 || e.Offset+e.Size > len(blob) {
			t.Fatalf("%s: bytes %d+%d outside the blob (%d)", e.File, e.Offset, e.Size, len(blob))
		}
		zr, err := gzip.NewReader(bytes.NewReader(blob[e.Offset : e.Offset+e.Size]))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // numbers written back as read
		var crd map[string]any
		if err := dec.Decode(&crd); err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
		entries = append(entries, catalogEntry{Module: e.Module, Version: e.Version, File: e.File, CRD: crd})
	}
	gotIndex, gotBlob, err := encodeCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotIndex, index) {
		t.Errorf("catalog/%s is not what the generator writes for its CRDs:\n%s", indexFile, gotIndex)
	}
	if !bytes.Equal(gotBlob, blob) {
		t.Errorf("catalog/%s is not what the generator writes for its CRDs (%d bytes, generator %d)", blobFile, len(blob), len(gotBlob))
	}
}
