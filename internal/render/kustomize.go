package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/shlex"
	"github.com/spf13/pflag"
	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	kutil "sigs.k8s.io/kustomize/api/pkg/util"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/render/helm"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// originAnnotation is kustomize's origin annotation (buildMetadata: [originAnnotations]).
const originAnnotation = "config.kubernetes.io/origin"

// BuildOptions are kustomize build options, parsed from the
// argocd-cm-style string in config.Render.KustomizeBuildOptions.
type BuildOptions struct {
	// EnableHelm allows helmCharts: in kustomizations.
	EnableHelm bool
	// LoadRestrictionsNone lifts the default load restrictor.
	LoadRestrictionsNone bool
	// HelmKubeVersion and HelmAPIVersions override the capabilities given to
	// helmCharts (default: the cluster's).
	HelmKubeVersion string
	HelmAPIVersions []string
	// Reorder is legacy (kustomize build's default) or none.
	Reorder string
	// NotApplied are the options accepted (Argo CD passes them to
	// `kustomize build`) that render-check cannot honour in-process: it runs
	// no plugins, exec or container functions, and always uses the Helm SDK.
	// Each is reported once per run (render/unsupported, info).
	NotApplied []string
}

// notAppliedOptions explains, per flag, what an accepted but unapplied
// kustomize build option means for the render.
var notAppliedOptions = map[string]string{
	"enable-alpha-plugins":   "render-check runs no kustomize plugins or KRM functions: a kustomization that uses them fails to render",
	"enable-exec":            "render-check runs no exec KRM functions: a kustomization that uses them fails to render",
	"enable-star":            "render-check runs no Starlark KRM functions: a kustomization that uses them fails to render",
	"network":                "render-check runs no container KRM functions",
	"network-name":           "render-check runs no container KRM functions",
	"mount":                  "render-check runs no container KRM functions",
	"env":                    "render-check runs no KRM functions, so their environment is unused",
	"as-current-user":        "render-check runs no container KRM functions",
	"helm-command":           "render-check renders helmCharts with the Helm SDK, not a helm binary",
	"helm-debug":             "Helm debug output does not change what renders",
	"enable-managedby-label": "the app.kubernetes.io/managed-by label kustomize would add is not added",
	"output":                 "the build output is checked in memory, not written",
	"stack-trace":            "only changes how kustomize prints errors",
}

