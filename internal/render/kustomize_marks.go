package render

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/filters/annotations"
	"sigs.k8s.io/kustomize/api/hasher"
	kresource "sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// A build with kustomize's origin tracking on (any buildMetadata) pays for
// it after every transformer: kustomize parses, extends and re-encodes a
// transformations annotation on every object (about a sixth of a cold
// check's CPU). When the user asks for no buildMetadata, the build runs
// without it and each object carries a mark of ours instead, put where
// kustomize would put its origin annotation:
//
//   - the objects of a file listed under resources: of a kustomization
//     are marked with the file, when it is read (parsed with kustomize's
//     own resource factory, so List files are marked per item the way
//     kustomize annotates them after flattening);
//   - the objects of a configMapGenerator or secretGenerator entry are
//     marked with the entry's kustomization (the entry's
//     options.annotations), except an entry merging into an existing
//     object (behavior: merge), which keeps the object's origin the way
//     kustomize keeps its origin annotation.
//
// Every doubt falls back to the build with origin tracking (the result is
// then exactly today's): an object without a mark or with the mark
// anywhere but its annotations, a file of resources: also named by another
// field of a kustomization (a patch, a generator's file), a symlink on the
// way, a remote base, generators:/transformers:/validators: plugins,
// kustomize's own origin or transformations annotations anywhere in the
// input, an error of the build, or an output near the size limits.

// markAnnotation is the annotation marking an object's source in a build
// without origin tracking; "r:" + the absolute file of a resource, "g:" +
// the absolute kustomization of a generator.
const markAnnotation = "render-check.invalid/source"

// markFallbackPad bounds, per object, how much longer than the mark
// kustomize's origin annotation can make its JSON, plus the factor of an
// escaped path: the size bounds of the marked build are checked with it so
// that passing them means the build with origin tracking passes them too.
const markFallbackPad = 512

// originMarks is the state of one marked build.
type originMarks struct {
	r      *renderer
	absDir string

	mu sync.Mutex
	// resources are the files listed under resources: of the
	// kustomizations read; others every path named elsewhere in them.
	resources, others map[string]bool
	// marked are the files served with marks; longest is the longest.
	marked  map[string]bool
	longest int
	// fallback is why the marked build cannot be trusted ("" when it can).
	fallback string
}

func newOriginMarks(r *renderer, absDir string) *originMarks {
	return &originMarks{r: r, absDir: absDir, resources: map[string]bool{}, others: map[string]bool{}, marked: map[string]bool{}}
}

// fallBack records a reason to build with origin tracking instead.
func (m *originMarks) fallBack(why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fallback == "" {
		m.fallback = why
	}
}

// reason is why the build cannot be trusted, "" when it can.
func (m *originMarks) reason() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fallback != "" {
		return m.fallback
	}
	for f := range m.marked {
		if m.others[f] {
			return "a resource file is also named by another field"
		}
	}
	return ""
}

// kustomizeSpecific are kustomize's origin-tracking annotations: an input
// naming them (a selector, a file carrying them) builds differently
// without tracking.
var kustomizeSpecific = [][]byte{[]byte("config.kubernetes.io/origin"), []byte("config.kubernetes.io/transformations"), []byte(markAnnotation)}

func mentionsTracking(data []byte) bool {
	for _, s := range kustomizeSpecific {
		if bytes.Contains(data, s) {
			return true
		}
	}
	return false
}

// rewrite wraps the rewrite of kustomization files: it learns their
// resources and other paths, and marks their generators.
func (m *originMarks) rewrite(next func(string, []byte) ([]byte, error)) func(string, []byte) ([]byte, error) {
	return func(p string, data []byte) ([]byte, error) {
		var k types.Kustomization
		if mayNameRemote(data) && k.Unmarshal(data) == nil && len(kustomizationRemotes(&k)) > 0 {
			// not fetched twice: the build with tracking fetches it
			m.fallBack("remote entry")
			return nil, errMarksFallback
		}
		if next != nil {
			var err error
			if data, err = next(p, data); err != nil {
				return data, err
			}
		}
		out := m.kustomization(p, data)
		if m.reason() != "" {
			return nil, errMarksFallback // stop early: the result is not used
		}
		return out, nil
	}
}

