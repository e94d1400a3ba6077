package render

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/types"

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
		if m, ok := suggest.Path(r.repo.Root, missing); ok {
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
		data, rerr := os.ReadFile(r.repo.Abs(k))
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
