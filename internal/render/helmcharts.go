package render

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/render/helm"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
)

// inflater renders the helmCharts: of kustomizations in-process, as they are
// read: each chart's output becomes an in-memory resource file of that
// kustomization, so no helm binary runs.
type inflater struct {
	r      *renderer
	ctx    context.Context
	fs     *overlayFS
	req    kustomizeRequest
	out    map[string][]helm.Manifest
	values map[string][]string // virtual file -> the chart's values files
	rootNS map[string]string

	mu   sync.Mutex
	done map[string][]byte
	// unused are the values keys of the charts inflated that they never
	// read (valuesFile, additionalValuesFiles and valuesInline).
	unused []unusedValue
	crds   []*resource.Resource // the charts' CRDs left unrendered (includeCRDs: false), guarded by mu
}

// unusedValues returns the unused values keys found, sorted.
func (in *inflater) unusedValues() []unusedValue {
	in.mu.Lock()
	defer in.mu.Unlock()
	return sortUnused(in.unused)
}

// maps returns the charts' manifests and values files per virtual file
// (nil maps for no inflater).
func (in *inflater) maps() (map[string][]helm.Manifest, map[string][]string) {
	if in == nil {
		return nil, nil
	}
	return in.out, in.values
}

func (in *inflater) rewrite(p string, data []byte) ([]byte, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if b, ok := in.done[p]; ok {
		return b, nil
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return data, nil // kustomize reports it
	}
	if len(k.HelmCharts) == 0 {
		return data, nil
	}
	dir := filepath.Dir(p)
	chartHome := "charts"
	if k.HelmGlobals != nil && k.HelmGlobals.ChartHome != "" {
		chartHome = k.HelmGlobals.ChartHome
	}
	if !filepath.IsAbs(chartHome) {
		chartHome = filepath.Join(dir, chartHome)
	}
	for i, c := range k.HelmCharts {
		ns := c.Namespace
		if ns == "" {
			ns = k.Namespace
		}
		if ns == "" {
			ns = in.rootNS[dir]
		}
		kv := c.KubeVersion
		if kv == "" {
			kv = in.r.build.HelmKubeVersion
		}
		if kv == "" {
			kv = in.req.KubeVersion
		}
		apis := c.ApiVersions
		if len(apis) == 0 {
			apis = in.r.build.HelmAPIVersions
		}
		if len(apis) == 0 {
			apis = in.req.APIVersions
		}
		ireq := helm.InflateRequest{
			Name: c.Name, Repo: c.Repo, Version: c.Version, ReleaseName: c.ReleaseName, NameTemplate: c.NameTemplate,
			Namespace: ns, AdditionalValuesFiles: c.AdditionalValuesFiles, ValuesInline: c.ValuesInline,
			ValuesFile: c.ValuesFile, ValuesMerge: c.ValuesMerge, IncludeCRDs: c.IncludeCRDs, SkipHooks: c.SkipHooks,
			SkipTests: c.SkipTests, ApiVersions: apis, KubeVersion: kv, Devel: c.Devel,
			ChartHome: chartHome, Root: in.r.repo.Root, Dir: dir, LoadRestrictionsNone: in.r.build.LoadRestrictionsNone,
		}
		out, err := in.r.helm.Inflate(in.ctx, ireq)
		if err != nil {
			var he *helm.Error
			if errors.As(err, &he) && he.File != "" {
				return nil, &FileError{File: he.File, Line: he.Line, Err: fmt.Errorf("helmCharts %s: %w", c.Name, he.Err)}
			}
			return nil, &FileError{File: in.r.repo.Rel(p), Err: fmt.Errorf("helmCharts %s: %w", c.Name, err)}
		}
		in.crds = append(in.crds, chartCRDResources(out)...) // in.mu is held
		var b strings.Builder
		for _, m := range out.Manifests {
			y, err := yaml.Marshal(markHelmGenerated(m.Object))
			if err != nil {
				return nil, fmt.Errorf("helmCharts %s: encoding output: %w", c.Name, err)
			}
			b.WriteString("---\n")
			b.Write(y)
		}
		virt := filepath.Join(dir, fmt.Sprintf(".render-check-helmchart-%d-%s.yaml", i, sanitize(c.Name)))
		in.fs.set(virt, []byte(b.String()))
		in.out[virt] = out.Manifests
		if in.values != nil {
			in.values[virt] = out.ValueFiles
		}
		k.Resources = append(k.Resources, filepath.Base(virt))
		in.noteUnused(p, i, c.Name, out)
		for _, f := range out.Inputs {
			in.fs.noteRead(in.r.repo.Abs(f))
		}
	}
	k.HelmCharts = nil
	k.HelmGlobals = nil
	b, err := yaml.Marshal(&k)
	if err != nil {
		return nil, fmt.Errorf("encoding kustomization %s: %w", p, err)
	}
	if in.done == nil {
		in.done = map[string][]byte{}
	}
	in.done[p] = b
	return b, nil
}

