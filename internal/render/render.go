// Package render renders Argo CD Applications the way Argo CD's repo-server
// does, in-process: Kustomize, Helm and plain directories.
package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/netpolicy"
	"github.com/render-check/render-check/internal/render/helm"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/secrets"
	"github.com/render-check/render-check/internal/workspace"
	"github.com/render-check/render-check/internal/yamlpos"
)

// Options selects what to render.
type Options struct {
	// Root is the config repo checkout.
	Root string
	// Config is the loaded configuration.
	Config *config.Config
	// Clusters limits the run to these cluster names (all when empty).
	Clusters []string
	// KubeVersion overrides every cluster's target version ("" = config or
	// default); kube.Target decides and validates it.
	KubeVersion string
	// Workspace is the opened checkout (nil: Root is opened with Config).
	Workspace *workspace.Workspace
	// ChartCacheDir overrides config.Render.ChartCacheDir.
	ChartCacheDir string
	// HelmOptions configure the Helm renderer (e.g. an HTTP client).
	HelmOptions []helm.Option
	// Progress, when set, is called after each app is rendered with the
	// apps rendered so far and the apps found so far (children of
	// app-of-apps add to the total as they are found). It may be called
	// concurrently.
	Progress func(done, total int)
	// Network is the remote-fetch policy for charts, value files and
	// kustomize remote bases (zero value: everything allowed).
	Network netpolicy.Policy
	// Cache, when set, serves apps whose inputs did not change from a
	// previous run's result and stores new results (see docs/cache.md).
	Cache *rendercache.Cache
	// Select, when set, decides before rendering whether an Application is
	// rendered: one it refuses is left out of the result (and children only
	// it would have produced are not found). ReadersOf builds one.
	Select func(cluster string, app *argo.Application) bool
	// Overlay maps repo-relative slash paths of existing files to the
	// content every reader of the render sees instead of the file on disk
	// (the files a bump would write): nothing on disk changes. With a
	// Workspace, the render reads through its WithOverlay view.
	Overlay map[string][]byte
	// Apps, when set, are the Applications each cluster renders (by
	// cluster name; a cluster not in it renders none), instead of the
	// ones its files and parents define: nothing is discovered and the
	// Applications they produce are not rendered. ReadersIn gives them
	// for a render with a bump's edits.
	Apps map[string][]*argo.Application
}

// Result is the rendered desired state of every selected cluster and the
// render findings (failures, unsupported and external sources).
type Result struct {
	Clusters []*resource.Cluster
	Findings []report.Finding
	// Notes say how the clusters were found when they were detected.
	Notes []string
	// Cache counts what the render cache did (nil without a cache).
	Cache *rendercache.Stats
	// Skipped counts the Applications found but not rendered because
	// Options.Select refused them.
	Skipped int
}

// UnknownClusterError is returned when a requested cluster does not exist.
type UnknownClusterError struct {
	Name  string
	Known []string
}

