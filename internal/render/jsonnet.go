package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-jsonnet"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/workspace"
)

// jsonnetTimeout bounds one jsonnet file's evaluation: repo content must not
// hold the runner forever.
const jsonnetTimeout = time.Minute

// errImportOutsideRepo is a jsonnet import or library path that leaves the
// repository.
var errImportOutsideRepo = errors.New("resolves outside the repository")

// jsonnetEvaluator evaluates the .jsonnet files of one directory source as
// the repo-server's makeJsonnetVM sets up go-jsonnet: TLAs and extVars
// (strings or code, values with $X substitution), imports relative to the
// importing file, then the library paths (libs, relative to the repo root,
// last first) and the app path. Every read goes through a root-confined
// importer: nothing outside the checkout is read.
type jsonnetEvaluator struct {
	opts     argo.JsonnetOptions
	env      map[string]string
	importer *rootedImporter
}

func (r *renderer) newJsonnetEvaluator(appDir string, opts argo.JsonnetOptions, env map[string]string) (*jsonnetEvaluator, error) {
	jpaths := []string{appDir}
	for _, l := range opts.Libs {
		// relative to the repo root; a leading "/" means the root too
		p := path.Clean(strings.TrimPrefix(filepath.ToSlash(l), "/"))
		if p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("jsonnet library path %q %w", l, errImportOutsideRepo)
		}
		jpaths = append(jpaths, p)
	}
	root, err := os.OpenRoot(r.repo.Root)
	if err != nil {
		return nil, fmt.Errorf("opening the repository root: %w", err)
	}
	return &jsonnetEvaluator{opts: opts, env: env, importer: &rootedImporter{root: root, jpaths: jpaths, cache: map[string]*importEntry{}}}, nil
}

func (j *jsonnetEvaluator) vm() *jsonnet.VM {
	vm := jsonnet.MakeVM()
	for _, a := range j.opts.TLAs {
		if v := envsubst(a.Value, j.env); a.Code {
			vm.TLACode(a.Name, v)
		} else {
			vm.TLAVar(a.Name, v)
		}
	}
	for _, a := range j.opts.ExtVars {
		if v := envsubst(a.Value, j.env); a.Code {
			vm.ExtCode(a.Name, v)
		} else {
			vm.ExtVar(a.Name, v)
		}
	}
	vm.Importer(j.importer)
	return vm
}

// close releases the root handle.
func (j *jsonnetEvaluator) close() { _ = j.importer.root.Close() }

// imported lists the repo files jsonnet has read so far (inputs).
func (j *jsonnetEvaluator) imported() []string { return j.importer.found() }

// evaluate runs one file (repo-relative) and decodes its output: an array
// of objects or one object, each needing a kind, as Argo CD unmarshals it.
func (j *jsonnetEvaluator) evaluate(ctx context.Context, rel string) ([]workspace.Document, error) {
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	vm := j.vm()
	go func() {
		out, err := vm.EvaluateFile(rel)
		done <- result{out, err}
	}()
	var res result
	timer := time.NewTimer(jsonnetTimeout)
	defer timer.Stop()
	select {
	case res = <-done:
	case <-timer.C:
		// go-jsonnet cannot be interrupted: the evaluation is abandoned
		return nil, &FileError{File: rel, Err: fmt.Errorf("jsonnet evaluation took longer than %s", jsonnetTimeout)}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil {
		return nil, &FileError{File: rel, Err: fmt.Errorf("failed to evaluate jsonnet: %w", res.err)}
	}
	objs, err := decodeJSONNETOutput([]byte(res.out))
	if err != nil {
		return nil, &FileError{File: rel, Err: fmt.Errorf("failed to unmarshal generated json: %w", err)}
	}
	docs := make([]workspace.Document, 0, len(objs))
	for _, o := range objs {
		docs = append(docs, workspace.Document{Object: o})
	}
	return docs, nil
}

// decodeJSONNETOutput is Argo CD's reading of jsonnet output: an array of
// objects (null entries skipped), else a single object; objects need kind.
func decodeJSONNETOutput(data []byte) ([]map[string]any, error) {
	var list []any
	if err := json.Unmarshal(data, &list); err == nil {
		var out []map[string]any
		for _, e := range list {
			if e == nil {
				continue
			}
			b, _ := json.Marshal(e)
			obj, err := decodeJSONManifest(b)
			if err != nil {
				return nil, err
			}
			out = append(out, obj)
		}
		return out, nil
	}
	obj, err := decodeJSONManifest(data)
	if err != nil {
		return nil, err
	}
	return []map[string]any{obj}, nil
}

// rootedImporter is go-jsonnet's FileImporter confined to the repository:
// paths are repo-relative slash paths, absolute imports and paths leaving
// the root are errors, and reads go through os.Root so symlinks cannot
// leave it either.
type rootedImporter struct {
	root   *os.Root
	jpaths []string

	mu    sync.Mutex
	cache map[string]*importEntry
}

type importEntry struct {
	exists   bool
	contents jsonnet.Contents
}

// Import resolves importedPath against the importing file's directory, then
// the library paths from last to first.
func (im *rootedImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	if path.IsAbs(importedPath) || filepath.IsAbs(importedPath) {
		return jsonnet.Contents{}, "", fmt.Errorf("import %q: absolute imports are not allowed: it %w", importedPath, errImportOutsideRepo)
	}
	dirs := []string{path.Dir(importedFrom)}
	if importedFrom == "" {
		dirs[0] = "."
	}
	for i := len(im.jpaths) - 1; i >= 0; i-- {
		dirs = append(dirs, im.jpaths[i])
	}
	for _, d := range dirs {
		p := path.Join(d, filepath.ToSlash(importedPath))
		if p == ".." || strings.HasPrefix(p, "../") {
			return jsonnet.Contents{}, "", fmt.Errorf("import %q from %s %w", importedPath, d, errImportOutsideRepo)
		}
		e, err := im.read(p)
		if err != nil {
			return jsonnet.Contents{}, "", fmt.Errorf("import %q: %w", importedPath, err)
		}
		if e.exists {
			return e.contents, p, nil
		}
	}
	return jsonnet.Contents{}, "", fmt.Errorf("couldn't open import %q: no match locally or in the Jsonnet library paths", importedPath)
}

func (im *rootedImporter) read(p string) (*importEntry, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if e, ok := im.cache[p]; ok {
		return e, nil
	}
	data, err := im.root.ReadFile(filepath.FromSlash(p))
	e := &importEntry{}
	switch {
	case err == nil:
		e.exists, e.contents = true, jsonnet.MakeContentsRaw(data)
	case errors.Is(err, fs.ErrNotExist):
	default:
		// os.Root refuses symlinks and paths leaving the root
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	im.cache[p] = e
	return e, nil
}

// probed lists the paths looked up that do not exist, sorted: an import
// resolves to the first candidate that exists, so their absence matters.
func (im *rootedImporter) probed() []string {
	im.mu.Lock()
	defer im.mu.Unlock()
	var out []string
	for p, e := range im.cache {
		if !e.exists {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// found lists the files read, sorted.
func (im *rootedImporter) found() []string {
	im.mu.Lock()
	defer im.mu.Unlock()
	var out []string
	for p, e := range im.cache {
		if e.exists {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