// mayNameRemote is false when no entry of kustomization data can be
// remote (remoteScheme needs "://", "github.com" or "@").
func mayNameRemote(data []byte) bool {
	return bytes.Contains(data, []byte("://")) || bytes.Contains(data, []byte("@")) || bytes.Contains(bytes.ToLower(data), []byte("github.com"))
}

// errMarksFallback stops a marked build that cannot be trusted.
var errMarksFallback = errors.New("render: build again with origin tracking")

// plainPath reports whether p has none of the characters that YAML or
// JSON would quote or escape, or the size bounds count as flow nesting:
// kustomize's origin annotation of a file with a plain path is no more
// than markFallbackPad longer than our mark, and adds no nesting.
func plainPath(p string) bool {
	for _, c := range p {
		if c < ' ' || c > '~' || strings.ContainsRune(`[]{}#"'\&*!|>%@`+"`", c) {
			return false
		}
	}
	return true
}

// kustomization records what the kustomization p names and returns it with
// its generators marked.
func (m *originMarks) kustomization(p string, data []byte) []byte {
	if m.r.cloneDir(p) {
		m.fallBack("remote base")
		return data
	}
	if !plainPath(p) {
		m.fallBack("path characters")
		return data
	}
	if mentionsTracking(data) {
		m.fallBack("tracking annotation named")
		return data
	}
	node, err := kyaml.Parse(string(data))
	if err != nil || node.YNode().Kind != kyaml.MappingNode {
		return data // kustomize reports it (then the fallback build does)
	}
	if hasAnchors(node.YNode()) || caseVariant(node.YNode(), "resources", "bases", "generators", "transformers", "validators", "configMapGenerator", "secretGenerator") {
		// kustomize reads keys case-insensitively, and aliases as
		// their anchors: keep to the plain spelling
		m.fallBack("kustomization spelling")
		return data
	}
	dir := filepath.Dir(p)
	resources, others := map[string]bool{}, map[string]bool{}
	changed := false
	fields, err := node.Fields()
	if err != nil {
		m.fallBack("kustomization fields")
		return data
	}
	for _, f := range fields {
		v := node.Field(f).Value
		switch f {
		case "resources", "bases":
			for _, s := range scalarStrings(v) {
				resources[joinPath(dir, s)] = true
			}
			continue
		case "generators", "transformers", "validators":
			if len(v.YNode().Content) > 0 {
				m.fallBack("kustomize plugins")
				return data
			}
		case "configMapGenerator", "secretGenerator":
			c, ok := m.markGenerators(p, v)
			if !ok {
				m.fallBack("generator entry")
				return data
			}
			changed = changed || c
		}
		for _, s := range scalarStrings(v) {
			others[joinPath(dir, s)] = true
			if _, after, ok := strings.Cut(s, "="); ok {
				others[joinPath(dir, after)] = true
			}
		}
	}
	m.mu.Lock()
	for f := range resources {
		m.resources[f] = true
	}
	for f := range others {
		m.others[f] = true
	}
	m.mu.Unlock()
	if !changed {
		return data
	}
	out, err := node.String()
	if err != nil {
		m.fallBack("encoding kustomization")
		return data
	}
	return []byte(out)
}

