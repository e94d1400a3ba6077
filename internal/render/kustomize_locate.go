package render

import (
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/suggest"
	"github.com/render-check/render-check/internal/workspace"
)

// kustomizeEntryError is a kustomize failure located at the kustomization
// entry a person edits (a `resources:` entry naming a missing file): a
// short sentence, with kustomize's own text kept as detail.
type kustomizeEntryError struct {
	short   string
	raw     string
	err     error
	missing string // repo-relative path of an entry that does not exist
}

func (e *kustomizeEntryError) Error() string { return e.short }

// Unwrap gives kustomize's error and, for an entry that does not exist, a
// *MissingPathError (its Cause folds it with other views of that path).
func (e *kustomizeEntryError) Unwrap() []error {
	if e.missing != "" {
		return []error{e.err, &MissingPathError{Path: e.missing}}
	}
	return []error{e.err}
}

// Detail is kustomize's own text.
func (e *kustomizeEntryError) Detail() string { return e.raw }

// missingPathRE finds the path kustomize could not open in its error text
// (kustomize's errors carry no structured location).
var missingPathRE = []*regexp.Regexp{
	regexp.MustCompile(`evalsymlink failure on '([^']+)'`),
	regexp.MustCompile(`lstat ([^:']+): no such file or directory`),
	regexp.MustCompile(`open ([^:']+): no such file or directory`),
}

// duplicateRE finds the resources entry that added an object twice.
var duplicateRE = regexp.MustCompile(`merging resources from '([^']+)': may not add resource with an already registered id: ([^\s']+)`)

// locateMissingEntry finds the kustomization entry a failed build is about,
// among the kustomizations the build read: the entry naming a path that
// does not exist, or the resources entry that adds an object twice. It
// returns nil when no entry can be named.
func (r *renderer) locateMissingEntry(fsys *overlayFS, err error, raw string) *FileError {
	msg := err.Error()
	if m := duplicateRE.FindStringSubmatch(msg); m != nil {
		entry, id := m[1], m[2]
		k, e, ok := r.findReadEntry(fsys, func(dir, v string) bool {
			return v == entry && r.repo.Exists(path.Join(dir, v))
		})
		if !ok {
			return nil
		}
		short := fmt.Sprintf("%s entry %q adds %s, which an earlier entry already added", e.field, e.value, kustomizeID(id))
		return &FileError{File: k, Line: e.line, Err: &kustomizeEntryError{short: short, raw: raw, err: err}}
	}
	var missing string
	for _, re := range missingPathRE {
		if m := re.FindStringSubmatch(msg); m != nil {
			missing = m[1]
			break
		}
	}
	if missing == "" {
		return nil
	}
	if filepath.IsAbs(missing) {
		missing = r.repo.Rel(missing)
		if filepath.IsAbs(missing) || strings.HasPrefix(missing, "../") {
			return nil
		}
	}
	missing = path.Clean(filepath.ToSlash(missing))
	k, e, ok := r.findReadEntry(fsys, func(dir, v string) bool { return path.Clean(path.Join(dir, v)) == missing })
	if !ok {
		return nil
	}
	short := fmt.Sprintf("%s entry %q does not exist", e.field, e.value)
	switch {
	case strings.Contains(e.value, " - "):
		short += " (the next line is indented deeper than this list, so it was read as part of this entry)"
	default:
		if m, ok := suggest.Path(r.repo.FS(), missing); ok {
			short += fmt.Sprintf("; did you mean %q?", suggest.Entry(e.value, m))
		}
	}
	return &FileError{File: k, Line: e.line, Err: &kustomizeEntryError{short: short, raw: raw, err: err, missing: missing}}
}

// kustomizeID turns kustomize's resource id ("PodDisruptionBudget.v1.policy/postgres.[noNs]")
// into "PodDisruptionBudget postgres" (with its namespace when it has one).
func kustomizeID(id string) string {
	gvk, rest, ok := strings.Cut(id, "/")
	if !ok {
		return id
	}
	kind, _, _ := strings.Cut(gvk, ".")
	name, ns, _ := strings.Cut(rest, ".")
	if ns = strings.Trim(ns, "[]"); ns != "" && ns != "noNs" {
		return kind + " " + ns + "/" + name
	}
	return kind + " " + name
}

