package workspace

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/argo"
)

// detectDirGlobs are the cluster directory layouts tried, in order, when
// clusters are not configured and clusters/* matches nothing.
var detectDirGlobs = []string{"envs/*", "environments/*"}

// maxDetectFileSize bounds the files read while looking for root
// Applications.
const maxDetectFileSize = 1 << 20

// detectClusters finds the clusters of a repo without configuration: the
// first of detectDirGlobs that matches directories, else the clusters
// defined by root Applications (Applications in YAML files, or Helm charts
// whose templates are Applications, that no other Application's source path
// covers). Root Applications in one directory are one cluster, except that
// two or more app-of-apps roots in one directory (bootstrap/prod-root.yaml,
// bootstrap/staging-root.yaml) are one cluster each. The note says what was
// detected.
func (r *Workspace) detectClusters() ([]ClusterDir, string, error) {
	tried := strings.Join(r.Config.Clusters, ", ")
	for _, g := range detectDirGlobs {
		cs, err := r.matchClusters([]string{g}, "")
		if err != nil {
			return nil, "", err
		}
		if len(cs) > 0 {
			return cs, fmt.Sprintf("no clusters configured and %s matches nothing: detected %s (%s directories); set clusters in .render-check.yaml to choose", tried, describeClusters(cs), g), nil
		}
	}
	cs, err := r.rootClusters()
	if err != nil || len(cs) == 0 {
		return nil, "", err
	}
	return cs, fmt.Sprintf("no clusters configured and %s matches nothing: detected %s from root Applications; set clusters in .render-check.yaml to choose", tried, describeClusters(cs)), nil
}

func describeClusters(cs []ClusterDir) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		var paths []string
		for _, m := range c.Paths() {
			paths = append(paths, m.Path)
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", c.Name, strings.Join(paths, ", ")))
	}
	n := "1 cluster: "
	if len(cs) != 1 {
		n = fmt.Sprintf("%d clusters: ", len(cs))
	}
	return n + strings.Join(parts, ", ")
}

// appFile is one Application manifest found while detecting.
type appFile struct {
	file  string
	paths []sourceCover // local sources
}

// sourceCover is what one local source of an Application renders, as Argo
// CD reads it: a Kustomize directory renders the files its kustomization
// reaches (resources, bases, components), a plain directory the files
// directly in it (every file below it with directory.recurse), a Helm chart
// its own templates.
type sourceCover struct {
	dir     string
	recurse bool
	kfiles  map[string]bool // files a kustomization reaches; nil when dir is no kustomization
}

// covers reports whether the source renders the repo file (or, for a
// directory target, the directory) at p.
func (c sourceCover) covers(p string, isDir bool) bool {
	within := c.dir == "." || p == c.dir || strings.HasPrefix(p, c.dir+"/")
	switch {
	case !within:
		return false
	case c.kfiles != nil:
		if isDir {
			for f := range c.kfiles {
				if f == p || strings.HasPrefix(f, p+"/") {
					return true
				}
			}
			return false
		}
		return c.kfiles[p]
	case c.recurse:
		return true
	case isDir:
		return p == c.dir
	default:
		return path.Dir(p) == c.dir
	}
}

// kustomizationNames are the file names kustomize reads a kustomization
// from.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// maxKustomizeWalk bounds the kustomizations followed from one source.
const maxKustomizeWalk = 200

// kustomizeFiles returns the repo files the kustomization in dir reaches
// through resources, bases and components (local entries only, following
// directories that hold a kustomization), or nil when dir holds no
// kustomization. Remote entries and entries leaving the root are skipped.
func (r *Workspace) kustomizeFiles(dir string) map[string]bool {
	var out map[string]bool
	seen := map[string]bool{}
	var walk func(d string) bool
	walk = func(d string) bool {
		if seen[d] || len(seen) >= maxKustomizeWalk {
			return true
		}
		var data []byte
		for _, n := range kustomizationNames {
			f := path.Join(d, n)
			st, err := fs.Stat(r.FS(), f)
			if err != nil || !st.Mode().IsRegular() || st.Size() > maxDetectFileSize {
				continue
			}
			if data, err = r.ReadFile(f); err == nil {
				break
			}
		}
		if data == nil {
			return false
		}
		seen[d] = true
		if out == nil {
			out = map[string]bool{}
		}
		var k struct {
			Resources  []string `yaml:"resources"`
			Bases      []string `yaml:"bases"`
			Components []string `yaml:"components"`
		}
		if yaml.Unmarshal(data, &k) != nil {
			return true
		}
		for _, e := range slices.Concat(k.Resources, k.Bases, k.Components) {
			if strings.Contains(e, "://") || strings.HasPrefix(e, "github.com/") || strings.HasPrefix(e, "git@") || path.IsAbs(e) {
				continue
			}
			p := path.Join(d, e)
			if p == ".." || strings.HasPrefix(p, "../") {
				continue
			}
			st, err := fs.Stat(r.FS(), p)
			switch {
			case err != nil:
			case st.Mode().IsRegular():
				out[p] = true
			case st.IsDir():
				walk(p)
			}
		}
		return true
	}
	walk(dir)
	return out
}