// Error names the cluster and the known ones.
func (e *UnknownClusterError) Error() string {
	return fmt.Sprintf("unknown cluster %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// renderer holds what one run shares between apps.
type renderer struct {
	// progress is Options.Progress; done and found count apps for it.
	progress    func(done, total int)
	done, found atomic.Int64
	repo        *workspace.Workspace
	cfg         *config.Config
	build       BuildOptions
	helm        *helm.Renderer
	lines       *lineIndex
	parallel    int
	repoCRDs    []map[string]any
	network     netpolicy.Policy
	fs          *rootfs.FS
	// kreads keeps what kustomize read of fs, for every build of the run
	kreads  *rootfs.KustomizeCache
	cache   *rendercache.Cache
	checker *rendercache.Checker
	// readOnlyCache: results are looked up, never stored (an overlay).
	readOnlyCache bool
	// selectApp is Options.Select; skipped counts the apps it refused.
	selectApp func(cluster string, app *argo.Application) bool
	skipped   atomic.Int64
	// preset is Options.Apps.
	preset map[string][]*argo.Application

	guessOnce sync.Once
	guessed   bool

	// marked keeps resource files served with marks (kustomize_marks.go)
	// for every build of the run.
	marked sync.Map
	// trackOrigins always builds with kustomize's origin tracking (the
	// tests compare both ways).
	trackOrigins bool
}

// Render discovers and renders every selected cluster. An error means the run
// could not happen (unreadable root, bad configuration); a broken app is a
// finding.
func Render(ctx context.Context, opts Options) (*Result, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	rp := opts.Workspace
	if rp != nil && len(opts.Overlay) > 0 {
		// a view: what the workspace parsed of other files is reused
		rp = rp.WithOverlay(ctx, opts.Overlay)
	}
	if rp == nil {
		var err error
		if rp, err = workspace.Open(ctx, opts.Root, workspace.Settings{Config: cfg, Overlay: opts.Overlay}); err != nil {
			return nil, err
		}
	}
	if opts.KubeVersion != "" {
		// a bad flag stops the run even when no cluster is selected
		if _, err := kube.Target(opts.KubeVersion, ""); err != nil {
			return nil, err
		}
	}
	buildOpts, buildNote := cfg.Render.KustomizeBuildOptions, ""
	if buildOpts == "" {
		buildOpts, buildNote = repoBuildOptions(rp)
	}
	build, err := ParseBuildOptions(buildOpts)
	if err != nil {
		return nil, fmt.Errorf("render.kustomizeBuildOptions: %w", err)
	}
	dirs, note, err := rp.DiscoverClusters()
	if err != nil {
		return nil, err
	}
	if len(opts.Clusters) > 0 {
		known := make([]string, 0, len(dirs))
		byName := map[string]workspace.ClusterDir{}
		for _, d := range dirs {
			known = append(known, d.Name)
			byName[d.Name] = d
		}
		var sel []workspace.ClusterDir
		for _, n := range opts.Clusters {
			d, ok := byName[n]
			if !ok {
				return nil, &UnknownClusterError{Name: n, Known: known}
			}
			if !slices.ContainsFunc(sel, func(x workspace.ClusterDir) bool { return x.Name == d.Name }) {
				sel = append(sel, d)
			}
		}
		slices.SortFunc(sel, func(a, b workspace.ClusterDir) int { return strings.Compare(a.Name, b.Name) })
		dirs = sel
	}
	cacheDir := opts.ChartCacheDir
	if cacheDir == "" {
		cacheDir = cfg.Render.ChartCacheDir
	}
	par := cfg.Render.Parallelism
	if par <= 0 {
		par = runtime.NumCPU()
	}
	network := opts.Network
	if network.Mode == "" {
		network = cfg.Trust.Network
	}
	hopts := append([]helm.Option{helm.WithNetworkPolicy(network), helm.WithMaxBytes(cfg.Render.Limits.MaxBytesOrDefault())}, opts.HelmOptions...)
	rfs, err := rootfs.Open(rp.Root)
	if err != nil {
		return nil, err
	}
	defer rfs.Close()
	if len(opts.Overlay) > 0 {
		rfs = rfs.WithOverlay(opts.Overlay)
		hopts = append(hopts, helm.WithOverlay(rp.Root, opts.Overlay))
	}
	r := &renderer{repo: rp, cfg: cfg, build: build, network: network, fs: rfs, kreads: rootfs.NewKustomizeCache(), lines: newLineIndex(), parallel: par,
		helm: helm.NewRenderer(cacheDir, hopts...), progress: opts.Progress, selectApp: opts.Select, cache: opts.Cache, preset: opts.Apps}
	if r.cache != nil {
		// with an overlay (a bump's edits in memory) the cache is read
		// only: overlaid files are hashed from the overlay, and nothing
		// rendered from them is stored
		r.checker = rendercache.NewChecker(rfs, rp, opts.Overlay)
		r.readOnlyCache = len(opts.Overlay) > 0
	}
	// Application files whose content did not change are not parsed again
	var appFiles workspace.AppFileCache
	if r.cache != nil {
		appFiles = appFileCache{c: r.cache.Files(), readOnly: r.readOnlyCache}
	}
	rp.SetAppFileCache(appFiles)
	r.repoCRDs, err = rp.CRDs(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{Findings: UntrustedSettings(cfg)}
	if buildNote != "" {
		res.Notes = append(res.Notes, buildNote)
	}
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	// the workspace's one walk of the disk met every symlink (a bump's
	// two renders and ReadersOf share it)
	links, err := rp.DiskLinks()
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		o := rfs.LinkOutOfBounds(l)
		if o == nil {
			continue
		}
		res.Findings = append(res.Findings, report.Finding{
			Rule: RuleSymlink, Severity: report.SeverityError, File: o.Link,
			Message: fmt.Sprintf("symlink to %s points outside the repository: render-check never follows it, and Argo CD refuses to generate manifests from a repository containing one", o.Target),
		})
	}
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		kv, err := kube.Target(opts.KubeVersion, cfg.KubernetesVersionFor(d.Name))
		if err != nil {
			return nil, err
		}
		c, fs, err := r.renderCluster(ctx, d, kv)
		if err != nil {
			return nil, err
		}
		res.Clusters = append(res.Clusters, c)
		res.Findings = append(res.Findings, fs...)
	}
	for _, name := range build.NotApplied {
		res.Findings = append(res.Findings, report.Finding{
			Rule: report.RuleRenderUnsupported, Severity: report.SeverityInfo,
			Message: fmt.Sprintf("kustomize build option --%s (render.kustomizeBuildOptions) is accepted but not applied: %s", name, notAppliedOptions[name]),
		})
	}
	if r.guessed {
		res.Findings = append(res.Findings, report.Finding{
			Rule: report.RuleRenderRepoURL, Severity: report.SeverityInfo,
			Message: "the checkout has no git origin on a server (none, or a local path) and no repoURLs are configured: a git source is read from the checkout when its path exists here (set repoURLs in " + config.FileName + ")",
		})
	}
	res.Skipped = int(r.skipped.Load())
	res.Findings = report.Sort(res.Findings)
	if r.cache != nil {
		st := r.cache.Stats()
		res.Cache = &st
		res.Notes = append(res.Notes, r.cache.Notes()...)
	}
	return res, nil
}

// RuleLimit is a bound hit while rendering an app (deadline, output size,
// documents, apps per cluster, file size, YAML depth).
const RuleLimit = report.RuleRenderLimit

// RuleSymlink is a symlink in the checkout whose target is outside it.
const RuleSymlink = report.RuleRenderSymlink

// RuleUntrustedSetting is a setting of the repository's own config file
// that an untrusted run does not apply (it grants trust or reaches outside
// the checkout).
const RuleUntrustedSetting = report.RuleRepoUntrusted

// UntrustedSettings returns one finding per setting the trust split dropped
// from the configuration.
func UntrustedSettings(cfg *config.Config) []report.Finding {
	var out []report.Finding
	for _, ig := range cfg.Trust.Ignored {
		out = append(out, report.Finding{
			Rule: RuleUntrustedSetting, Severity: report.SeverityWarning, File: ig.File, Line: ig.Line,
			Message: fmt.Sprintf("%s is ignored: this is an untrusted run (%s) and the setting comes from the checkout; "+
				"set it with a flag or --config FILE from a trusted checkout (docs/security.md)", ig.Key, cfg.Trust.Reason),
		})
	}
	return out
}

// cluster is one cluster being rendered.
type cluster struct {
	name, dir   string
	kubeVersion string
	apiVersions []string
	// key is the render cache key part every app of the cluster shares
	// (keyed: it could be made).
	key   rendercache.Key
	keyed bool
}

// node is one Application of a cluster.
type node struct {
	app        *argo.Application
	synthetic  bool
	fromParent bool
	// skipped: Options.Select refused it.
	skipped bool
	result  *appResult
}

// appResult is one rendered Application.
type appResult struct {
	app      *resource.App
	findings []report.Finding
	children []*argo.Application
}

func (r *renderer) renderCluster(ctx context.Context, d workspace.ClusterDir, kubeVersion string) (*resource.Cluster, []report.Finding, error) {
	var apps []*argo.Application
	var findings []report.Finding
	if r.preset != nil {
		apps = r.preset[d.Name]
	} else {
		var err error
		if apps, findings, err = Applications(ctx, r.repo, d); err != nil {
			return nil, nil, err
		}
	}
	cl := &cluster{name: d.Name, dir: d.Dir, kubeVersion: kubeVersion}
	cl.apiVersions = mergeSorted(kube.APIVersions(kubeVersion), crdAPIVersions(r.repoCRDs))
	if r.cache != nil {
		k, err := r.clusterKey(cl)
		cl.key, cl.keyed = k, err == nil
	}

	nodes := map[string]*node{}
	var wave []*node
	if len(apps) == 0 && r.preset == nil {
		// a cluster directory that is itself a kustomization or a Helm chart
		// (e.g. a chart of Applications) is rendered as the cluster's root
		for _, m := range d.Paths() {
			if m.File {
				continue
			}
			file := ""
			if k := findKustomization(r.repo.FS(), m.Path); k != "" {
				file = path.Join(m.Path, k)
			} else if r.repo.IsChartDir(m.Path) {
				file = path.Join(m.Path, "Chart.yaml")
			}
			if file == "" || nodes[m.App] != nil {
				continue
			}
			n := &node{synthetic: true, app: &argo.Application{
				APIVersion: "argoproj.io/v1alpha1", Kind: "Application",
				Metadata: argo.ObjectMeta{Name: m.App},
				Spec:     argo.AppSpec{Source: &argo.Source{RepoURL: syntheticRepoURL, Path: m.Path}},
				File:     file,
			}}
			nodes[m.App] = n
			wave = append(wave, n)
		}
	}
	fileApps := map[string]string{} // file:line -> name of an Application found as a file
	for _, a := range apps {
		if prev, ok := nodes[a.Metadata.Name]; ok {
			findings = append(findings, report.Finding{
				Rule: report.RuleRenderDuplicateResource, Severity: report.SeverityWarning, Cluster: d.Name, App: a.Metadata.Name,
				File: a.File, Line: a.Line,
				Message: fmt.Sprintf("Application %s is also defined in %s:%d; only that one is rendered", a.Metadata.Name, prev.app.File, prev.app.Line),
			})
			continue
		}
		n := &node{app: a}
		nodes[a.Metadata.Name] = n
		fileApps[fmt.Sprintf("%s:%d", a.File, a.Line)] = a.Metadata.Name
		wave = append(wave, n)
	}
	edges := map[string][]string{}
	maxApps := r.cfg.Render.Limits.MaxAppsPerClusterOrDefault()
	capped := false
	for len(wave) > 0 {
		if r.selectApp != nil {
			wave = slices.DeleteFunc(wave, func(n *node) bool {
				if r.selectApp(d.Name, n.app) {
					if n.skipped {
						n.skipped = false
						r.skipped.Add(-1)
					}
					return false
				}
				n.result = nil // a refused new version of an app rendered before
				if !n.skipped {
					n.skipped = true
					r.skipped.Add(1)
				}
				return true
			})
		}
		results := make([]*appResult, len(wave))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(r.parallel)
		r.found.Add(int64(len(wave)))
		for i, n := range wave {
			g.Go(func() error {
				results[i] = r.renderCached(gctx, cl, n.app, n.synthetic)
				if r.progress != nil {
					r.progress(int(r.done.Add(1)), int(r.found.Load()))
				}
				return gctx.Err()
			})
		}
		if err := g.Wait(); err != nil {
			return nil, nil, err
		}
		var next []*node
		for i, n := range wave {
			n.result = results[i]
			if r.preset != nil {
				continue // given, not discovered: children are not rendered
			}
			parent := n.app.Metadata.Name
			for _, child := range results[i].children {
				name := child.Metadata.Name
				// the parent renders a manifest also found as a file under
				// another name (a name prefix): only the parent's exists
				if fname, ok := fileApps[fmt.Sprintf("%s:%d", child.File, child.Line)]; ok && fname != name && child.Line > 0 {
					if ex := nodes[fname]; ex != nil && !ex.fromParent {
						delete(nodes, fname)
					}
				}
				if !slices.Contains(edges[parent], name) {
					edges[parent] = append(edges[parent], name)
				}
				if name == parent {
					continue // an app managing its own Application: normal app-of-apps
				}
				ex, ok := nodes[name]
				if !ok && len(nodes) >= maxApps {
					if !capped {
						capped = true
						findings = append(findings, report.Finding{
							Rule: RuleLimit, Severity: report.SeverityError, Cluster: d.Name, App: parent, File: child.File, Line: child.Line,
							Message: fmt.Sprintf("limit apps per cluster exceeded: more than %d Applications (render.limits.maxAppsPerCluster); %s and later children are not rendered", maxApps, name),
						})
					}
					continue
				}
				switch {
				case !ok:
					c := &node{app: child, fromParent: true}
					nodes[name] = c
					next = append(next, c)
				case !ex.fromParent:
					ex.fromParent = true
					if !sameApplication(ex.app, child) {
						// the parent's version is what Argo CD applies
						child.File, child.Line = ex.app.File, ex.app.Line
						ex.app, ex.synthetic = child, false
						next = append(next, ex)
					}
				}
			}
		}
		wave = next
	}
	findings = append(findings, cycles(d.Name, edges, nodes)...)

	out := &resource.Cluster{Name: d.Name, Dir: d.Dir, KubernetesVersion: kubeVersion}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	sc := newScopes()
	for _, o := range r.repoCRDs {
		sc.addCRD(o)
	}
	for _, n := range names {
		if res := nodes[n].result; res != nil {
			for _, rs := range res.app.Resources {
				sc.addCRD(rs.Object)
			}
		}
	}
	for _, n := range names {
		res := nodes[n].result
		if res == nil {
			continue
		}
		findings = append(findings, res.findings...)
		findings = append(findings, finalize(res.app, nodes[n].app.Spec.Destination.Namespace, sc, r.cfg.Render.ResourceExclusions)...)
		out.Apps = append(out.Apps, res.app)
	}
	return out, findings, nil
}

// sameApplication reports whether two Application manifests have the same
// name and spec.
func sameApplication(a, b *argo.Application) bool {
	if a.Metadata.Name != b.Metadata.Name {
		return false
	}
	ja, err1 := json.Marshal(a.Spec)
	jb, err2 := json.Marshal(b.Spec)
	return err1 == nil && err2 == nil && reflect.DeepEqual(ja, jb)
}

// cycles reports every cycle of the app-of-apps graph (an app managing
// itself is not one), once, at the Application with the smallest name.
func cycles(clusterName string, edges map[string][]string, nodes map[string]*node) []report.Finding {
	var findings []report.Finding
	seen := map[string]bool{}
	var names []string
	for n := range edges {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, start := range names {
		// find a path from a child of start back to start
		var path []string
		visited := map[string]bool{}
		var dfs func(n string) bool
		dfs = func(n string) bool {
			if visited[n] {
				return false
			}
			visited[n] = true
			path = append(path, n)
			for _, c := range edges[n] {
				if c == n {
					continue
				}
				if c == start {
					return true
				}
				if c > start && dfs(c) {
					return true
				}
			}
			path = path[:len(path)-1]
			return false
		}
		if !dfs(start) {
			continue
		}
		key := strings.Join(path, ">")
		if seen[key] {
			continue
		}
		seen[key] = true
		f := report.Finding{
			Rule: report.RuleRenderCycle, Severity: report.SeverityWarning, Cluster: clusterName, App: start,
			Message: fmt.Sprintf("app-of-apps cycle: %s -> %s; each Application is rendered once", strings.Join(path, " -> "), start),
		}
		if n := nodes[start]; n != nil {
			f.File, f.Line = n.app.File, n.app.Line
		}
		findings = append(findings, f)
	}
	return findings
}

func mergeSorted(a, b []string) []string {
	out := append(append([]string{}, a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// renderAppSafe is renderApp turning a panic in a renderer library into a
// render/failed finding on that app: one broken app never stops the others.
func (r *renderer) renderAppSafe(ctx context.Context, cl *cluster, app *argo.Application, synthetic bool) *appResult {
	timeout := r.cfg.Render.Limits.TimeoutOrDefault()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan *appResult, 1)
	go func() {
		defer enterFlight(cl.name + "/" + app.Metadata.Name)()
		var res *appResult
		defer func() {
			if p := recover(); p != nil {
				res = r.unrendered(cl, app, synthetic, r.failure(cl, app, fmt.Errorf("internal error while rendering: %v", p)))
			}
			done <- res
		}()
		res = r.renderApp(ctx, cl, app, synthetic)
	}()
	select {
	case res := <-done:
		if res != nil {
			r.capDocuments(cl, app, res)
		}
		return res
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			// the renderer libraries do not stop on a context: the render
			// is abandoned, the rest of the run goes on
			return r.unrendered(cl, app, synthetic, r.failure(cl, app, &workspace.LimitError{Limit: "render deadline", Detail: fmt.Sprintf("the app did not render within %s (render.limits.timeout)", timeout)}))
		}
		return r.unrendered(cl, app, synthetic, r.failure(cl, app, ctx.Err()))
	}
}

// unrendered is the result of an app that could not be rendered.
func (r *renderer) unrendered(cl *cluster, app *argo.Application, synthetic bool, f report.Finding) *appResult {
	ra := &resource.App{Name: app.Metadata.Name, Cluster: cl.name, SourceType: TypeUnknown}
	if !synthetic {
		ra.Application = app
	}
	return &appResult{app: ra, findings: []report.Finding{f}}
}

// capDocuments drops an app's output above the document cap.
func (r *renderer) capDocuments(cl *cluster, app *argo.Application, res *appResult) {
	maxDocs := r.cfg.Render.Limits.MaxDocumentsOrDefault()
	if n := len(res.app.Resources); n > maxDocs {
		res.app.Resources, res.children = nil, nil
		res.findings = append(res.findings, r.failure(cl, app, &workspace.LimitError{Limit: "documents", Detail: fmt.Sprintf("%d resources rendered, the limit is %d (render.limits.maxDocuments)", n, maxDocs)}))
	}
}

// renderApp renders every source of one Application.
func (r *renderer) renderApp(ctx context.Context, cl *cluster, app *argo.Application, synthetic bool) *appResult {
	ra := &resource.App{Name: app.Metadata.Name, Cluster: cl.name}
	if !synthetic {
		ra.Application = app
	}
	res := &appResult{app: ra}
	fail := func(err error) {
		res.findings = append(res.findings, r.failure(cl, app, err))
	}
	sources := app.Spec.AllSources()
	for i := range sources {
		// the controller normalises the spec before the repo-server sees it
		sources[i] = sources[i].Normalized()
	}
	if len(sources) == 0 {
		fail(errors.New("the Application has no source"))
		return res
	}
	multi := len(app.Spec.Sources) > 0
	refs := map[string]string{}
	if multi {
		for _, s := range app.Spec.Sources {
			if s.Ref != "" && r.isLocal(ctx, s) {
				refs["$"+s.Ref] = r.repo.Root
			}
		}
	}
	var inputs []string
	if app.File != "" && !synthetic {
		inputs = append(inputs, app.File)
		inputs = append(inputs, app.GeneratorInputs...)
	}
	var types []string
	var all []*resource.Resource
	for i, s := range sources {
		so := r.renderSource(ctx, cl, app, s, multi, refs)
		if so.typ != "" {
			types = append(types, so.typ)
		}
		inputs = append(inputs, so.inputs...)
		res.findings = append(res.findings, so.findings...)
		if so.err != nil {
			if multi {
				so.err = fmt.Errorf("source %d: %w", i+1, so.err)
			}
			fail(so.err)
			continue
		}
		all = append(all, so.resources...)
		ra.ChartCRDs = append(ra.ChartCRDs, so.chartCRDs...)
	}
	switch {
	case len(sources) > 1:
		ra.SourceType = TypeMulti
	case len(types) > 0:
		ra.SourceType = types[0]
	default:
		// nothing could be read: an external or failed source
		ra.SourceType = TypeUnknown
	}
	all = expandLists(all)
	for _, rs := range all {
		rs.Cluster, rs.App = cl.name, ra.Name
		if argo.IsApplicationSet(rs.Object) {
			kids, fs := r.expandRendered(ctx, cl, ra.Name, rs)
			res.children = append(res.children, kids...)
			res.findings = append(res.findings, fs...)
		}
		if argo.IsApplication(rs.Object) {
			child, err := argo.DecodeApplication(rs.Object)
			if err != nil {
				res.findings = append(res.findings, report.Finding{
					Rule: report.RuleRenderFailed, Severity: report.SeverityError, Cluster: cl.name, App: ra.Name,
					File: rs.Origin.File, Line: rs.Origin.Line, Message: fmt.Sprintf("invalid child Application: %v", err),
				})
				continue
			}
			if child.Metadata.Name != "" {
				if child.Metadata.Namespace == "" {
					// synced into the parent's destination namespace
					child.Metadata.Namespace = app.Spec.Destination.Namespace
				}
				child.File, child.Line = rs.Origin.File, rs.Origin.Line
				res.children = append(res.children, child)
			}
		}
	}
	ra.Resources = all
	slices.Sort(inputs)
	ra.Inputs = slices.Compact(inputs)
	return res
}

// failure makes the render/failed finding for err: at the file the error
// names, else at the Application.
func (r *renderer) failure(cl *cluster, app *argo.Application, err error) report.Finding {
	f := report.Finding{
		Rule: report.RuleRenderFailed, Severity: report.SeverityError, Cluster: cl.name, App: app.Metadata.Name,
		File: app.File, Line: app.Line, Message: err.Error(),
	}
	var fe *FileError
	var he *helm.Error
	switch {
	case errors.As(err, &fe) && fe.File != "":
		f.File, f.Line = fe.File, fe.Line
		f.Message = strings.Replace(f.Message, fe.Error(), fe.Err.Error(), 1)
	case errors.As(err, &he) && he.File != "":
		f.File, f.Line = he.File, he.Line
		f.Message = strings.Replace(f.Message, he.Error(), he.Err.Error(), 1)
		if errors.Is(err, helm.ErrValuesFileNotFound) {
			f.Cause = "missing:" + he.File
		}
	}
	var mp *MissingPathError
	if errors.As(err, &mp) {
		f.Cause = "missing:" + mp.Path
	}
	var c interface{ Cause() string }
	if errors.As(err, &c) {
		f.Cause = c.Cause()
	}
	var d detailer
	if errors.As(err, &d) {
		f.Detail = d.Detail()
	}
	var le *workspace.LimitError
	if errors.As(err, &le) {
		f.Rule = RuleLimit
	}
	// kustomize dumps failing patches, kyaml node contents, Helm's tpl the
	// value: no credential they quote reaches a report
	f.Message = secrets.RedactText(f.Message)
	if isRefused(err) {
		// left unrendered on purpose: a finding, never a silent pass
		f.Rule, f.Severity = RuleRemoteRefused, report.SeverityWarning
	}
	return f
}

// detailer is an error with a short message and the renderer's raw text.
type detailer interface{ Detail() string }

// MissingPathError says an Application's source path is not in the repo.
type MissingPathError struct {
	// Path is repo-relative.
	Path string
}

func (e *MissingPathError) Error() string { return fmt.Sprintf("app path %s does not exist", e.Path) }

// isSynthetic reports whether the app stands for a cluster directory (no
// Application manifest to point at).
func isSynthetic(app *argo.Application) bool {
	return app.Spec.Source != nil && app.Spec.Source.RepoURL == syntheticRepoURL
}

// syntheticRepoURL marks the source of a cluster directory rendered as one app.
const syntheticRepoURL = "render-check:checkout"

// isLocal reports whether a git source is read from the checkout.
func (r *renderer) isLocal(ctx context.Context, s argo.Source) bool {
	if s.RepoURL == syntheticRepoURL || r.repo.IsThisRepo(s.RepoURL) {
		return true
	}
	if r.repo.KnowsItself() {
		return false
	}
	p, err := cleanSourcePath(s.Path)
	if err != nil {
		return false
	}
	rec := rendercache.FromContext(ctx)
	rec.Probe(r.repo.Abs(p))
	if !r.repo.Exists(p) {
		return false
	}
	rec.Flag(flagGuessed)
	r.guessOnce.Do(func() { r.guessed = true })
	return true
}

// sourceOut is one rendered source.
type sourceOut struct {
	typ       string
	resources []*resource.Resource
	inputs    []string
	findings  []report.Finding
	err       error
	chartCRDs []*resource.Resource // see resource.App.ChartCRDs
}

func (r *renderer) renderSource(ctx context.Context, cl *cluster, app *argo.Application, src argo.Source, multi bool, refs map[string]string) (out sourceOut) {
	cpns := r.cfg.Render.ControlPlaneNamespace
	if cpns == "" {
		cpns = config.DefaultControlPlaneNamespace
	}
	instance := app.InstanceName(cpns)
	env := buildEnv(app, instance, src, r.repo.Head)
	hreq := helm.Request{
		Root: r.repo.Root, Helm: src.Helm, AppName: app.Metadata.Name, Namespace: app.Spec.Destination.Namespace,
		KubeVersion: kube.FullVersion(cl.kubeVersion), APIVersions: cl.apiVersions, Env: env, Refs: refs, MultiSource: multi,
	}
	if src.Chart != "" {
		out.typ = TypeHelm
		hreq.RepoURL, hreq.Chart, hreq.Version = src.RepoURL, src.Chart, src.TargetRevision
		ho, err := r.helm.Template(ctx, hreq)
		chartLine := r.chartLine(app, src)
		if err != nil {
			var he *helm.Error
			var fe *FileError
			switch {
			case errors.As(err, &he) && he.File != "" && !r.repo.Exists(he.File):
				// a remote chart's template: blame the line that chose the chart
				err = &FileError{File: app.File, Line: chartLine, Err: fmt.Errorf("chart %s %s (%s), template %s: %w", src.Chart, src.TargetRevision, src.RepoURL, he.File, he.Err)}
			case (he == nil || he.File == "") && !errors.As(err, &fe) && app.File != "":
				// the chart could not be fetched or loaded: the chart line chose it
				err = &FileError{File: app.File, Line: chartLine, Err: err}
			}
			out.err = fmt.Errorf("helm chart %s from %s: %w", src.Chart, src.RepoURL, err)
			return out
		}
		out.resources, out.inputs = helmResources(ho)
		rec := rendercache.FromContext(ctx)
		for _, rs := range out.resources {
			if rs.Origin.File != "" {
				rec.Probe(r.repo.Abs(rs.Origin.File)) // a template path that exists here is blamed here
			}
			if rs.Origin.File == "" || !r.repo.Exists(rs.Origin.File) {
				rs.Origin = resource.Origin{File: app.File, Line: chartLine,
					Chart: fmt.Sprintf("chart %s %s (%s), template %s", src.Chart, src.TargetRevision, src.RepoURL, rs.Origin.File)}
			}
		}
		out.findings = append(out.findings, r.unusedValueFindings(cl, app, src, src.Chart, ho)...)
		out.chartCRDs = chartCRDResources(ho)
		return out
	}
	out.typ = explicitType(src)
	if !r.isLocal(ctx, src) {
		out.findings = append(out.findings, report.Finding{
			Rule: report.RuleRenderExternalSource, Severity: report.SeverityWarning, Cluster: cl.name, App: app.Metadata.Name,
			File: app.File, Line: r.sourceFieldLine(app, src, "repoURL"), Message: r.externalSourceMessage(src),
		})
		return out
	}
	if multi && src.Path == "" {
		return out // a ref-only source renders nothing
	}
	dir, err := cleanSourcePath(src.Path)
	if err != nil {
		out.err = err
		return out
	}
	if st, err := r.fs.Stat(dir); err != nil || !st.IsDir() {
		var oob *rootfs.OutOfBoundsError
		if errors.As(err, &oob) {
			out.err = &FileError{File: oob.Link, Err: fmt.Errorf("app path %s: symlink to %s points outside the repository", dir, oob.Target)}
			return out
		}
		out.err = &MissingPathError{Path: dir}
		if app.File != "" && !isSynthetic(app) {
			out.err = &FileError{File: app.File, Line: r.sourceFieldLine(app, src, "path"), Err: out.err}
		}
		return out
	}
	rec := rendercache.FromContext(ctx)
	rec.Dir(r.repo.Abs(dir)) // the source type and override files are looked up in it
	src, read, err := applyOverrides(r.repo, src, dir, instance)
	out.inputs = append(out.inputs, read...)
	if len(read) > 0 {
		if b, err := json.Marshal(src); err != nil || strings.Contains(string(b), revisionVar) {
			rec.Flag(flagRevision)
		}
	}
	if err != nil {
		out.err = err
		return out
	}
	typ, err := sourceType(src, r.repo.FS(), dir)
	if err != nil {
		out.err = err
		return out
	}
	out.typ = typ
	switch typ {
	case TypeHelm:
		hreq.ChartPath = r.repo.Abs(dir)
		hreq.Helm = src.Helm
		ho, err := r.helm.Template(ctx, hreq)
		if err != nil {
			out.err = err
			return out
		}
		rs, in := helmResources(ho)
		out.resources, out.inputs = rs, append(out.inputs, in...)
		out.findings = append(out.findings, r.unusedValueFindings(cl, app, src, dir, ho)...)
		out.chartCRDs = chartCRDResources(ho)
	case TypeKustomize:
		if k := src.Kustomize; k != nil && k.Version != "" {
			if _, ok := r.cfg.Render.KustomizeVersions[k.Version]; !ok {
				out.err = &KustomizeVersionError{Version: k.Version}
				return out
			}
		}
		kreq := kustomizeRequest{
			Dir: dir, Options: src.Kustomize, Env: env, KubeVersion: kube.FullVersion(cl.kubeVersion), APIVersions: cl.apiVersions,
		}
		if k := src.Kustomize; k != nil {
			// the Application's kubeVersion/apiVersions replace the cluster's (helmCharts)
			if k.KubeVersion != "" {
				kreq.KubeVersion = k.KubeVersion
			}
			if len(k.APIVersions) > 0 {
				kreq.APIVersions = k.APIVersions
			}
		}
		ko, err := r.buildKustomize(ctx, kreq)
		if err != nil {
			out.err = err
			return out
		}
		out.resources, out.inputs = ko.resources, append(out.inputs, ko.inputs...)
		out.findings = append(out.findings, unusedFindings(cl, app, ko.unused)...)
		out.chartCRDs = ko.chartCRDs
		for _, d := range ko.deprecated {
			out.findings = append(out.findings, report.Finding{
				Rule: report.RuleRenderDeprecated, Severity: report.SeverityInfo, Cluster: cl.name, App: app.Metadata.Name,
				File: d.file, Message: "kustomization " + d.msg,
			})
		}
	case TypeDirectory:
		do, err := r.renderDirectory(ctx, dir, src.Directory, env)
		if err != nil {
			out.err = err
			return out
		}
		out.resources, out.inputs = do.resources, append(out.inputs, do.inputs...)
	case TypePlugin:
		out.findings = append(out.findings, report.Finding{
			Rule: report.RuleRenderUnsupported, Severity: report.SeverityWarning, Cluster: cl.name, App: app.Metadata.Name,
			File: app.File, Line: app.Line, Message: fmt.Sprintf("config management plugin sources are not supported: app %s is not rendered", app.Metadata.Name),
		})
	}
	return out
}

// chartLine is the line of the Application that chose a remote chart (its
// source's chart field), else the Application's line.
func (r *renderer) chartLine(app *argo.Application, src argo.Source) int {
	return r.sourceFieldLine(app, src, "chart")
}

// sourceFieldLine is the line of a field of the Application's source src
// (spec.source.F, or spec.sources[i].F), else the Application's line.
func (r *renderer) sourceFieldLine(app *argo.Application, src argo.Source, field string) int {
	p := []string{"spec", "source", field}
	for i, s := range app.Spec.Sources {
		if s.Chart == src.Chart && s.RepoURL == src.RepoURL && s.Path == src.Path {
			p = []string{"spec", "sources", strconv.Itoa(i), field}
			break
		}
	}
	if app.File == "" {
		return app.Line
	}
	return yamlpos.FieldLine(r.repo.Root, resource.Origin{File: app.File, Line: app.Line}, "Application", app.Metadata.Name, p)
}

// chartCRDResources are the chart's CRDs that helm did not render.
func chartCRDResources(ho *helm.Output) []*resource.Resource {
	var rs []*resource.Resource
	for _, c := range ho.ChartCRDs {
		rs = append(rs, &resource.Resource{Object: c.Object, Origin: resource.Origin{File: c.File}})
	}
	return rs
}

// helmResources converts helm output to resources.
func helmResources(ho *helm.Output) ([]*resource.Resource, []string) {
	rs := make([]*resource.Resource, 0, len(ho.Manifests))
	for _, m := range ho.Manifests {
		rs = append(rs, &resource.Resource{Object: m.Object, Origin: resource.Origin{File: m.Template}, ValuesFiles: ho.ValueFiles})
	}
	return rs, ho.Inputs
}

// repoBuildOptions says which kustomize build options Argo CD is given in
// the repo (argocd-cm, argo-cd chart values, ArgoCD resource), for a run
// that configures none, and a note saying so: only the options any source
// may set are used (--enable-helm, --reorder). "" when the repo sets none
// that count.
func repoBuildOptions(rp *workspace.Workspace) (options, note string) {
	opts, file := rp.ArgoKustomizeBuildOptions()
	safe := config.SafeBuildOptions(opts)
	if safe == "" {
		return "", ""
	}
	return safe, fmt.Sprintf("kustomize build options %q taken from %s (Argo CD's kustomize.buildOptions); set render.kustomizeBuildOptions to choose", safe, file)
}
