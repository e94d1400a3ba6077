package helm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/rendercache"

	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// ErrMissingKind is returned (inside an *Error naming the template) for a
// rendered document without kind, which Argo CD rejects.
var ErrMissingKind = errors.New("Object 'Kind' is missing")

// paths turns absolute paths into the forms reported in Output and errors.
type paths struct {
	root      string            // repo root
	remoteDir string            // extracted remote chart, "" for a local chart
	chartName string            // remote chart name
	refs      map[string]string // "$name" -> root
}

func (p *paths) display(abs string) string {
	if p.remoteDir != "" && (abs == p.remoteDir || strictlyInside(p.remoteDir, abs)) {
		rel, _ := filepath.Rel(p.remoteDir, abs)
		return p.chartName + "/" + filepath.ToSlash(rel)
	}
	if p.root != "" && strictlyInside(p.root, abs) {
		rel, _ := filepath.Rel(p.root, abs)
		return filepath.ToSlash(rel)
	}
	if abs == p.root {
		return "."
	}
	names := make([]string, 0, len(p.refs))
	for n := range p.refs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strictlyInside(p.refs[n], abs) {
			rel, _ := filepath.Rel(p.refs[n], abs)
			return n + "/" + filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(abs)
}

// Template renders an Argo CD Helm source as `helm template` would for
// Argo CD's repo-server.
func (r *Renderer) Template(ctx context.Context, req Request) (*Output, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if err := r.addRoots(req.Root, req.Refs); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(req.Root) {
		return nil, fmt.Errorf("helm: root %q is not absolute", req.Root)
	}
	root := filepath.Clean(req.Root)
	h := req.Helm
	if h == nil {
		h = &argo.HelmSource{}
	}
	ps := &paths{root: root, refs: normalizeRefs(req.Refs)}

	var chartDir, valuesRoot string
	var inputs []string
	if req.ChartPath != "" {
		chartDir = filepath.Clean(req.ChartPath)
		if chartDir != root && !strictlyInside(root, chartDir) {
			return nil, fmt.Errorf("helm: chart path %s: %w", chartDir, ErrOutsideRoot)
		}
		valuesRoot = root
	} else {
		if req.Chart == "" || req.RepoURL == "" {
			return nil, errors.New("helm: a remote chart needs chart and repoURL")
		}
		dir, err := r.pull(ctx, remoteChart{repoURL: normalizeRepoURL(req.RepoURL), name: req.Chart, version: req.Version, passCreds: h.PassCredentials})
		if err != nil {
			return nil, err
		}
		chartDir, valuesRoot = dir, dir
		ps.remoteDir, ps.chartName = dir, req.Chart
	}
	ch, files, err := r.loadDir(chartDir, ps.display)
	if err != nil {
		return nil, err
	}
	if ps.remoteDir == "" {
		rendercache.FromContext(ctx).Tree(chartDir)
		for _, f := range files {
			inputs = append(inputs, ps.display(f))
		}
	}
	if err := checkInstallable(ch); err != nil {
		return nil, &Error{File: ps.display(filepath.Join(chartDir, "Chart.yaml")), Err: err}
	}
	mapper := &sourceMapper{chartName: ch.Name(), display: ps.display}
	if ps.remoteDir == "" {
		mapper.chartDir = chartDir
	}
	if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
		b, err := r.buildDeps(ctx, ch, chartDir, ps)
		if err != nil {
			return nil, err
		}
		ch, mapper.subDirs = b.chart, b.subDirs
		if ps.remoteDir == "" {
			inputs = append(inputs, b.inputs...)
			for _, d := range b.subDirs {
				rendercache.FromContext(ctx).Tree(d)
			}
		}
	}

	pe := &pathEnv{root: valuesRoot, appPath: chartDir, env: req.Env, refs: ps.refs, multi: req.MultiSource, display: ps.display, rec: rendercache.FromContext(ctx),
		inRepo: func(abs string) bool {
			return strictlyInside(root, abs) && (ps.remoteDir == "" || !strictlyInside(ps.remoteDir, abs))
		}}
	vals, valueFiles, vin, err := r.argoValues(ctx, pe, h)
	if err != nil {
		return nil, err
	}
	inputs = append(inputs, vin...)

	release := h.ReleaseName
	if release == "" {
		release = req.AppName
		if _, name, ok := strings.Cut(release, "_"); ok {
			release = name // Argo CD uses the name part of "<namespace>_<name>"
		}
	}
	ns := h.Namespace
	if ns == "" {
		ns = req.Namespace
	}
	kv, apis := req.KubeVersion, req.APIVersions
	if h.KubeVersion != "" {
		kv = h.KubeVersion
	}
	if len(h.APIVersions) > 0 {
		apis = h.APIVersions
	}
	ms, err := r.run(ctx, job{
		chart: ch, vals: vals, nameTemplate: release, namespace: ns,
		kubeVersion: kv, apiVersions: apis,
		includeCRDs: !h.SkipCrds, skipTests: h.SkipTests, skipSchemaValidation: h.SkipSchemaValidation,
		mapper: mapper,
	})
	if err != nil {
		return nil, locateSchemaError(root, valueFiles, err)
	}
	reads := chartReads(ch)
	out := &Output{Manifests: ms, ValueFiles: valueFiles, Inputs: sortUnique(inputs),
		Unused: unusedValues(reads, root, chartDir, valueFiles), Reads: reads}
	if h.SkipCrds {
		out.ChartCRDs = chartCRDs(ch, ps.remoteDir != "")
	}
	return out, nil
}