// ParseBuildOptions parses kustomize build flags as Argo CD passes them to
// `kustomize build`. Flags that need binaries or plugins are rejected.
func ParseBuildOptions(s string) (BuildOptions, error) {
	args, err := shlex.Split(s)
	if err != nil {
		return BuildOptions{}, fmt.Errorf("kustomize build options %q: %w", s, err)
	}
	var o BuildOptions
	var restrictor string
	fl := pflag.NewFlagSet("kustomize build", pflag.ContinueOnError)
	fl.SetOutput(discard{})
	fl.BoolVar(&o.EnableHelm, "enable-helm", false, "")
	fl.StringVar(&restrictor, "load-restrictor", "LoadRestrictionsRootOnly", "")
	fl.StringVar(&o.HelmKubeVersion, "helm-kube-version", "", "")
	fl.StringSliceVar(&o.HelmAPIVersions, "helm-api-versions", nil, "")
	fl.StringVar(&o.Reorder, "reorder", "legacy", "")
	var ignoredStr string
	var ignoredBool bool
	var ignoredList []string
	fl.StringVar(&ignoredStr, "helm-command", "helm", "")
	fl.BoolVar(&ignoredBool, "enable-managedby-label", false, "")
	fl.BoolVar(&ignoredBool, "helm-debug", false, "")
	fl.BoolVar(&ignoredBool, "enable-alpha-plugins", false, "")
	fl.BoolVar(&ignoredBool, "enable-exec", false, "")
	fl.BoolVar(&ignoredBool, "enable-star", false, "")
	fl.BoolVar(&ignoredBool, "network", false, "")
	fl.StringVar(&ignoredStr, "network-name", "bridge", "")
	fl.StringArrayVar(&ignoredList, "mount", nil, "")
	fl.StringArrayVarP(&ignoredList, "env", "e", nil, "")
	fl.BoolVar(&ignoredBool, "as-current-user", false, "")
	fl.StringVarP(&ignoredStr, "output", "o", "", "")
	fl.BoolVar(&ignoredBool, "stack-trace", false, "")
	if err := fl.Parse(args); err != nil {
		return BuildOptions{}, fmt.Errorf("kustomize build options %q: %w", s, err)
	}
	fl.Visit(func(f *pflag.Flag) {
		if _, ok := notAppliedOptions[f.Name]; ok && !slices.Contains(o.NotApplied, f.Name) {
			o.NotApplied = append(o.NotApplied, f.Name)
		}
	})
	slices.Sort(o.NotApplied)
	if fl.NArg() > 0 {
		return BuildOptions{}, fmt.Errorf("kustomize build options %q: unexpected argument %q", s, fl.Arg(0))
	}
	switch restrictor {
	case "LoadRestrictionsRootOnly":
	case "LoadRestrictionsNone":
		o.LoadRestrictionsNone = true
	default:
		return BuildOptions{}, fmt.Errorf("kustomize build options: unknown --load-restrictor %q", restrictor)
	}
	switch o.Reorder {
	case "legacy", "none":
	default:
		return BuildOptions{}, fmt.Errorf("kustomize build options: unknown --reorder %q", o.Reorder)
	}
	return o, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// findKustomization returns the kustomization file name in dir of fsys
// (a slash path relative to its root; "" if none). A name linked out of the
// root counts as found: the build that reads it reports the link.
func findKustomization(fsys fs.FS, dir string) string {
	for _, n := range kustomizationNames {
		p := path.Join(dir, n)
		st, err := fs.Stat(fsys, p)
		if err == nil {
			if !st.IsDir() {
				return n
			}
			continue
		}
		if l, lerr := fs.Lstat(fsys, p); lerr == nil && l.Mode()&fs.ModeSymlink != 0 && !errors.Is(err, fs.ErrNotExist) {
			return n
		}
	}
	return ""
}

// kustomizeOut is the output of one kustomize build.
type kustomizeOut struct {
	resources []*resource.Resource
	inputs    []string
	// deprecated are deprecated fields used by the kustomizations read.
	deprecated []fileMessage
	// unused are values keys of its helmCharts that the charts never read.
	unused []unusedValue
	// chartCRDs are the CRDs of helmCharts inflated without includeCRDs.
	chartCRDs []*resource.Resource
}

// kustomizeRequest is one kustomize build of a repo directory.
type kustomizeRequest struct {
	// Dir is the repo-relative app path.
	Dir     string
	Options *argo.KustomizeSource
	Env     map[string]string
	// KubeVersion and APIVersions are the cluster's (for helmCharts).
	KubeVersion string
	APIVersions []string
}

// buildKustomize runs kustomize like `kustomize build <dir> <options>` after
// applying the Application's kustomize options to an in-memory copy of the
// kustomization, with origin annotations to locate every resource.
func (r *renderer) buildKustomize(ctx context.Context, req kustomizeRequest) (*kustomizeOut, error) {
	absDir := r.repo.Abs(req.Dir)
	kname := findKustomization(r.repo.FS(), path.Clean(req.Dir))
	if kname == "" {
		return nil, &FileError{File: req.Dir, Err: errors.New("no kustomization.yaml, kustomization.yml or Kustomization found")}
	}
	krel := path.Join(req.Dir, kname)
	kabs := filepath.Join(absDir, kname)
	data, err := r.fs.ReadFile(kabs)
	if err != nil {
		return nil, &FileError{File: krel, Err: err}
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return nil, locateKustomizationField(krel, data, fmt.Errorf("invalid kustomization: %w", err))
	}
	k.FixKustomization()
	if req.Options != nil {
		if err := applyKustomizeOptions(&k, req.Options, req.Env, r.fs, absDir); err != nil {
			return nil, &FileError{File: krel, Err: err}
		}
	}
	if len(k.BuildMetadata) == 0 && !r.trackOrigins {
		// no buildMetadata of the user's: build without kustomize's origin
		// tracking, locating objects by marks (kustomize_marks.go); any
		// doubt falls back to the build below
		if out, ok := r.buildKustomizeMarked(ctx, req, kabs, data, &k); ok {
			return out, nil
		}
	}
	userOrigins := slices.Contains(k.BuildMetadata, types.OriginAnnotations)
	if !userOrigins {
		k.BuildMetadata = append(k.BuildMetadata, types.OriginAnnotations)
	}
	edited, err := yaml.Marshal(&k)
	if err != nil {
		return nil, &FileError{File: krel, Err: fmt.Errorf("encoding kustomization: %w", err)}
	}
	resMap, fsys, inf, err := r.runKustomize(ctx, req, kabs, data, edited, &k, nil)
	if err != nil {
		return nil, r.kustomizeError(fsys, krel, err)
	}
	maxBytes := r.cfg.Render.Limits.MaxBytesOrDefault()
	docs, ok := kustomizeObjects(resMap, maxBytes)
	if !ok {
		out, err := resMap.AsYaml()
		if err != nil {
			return nil, &FileError{File: krel, Err: fmt.Errorf("encoding kustomize output: %w", err)}
		}
		if len(out) > maxBytes {
			return nil, &FileError{File: krel, Err: &workspace.LimitError{Limit: "rendered bytes", Detail: fmt.Sprintf("%d bytes, the limit is %d (render.limits.maxBytes)", len(out), maxBytes)}}
		}
		docs, err = workspace.ParseDocuments(krel, out)
		if err != nil {
			return nil, &FileError{File: krel, Err: fmt.Errorf("decoding kustomize output: %w", err)}
		}
	}
	res := newKustomizeOut(fsys, inf, r.repo.Rel)
	inflated, inflatedValues := inf.maps()
	for _, d := range docs {
		if d.Object == nil {
			continue
		}
		rs := &resource.Resource{Object: d.Object, Origin: resource.Origin{File: krel}}
		if o, ok := takeOrigin(d.Object, !userOrigins); ok {
			rs.Origin, rs.ValuesFiles = r.kustomizeOrigin(req.Dir, o, d.Object, inflated, inflatedValues)
		}
		res.resources = append(res.resources, rs)
	}
	return res, nil
}

// newKustomizeOut is the result of a build without its objects: the files
// it read, their deprecated fields, and what its charts left.
func newKustomizeOut(fsys *overlayFS, inf *inflater, rel func(string) string) *kustomizeOut {
	res := &kustomizeOut{inputs: fsys.inputs(), deprecated: fsys.deprecations(rel)}
	if inf != nil {
		res.unused = inf.unusedValues()
		inf.mu.Lock()
		res.chartCRDs = inf.crds
		inf.mu.Unlock()
	}
	return res
}

// runKustomize builds kabs's directory from an overlay filesystem serving
// edited as the kustomization kabs (data is the file on disk), marking
// objects for marks when it is not nil.
func (r *renderer) runKustomize(ctx context.Context, req kustomizeRequest, kabs string, data, edited []byte, k *types.Kustomization, marks *originMarks) (resmap.ResMap, *overlayFS, *inflater, error) {
	absDir := filepath.Dir(kabs)
	fsys := newOverlayFS(r.fs, r.repo.Root, r.cloneDir, r.kreads)
	fsys.set(kabs, edited)
	fsys.noteRead(kabs)
	// the app's own kustomization is served edited from memory: its
	// deprecated fields are those of the file on disk
	fsys.noteDeprecated(kabs, data)
	var inf *inflater
	if r.build.EnableHelm {
		inf = &inflater{r: r, ctx: ctx, fs: fsys, req: req,
			out:    map[string][]helm.Manifest{}, // virtual file -> manifests
			values: map[string][]string{},        // virtual file -> values files of the chart
			rootNS: helmRootNamespaces(r.fs, absDir, k)}
		fsys.rewrite = inf.rewrite
	} else {
		fsys.rewrite = refuseHelmCharts(r.repo.Rel)
	}
	fsys.rewrite = guardRemotes(r.repo.Rel, r.fs.ReadFile, r.network, fsys.rewrite)
	if rec := rendercache.FromContext(ctx); rec != nil {
		guarded := fsys.rewrite
		fsys.rewrite = func(p string, data []byte) ([]byte, error) {
			var k types.Kustomization
			if k.Unmarshal(data) == nil && len(kustomizationRemotes(&k)) > 0 {
				rec.Uncacheable("kustomize remote base or resource")
			}
			return guarded(p, data)
		}
	}

	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOption(r.build.Reorder)
	if r.build.LoadRestrictionsNone {
		opts.LoadRestrictions = types.LoadRestrictionsNone
	}
	opts.PluginConfig.HelmConfig.Enabled = r.build.EnableHelm
	opts.PluginConfig.HelmConfig.Command = "render-check-in-process-helm"
	if marks != nil {
		fsys.marks = marks
		fsys.rewrite = marks.rewrite(fsys.rewrite)
	}
	resMap, err := krusty.MakeKustomizer(opts).Run(fsys, absDir)
	return resMap, fsys, inf, err
}

// kustomizeObjects decodes kustomize's output objects straight from their
// JSON, when that gives exactly what ParseDocuments gives for the YAML
// `kustomize build` prints (resMap.AsYaml: each object's JSON turned into
// YAML), which takes a fifth of a build's time. The YAML text matters only
// to the bounds checked on it (rendered bytes, workspace.CheckYAMLBounds):
// it is produced (false) unless the objects are surely within them: at
// most as many YAML bytes as 2*depth+8 times the JSON bytes within the
// size limits, depth far within the indentation limit, and no key or
// string holding '[' or '{', or a key "<<", so that the only flow brackets
// of the YAML are empty collections. A failure of any kind also gives
// false, for the YAML path to report.
func kustomizeObjects(resMap resmap.ResMap, maxBytes int) ([]workspace.Document, bool) {
	return kustomizeObjectsPad(resMap, maxBytes, 0, nil)
}

// kustomizeObjectsMarked is kustomizeObjects for a marked build: the size
// bounds count pad more bytes per object, and the mark must occur exactly
// once in each object.
func kustomizeObjectsMarked(resMap resmap.ResMap, maxBytes, pad int) ([]workspace.Document, bool) {
	return kustomizeObjectsPad(resMap, maxBytes, pad, []byte(markAnnotation))
}

func kustomizeObjectsPad(resMap resmap.ResMap, maxBytes, pad int, once []byte) ([]workspace.Document, bool) {
	resources := resMap.Resources()
	docs := make([]workspace.Document, 0, len(resources))
	total, deepest := 0, 0
	for _, res := range resources {
		j, err := res.MarshalJSON()
		if err != nil {
			return nil, false
		}
		if once != nil && bytes.Count(j, once) != 1 {
			return nil, false
		}
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		depth, ok := plainDepth(obj)
		if !ok {
			return nil, false
		}
		total += len(j) + pad
		deepest = max(deepest, depth)
		docs = append(docs, workspace.Document{Object: resource.NormalizeNumbers(obj).(map[string]any)})
	}
	if 2*deepest+8 > workspace.MaxIndent/4 || total*(2*deepest+8) > min(maxBytes, workspace.MaxFileBytes) {
		return nil, false
	}
	return docs, true
}

// plainDepth is the nesting depth of v; false when a key or string holds
// '[' or '{', or a key is "<<".
func plainDepth(v any) (int, bool) {
	switch t := v.(type) {
	case map[string]any:
		d := 0
		for k, e := range t {
			if k == "<<" || strings.ContainsAny(k, "[{") {
				return 0, false
			}
			ed, ok := plainDepth(e)
			if !ok {
				return 0, false
			}
			d = max(d, ed)
		}
		return d + 1, true
	case []any:
		d := 0
		for _, e := range t {
			ed, ok := plainDepth(e)
			if !ok {
				return 0, false
			}
			d = max(d, ed)
		}
		return d + 1, true
	case string:
		return 0, !strings.ContainsAny(t, "[{")
	}
	return 0, true
}

// kustomizeError turns a kustomize failure into a FileError naming the file
// kustomize was reading when it failed (kustomize's errors carry no
// structured location).
func (r *renderer) kustomizeError(fsys *overlayFS, krel string, err error) error {
	fsys.mu.Lock()
	rerr := fsys.rewriteErr
	fsys.mu.Unlock()
	if rerr != nil {
		err = rerr
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	var he *helm.Error
	if errors.As(err, &he) {
		return &FileError{File: he.File, Line: he.Line, Err: err}
	}
	raw := "kustomize build: " + relativize(err.Error(), r.repo.Root)
	if fe := r.locateMissingEntry(fsys, err, raw); fe != nil {
		return fe
	}
	if fe := r.locateChangedAPIVersion(fsys, err, raw); fe != nil {
		return fe
	}
	if fe := r.locateReplicasKind(fsys, err, raw); fe != nil {
		return fe
	}
	if file, line := r.blameEntry(fsys, err.Error()); file != "" {
		// the error names an entry of a kustomization read (a remote
		// resource that does not load, a missing path): point at that entry
		return &FileError{File: file, Line: line, Err: &relError{msg: "kustomize build: " + relativize(err.Error(), r.repo.Root), err: err}}
	}
	file := krel
	if last := fsys.lastRead(); last != "" {
		if rel := r.repo.Rel(last); !filepath.IsAbs(rel) {
			file = rel
		}
	}
	return &FileError{File: file, Err: &relError{msg: "kustomize build: " + relativize(err.Error(), r.repo.Root), err: err}}
}

// blameEntry finds the resources/components/bases entry, among the
// kustomizations the build read, that a kustomize error quotes
// ("accumulating resources from 'https://...'"): its file and line. Remote
// entries win over local ones; "" when none is quoted.
func (r *renderer) blameEntry(fsys *overlayFS, msg string) (string, int) {
	fsys.mu.Lock()
	var files []string
	for p := range fsys.read {
		if isKustomizationFile(p) {
			files = append(files, p)
		}
	}
	fsys.mu.Unlock()
	sort.Strings(files)
	bestFile, bestLine, bestRemote := "", 0, false
	for _, p := range files {
		rel := r.repo.Rel(p)
		if filepath.IsAbs(rel) {
			continue
		}
		data, err := r.fs.ReadFile(rel)
		if err != nil {
			continue
		}
		var doc yamlv3.Node
		if yamlv3.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yamlv3.MappingNode {
			continue
		}
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			switch m.Content[i].Value {
			case "resources", "components", "bases":
			default:
				continue
			}
			for _, e := range m.Content[i+1].Content {
				if e.Kind != yamlv3.ScalarNode || e.Value == "" || !strings.Contains(msg, "'"+e.Value+"'") {
					continue
				}
				remote := strings.Contains(e.Value, "://") || strings.HasPrefix(e.Value, "github.com/") || strings.Contains(e.Value, "?ref=")
				if bestFile == "" || (remote && !bestRemote) {
					bestFile, bestLine, bestRemote = rel, e.Line, remote
				}
			}
		}
	}
	return bestFile, bestLine
}

// relError is an error whose message has the checkout's absolute path
// removed (kustomize names files by absolute path).
type relError struct {
	msg string
	err error
}

func (e *relError) Error() string { return e.msg }
func (e *relError) Unwrap() error { return e.err }

func relativize(msg, root string) string {
	msg = strings.ReplaceAll(msg, root+string(filepath.Separator), "")
	return strings.ReplaceAll(msg, root, ".")
}

// applyKustomizeOptions edits a kustomization as Argo CD's `kustomize edit`
// calls would, in Argo CD's order.
func applyKustomizeOptions(k *types.Kustomization, o *argo.KustomizeSource, env map[string]string, rfs *rootfs.FS, absDir string) error {
	if o.NamePrefix != "" {
		k.NamePrefix = o.NamePrefix
	}
	if o.NameSuffix != "" {
		k.NameSuffix = o.NameSuffix
	}
	if len(o.Images) > 0 {
		if err := setImages(k, o.Images, env); err != nil {
			return err
		}
	}
	if len(o.Replicas) > 0 {
		if err := setReplicas(k, o.Replicas); err != nil {
			return err
		}
	}
	if len(o.CommonLabels) > 0 {
		labels := map[string]string{}
		for n, v := range o.CommonLabels {
			labels[n] = envsubst(v, env)
		}
		if o.LabelIncludeTemplates && !o.LabelWithoutSelector {
			return errors.New("kustomize edit add label: --without-selector flag must be specified for --include-templates to work")
		}
		if o.LabelWithoutSelector {
			if err := addLabelsWithoutSelector(k, labels, o.ForceCommonLabels, o.LabelIncludeTemplates); err != nil {
				return err
			}
		} else {
			if k.CommonLabels == nil {
				k.CommonLabels = map[string]string{}
			}
			if err := addToMap(k.CommonLabels, labels, o.ForceCommonLabels, "label"); err != nil {
				return err
			}
		}
	}
	if len(o.CommonAnnotations) > 0 {
		anns := map[string]string{}
		for n, v := range o.CommonAnnotations {
			if o.CommonAnnotationsEnvsubst {
				v = envsubst(v, env)
			}
			anns[n] = v
		}
		if k.CommonAnnotations == nil {
			k.CommonAnnotations = map[string]string{}
		}
		if err := addToMap(k.CommonAnnotations, anns, o.ForceCommonAnnotations, "annotation"); err != nil {
			return err
		}
	}
	if o.Namespace != "" {
		k.Namespace = o.Namespace
	}
	for i, p := range o.Patches {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("kustomize patch %d: %w", i+1, err)
		}
		var patch types.Patch
		if err := json.Unmarshal(b, &patch); err != nil {
			return fmt.Errorf("kustomize patch %d: %w", i+1, err)
		}
		k.Patches = append(k.Patches, patch)
	}
	for _, c := range o.Components {
		// through the root; a component out of it counts as present: the
		// build refuses it with one finding at the link
		var oob *rootfs.OutOfBoundsError
		if _, err := rfs.Stat(filepath.Join(absDir, filepath.FromSlash(c))); err != nil && !errors.As(err, &oob) {
			if o.IgnoreMissingComponents {
				continue
			}
			return fmt.Errorf("kustomize edit add component %s: %w", c, fs.ErrNotExist)
		}
		if !slices.Contains(k.Components, c) {
			k.Components = append(k.Components, c)
		}
	}
	return nil
}

