package render

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/workspace"
)

// ReadersOf returns an Options.Select that keeps, before rendering, the
// Applications that may read one of files (repo-relative slash paths) and
// the ones that may produce Applications (app-of-apps parents: their
// children are only known by rendering them). It is a static pass over
// what each app's sources name: the source path, the paths its spec names
// (valueFiles, $ref/ paths, file parameters, jsonnet libs) and, followed
// transitively, every path named by the YAML files under a reached
// directory (kustomization resources, components, patches, helmCharts
// values files, a chart's file:// dependencies). It errs on the side of
// rendering: an app it cannot judge (a symlink on the way, a jsonnet
// source, a path it cannot list) is kept. The render then gives the exact
// files each kept app reads.
func ReadersOf(ctx context.Context, ws *workspace.Workspace, files []string) (func(cluster string, app *argo.Application) bool, error) {
	list, err := ws.Files(ctx)
	if err != nil {
		return nil, err
	}
	rs := &readerScan{ws: ws, files: map[string]bool{}, dirs: map[string]bool{".": true},
		scanned: map[string]*fileFacts{}, listed: map[string]map[string]fs.FileMode{}, memo: map[string]bool{}, want: map[string]bool{}}
	for _, f := range list {
		rs.files[f] = true
		for d := path.Dir(f); d != "." && !rs.dirs[d]; d = path.Dir(d) {
			rs.dirs[d] = true
		}
	}
	rs.list = list
	for _, f := range files {
		rs.want[path.Clean(f)] = true
	}
	return rs.selects, nil
}

// readerScan is the state of one ReadersOf pass, safe for concurrent use.
type readerScan struct {
	ws    *workspace.Workspace
	list  []string // sorted
	files map[string]bool
	dirs  map[string]bool
	want  map[string]bool

	mu      sync.Mutex
	scanned map[string]*fileFacts
	listed  map[string]map[string]fs.FileMode // directory listings on disk: name -> type (never 0)
	memo    map[string]bool                   // path (a start, or seen by a walk that found nothing) -> reaches
}

// fileFacts is what a file contributes to reach.
type fileFacts struct {
	names []string // scalars that may be paths
	// opaque: the file may make the app produce Applications or read
	// files that no name here shows: it mentions argoproj.io, or is a
	// kustomization or Chart.yaml naming a remote base, chart or
	// dependency, or a packaged chart (.tgz).
	opaque bool
}

// refPrefix is a multi-source $ref/ prefix.
var refPrefix = regexp.MustCompile(`^\$[A-Za-z0-9_-]+/`)

// trimRef removes a multi-source $ref/ prefix (the regexp runs only on
// the strings that can have one).
func trimRef(s string) string {
	if !strings.HasPrefix(s, "$") {
		return s
	}
	return refPrefix.ReplaceAllString(s, "")
}

func (rs *readerScan) selects(_ string, app *argo.Application) bool {
	if rs.want[app.File] {
		return true
	}
	for _, g := range app.GeneratorInputs {
		if rs.want[g] {
			return true
		}
	}
	var starts, bases []string
	for _, s := range app.Spec.AllSources() {
		s = s.Normalized()
		if s.Chart != "" {
			return true // a chart from a Helm repository may produce Applications (e.g. argocd-apps)
		}
		if len(app.Spec.Sources) > 0 && s.Path == "" {
			continue // a ref-only source renders nothing
		}
		p := path.Clean(strings.TrimPrefix(s.Path, "/"))
		if p == ".." || strings.HasPrefix(p, "../") {
			continue // refused by the render
		}
		starts = append(starts, p)
		bases = append(bases, p)
	}
	if app.File != "" {
		bases = append(bases, path.Dir(app.File))
	}
	// the paths the spec names, resolved from the root, each source path
	// and the Application's directory
	spec, err := json.Marshal(app.Spec)
	if err != nil {
		return true
	}
	var v any
	if json.Unmarshal(spec, &v) != nil {
		return true
	}
	for _, s := range jsonStrings(v, nil) {
		s = trimRef(s)
		if strings.Contains(s, "/") {
			starts = append(starts, path.Clean(strings.TrimPrefix(s, "/")))
		}
		for _, b := range bases {
			starts = append(starts, path.Join(b, s))
		}
	}
	return rs.reaches(starts)
}

// reaches reports whether a walk from one of the start paths may read a
// wanted file, or cannot judge; each start's answer is computed once.
func (rs *readerScan) reaches(starts []string) bool {
	for _, st := range starts {
		st = prefix(st)
		rs.mu.Lock()
		r, ok := rs.memo[st]
		rs.mu.Unlock()
		if !ok {
			r = rs.walk(st)
			rs.mu.Lock()
			rs.memo[st] = r
			rs.mu.Unlock()
		}
		if r {
			return true
		}
	}
	return false
}