// markGenerators marks the generator entries of seq with the
// kustomization p; false when an entry is not as expected.
func (m *originMarks) markGenerators(p string, seq *kyaml.RNode) (changed, ok bool) {
	if seq.YNode().Kind != kyaml.SequenceNode {
		return false, kyaml.IsMissingOrNull(seq)
	}
	for _, e := range seq.Content() {
		entry := kyaml.NewRNode(e)
		if e.Kind != kyaml.MappingNode || caseVariant(e, "behavior", "options") {
			return false, false
		}
		if o := entry.Field("options"); o != nil && caseVariant(o.Value.YNode(), "annotations") {
			return false, false
		}
		if b := entry.Field("behavior"); b != nil && b.Value.YNode().Kind == kyaml.ScalarNode && b.Value.YNode().Value == types.BehaviorMerge.String() {
			continue // the object keeps the origin of the one it merges into
		}
		if o := entry.Field("options"); o != nil && !kyaml.IsMissingOrNull(o.Value) && o.Value.YNode().Kind != kyaml.MappingNode {
			return false, false
		}
		if o := entry.Field("options"); o != nil && kyaml.IsMissingOrNull(o.Value) {
			return false, false
		}
		anns, err := entry.Pipe(kyaml.LookupCreate(kyaml.MappingNode, "options", "annotations"))
		if err != nil || anns == nil || anns.YNode().Kind != kyaml.MappingNode {
			return false, false
		}
		if err := anns.PipeE(kyaml.SetField(markAnnotation, kyaml.NewStringRNode("g:"+p))); err != nil {
			return false, false
		}
		changed = true
	}
	return changed, true
}

// hasAnchors reports whether an anchor or alias is under y.
func hasAnchors(y *kyaml.Node) bool {
	if y == nil {
		return false
	}
	if y.Anchor != "" || y.Kind == kyaml.AliasNode {
		return true
	}
	for _, c := range y.Content {
		if hasAnchors(c) {
			return true
		}
	}
	return false
}

// caseVariant reports whether mapping y has a key that kustomize's
// case-insensitive decoding takes for one of names without being it.
func caseVariant(y *kyaml.Node, names ...string) bool {
	if y == nil || y.Kind != kyaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k := y.Content[i].Value
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				return true
			}
		}
	}
	return false
}

// scalarStrings returns the string scalars under n.
func scalarStrings(n *kyaml.RNode) []string {
	var out []string
	var walk func(*kyaml.Node)
	walk = func(y *kyaml.Node) {
		if y == nil {
			return
		}
		if y.Kind == kyaml.ScalarNode {
			out = append(out, y.Value)
			return
		}
		for _, c := range y.Content {
			walk(c)
		}
	}
	walk(n.YNode())
	return out
}

func joinPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// markedFile is a resource file served with marks, kept for the builds of
// a run (the mark depends only on the path).
type markedFile struct {
	orig, out []byte
}

// serve returns a file kustomize reads, with its objects marked when it is
// a resource of a kustomization read.
func (m *originMarks) serve(p string, data []byte) []byte {
	if m.r.cloneDir(p) {
		m.fallBack("remote base")
		return data
	}
	m.mu.Lock()
	isRes := m.resources[p]
	m.mu.Unlock()
	if !isRes {
		return data
	}
	if !plainPath(p) {
		m.fallBack("path characters")
		return data
	}
	if c, ok := m.r.marked.Load(p); ok {
		if mf := c.(*markedFile); bytes.Equal(mf.orig, data) {
			m.note(p)
			return mf.out
		}
	}
	if mentionsTracking(data) {
		return data // unmarked: its objects fall back
	}
	out, ok := markResources(p, data)
	if !ok {
		return data
	}
	m.r.marked.Store(p, &markedFile{orig: bytes.Clone(data), out: out})
	m.note(p)
	return out
}

func (m *originMarks) note(p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.marked[p] = true
	m.longest = max(m.longest, len(p))
}

// markFactory parses resource files the way kustomize does.
var markFactory = kresource.NewFactory(&hasher.Hasher{})

// markResources parses data as kustomize parses a resource file and
// annotates every object the way kustomize puts its origin annotation.
// The marked file is served only when kustomize reads it back as exactly
// the marked objects: the YAML encoder does not give every scalar back
// (a folded block scalar with more-indented lines gains a line break), so
// a file it would change is left unmarked (and its build falls back).
func markResources(p string, data []byte) ([]byte, bool) {
	nodes, err := markFactory.RNodesFromBytes(data)
	if err != nil || len(nodes) == 0 {
		return nil, false
	}
	f := annotations.Filter{
		Annotations: map[string]string{markAnnotation: "r:" + p},
		FsSlice:     []types.FieldSpec{{Path: "metadata/annotations", CreateIfNotPresent: true}},
	}
	var b strings.Builder
	want := make([][]byte, len(nodes))
	for i, n := range nodes {
		if _, err := f.Filter([]*kyaml.RNode{n}); err != nil {
			return nil, false
		}
		if want[i], err = n.MarshalJSON(); err != nil {
			return nil, false
		}
		s, err := n.String()
		if err != nil {
			return nil, false
		}
		b.WriteString("---\n")
		b.WriteString(s)
	}
	out := []byte(b.String())
	again, err := markFactory.RNodesFromBytes(out)
	if err != nil || len(again) != len(nodes) {
		return nil, false
	}
	for i, n := range again {
		if got, err := n.MarshalJSON(); err != nil || !bytes.Equal(got, want[i]) {
			return nil, false
		}
	}
	return out, true
}

