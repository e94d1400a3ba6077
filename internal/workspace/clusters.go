package workspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/argo"
)

// ClusterDir is one cluster: by default a directory whose YAML files hold
// its Applications. A cluster may also be defined by its root Application
// file(s) (Members that are files), or span several directories (an
// app-centric layout such as apps/*/envs/prod).
type ClusterDir struct {
	// Name is the cluster's name (the directory's base name unless the
	// configured clusterName pattern or detection says otherwise).
	Name string
	// Dir is the cluster's main directory, relative to the root with
	// forward slashes ("." for the root): what ownership rules and messages
	// refer to.
	Dir string
	// Members, when set, replace Dir as what the cluster is read from:
	// Application files, or directories walked like Dir.
	Members []Member
}

// Member is one path a cluster is read from.
type Member struct {
	// Path is a file or directory relative to the root.
	Path string
	// File is true when Path is a root Application file.
	File bool
	// App names the app rendered from a member directory that holds no
	// Application but is a kustomization or a Helm chart.
	App string
}

// Paths returns what the cluster is read from: its members, else its Dir.
func (c ClusterDir) Paths() []Member {
	if len(c.Members) > 0 {
		return c.Members
	}
	return []Member{{Path: c.Dir, App: c.Name}}
}

// Clusters returns the clusters (see DiscoverClusters).
func (r *Workspace) Clusters() ([]ClusterDir, error) {
	cs, _, err := r.DiscoverClusters()
	return cs, err
}

// DiscoverClusters returns the clusters matching the configured globs,
// sorted by name, and a note saying how they were found when they were
// detected rather than configured.
//
// A glob may match directories (each a cluster), "." (the root as one
// cluster) or, when its last segment names YAML files (bootstrap/*.yaml),
// files holding root Applications (each file a cluster). Names come from the
// configured clusterName pattern ({1}, {2}, ... are the path segments the
// glob's wildcards matched), else the base name (of a file, without its
// extension and a -root suffix; "root" for the repo root). Matches of one
// glob with the same name are one cluster (app-centric layouts:
// apps/*/envs/* gives one cluster per environment); the same name from two
// globs is an error.
//
// When clusters are not configured and the default clusters/* matches
// nothing, the layout is detected (see detectClusters).
func (r *Workspace) DiscoverClusters() ([]ClusterDir, string, error) {
	out, err := r.matchClusters(r.Config.Clusters, r.Config.ClusterName)
	if err != nil || len(out) > 0 || r.Config.ClustersConfigured() {
		return out, "", err
	}
	return r.detectClusters()
}