// addToMap is `kustomize edit add label|annotation` on a map: an existing key
// is an error unless forced. Keys are visited in order so the error is stable.
func addToMap(dst, add map[string]string, force bool, kind string) error {
	keys := make([]string, 0, len(add))
	for k := range add {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if _, ok := dst[key]; ok && !force {
			return fmt.Errorf("kustomize edit add %s: %s %s already in kustomization file (set the force option to override)", kind, kind, key)
		}
		dst[key] = add[key]
	}
	return nil
}

// addLabelsWithoutSelector is `kustomize edit add label --without-selector
// [--include-templates]`: pairs go to the labels entry with those settings.
func addLabelsWithoutSelector(k *types.Kustomization, labels map[string]string, force, templates bool) error {
	idx := -1
	for i, l := range k.Labels {
		if !l.IncludeSelectors && l.IncludeTemplates == templates {
			idx = i
			break
		}
	}
	if idx < 0 {
		k.Labels = append(k.Labels, types.Label{Pairs: map[string]string{}, IncludeTemplates: templates})
		idx = len(k.Labels) - 1
	}
	if k.Labels[idx].Pairs == nil {
		k.Labels[idx].Pairs = map[string]string{}
	}
	return addToMap(k.Labels[idx].Pairs, labels, force, "label")
}