// buildKustomizeMarked builds without origin tracking; false means the
// result cannot be trusted (or the build failed) and the caller builds
// with tracking.
func (r *renderer) buildKustomizeMarked(ctx context.Context, req kustomizeRequest, kabs string, data []byte, k *types.Kustomization) (*kustomizeOut, bool) {
	edited, err := yaml.Marshal(k)
	if err != nil {
		return nil, false
	}
	marks := newOriginMarks(r, filepath.Dir(kabs))
	resMap, fsys, inf, err := r.runKustomize(ctx, req, kabs, data, edited, k, marks)
	if err != nil || marks.reason() != "" {
		return nil, false
	}
	pad := markFallbackPad + 6*(3*len(marks.absDir)+marks.longest)
	maxBytes := r.cfg.Render.Limits.MaxBytesOrDefault()
	krel := r.repo.Rel(kabs)
	docs, ok := kustomizeObjectsMarked(resMap, maxBytes, pad)
	if !ok {
		// the YAML path of buildKustomize, within the same bounds with
		// room for kustomize's origin annotations
		out, err := resMap.AsYaml()
		n := resMap.Size()
		if err != nil || len(out)+n*pad > min(maxBytes, workspace.MaxFileBytes) || bytes.Count(out, []byte(markAnnotation)) != n {
			return nil, false
		}
		if docs, err = workspace.ParseDocuments(krel, out); err != nil {
			return nil, false
		}
	}
	res := newKustomizeOut(fsys, inf, r.repo.Rel)
	inflated, inflatedValues := inf.maps()
	for _, d := range docs {
		if d.Object == nil {
			return nil, false
		}
		o, ok := r.takeMark(d.Object, marks.absDir)
		if !ok {
			return nil, false
		}
		rs := &resource.Resource{Object: d.Object, Origin: resource.Origin{File: krel}}
		rs.Origin, rs.ValuesFiles = r.kustomizeOrigin(req.Dir, o, d.Object, inflated, inflatedValues)
		res.resources = append(res.resources, rs)
	}
	return res, true
}

// takeMark removes the mark of obj (and an annotations map it leaves
// empty) and returns the origin kustomize would have given it (relative to
// the built directory absDir); false when obj has no mark or carries
// kustomize's origin annotations.
func (r *renderer) takeMark(obj map[string]any, absDir string) (kustOrigin, bool) {
	meta, _ := obj["metadata"].(map[string]any)
	anns, _ := meta["annotations"].(map[string]any)
	v, ok := anns[markAnnotation].(string)
	if !ok {
		return kustOrigin{}, false
	}
	for k := range anns {
		if mentionsTracking([]byte(k)) && k != markAnnotation {
			return kustOrigin{}, false
		}
	}
	kind, abs, _ := strings.Cut(v, ":")
	if inRoot, err := filepath.Rel(r.repo.Root, abs); err != nil || !filepath.IsLocal(inRoot) {
		return kustOrigin{}, false
	}
	rel, err := filepath.Rel(absDir, abs)
	if err != nil {
		return kustOrigin{}, false
	}
	delete(anns, markAnnotation)
	if len(anns) == 0 {
		delete(meta, "annotations")
	}
	rel = filepath.ToSlash(rel)
	switch kind {
	case "r":
		return kustOrigin{Path: rel}, true
	case "g":
		return kustOrigin{ConfiguredIn: rel}, true
	}
	return kustOrigin{}, false
}
