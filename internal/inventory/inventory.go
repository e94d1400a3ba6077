// Package inventory answers what a config repo deploys: per cluster and
// Application, every container image (repository, tag, digest) and Helm
// chart (name, version, repository), each with the file and line a person
// edits to change it and the last commit that changed that line; and,
// from the same history, the value a line had before its last change,
// which is what a rollback sets again.
package inventory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// Version is the version of the JSON form.
const Version = 1

// Options select what to list.
type Options struct {
	// Root is the config repo checkout.
	Root string
	// Config is the loaded configuration (default when nil).
	Config *config.Config
	// Clusters limits the inventory to these clusters (all when empty).
	Clusters []string
	// Image keeps only images of this repository (any tag or digest);
	// charts are left out when it is set.
	Image string
	// History adds the last commit that changed each line (needs git and
	// a checkout with history).
	History bool
	// Cache, when set, serves apps whose inputs did not change from the
	// render cache, as check does (nil: every app is rendered).
	Cache *rendercache.Cache
}

// Inventory is what every selected cluster deploys.
type Inventory struct {
	Version  int       `json:"version"`
	Clusters []Cluster `json:"clusters"`
	// HistoryError says why the history is missing when it was asked for
	// and git could not give it (e.g. not a git checkout).
	HistoryError string `json:"historyError,omitempty"`
}

// Cluster is one cluster's deployed images and charts, per app.
type Cluster struct {
	Name string `json:"name"`
	Apps []App  `json:"apps"`
}

// App is one Argo CD Application.
type App struct {
	Name   string  `json:"name"`
	Images []Image `json:"images"`
	Charts []Chart `json:"charts"`
	// Failed is set when the app did not render: its images are unknown.
	Failed string `json:"failed,omitempty"`
}

// Image is one deployed image and where it is set.
type Image struct {
	// Image is the reference as rendered.
	Image string `json:"image"`
	// Repository is the canonical repository (docker.io/library/ added).
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest,omitempty"`
	// Workloads are the objects running it, "Kind/namespace/name".
	Workloads []string `json:"workloads"`
	// File and Line are where a person sets it (repo-relative).
	File string `json:"file"`
	Line int    `json:"line"`
	// Changed is the last commit that changed that line.
	Changed *Change `json:"changed,omitempty"`
}

// Chart is one Helm chart an Application renders.
type Chart struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Repo is the chart repository (remote charts) or the repoURL of the
	// git source holding it.
	Repo string `json:"repo"`
	// Path is the chart's directory in this repo (local charts).
	Path string `json:"path,omitempty"`
	// File and Line are where the version is set: the Application's
	// targetRevision for a remote chart, Chart.yaml's version for a local one.
	File    string  `json:"file"`
	Line    int     `json:"line"`
	Changed *Change `json:"changed,omitempty"`
}

// Build renders the selected clusters (as `render-check check` does) and
// lists what they deploy, sorted. An error means it could not run: bad
// root or configuration, an unknown cluster (*render.UnknownClusterError),
// a bad Image.
func Build(ctx context.Context, opts Options) (*Inventory, error) {
	want := ""
	if opts.Image != "" {
		r, err := registry.Parse(opts.Image)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		if r.Tag != "" || r.Digest != "" {
			return nil, fmt.Errorf("image: give the repository without tag or digest, got %q", opts.Image)
		}
		want = displayRepo(r.Repository.Name())
	}
	ws, err := workspace.Open(ctx, opts.Root, workspace.Settings{Config: opts.Config})
	if err != nil {
		return nil, err
	}
	res, err := render.Render(ctx, render.Options{Root: opts.Root, Config: opts.Config, Clusters: opts.Clusters, Workspace: ws, Cache: opts.Cache})
	if err != nil {
		return nil, err
	}
	inv := fromRender(opts.Root, res, want)
	if opts.History {
		if err := inv.addHistory(ctx, opts.Root); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			inv.HistoryError = err.Error()
		}
	}
	return inv, nil
}

// displayRepo spells Docker Hub as people write it (docker.io, not
// go-containerregistry's index.docker.io).
func displayRepo(name string) string {
	if rest, ok := strings.CutPrefix(name, "index.docker.io/"); ok {
		return "docker.io/" + rest
	}
	return name
}