// findReadEntry returns the first kustomization the build read (sorted by
// path) with an entry matching match(dir of the kustomization, value).
func (r *renderer) findReadEntry(fsys *overlayFS, match func(dir, value string) bool) (string, kustEntry, bool) {
	fsys.mu.Lock()
	var ks []string
	for p := range fsys.read {
		if isKustomizationFile(p) {
			if rel := r.repo.Rel(p); !filepath.IsAbs(rel) && !strings.HasPrefix(rel, "../") {
				ks = append(ks, rel)
			}
		}
	}
	fsys.mu.Unlock()
	slices.Sort(ks)
	for _, k := range ks {
		data, rerr := r.fs.ReadFile(k)
		if rerr != nil {
			continue
		}
		docs, derr := workspace.DecodeNodes(data)
		if derr != nil || len(docs) == 0 {
			continue
		}
		if e, ok := findEntry(docs[0], path.Dir(k), match); ok {
			return k, e, true
		}
	}
	return "", kustEntry{}, false
}

// kustEntry is a scalar of a kustomization that names a path.
type kustEntry struct {
	field string // the top-level field: resources, components, patches, ...
	value string
	line  int
}

// findEntry finds the scalar in a kustomization (in dir) that match accepts.
func findEntry(doc *yaml.Node, dir string, match func(dir, value string) bool) (kustEntry, bool) {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return kustEntry{}, false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		field := root.Content[i].Value
		if e, ok := findScalar(root.Content[i+1], field, dir, match); ok {
			return e, true
		}
	}
	return kustEntry{}, false
}

func findScalar(n *yaml.Node, field, dir string, match func(dir, value string) bool) (kustEntry, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		v := strings.TrimSpace(n.Value)
		if v != "" && !strings.Contains(v, "\n") && match(dir, v) {
			return kustEntry{field: field, value: v, line: n.Line}, true
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if e, ok := findScalar(c, field, dir, match); ok {
				return e, true
			}
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			if e, ok := findScalar(n.Content[i], field, dir, match); ok {
				return e, true
			}
		}
	}
	return kustEntry{}, false
}

// kustomizationFieldRE finds the field a kustomization failed to decode on:
// an unknown field, or a field of the wrong type.
var kustomizationFieldRE = []*regexp.Regexp{
	regexp.MustCompile(`unknown field "([^"]+)"`),
	regexp.MustCompile(`Go struct field Kustomization\.([A-Za-z]+)`),
}