// setImages is `kustomize edit set image` with every image argument.
func setImages(k *types.Kustomization, args []string, env map[string]string) error {
	const keep = "*"
	want := map[string]types.Image{}
	for _, a := range args {
		a = envsubst(a, env)
		img, err := parseImageArg(a)
		if err != nil {
			return err
		}
		want[img.Name] = img
	}
	for _, im := range k.Images {
		if w, ok := want[im.Name]; ok {
			if w.NewName == keep {
				w.NewName = im.NewName
			}
			if w.NewTag == keep {
				w.NewTag = im.NewTag
			}
			if w.Digest == keep {
				w.Digest = im.Digest
			}
			want[im.Name] = w
			continue
		}
		want[im.Name] = im
	}
	images := make([]types.Image, 0, len(want))
	for _, v := range want {
		if v.NewName == keep {
			v.NewName = ""
		}
		if v.NewTag == keep {
			v.NewTag = ""
		}
		if v.Digest == keep {
			v.Digest = ""
		}
		images = append(images, v)
	}
	sort.Slice(images, func(i, j int) bool { return images[i].Name < images[j].Name })
	k.Images = images
	return nil
}

// parseImageArg parses `[old=]new[:tag][@digest]`.
func parseImageArg(arg string) (types.Image, error) {
	key, value, hasKey := strings.Cut(arg, "=")
	if !hasKey {
		key, value = "", arg
	}
	name, tag, digest := kutil.SplitImageName(value)
	if name == arg {
		return types.Image{}, fmt.Errorf("kustomize edit set image %q: invalid format of image, use one of: image:tag, old_image=new_image:tag, image@digest, old_image=new_image@digest", arg)
	}
	img := types.Image{NewTag: tag, Digest: digest}
	if key == "" {
		img.Name = name
	} else {
		img.Name = key
		img.NewName = name
	}
	return img, nil
}

