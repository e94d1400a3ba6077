package policy

import (
	"context"
	"io/fs"

	"github.com/render-check/render-check/internal/rendercache"
)

// scanFormat names the layout of a stored repo-scan verdict; change it
// when the layout or what the key holds changes.
const scanFormat = "policy-scan/1"

// scanCached fills found with scanFile's documents of files, one verdict
// cache entry per directory keyed by the names and content hashes (git
// blob ids) of its YAML files: a directory whose files are unchanged is
// neither read nor parsed. A file without a hash is scanned on every run.
// It returns false when ctx is done.
func (c *checker) scanCached(ctx context.Context, files []string, found map[string][]scanDoc) bool {
	stage := rendercache.DirStage[[]scanDoc]{
		Key:    func(k *rendercache.KeyBuilder) { k.String("stage", scanFormat) },
		Hash:   func(f string) (string, bool) { return c.scanHash(ctx, f) },
		Check:  c.scanFile,
		Encode: encodeScan,
		Decode: func(b []byte, files []string) ([][]scanDoc, bool) { return decodeScan(b, len(files)) },
	}
	return stage.Run(ctx, c.verdicts, files, found) == nil
}

// scanHash is the content hash of a repo file: git's blob id of a tracked,
// unmodified file (not read), else the file's hash when it is a regular
// file the scan would read.
func (c *checker) scanHash(ctx context.Context, f string) (string, bool) {
	if h, ok := c.repo.TrackedHash(f); ok {
		return h, true
	}
	st, err := fs.Stat(c.repo.FS(), f)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxScanSize {
		return "", false
	}
	h, err := c.repo.Hash(ctx, f)
	return h, err == nil && h != ""
}

// encodeScan writes one directory's scanned documents, per file in order;
// false when an object has a value the canonical encoding cannot hold.
func encodeScan(files [][]scanDoc) ([]byte, bool) {
	var e rendercache.Encoder
	e.Len(len(files), false)
	for _, docs := range files {
		e.Len(len(docs), false)
		for _, d := range docs {
			e.Int(d.line)
			if err := e.Value(d.obj); err != nil {
				return nil, false
			}
		}
	}
	return e.Bytes(), true
}

// decodeScan reads what encodeScan wrote for n files.
func decodeScan(b []byte, n int) ([][]scanDoc, bool) {
	d := rendercache.NewDecoder(b)
	if m, _ := d.Len(); m != n {
		return nil, false
	}
	out := make([][]scanDoc, n)
	for i := range out {
		m, _ := d.Len()
		for j := 0; j < m; j++ {
			line := d.Int()
			obj, ok := d.Value().(map[string]any)
			if !ok {
				return nil, false
			}
			out[i] = append(out[i], scanDoc{line: line, obj: obj})
		}
	}
	if d.Err() != nil {
		return nil, false
	}
	return out, true
}