// fromRender lists the images and charts of a render result.
func fromRender(root string, res *render.Result, want string) *Inventory {
	failed := map[[2]string]string{}
	for _, f := range res.Findings {
		if f.Rule == report.RuleRenderFailed && f.Severity == report.SeverityError {
			k := [2]string{f.Cluster, f.App}
			if _, seen := failed[k]; !seen {
				failed[k] = f.Message
			}
		}
	}
	loc := images.NewLocator(root)
	charts := newChartFinder(root)
	inv := &Inventory{Version: Version, Clusters: []Cluster{}}
	for _, c := range res.Clusters {
		cl := Cluster{Name: c.Name, Apps: []App{}}
		for _, a := range c.Apps {
			app := App{Name: a.Name, Images: appImages(loc, a, want), Charts: []Chart{}, Failed: failed[[2]string{c.Name, a.Name}]}
			if want == "" {
				app.Charts = charts.of(a)
			} else if len(app.Images) == 0 && app.Failed == "" {
				continue // (a failed app stays: it may deploy the image)
			}
			cl.Apps = append(cl.Apps, app)
		}
		slices.SortFunc(cl.Apps, func(x, y App) int { return strings.Compare(x.Name, y.Name) })
		inv.Clusters = append(inv.Clusters, cl)
	}
	slices.SortFunc(inv.Clusters, func(x, y Cluster) int { return strings.Compare(x.Name, y.Name) })
	return inv
}

// appImages lists the distinct images of an app with where each is set.
func appImages(loc *images.Locator, a *resource.App, want string) []Image {
	out := []Image{}
	index := map[string]int{} // image + location -> position in out
	for _, r := range a.Resources {
		for _, use := range images.Extract(r.Object) {
			ref, err := registry.Parse(use.Image)
			img := Image{Image: strings.TrimSpace(use.Image)}
			if err == nil {
				img.Repository, img.Tag, img.Digest = displayRepo(ref.Repository.Name()), ref.Tag, ref.Digest
			}
			if want != "" && img.Repository != want {
				continue
			}
			if err == nil {
				where := loc.Locate(a, r, use, ref)
				img.File, img.Line = where.File, where.Line
			} else if r.Origin.File != "" {
				img.File, img.Line = r.Origin.File, r.Origin.Line
			}
			workload := r.Kind() + "/" + r.Namespace() + "/" + r.Name()
			key := img.Image + "\x00" + img.File + "\x00" + fmt.Sprint(img.Line)
			if i, ok := index[key]; ok {
				if !slices.Contains(out[i].Workloads, workload) {
					out[i].Workloads = append(out[i].Workloads, workload)
				}
				continue
			}
			img.Workloads = []string{workload}
			index[key] = len(out)
			out = append(out, img)
		}
	}
	for i := range out {
		slices.Sort(out[i].Workloads)
	}
	slices.SortFunc(out, func(x, y Image) int {
		return cmp.Or(strings.Compare(x.Repository, y.Repository), strings.Compare(x.Image, y.Image),
			strings.Compare(x.File, y.File), cmp.Compare(x.Line, y.Line))
	})
	return out
}

// chartFinder finds the charts of Applications and the lines that set
// their versions; files are read through one os.Root, so nothing outside
// the checkout is read whatever the repo's content says.
type chartFinder struct {
	root   string
	parsed map[string][]*yaml.Node
}

func newChartFinder(root string) *chartFinder {
	return &chartFinder{root: root, parsed: map[string][]*yaml.Node{}}
}

// docs parses a repo-relative file once (nil when unreadable).
func (f *chartFinder) docs(rel string) []*yaml.Node {
	if d, ok := f.parsed[rel]; ok {
		return d
	}
	var out []*yaml.Node
	if data, err := readInRoot(f.root, rel); err == nil {
		out, _ = workspace.DecodeNodes(data)
	}
	f.parsed[rel] = out
	return out
}

// maxFileSize bounds what the chart finder reads of one file.
const maxFileSize = 8 << 20

// readInRoot reads a repo-relative file through the rooted filesystem
// (no symlink out of the root is followed).
func readInRoot(root, rel string) ([]byte, error) {
	if !isLocal(rel) {
		return nil, fmt.Errorf("%q is outside the root", rel)
	}
	fsys, err := rootfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	fi, err := fsys.Stat(rel)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", rel, maxFileSize)
	}
	return fsys.ReadFile(rel)
}