// setReplicas is `kustomize edit set replicas name=count ...`.
func setReplicas(k *types.Kustomization, reps []argo.KustomizeReplica) error {
	want := map[string]types.Replica{}
	for _, r := range reps {
		n, err := replicaCount(r.Count)
		if err != nil {
			return fmt.Errorf("kustomize replicas %s: %w", r.Name, err)
		}
		want[r.Name] = types.Replica{Name: r.Name, Count: n}
	}
	for _, r := range k.Replicas {
		if _, ok := want[r.Name]; !ok {
			want[r.Name] = r
		}
	}
	out := make([]types.Replica, 0, len(want))
	for _, r := range want {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	k.Replicas = out
	return nil
}

func replicaCount(raw json.RawMessage) (int64, error) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("count must be an integer or a string holding one, got %s", string(raw))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("count %q is not an integer: %w", s, err)
	}
	return n, nil
}

// kustOrigin is the decoded origin annotation.
type kustOrigin struct {
	Path         string `json:"path"`
	Repo         string `json:"repo"`
	ConfiguredIn string `json:"configuredIn"`
}

// takeOrigin reads the origin annotation and, when strip, removes it (and
// an annotations map it leaves empty).
func takeOrigin(obj map[string]any, strip bool) (kustOrigin, bool) {
	meta, _ := obj["metadata"].(map[string]any)
	anns, _ := meta["annotations"].(map[string]any)
	v, ok := anns[originAnnotation].(string)
	if !ok {
		return kustOrigin{}, false
	}
	if strip {
		delete(anns, originAnnotation)
		if len(anns) == 0 {
			delete(meta, "annotations")
		}
	}
	var o kustOrigin
	if err := yaml.Unmarshal([]byte(v), &o); err != nil {
		return kustOrigin{}, false
	}
	return o, true
}