// matchClusters expands cluster globs into clusters.
func (r *Workspace) matchClusters(globs []string, namePattern string) ([]ClusterDir, error) {
	fsys := r.fsys
	byName := map[string]*ClusterDir{}
	globOf := map[string]string{}
	for _, g := range globs {
		g = strings.TrimPrefix(filepath.ToSlash(g), "./")
		if g == "" {
			g = "."
		}
		fileGlob := isYAMLName(path.Base(g))
		matches, err := doublestar.Glob(fsys, g)
		if err != nil {
			return nil, fmt.Errorf("cluster glob %q: %w", g, err)
		}
		if g == "." {
			matches = []string{"."}
		}
		for _, m := range matches {
			st, err := fs.Lstat(fsys, m)
			if err != nil || st.Mode()&fs.ModeSymlink != 0 {
				continue // symlinks are never followed: they may point outside the checkout
			}
			base := path.Base(m)
			if m != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				continue
			}
			isFile := false
			switch {
			case st.IsDir() && !fileGlob:
			case st.Mode().IsRegular() && fileGlob:
				isFile = true
			default:
				continue
			}
			name := clusterName(g, m, namePattern, isFile)
			if err := checkClusterName(name, m); err != nil {
				return nil, err
			}
			member := Member{Path: m, File: isFile}
			if prev, ok := byName[name]; ok {
				if globOf[name] != g {
					return nil, fmt.Errorf("cluster name %q is used by both %s and %s (set clusterName in .render-check.yaml)", name, prev.Dir, m)
				}
				if !slices.ContainsFunc(prev.Members, func(x Member) bool { return x.Path == m }) {
					prev.Members = append(prev.Members, member)
				}
				continue
			}
			globOf[name] = g
			dir := m
			if isFile {
				dir = path.Dir(m)
			}
			byName[name] = &ClusterDir{Name: name, Dir: dir, Members: []Member{member}}
		}
	}
	out := make([]ClusterDir, 0, len(byName))
	for _, c := range byName {
		if len(c.Members) == 1 && !c.Members[0].File {
			c.Members = nil // a plain cluster directory
		} else {
			nameMembers(c)
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ClusterDir) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// nameMembers names the app of each member directory of a cluster spanning
// several: the first path segment that differs between them (apps/web/envs/prod
// and apps/api/envs/prod: web and api).
func nameMembers(c *ClusterDir) {
	if len(c.Members) == 1 {
		c.Members[0].App = c.Name
		return
	}
	split := make([][]string, len(c.Members))
	for i, m := range c.Members {
		split[i] = strings.Split(m.Path, "/")
	}
	for i := range c.Members {
		segs := split[i]
		name := strings.ReplaceAll(c.Members[i].Path, "/", "-")
		for k, seg := range segs {
			differs := false
			for j := range split {
				if j != i && (k >= len(split[j]) || split[j][k] != seg) {
					differs = true
				}
			}
			if differs {
				name = strings.TrimSuffix(seg, path.Ext(seg))
				break
			}
		}
		c.Members[i].App = name
	}
	slices.SortFunc(c.Members, func(a, b Member) int { return strings.Compare(a.Path, b.Path) })
}

var placeholderRE = regexp.MustCompile(`\{([0-9]+)\}`)

// clusterName names the cluster of one match of glob g.
func clusterName(g, m, pattern string, isFile bool) string {
	if pattern == "" {
		if m == "." {
			return "root"
		}
		base := path.Base(m)
		if isFile {
			base = strings.TrimSuffix(base, path.Ext(base))
			for _, affix := range []string{"-root", "_root", ".root"} {
				if t := strings.TrimSuffix(base, affix); t != "" {
					base = t
				}
			}
			if t := strings.TrimPrefix(base, "root-"); t != "" {
				base = t
			}
		}
		return base
	}
	var captures []string
	gs, ms := strings.Split(g, "/"), strings.Split(m, "/")
	if len(gs) == len(ms) && !strings.Contains(g, "**") {
		for i, seg := range gs {
			if strings.ContainsAny(seg, "*?[{") {
				c := ms[i]
				if isFile && i == len(ms)-1 {
					c = strings.TrimSuffix(c, path.Ext(c))
				}
				captures = append(captures, c)
			}
		}
	}
	return placeholderRE.ReplaceAllStringFunc(pattern, func(s string) string {
		n, _ := strconv.Atoi(s[1 : len(s)-1])
		if n >= 1 && n <= len(captures) {
			return captures[n-1]
		}
		return s
	})
}

// clusterNameRE is what a cluster name may be: it becomes part of output
// paths (render --output-dir) and report keys.
var clusterNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func checkClusterName(name, match string) error {
	if !clusterNameRE.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("cluster %s: name %q is not a valid cluster name (letters, digits, . _ -; set clusterName in .render-check.yaml)", match, name)
	}
	return nil
}

func isYAMLName(n string) bool {
	ext := strings.ToLower(path.Ext(n))
	return ext == ".yaml" || ext == ".yml"
}

// IsChartDir reports whether the directory dir (a slash path relative to
// the root) is a Helm chart (has a Chart.yaml file that is no symlink).
func (r *Workspace) IsChartDir(dir string) bool {
	st, err := fs.Lstat(r.fsys, path.Join(dir, "Chart.yaml"))
	return err == nil && st.Mode().IsRegular()
}