// walk walks from one start path and reports whether a wanted file may be
// read, or the walk cannot judge.
func (rs *readerScan) walk(start string) bool {
	seen := map[string]bool{}
	queue := []string{start}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		p = prefix(p)
		if p == ".." || strings.HasPrefix(p, "../") || seen[p] {
			continue
		}
		if p != start {
			// a path judged by an earlier walk: its answer stands here
			rs.mu.Lock()
			r, ok := rs.memo[p]
			rs.mu.Unlock()
			if ok {
				if r {
					return true
				}
				continue
			}
		}
		seen[p] = true
		var reached []string
		switch {
		case rs.files[p]:
			reached = []string{p}
		case rs.dirs[p]:
			reached = rs.under(p)
		default:
			mode := rs.onDisk(p)
			switch {
			case mode == 0:
				continue // names nothing
			case mode&fs.ModeSymlink != 0 || mode.IsDir():
				return true // a link or an unlisted directory: cannot judge
			}
			reached = []string{p}
		}
		for _, f := range reached {
			if rs.want[f] {
				return true
			}
			ff := rs.facts(f)
			if ff.opaque || strings.HasSuffix(f, ".jsonnet") || strings.HasSuffix(f, ".libsonnet") {
				return true // may produce Applications; jsonnet imports anything
			}
			dir := path.Dir(f)
			for _, n := range ff.names {
				n = trimRef(strings.TrimPrefix(n, "file://"))
				queue = append(queue, path.Join(dir, n))
				if strings.Contains(n, "/") {
					queue = append(queue, path.Clean(strings.TrimPrefix(n, "/")))
				}
			}
		}
	}
	// Nothing reachable from start may read a wanted file, so nothing
	// reachable from any path seen on the way may: later walks that meet
	// one of them stop there.
	rs.mu.Lock()
	for p := range seen {
		rs.memo[p] = false
	}
	rs.mu.Unlock()
	return false
}

// prefix cuts a path at its first glob or variable: the directory before
// it stands for every match.
func prefix(p string) string {
	if i := strings.IndexAny(p, "*?[$"); i >= 0 {
		return path.Dir(p[:i])
	}
	return path.Clean(p)
}

// under returns the listed files under dir (all of them for ".").
func (rs *readerScan) under(dir string) []string {
	if dir == "." {
		return rs.list
	}
	i, _ := slices.BinarySearch(rs.list, dir+"/")
	j := i
	for j < len(rs.list) && strings.HasPrefix(rs.list[j], dir+"/") {
		j++
	}
	return rs.list[i:j]
}

// onDisk is the mode of a path the file list does not have (0: absent),
// from one listing per directory.
func (rs *readerScan) onDisk(p string) fs.FileMode {
	if p == "." || p == "" {
		return fs.ModeDir | 1
	}
	parent := path.Dir(p)
	if !rs.dirs[parent] {
		if m := rs.onDisk(parent); m == 0 || m&fs.ModeSymlink != 0 || !m.IsDir() {
			return 0 // a link on the way is judged by reaches when it meets it
		}
	}
	rs.mu.Lock()
	entries, ok := rs.listed[parent]
	rs.mu.Unlock()
	if !ok {
		entries, ok = rs.ws.DiskEntries(parent) // the workspace's one walk of the disk
	}
	if !ok {
		entries = map[string]fs.FileMode{}
		if es, err := fs.ReadDir(rs.ws.FS(), parent); err == nil {
			for _, e := range es {
				entries[e.Name()] = e.Type() | 1 // never 0 for an existing file
			}
		}
		rs.mu.Lock()
		rs.listed[parent] = entries
		rs.mu.Unlock()
	}
	return entries[path.Base(p)]
}

// facts reads a file once: the scalars of a YAML or JSON file that may
// name a path, and whether it mentions argoproj.io.
func (rs *readerScan) facts(f string) *fileFacts {
	rs.mu.Lock()
	ff, ok := rs.scanned[f]
	rs.mu.Unlock()
	if ok {
		return ff
	}
	ff = &fileFacts{}
	data, err := rs.ws.ReadFile(f)
	base := path.Base(f)
	if err == nil {
		ff.opaque = bytes.Contains(data, []byte("argoproj.io")) || strings.HasSuffix(base, ".tgz")
		if strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".json") || base == "Kustomization" {
			if docs, err := workspace.DecodeNodes(data); err == nil {
				for _, d := range docs {
					ff.names = yamlPathScalars(d, ff.names)
				}
			}
		}
		if isKustomizationFile(f) || base == "Chart.yaml" {
			for _, n := range ff.names {
				if remoteName(n) {
					ff.opaque = true
				}
			}
		}
	}
	rs.mu.Lock()
	rs.scanned[f] = ff
	rs.mu.Unlock()
	return ff
}

// remoteName reports whether a kustomization or Chart.yaml entry names
// something outside the checkout (a remote base, chart repository or OCI
// registry).
func remoteName(s string) bool {
	if strings.HasPrefix(s, "file://") {
		return false
	}
	return strings.Contains(s, "://") || strings.HasPrefix(s, "github.com/") || strings.HasPrefix(s, "git@") ||
		strings.HasPrefix(s, "git::") || strings.HasPrefix(s, "oci:")
}

// yamlPathScalars appends the scalars of n that may be paths (or remote
// names): one line, no spaces.
func yamlPathScalars(n *yaml.Node, out []string) []string {
	if n == nil {
		return out
	}
	if n.Kind == yaml.ScalarNode {
		s := n.Value
		if s != "" && len(s) < 1024 && !strings.ContainsAny(s, "\n ") {
			out = append(out, s)
		}
		return out
	}
	for _, c := range n.Content {
		out = yamlPathScalars(c, out)
	}
	return out
}

// jsonStrings appends every string of a decoded JSON value.
func jsonStrings(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		if x != "" && !strings.Contains(x, "\n") {
			out = append(out, x)
		}
	case []any:
		for _, e := range x {
			out = jsonStrings(e, out)
		}
	case map[string]any:
		for _, e := range x {
			out = jsonStrings(e, out)
		}
	}
	return out
}