// chartCRDs decodes the CRDs in crds/ of ch's dependencies and, with own,
// of ch itself. A file that does not decode is skipped: it is not rendered,
// so it is no finding, only no schema.
func chartCRDs(ch *chart.Chart, own bool) []ChartCRD {
	var out []ChartCRD
	for _, c := range ch.CRDObjects() {
		if !own && c.File != nil && strings.HasPrefix(c.Filename, ch.ChartFullPath()+"/crds/") {
			continue
		}
		if c.File == nil {
			continue
		}
		// deliberately not the workspace decoder: the splitter Helm and Argo CD use on chart output, for fidelity
		rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(c.File.Data)))
		for {
			doc, err := rd.Read()
			if err != nil {
				break
			}
			js, err := yaml.YAMLToJSON(doc)
			if err != nil {
				continue
			}
			obj, err := decodeObject(bytes.TrimSpace(js))
			if err != nil {
				continue
			}
			if k, _ := obj["kind"].(string); k == "CustomResourceDefinition" {
				out = append(out, ChartCRD{Object: obj, File: filepath.ToSlash(c.Filename)})
			}
		}
	}
	return out
}

func sortUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// job is one helm template run.
type job struct {
	chart *chart.Chart // cached chart; cloned before rendering
	vals  map[string]any
	// releaseName is used as is; nameTemplate is rendered as helm's --name-template.
	releaseName, nameTemplate string
	namespace                 string
	kubeVersion               string
	apiVersions               []string
	includeCRDs               bool
	skipTests, skipHooks      bool
	skipSchemaValidation      bool
	mapper                    *sourceMapper
}