// chartDirs are the directories of the file list holding a Chart.yaml.
func (r *Workspace) chartDirs(ctx context.Context) (map[string]bool, error) {
	files, err := r.Files(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, f := range files {
		if path.Base(f) == "Chart.yaml" {
			out[path.Dir(f)] = true
		}
	}
	return out, nil
}

// inChart reports whether a file lies in a chart directory at or below
// root ("" for any).
func inChart(charts map[string]bool, file, root string) bool {
	for d := path.Dir(file); ; d = path.Dir(d) {
		if charts[d] && (root == "" || root == "." || d == root || strings.HasPrefix(d, root+"/")) {
			return true
		}
		if d == "." || d == "/" || d == root {
			return false
		}
	}
}

// Applications returns the Argo CD Applications of a cluster: those in YAML
// files under its directories (hidden directories and Helm charts skipped:
// a chart is rendered, never read as manifests) and in its root Application
// files, in path and document order. What keeps a file's Applications from
// being read (a file that does not parse, an invalid Application, a YAML 1.1
// boolean in a string field) is a Problem, in the same order. ApplicationSets
// are left to render, which expands them.
func (r *Workspace) Applications(ctx context.Context, c ClusterDir) ([]*argo.Application, []Problem, error) {
	charts, err := r.chartDirs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	var apps []*argo.Application
	var problems []Problem
	for _, m := range c.Paths() {
		var files []string
		if m.File {
			files = []string{m.Path}
		} else {
			all, err := r.YAMLFiles(ctx, m.Path)
			if err != nil {
				return nil, nil, fmt.Errorf("cluster %s: %w", c.Name, err)
			}
			for _, f := range all {
				if !inChart(charts, f, m.Path) {
					files = append(files, f)
				}
			}
		}
		for _, rel := range files {
			a, f, err := r.fileApplications(c.Name, rel)
			if err != nil {
				return nil, nil, fmt.Errorf("cluster %s: %w", c.Name, err)
			}
			apps = append(apps, a...)
			problems = append(problems, f...)
		}
	}
	return apps, problems, nil
}

// fileApplications reads the Applications of one YAML file.
func (r *Workspace) fileApplications(cluster, rel string) ([]*argo.Application, []Problem, error) {
	var apps []*argo.Application
	var problems []Problem
	docs, perr := r.Documents(rel)
	var ye *YAMLError
	if perr != nil && !errors.As(perr, &ye) {
		return nil, nil, perr
	}
	var nodes []*yaml.Node
	for i, doc := range docs {
		if argo.IsApplicationSet(doc.Object) {
			continue // expanded by render (render/discover.go)
		}
		if doc.Object == nil || !argo.IsApplication(doc.Object) {
			continue
		}
		obj := doc.Object
		if nodes == nil {
			if data, err := r.ReadFile(rel); err == nil {
				nodes, _ = DecodeNodes(data)
			}
		}
		if i < len(nodes) {
			// kubectl reads the file as YAML 1.1; the parsed document is
			// shared, so the booleans go into a copy
			problems = append(problems, yaml11Problems(cluster, rel, nodes[i])...)
			obj = copyJSON(obj).(map[string]any)
			applyYAML11Booleans(nodes[i], obj, false)
		}
		app, err := argo.DecodeApplication(obj)
		if err != nil {
			problems = append(problems, Problem{
				Kind: ProblemInvalidApplication, Cluster: cluster,
				File: rel, Line: doc.Line, Message: fmt.Sprintf("invalid Application: %v", err),
			})
			continue
		}
		app.File, app.Line = rel, doc.Line
		apps = append(apps, app)
	}
	if perr != nil {
		problems = append(problems, Problem{
			Kind: ProblemMalformedYAML, Cluster: cluster,
			File: rel, Line: ye.Line, Message: "malformed YAML: " + ye.Message(),
		})
	}
	return apps, problems, nil
}