// kustomizationFields are the top-level fields of a kustomization.
var kustomizationFields = func() []string {
	var out []string
	t := reflect.TypeOf(types.Kustomization{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}()

// locateKustomizationField turns a kustomization decoding error into a
// FileError at the offending top-level field, with a suggestion for a
// misspelled one; kustomize's text is kept as detail.
func locateKustomizationField(krel string, data []byte, err error) *FileError {
	fe := &FileError{File: krel, Err: err}
	var field string
	unknown := false
	for i, re := range kustomizationFieldRE {
		if m := re.FindStringSubmatch(err.Error()); m != nil {
			field, unknown = m[1], i == 0
			break
		}
	}
	if field == "" {
		return fe
	}
	docs, derr := workspace.DecodeNodes(data)
	if derr != nil || len(docs) == 0 || len(docs[0].Content) == 0 || docs[0].Content[0].Kind != yaml.MappingNode {
		return fe
	}
	m := docs[0].Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		key := m.Content[i]
		if !strings.EqualFold(key.Value, field) {
			continue
		}
		fe.Line = key.Line
		short := fmt.Sprintf("invalid kustomization: field %q has the wrong type", key.Value)
		if unknown {
			short = fmt.Sprintf("invalid kustomization: unknown field %q", key.Value)
			if s, ok := suggest.Nearest(key.Value, kustomizationFields); ok {
				short += fmt.Sprintf("; did you mean %q?", s)
			}
		}
		fe.Err = &kustomizeEntryError{short: short, raw: err.Error(), err: err}
		return fe
	}
	return fe
}

// unmatchedPatchRE finds the target of a patch that matches no resource.
var unmatchedPatchRE = regexp.MustCompile(`no resource matches strategic merge patch "([^"]+)"|failed to find unique target for patch ([^\s":]+)`)

// apiVersionError is a patch that matches nothing because the resource it
// targets changed its apiVersion in a file the build read: one mistake
// with the schema check's view of that file's apiVersion line (a removed
// API in another cluster using the same base), so it carries that Cause.
type apiVersionError struct {
	kustomizeEntryError
	cause string
}

// Cause names the edited apiVersion line (see report.APIVersionCause).
func (e *apiVersionError) Cause() string { return e.cause }

// locateChangedAPIVersion finds, for a patch that matches no resource, the
// document among the files the build read that has the patch's kind and
// name but another apiVersion: the line a person edited. nil when there is
// no such document (the patch's own name or kind is wrong).
func (r *renderer) locateChangedAPIVersion(fsys *overlayFS, err error, raw string) *FileError {
	m := unmatchedPatchRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	id := resid.FromString(m[1] + m[2])
	kind, name, want := id.Kind, id.Name, id.ApiVersion()
	if kind == "" || name == "" {
		return nil
	}
	inputs := fsys.inputs()
	patches := r.patchFiles(inputs)
	type spot struct {
		file string
		id   docID
	}
	var objs, misspelt, patchDocs []spot
	for _, rel := range inputs {
		if isKustomizationFile(rel) || !(strings.HasSuffix(rel, ".yaml") || strings.HasSuffix(rel, ".yml")) {
			continue
		}
		data, rerr := r.fs.ReadFile(rel)
		if rerr != nil {
			continue
		}
		docs, derr := workspace.DecodeNodes(data)
		if derr != nil {
			continue
		}
		for _, d := range docs {
			di, ok := docIdentity(d)
			switch {
			case !ok || di.name != name:
			case di.kind != kind:
				if _, near := suggest.Nearest(di.kind, []string{kind}); near && !patches[rel] {
					misspelt = append(misspelt, spot{rel, di})
				}
			case patches[rel]:
				if di.apiVersion == want {
					patchDocs = append(patchDocs, spot{rel, di})
				}
			case di.apiVersion == want:
				// the object the patch targets is there: it failed for
				// another reason (a namespace, a name prefix)
				return nil
			default:
				objs = append(objs, spot{rel, di})
			}
		}
	}
	if len(objs) == 0 && len(misspelt) == 1 {
		// `kind: Deploymnet`: the kind line is the edit
		o := misspelt[0]
		short := fmt.Sprintf("kind %q of %s: the patch for %s %s %s matches no resource; did you mean %q?", o.id.kind, name, want, kind, name, kind)
		return &FileError{File: o.file, Line: o.id.kindLine, Err: &apiVersionError{
			kustomizeEntryError: kustomizeEntryError{short: short, raw: raw, err: err},
			cause:               report.APIVersionCause(o.file, o.id.start),
		}}
	}
	if len(objs) != 1 {
		return nil
	}
	o := objs[0]
	switch stability(o.id.apiVersion) - stability(want) {
	case -1, -2:
		// the object went to a less stable version (apps/v1 -> apps/v1beta1):
		// its apiVersion line is the edit
		short := fmt.Sprintf("%s %s is %s here, so the patch for %s %s %s matches no resource (kustomize build fails)", kind, name, o.id.apiVersion, want, kind, name)
		return &FileError{File: o.file, Line: o.id.apiVersionLine, Err: &apiVersionError{
			kustomizeEntryError: kustomizeEntryError{short: short, raw: raw, err: err},
			cause:               report.APIVersionCause(o.file, o.id.start),
		}}
	case 1, 2:
		// the patch names a less stable version than the object's
		if len(patchDocs) != 1 {
			return nil
		}
		p := patchDocs[0]
		short := fmt.Sprintf("the patch targets %s %s %s, which matches no resource: it is %s in %s:%d; did you mean %q?", want, kind, name, o.id.apiVersion, o.file, o.id.apiVersionLine, o.id.apiVersion)
		return &FileError{File: p.file, Line: p.id.apiVersionLine, Err: &kustomizeEntryError{short: short, raw: raw, err: err}}
	}
	return nil
}

// stability ranks an apiVersion: 3 for GA (v1), 2 for beta, 1 for alpha.
func stability(apiVersion string) int {
	v := apiVersion[strings.LastIndex(apiVersion, "/")+1:]
	switch {
	case strings.Contains(v, "alpha"):
		return 1
	case strings.Contains(v, "beta"):
		return 2
	}
	return 3
}

// patchFiles are the files the kustomizations among inputs name as
// patches (patches, patchesStrategicMerge, patchesJson6902): a patch has
// the kind and name of its target, not its own object.
func (r *renderer) patchFiles(inputs []string) map[string]bool {
	out := map[string]bool{}
	for _, k := range inputs {
		if !isKustomizationFile(k) {
			continue
		}
		data, err := r.fs.ReadFile(k)
		if err != nil {
			continue
		}
		docs, err := workspace.DecodeNodes(data)
		if err != nil || len(docs) == 0 {
			continue
		}
		for _, field := range []string{"patches", "patchesStrategicMerge", "patchesJson6902"} {
			n := yamlChild(docs[0], field)
			if n == nil {
				continue
			}
			findScalar(n, field, path.Dir(k), func(dir, v string) bool {
				out[path.Clean(path.Join(dir, v))] = true
				return false
			})
		}
	}
	return out
}

// docID is the identity of a YAML document and the lines it is at.
type docID struct {
	apiVersion, kind, name          string
	start, apiVersionLine, kindLine int
}

// docIdentity reads a document's apiVersion, kind and metadata.name; false
// when it is not a mapping with a scalar kind and name.
func docIdentity(doc *yaml.Node) (docID, bool) {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return docID{}, false
	}
	id := docID{start: root.Line}
	if av := yamlChild(root, "apiVersion"); av != nil && av.Kind == yaml.ScalarNode {
		id.apiVersion, id.apiVersionLine = av.Value, av.Line
	}
	k := yamlChild(root, "kind")
	n := yamlChild(yamlChild(root, "metadata"), "name")
	if k == nil || n == nil || k.Kind != yaml.ScalarNode || n.Kind != yaml.ScalarNode {
		return docID{}, false
	}
	id.kind, id.kindLine, id.name = k.Value, k.Line, n.Value
	return id, true
}

