package helm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/render-check/render-check/internal/rendercache"

	"helm.sh/helm/v3/pkg/action"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"
	"sigs.k8s.io/yaml"
)

// ErrInvalidHelmChart is returned for a helmCharts entry kustomize rejects.
var ErrInvalidHelmChart = errors.New("invalid helmCharts entry")

// ErrOutsideKustomization is a file kustomize's default load restrictor
// refuses: it is not in or below the kustomization directory.
var ErrOutsideKustomization = errors.New("outside the kustomization directory")

// Inflate renders a kustomize `helmCharts:` entry as kustomize's
// HelmChartInflationGenerator (kustomize api v0.21.2) would with helm
// installed: a local chart under ChartHome, else pulled from Repo (into the
// cache, never into the checkout); ValuesFile (default: the chart's
// values.yaml) combined with ValuesInline per ValuesMerge, then
// AdditionalValuesFiles; release name ReleaseName, else NameTemplate, else
// helm template's "release-name"; CRDs only with IncludeCRDs.
func (r *Renderer) Inflate(ctx context.Context, req InflateRequest) (*Output, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, fmt.Errorf("%w: chart name cannot be empty", ErrInvalidHelmChart)
	}
	if strings.HasPrefix(req.Name, "-") || strings.HasPrefix(req.ReleaseName, "-") {
		return nil, fmt.Errorf("%w: name and releaseName must not start with '-'", ErrInvalidHelmChart)
	}
	if req.ReleaseName != "" && req.NameTemplate != "" {
		return nil, fmt.Errorf("%w: cannot set nameTemplate and also specify a releaseName", ErrInvalidHelmChart)
	}
	merge := req.ValuesMerge
	switch merge {
	case "":
		merge = "override"
	case "override", "merge", "replace":
	default:
		return nil, fmt.Errorf("%w: valuesMerge must be one of [merge override replace]", ErrInvalidHelmChart)
	}
	if !filepath.IsAbs(req.Root) {
		return nil, fmt.Errorf("helm: root %q is not absolute", req.Root)
	}
	root := filepath.Clean(req.Root)
	if err := r.addRoots(root, nil); err != nil {
		return nil, err
	}
	dir := req.Dir
	if dir == "" {
		if req.ChartHome == "" {
			return nil, fmt.Errorf("%w: neither Dir nor ChartHome is set", ErrInvalidHelmChart)
		}
		dir = filepath.Dir(req.ChartHome)
	}
	dir = filepath.Clean(dir)
	chartHome := req.ChartHome
	if chartHome == "" {
		chartHome = filepath.Join(dir, "charts")
	}
	chartHome = filepath.Clean(chartHome)
	ps := &paths{root: root}

	absChartHome := chartHome
	if req.Version != "" && req.Repo != "" {
		absChartHome = filepath.Join(chartHome, req.Name+"-"+req.Version)
	}
	chartDir := filepath.Join(absChartHome, req.Name)
	var inputs []string
	local := false
	rec := rendercache.FromContext(ctx)
	if st, err := os.Stat(chartDir); err == nil && st.IsDir() {
		local = true
		rec.Tree(chartDir)
	} else {
		rec.Probe(chartDir)
		if req.Repo == "" {
			return nil, fmt.Errorf("%w: no repo specified for pull, no chart found at '%s'", ErrInvalidHelmChart, ps.display(chartDir))
		}
		rc := remoteChart{repoURL: strings.TrimSuffix(req.Repo, "/"), name: req.Name, version: req.Version, devel: req.Devel}
		if !strings.HasPrefix(rc.repoURL, "oci://") && !strings.Contains(rc.repoURL, "://") {
			return nil, fmt.Errorf("%w: repo %q is neither an http(s) nor an oci:// URL", ErrInvalidHelmChart, req.Repo)
		}
		d, err := r.pull(ctx, rc)
		if err != nil {
			return nil, err
		}
		chartDir = d
		ps.remoteDir, ps.chartName = d, req.Name
	}
	if local {
		if err := within(root, chartDir); err != nil {
			return nil, fmt.Errorf("%w: chart %s: %w", ErrInvalidHelmChart, req.Name, err)
		}
	}
	ch, files, err := r.loadDir(chartDir, ps.display)
	if err != nil {
		return nil, err
	}
	if local {
		for _, f := range files {
			inputs = append(inputs, ps.display(f))
		}
	}
	if err := checkInstallable(ch); err != nil {
		return nil, &Error{File: ps.display(filepath.Join(chartDir, "Chart.yaml")), Err: err}
	}
	mapper := &sourceMapper{chartName: ch.Name(), display: ps.display}
	if local {
		mapper.chartDir = chartDir
	}
	if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
		// helm template without --dependency-update fails here
		return nil, &Error{File: ps.display(filepath.Join(chartDir, "Chart.yaml")), Err: fmt.Errorf("%w: %v", ErrMissingDependency, err)}
	}

	// the values file kustomize passes with -f
	var valueFiles []string
	readLocal := func(p string) ([]byte, string, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		p = filepath.Clean(p)
		name := ps.display(p)
		inChart := ps.remoteDir != "" && strictlyInside(ps.remoteDir, p)
		if !inChart {
			if err := within(root, p); err != nil {
				return nil, name, fmt.Errorf("values file %s: %w", name, err)
			}
			if !req.LoadRestrictionsNone {
				if err := within(dir, p); err != nil {
					return nil, name, fmt.Errorf("values file %s: %w (load restrictor): %w", name, ErrOutsideKustomization, err)
				}
			}
		}
		b, err := r.readLocal(p)
		if err != nil {
			return nil, name, &Error{File: name, Err: fmt.Errorf("%w: %w", ErrValuesFileNotFound, err)}
		}
		if !inChart {
			inputs = append(inputs, name)
		}
		return b, name, nil
	}
	var base []byte
	var baseName string
	if req.ValuesFile != "" {
		if base, baseName, err = readLocal(req.ValuesFile); err != nil {
			return nil, err
		}
	} else if merge != "replace" || len(req.ValuesInline) == 0 {
		// kustomize's default valuesFile is <chartHome>/<name>/values.yaml
		// (for a pulled chart, under chartHome/<name>-<version>), read
		// through its loader: it must exist, and under the default load
		// restrictor it must lie under the kustomization directory.
		kpath := filepath.Join(absChartHome, req.Name, "values.yaml")
		if !req.LoadRestrictionsNone && !strictlyInside(dir, kpath) {
			return nil, &Error{File: ps.display(kpath), Err: fmt.Errorf("%w: security; file %s is not in or below %s (kustomize's default load restrictor; chartHome must be inside the kustomization directory)",
				ErrOutsideKustomization, ps.display(kpath), ps.display(dir))}
		}
		actual := filepath.Join(chartDir, "values.yaml")
		b, err := r.readLocal(actual)
		if err != nil {
			return nil, &Error{File: ps.display(chartDir), Err: fmt.Errorf("%w: kustomize reads the chart's values.yaml (%s) unless valuesInline is used with valuesMerge: replace: %w", ErrValuesFileNotFound, ps.display(actual), err)}
		}
		base, baseName = b, ps.display(actual)
	}
	vals := map[string]any{}
	if len(req.ValuesInline) > 0 {
		merged, err := mergeInline(base, baseName, req.ValuesInline, merge)
		if err != nil {
			return nil, err
		}
		vals = merged
		if merge != "replace" && baseName != "" {
			valueFiles = append(valueFiles, baseName)
		}
	} else if base != nil {
		if vals, err = parseValues(base, baseName); err != nil {
			return nil, err
		}
		valueFiles = append(valueFiles, baseName)
	}
	for _, f := range req.AdditionalValuesFiles {
		b, name, err := readLocal(f)
		if err != nil {
			return nil, err
		}
		m, err := parseValues(b, name)
		if err != nil {
			return nil, err
		}
		vals = mergeMaps(vals, m)
		valueFiles = append(valueFiles, name)
	}

	j := job{
		chart: ch, vals: vals, namespace: req.Namespace,
		kubeVersion: req.KubeVersion, apiVersions: req.ApiVersions,
		includeCRDs: req.IncludeCRDs, skipTests: req.SkipTests, skipHooks: req.SkipHooks,
		mapper: mapper,
	}
	switch {
	case req.ReleaseName != "":
		j.releaseName = req.ReleaseName
	case req.NameTemplate != "":
		j.nameTemplate = req.NameTemplate
	default:
		// `helm template --generate-name` keeps the template command's default name
		j.releaseName = "release-name"
	}
	ms, err := r.run(ctx, j)
	if err != nil {
		return nil, locateSchemaError(root, valueFiles, err)
	}
	reads := chartReads(ch)
	out := &Output{Manifests: ms, ValueFiles: valueFiles, Inputs: sortUnique(inputs),
		Unused: unusedValues(reads, root, chartDir, valueFiles), Reads: reads}
	if !req.IncludeCRDs {
		out.ChartCRDs = chartCRDs(ch, ps.remoteDir != "")
	}
	return out, nil
}

