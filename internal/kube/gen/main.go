// Command gen generates the embedded Kubernetes schemas of package kube
// from the OpenAPI v3 documents shipped in the Go module k8s.io/kubernetes
// (api/openapi-spec/v3). It fetches each minor with `go mod download`, which
// does not touch go.mod, and writes one deterministic gzipped tar per minor:
//
//	schemas/v1.NN.tar.gz
//	  kinds.json        [{group, version, kind, definition, namespaced}] sorted
//	  definitions.json  {"definitions": {name: draft-04 schema}} reachable from kinds
//
// Run it with `go generate ./internal/kube` (network: Go module proxy only).
// Usage: gen [-out DIR] [-minors 1.30,1.31,...] [-patch 0]
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/render-check/render-check/internal/kube/openapi"
)

func main() {
	out := flag.String("out", "schemas", "output directory")
	minors := flag.String("minors", "1.30,1.31,1.32,1.33,1.34,1.35,1.36,1.37", "comma-separated Kubernetes minors")
	patch := flag.String("patch", "0", "patch release of k8s.io/kubernetes to read each minor from")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	for _, m := range strings.Split(*minors, ",") {
		if err := generate(*out, m, *patch); err != nil {
			fail(fmt.Errorf("minor %s: %w", m, err))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

func generate(out, minor, patch string) error {
	dir, err := download("k8s.io/kubernetes@v" + minor + "." + patch)
	if err != nil {
		return err
	}
	specDir := filepath.Join(dir, "api", "openapi-spec", "v3")
	entries, err := os.ReadDir(specDir)
	if err != nil {
		return err
	}
	docs := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(specDir, e.Name()))
		if err != nil {
			return err
		}
		docs[e.Name()] = data
	}
	set, err := openapi.Convert(docs)
	if err != nil {
		return err
	}
	kinds, err := json.Marshal(set.Kinds)
	if err != nil {
		return err
	}
	defs, err := json.Marshal(map[string]any{"definitions": set.Definitions})
	if err != nil {
		return err
	}
	data, err := tarGz([]file{{"definitions.json", defs}, {"kinds.json", kinds}})
	if err != nil {
		return err
	}
	path := filepath.Join(out, "v"+minor+".tar.gz")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d kinds, %d definitions, %d bytes\n", path, len(set.Kinds), len(set.Definitions), len(data))
	return nil
}

func download(mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(outb, &info); err != nil {
		return "", err
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	return info.Dir, nil
}

type file struct {
	name string
	data []byte
}

// tarGz writes files into a reproducible gzipped tar: sorted names, zero
// times and owners, no gzip name or time.
func tarGz(files []file) ([]byte, error) {
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0).UTC(), Format: tar.FormatUSTAR, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