// markHelmGenerated returns a copy of obj carrying kustomize's
// helm-generated build annotation (konfig.HelmGeneratedAnnotation), the
// mark its HelmChartInflationGenerator puts on its output: kustomize's
// namespace transformer then leaves the object alone at every level, and
// the annotation is removed from the build output with the other build
// annotations.
func markHelmGenerated(obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	meta := map[string]any{}
	if m, ok := obj["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	anns := map[string]any{}
	if a, ok := meta["annotations"].(map[string]any); ok {
		for k, v := range a {
			anns[k] = v
		}
	}
	anns[konfig.HelmGeneratedAnnotation] = "true"
	meta["annotations"] = anns
	out["metadata"] = meta
	return out
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// refuseHelmCharts is the rewrite hook when --enable-helm is not set: a
// clear error naming the kustomization, as kustomize (and Argo CD) fail then.
func refuseHelmCharts(rel func(string) string) func(string, []byte) ([]byte, error) {
	return func(p string, data []byte) ([]byte, error) {
		var k types.Kustomization
		if err := k.Unmarshal(data); err != nil || len(k.HelmCharts) == 0 {
			return data, nil
		}
		line := 0
		for i, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "helmCharts:") {
				line = i + 1
				break
			}
		}
		return nil, &FileError{File: rel(p), Line: line, Err: errors.New(
			"helmCharts needs --enable-helm in render.kustomizeBuildOptions (Argo CD: kustomize.buildOptions in argocd-cm)")}
	}
}

// helmRootNamespaces computes, for every kustomization directory reachable
// from the top one, the namespace kustomize hands down to its helmCharts
// (the nearest ancestor kustomization's namespace). Directories are
// absolute, read through rfs: never out of the root.
func helmRootNamespaces(rfs *rootfs.FS, top string, k *types.Kustomization) map[string]string {
	out := map[string]string{}
	seen := map[string]bool{}
	var walk func(dir string, k *types.Kustomization, inherited string)
	walk = func(dir string, k *types.Kustomization, inherited string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		out[dir] = inherited
		pass := inherited
		if k.Namespace != "" {
			pass = k.Namespace
		}
		for _, e := range append(append([]string{}, k.Resources...), k.Components...) {
			d := filepath.Clean(filepath.Join(dir, filepath.FromSlash(e)))
			st, err := rfs.Stat(d)
			if err != nil || !st.IsDir() {
				continue
			}
			var data []byte
			for _, n := range kustomizationNames {
				if data, err = rfs.ReadFile(filepath.Join(d, n)); err == nil {
					break
				}
			}
			if err != nil {
				continue
			}
			var sub types.Kustomization
			if sub.Unmarshal(data) != nil {
				continue
			}
			sub.FixKustomization()
			walk(d, &sub, pass)
		}
	}
	walk(filepath.Clean(top), k, "")
	return out
}