// isLocal reports a clean relative slash path inside the root.
func isLocal(rel string) bool {
	return rel != "" && !path.IsAbs(rel) && path.Clean(rel) == rel && rel != ".." && !strings.HasPrefix(rel, "../")
}

// of lists the Helm charts an app renders: remote charts (source.chart)
// and charts in this repo (a source path holding Chart.yaml).
func (f *chartFinder) of(a *resource.App) []Chart {
	out := []Chart{}
	if a.Application == nil {
		return out
	}
	app := a.Application
	for _, s := range app.Spec.AllSources() {
		switch {
		case s.Chart != "":
			c := Chart{Name: s.Chart, Version: s.TargetRevision, Repo: s.RepoURL, File: app.File, Line: app.Line}
			if line := f.targetRevisionLine(app, s); line > 0 {
				c.Line = line
			}
			out = append(out, c)
		case s.Path != "":
			p := path.Clean(strings.TrimPrefix(s.Path, "/"))
			if !isLocal(p) && p != "." {
				continue
			}
			chartFile := path.Join(p, "Chart.yaml")
			if !slices.Contains(a.Inputs, chartFile) {
				continue // not rendered from this checkout, or not a chart
			}
			docs := f.docs(chartFile)
			if len(docs) == 0 {
				continue
			}
			name, version := mapValue(docs[0], "name"), mapValue(docs[0], "version")
			if name == nil || version == nil {
				continue
			}
			out = append(out, Chart{Name: name.Value, Version: version.Value, Repo: s.RepoURL, Path: p, File: chartFile, Line: version.Line})
		}
	}
	slices.SortFunc(out, func(x, y Chart) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Version, y.Version), strings.Compare(x.File, y.File), cmp.Compare(x.Line, y.Line))
	})
	return slices.CompactFunc(out, func(x, y Chart) bool { return x == y })
}

// targetRevisionLine finds the targetRevision of source s in the
// Application's document.
func (f *chartFinder) targetRevisionLine(app *argo.Application, s argo.Source) int {
	for _, d := range f.docs(app.File) {
		if line := findSourceRevision(d, s); line > 0 {
			return line
		}
	}
	return 0
}

// findSourceRevision walks n for a mapping with s's chart and repoURL and
// returns the line of its targetRevision value.
func findSourceRevision(n *yaml.Node, s argo.Source) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode {
		chart, repoURL, rev := mapValue(n, "chart"), mapValue(n, "repoURL"), mapValue(n, "targetRevision")
		if chart != nil && chart.Value == s.Chart && repoURL != nil && repoURL.Value == s.RepoURL && rev != nil {
			return rev.Line
		}
	}
	for _, c := range n.Content {
		if line := findSourceRevision(c, s); line > 0 {
			return line
		}
	}
	return 0
}

// mapValue returns the scalar value of key in a mapping (or document).
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1]
		}
	}
	return nil
}

// addHistory sets Changed on every image and chart line in one history walk.
func (inv *Inventory) addHistory(ctx context.Context, root string) error {
	var lines []LineRef
	inv.each(func(file string, line int, _ **Change) {
		lines = append(lines, LineRef{File: file, Line: line})
	})
	changes, err := Blame(ctx, root, lines)
	var shallow *ShallowError
	if err != nil && !errors.As(err, &shallow) {
		return err
	}
	inv.each(func(file string, line int, ch **Change) {
		if c, ok := changes[LineRef{File: file, Line: line}]; ok {
			*ch = &c
		}
	})
	return err
}

// each calls fn for the location of every image and chart.
func (inv *Inventory) each(fn func(file string, line int, ch **Change)) {
	for ci := range inv.Clusters {
		for ai := range inv.Clusters[ci].Apps {
			a := &inv.Clusters[ci].Apps[ai]
			for i := range a.Images {
				if a.Images[i].File != "" && a.Images[i].Line > 0 {
					fn(a.Images[i].File, a.Images[i].Line, &a.Images[i].Changed)
				}
			}
			for i := range a.Charts {
				if a.Charts[i].File != "" && a.Charts[i].Line > 0 {
					fn(a.Charts[i].File, a.Charts[i].Line, &a.Charts[i].Changed)
				}
			}
		}
	}
}

// ErrNoHistory means a rollback found no earlier value in the history.
var ErrNoHistory = errors.New("no earlier value in the history")