// rootClusters detects clusters from root Applications.
func (r *Workspace) rootClusters() ([]ClusterDir, error) {
	var files []appFile
	var charts []string // Helm charts whose templates hold Applications
	list, chartDirs, err := r.discoveryFiles(func(name string) bool { return name == "node_modules" || name == "vendor" })
	if err != nil {
		return nil, fmt.Errorf("detecting clusters: %w", err)
	}
	for _, c := range chartDirs {
		if r.chartFilesHaveApplications(c) {
			charts = append(charts, c)
		}
	}
	for _, rel := range list {
		data, err := r.ReadFile(rel)
		if err != nil || !bytes.Contains(data, []byte("Application")) {
			continue
		}
		docs, _ := ParseDocuments(rel, data)
		af := appFile{file: rel}
		found := false
		for _, doc := range docs {
			if doc.Object == nil || !argo.IsApplication(doc.Object) {
				continue
			}
			app, err := argo.DecodeApplication(doc.Object)
			if err != nil {
				continue
			}
			found = true
			for _, s := range app.Spec.AllSources() {
				if s.Chart != "" || s.Path == "" {
					continue
				}
				if r.KnowsItself() && !r.IsThisRepo(s.RepoURL) {
					continue
				}
				p := path.Clean(strings.TrimPrefix(s.Path, "/"))
				if !r.Exists(p) || (p == "." && !r.IsThisRepo(s.RepoURL)) {
					// the root exists in every repo: only a source known to be
					// this one covers it
					continue
				}
				sc := sourceCover{dir: p, kfiles: r.kustomizeFiles(p)}
				if s.Directory != nil {
					sc.recurse = s.Directory.Recurse
				}
				af.paths = append(af.paths, sc)
			}
		}
		if found {
			files = append(files, af)
		}
	}
	coveredBy := func(target string, isDir bool, self string) []string {
		var by []string
		for _, f := range files {
			if f.file == self {
				continue
			}
			for _, p := range f.paths {
				if p.covers(target, isDir) {
					by = append(by, f.file)
					break
				}
			}
		}
		return by
	}
	isParent := func(f appFile) bool {
		for _, p := range f.paths {
			for _, o := range files {
				if o.file != f.file && p.covers(o.file, false) {
					return true
				}
			}
			for _, c := range charts {
				if p.covers(c, true) {
					return true
				}
			}
		}
		return false
	}
	byDir := map[string][]appFile{}
	for _, f := range files {
		if len(coveredBy(f.file, false, f.file)) == 0 {
			byDir[path.Dir(f.file)] = append(byDir[path.Dir(f.file)], f)
		}
	}
	var out []ClusterDir
	for _, dir := range sortedKeys(byDir) {
		roots := byDir[dir]
		var parents, leaves []appFile
		for _, f := range roots {
			if isParent(f) {
				parents = append(parents, f)
			} else {
				leaves = append(leaves, f)
			}
		}
		if len(parents) < 2 {
			parents, leaves = nil, roots
		}
		for _, f := range parents {
			out = append(out, ClusterDir{Name: clusterName("", f.file, "", true), Dir: dir,
				Members: []Member{{Path: f.file, File: true}}})
		}
		if len(leaves) > 0 {
			c := ClusterDir{Name: clusterName("", dir, "", false), Dir: dir}
			for _, f := range leaves {
				c.Members = append(c.Members, Member{Path: f.file, File: true})
			}
			out = append(out, c)
		}
	}
	for _, c := range charts {
		if len(coveredBy(c, true, "")) == 0 {
			out = append(out, ClusterDir{Name: path.Base(c), Dir: c})
		}
	}
	// names must be unique and valid: fall back to the path
	seen := map[string]int{}
	for _, c := range out {
		seen[c.Name]++
	}
	for i := range out {
		if seen[out[i].Name] > 1 || checkClusterName(out[i].Name, out[i].Dir) != nil {
			p := out[i].Dir
			if len(out[i].Members) == 1 {
				p = strings.TrimSuffix(out[i].Members[0].Path, path.Ext(out[i].Members[0].Path))
			}
			out[i].Name = strings.NewReplacer("/", "-", "..", "-").Replace(p)
		}
		if checkClusterName(out[i].Name, out[i].Dir) != nil {
			return nil, checkClusterName(out[i].Name, out[i].Dir)
		}
	}
	slices.SortFunc(out, func(a, b ClusterDir) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, fmt.Errorf("detected two clusters named %q (%s, %s): set clusters in .render-check.yaml", out[i].Name, out[i-1].Dir, out[i].Dir)
		}
	}
	return out, nil
}

// containsApplication is the cheap test for a chart template defining an
// Argo CD Application.
func containsApplication(data []byte) bool {
	return bytes.Contains(data, []byte("argoproj.io/")) && bytes.Contains(data, []byte("kind: Application\n"))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
