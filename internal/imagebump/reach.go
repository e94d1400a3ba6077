package imagebump

import (
	"context"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/workspace"
)

// Renderer renders clusters as Argo CD would, for reach and for checking
// the result of a bump before anything is written.
type Renderer interface {
	// Render renders what req selects and returns every rendered app.
	Render(ctx context.Context, req RenderRequest) (*RenderOutput, error)
}

// RenderRequest is what a bump asks the Renderer to render.
type RenderRequest struct {
	// Clusters are the clusters to render (all when empty).
	Clusters []string
	// Files, when set, limits the render to the apps that may read one of
	// these repo-relative files (and the app-of-apps parents that may
	// produce such apps): a conservative choice made before rendering, so
	// every app that reads one of them is rendered.
	Files []string
	// Overlay maps repo-relative files to the content every reader sees
	// instead of the file on disk: the edits of the bump, not yet written.
	Overlay map[string][]byte
}

// RenderOutput is the rendered apps and how many were left out.
type RenderOutput struct {
	Apps []RenderedApp
	// Skipped counts the apps found but not rendered (RenderRequest.Files).
	Skipped int
}

// RenderedApp is what a bump needs to know about one rendered app.
type RenderedApp struct {
	Cluster string
	Name    string
	// Inputs are the repo-relative files read while rendering the app.
	Inputs []string
	// Images are the container images the app deploys.
	Images []string
	// Failed is why the app did not render ("" when it did).
	Failed string
}

// reacher tells which clusters a file reaches.
type reacher interface {
	clustersOf(file string) []string
}

// Cluster is a cluster directory of the repo.
type Cluster = workspace.ClusterDir

// renderReach is exact: a file reaches the clusters of the apps that read it.
type renderReach map[string][]string

func newRenderReach(apps []RenderedApp) renderReach {
	r := renderReach{}
	for _, a := range apps {
		for _, in := range a.Inputs {
			r[in] = appendUnique(r[in], a.Cluster)
		}
	}
	for k := range r {
		sort.Strings(r[k])
	}
	return r
}

func (r renderReach) clustersOf(file string) []string { return r[file] }

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// pathReach approximates reach without rendering: a file under a cluster
// directory reaches that cluster; any other file reaches the clusters whose
// files (or the shared files they lead to) name its directory or one of its
// parents, e.g. an Application's path: _base/charts/web or a
// kustomization's resources: ../../_base/web. A file that no cluster names
// is taken to reach every cluster (shared, to be safe).
type pathReach struct {
	clusters []Cluster
	// dirs[cluster] are the repo-relative paths the cluster leads to.
	dirs map[string]map[string]bool
}

func newPathReach(ctx context.Context, ws *workspace.Workspace, clusters []Cluster) *pathReach {
	pr := &pathReach{clusters: clusters, dirs: map[string]map[string]bool{}}
	for _, c := range clusters {
		reached := map[string]bool{}
		queue := []string{c.Dir}
		done := map[string]bool{}
		for len(queue) > 0 {
			d := queue[0]
			queue = queue[1:]
			if done[d] {
				continue
			}
			done[d] = true
			for _, p := range pathsNamedUnder(ctx, ws, d) {
				if !reached[p] && !strings.HasPrefix(p, c.Dir+"/") {
					reached[p] = true
					queue = append(queue, p)
				}
			}
		}
		pr.dirs[c.Name] = reached
	}
	return pr
}

// pathsNamedUnder returns the existing repo paths named by strings in the
// YAML files under dir (relative to each file's directory or to the root),
// from the workspace's file list.
func pathsNamedUnder(ctx context.Context, ws *workspace.Workspace, dir string) []string {
	st, err := fs.Stat(ws.FS(), dir)
	if err != nil {
		return nil
	}
	if !st.IsDir() {
		dir = path.Dir(dir)
	}
	files, err := ws.YAMLFiles(ctx, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, rel := range files {
		src, err := ws.ReadFile(rel)
		if err != nil {
			continue
		}
		fileDir := path.Dir(rel)
		for _, s := range yamlStrings(src) {
			if !strings.Contains(s, "/") && !strings.HasPrefix(s, ".") {
				continue
			}
			s = strings.TrimPrefix(s, "$values/")
			for _, cand := range []string{path.Join(fileDir, s), path.Clean(strings.TrimPrefix(s, "/"))} {
				if cand == "." || cand == ".." || strings.HasPrefix(cand, "../") {
					continue
				}
				if _, err := fs.Stat(ws.FS(), cand); err == nil {
					out = append(out, cand)
				}
			}
		}
	}
	return out
}

// yamlStrings returns every scalar of every document that parses (files
// that do not parse contribute nothing).
func yamlStrings(src []byte) []string {
	docs, err := parseDocs(src)
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range flatten(docs) {
		if n.Kind == yaml.ScalarNode && n.Value != "" && len(n.Value) < 512 && !strings.ContainsAny(n.Value, "\n ") {
			out = append(out, n.Value)
		}
	}
	return out
}

func (pr *pathReach) clustersOf(file string) []string {
	var out []string
	for _, c := range pr.clusters {
		if file == c.Dir || strings.HasPrefix(file, c.Dir+"/") {
			return []string{c.Name}
		}
	}
	for _, c := range pr.clusters {
		for d := range pr.dirs[c.Name] {
			if file == d || strings.HasPrefix(file, d+"/") {
				out = append(out, c.Name)
				break
			}
		}
	}
	if len(out) == 0 {
		for _, c := range pr.clusters {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}