// run renders a chart with helm's install action in client-only dry-run
// mode, as `helm template` does, and parses the output strictly.
func (r *Renderer) run(ctx context.Context, j job) (ms []Manifest, err error) {
	name := j.releaseName
	if j.nameTemplate != "" {
		if name, err = action.TemplateName(j.nameTemplate); err != nil {
			return nil, fmt.Errorf("helm: release name template %q: %w", j.nameTemplate, err)
		}
	}
	ns := j.namespace
	if ns == "" {
		ns = "default"
	}
	cfg := &action.Configuration{Log: func(string, ...any) {}}
	inst := action.NewInstall(cfg)
	inst.DryRun = true
	inst.DryRunOption = "client"
	inst.ClientOnly = true
	inst.Replace = true
	inst.ReleaseName = name
	inst.Namespace = ns
	inst.IncludeCRDs = j.includeCRDs
	inst.DisableHooks = j.skipHooks
	inst.SkipSchemaValidation = j.skipSchemaValidation
	inst.APIVersions = chartutil.VersionSet(j.apiVersions)
	if j.kubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(j.kubeVersion)
		if err != nil {
			return nil, fmt.Errorf("helm: invalid kube version %q: %w", j.kubeVersion, err)
		}
		inst.KubeVersion = kv
	}

	ch := cloneChart(j.chart)
	rel, err := runInstall(ctx, inst, ch, j.vals)
	if err != nil {
		if strings.Contains(err.Error(), "chart requires kubeVersion") && j.mapper.chartDir != "" {
			return nil, &Error{File: j.mapper.display(filepath.Join(j.mapper.chartDir, "Chart.yaml")), Err: err}
		}
		return nil, j.mapper.renderError(fmt.Errorf("helm template: %w", err))
	}
	size := len(rel.Manifest)
	for _, h := range rel.Hooks {
		size += len(h.Manifest)
	}
	if size > r.maxBytes {
		return nil, &workspace.LimitError{Limit: "rendered bytes", Detail: fmt.Sprintf("%d bytes, the limit is %d (render.limits.maxBytes)", size, r.maxBytes)}
	}
	var buf bytes.Buffer
	buf.WriteString(strings.TrimSpace(rel.Manifest))
	buf.WriteString("\n")
	if !j.skipHooks {
		for _, h := range rel.Hooks {
			if j.skipTests && isTestHook(h) {
				continue
			}
			fmt.Fprintf(&buf, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
	}
	return parseManifests(buf.Bytes(), j.mapper)
}

// runInstall runs the install action, turning a panic into an error.
func runInstall(ctx context.Context, inst *action.Install, ch *chart.Chart, vals map[string]any) (rel *release.Release, err error) {
	defer func() {
		if p := recover(); p != nil {
			rel, err = nil, fmt.Errorf("rendering panicked: %v", p)
		}
	}()
	rel, err = inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, err
	}
	return rel, nil
}

func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}

// parseManifests splits helm's output into objects as Argo CD does: empty
// and null documents are skipped, a document without kind is an error.
func parseManifests(out []byte, m *sourceMapper) ([]Manifest, error) {
	// deliberately not the workspace decoder: the splitter Helm and Argo CD use on chart output, for fidelity
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	var ms []Manifest
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading helm output: %w", err)
		}
		src := sourceOf(doc)
		tpl := src
		if src != "" {
			tpl = m.mapPath(src)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, &Error{File: tpl, Err: fmt.Errorf("parsing rendered manifest: %w", err)}
		}
		js = bytes.TrimSpace(js)
		if len(js) == 0 || string(js) == "null" {
			continue
		}
		obj, err := decodeObject(js)
		if err != nil {
			return nil, &Error{File: tpl, Err: err}
		}
		if k, _ := obj["kind"].(string); k == "" {
			return nil, &Error{File: tpl, Err: ErrMissingKind}
		}
		ms = append(ms, Manifest{Object: obj, Template: tpl})
	}
	return ms, nil
}

// sourceOf returns the "# Source:" path of a rendered document.
func sourceOf(doc []byte) string {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if s, ok := strings.CutPrefix(t, "# Source: "); ok {
			return strings.TrimSpace(s)
		}
		if t != "" && t != "---" && !strings.HasPrefix(t, "#") {
			break
		}
	}
	return ""
}

// decodeObject decodes a JSON object with integers as int64 and other
// numbers as float64, as Kubernetes' unstructured decoding does.
func decodeObject(js []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding rendered manifest: %w", err)
	}
	obj, ok := resource.NormalizeNumbers(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("rendered document is not an object: %w", ErrMissingKind)
	}
	return obj, nil
}