// kustomizeOrigin maps an origin annotation to the file (and document line)
// a person edits.
// For objects of a helmCharts chart, it also returns the chart's values files.
func (r *renderer) kustomizeOrigin(dir string, o kustOrigin, obj map[string]any, inflated map[string][]helm.Manifest, values map[string][]string) (resource.Origin, []string) {
	if o.Repo != "" {
		return resource.Origin{File: path.Join(dir, kustomizationFileIn(r.repo, dir))}, nil
	}
	p := o.Path
	if p == "" {
		p = o.ConfiguredIn
	}
	if p == "" {
		return resource.Origin{File: path.Join(dir, kustomizationFileIn(r.repo, dir))}, nil
	}
	rel := path.Clean(path.Join(dir, filepath.ToSlash(p)))
	if ms, ok := inflated[filepath.Clean(r.repo.Abs(rel))]; ok {
		vals := values[filepath.Clean(r.repo.Abs(rel))]
		m := matchManifest(ms, obj)
		if m != nil {
			return resource.Origin{File: m.Template}, vals
		}
		return resource.Origin{File: rel}, vals
	}
	if o.Path == "" {
		// generated: point at the generator's kustomization
		return resource.Origin{File: rel, Line: r.lines.generatorLine(r.repo, rel, obj)}, nil
	}
	return resource.Origin{File: rel, Line: r.lines.documentLine(r.repo, rel, obj)}, nil
}

func kustomizationFileIn(r *workspace.Workspace, dir string) string {
	if n := findKustomization(r.FS(), path.Clean(dir)); n != "" {
		return n
	}
	return "kustomization.yaml"
}

// matchManifest finds the inflated manifest an output object came from: same
// kind, and the longest original name contained in the output name.
func matchManifest(ms []helm.Manifest, obj map[string]any) *helm.Manifest {
	kind, _ := obj["kind"].(string)
	name := objName(obj)
	var best *helm.Manifest
	bestLen := -1
	for i := range ms {
		m := &ms[i]
		if k, _ := m.Object["kind"].(string); k != kind {
			continue
		}
		n := objName(m.Object)
		if strings.Contains(name, n) && len(n) > bestLen {
			best, bestLen = m, len(n)
		}
	}
	return best
}

func objName(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	n, _ := meta["name"].(string)
	return n
}