// mergeInline combines a values file with valuesInline as kustomize does
// (kyaml merge2; override: inline wins; merge: the file wins; replace: inline only).
func mergeInline(base []byte, baseName string, inline map[string]any, mode string) (map[string]any, error) {
	out := inline
	if mode != "replace" {
		inlineNode, err := kyaml.FromMap(inline)
		if err != nil {
			return nil, fmt.Errorf("valuesInline: %w", err)
		}
		fileNode, err := kyaml.Parse(string(base))
		if err != nil || strings.TrimSpace(string(base)) == "" {
			if strings.TrimSpace(string(base)) != "" {
				return nil, &Error{File: baseName, Err: fmt.Errorf("could not parse values file: %w", err)}
			}
			fileNode, _ = kyaml.FromMap(map[string]any{})
		}
		var merged *kyaml.RNode
		if mode == "override" {
			merged, err = merge2.Merge(inlineNode, fileNode.Copy(), kyaml.MergeOptions{})
		} else {
			merged, err = merge2.Merge(fileNode, inlineNode.Copy(), kyaml.MergeOptions{})
		}
		if err != nil {
			return nil, fmt.Errorf("could not merge values: %w", err)
		}
		if out, err = merged.Map(); err != nil {
			return nil, fmt.Errorf("could not parse merged values into map: %w", err)
		}
	}
	b, err := yaml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding merged values: %w", err)
	}
	return parseValues(b, "valuesInline")
}