// replicasKindRE is kustomize's replicas transformer failing on an object
// whose kind it cannot scale.
var replicasKindRE = regexp.MustCompile(`resource with name (\S+) does not match a config with the following GVK \[([^\]]*)\]`)

// locateReplicasKind finds, for a replicas entry whose object has a kind
// the replicas transformer cannot scale, the object's kind line among the
// files the build read when that kind is a misspelling of a scalable one
// (`kind: Deploymnet`). nil otherwise.
func (r *renderer) locateReplicasKind(fsys *overlayFS, err error, raw string) *FileError {
	m := replicasKindRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	name := m[1]
	var kinds []string
	for _, g := range strings.Fields(m[2]) {
		if k, _, _ := strings.Cut(g, "."); k != "" {
			kinds = append(kinds, k)
		}
	}
	inputs := fsys.inputs()
	patches := r.patchFiles(inputs)
	for _, rel := range inputs {
		if isKustomizationFile(rel) || patches[rel] || !(strings.HasSuffix(rel, ".yaml") || strings.HasSuffix(rel, ".yml")) {
			continue
		}
		data, rerr := r.fs.ReadFile(rel)
		if rerr != nil {
			continue
		}
		docs, derr := workspace.DecodeNodes(data)
		if derr != nil {
			continue
		}
		for _, d := range docs {
			n := yamlChild(yamlChild(d, "metadata"), "name")
			k := yamlChild(d, "kind")
			if n == nil || k == nil || n.Value != name || slices.Contains(kinds, k.Value) {
				continue
			}
			s, ok := suggest.Nearest(k.Value, kinds)
			if !ok {
				continue
			}
			short := fmt.Sprintf("kind %q of %s is not a kind replicas can scale; did you mean %q?", k.Value, name, s)
			return &FileError{File: rel, Line: k.Line, Err: &kustomizeEntryError{short: short, raw: raw, err: err}}
		}
	}
	return nil
}
