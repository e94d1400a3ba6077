package validate

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/suggest"
)

// ArgoFields is the result of ArgoUnknownFields.
type ArgoFields struct {
	// Findings are the unknown fields, one per key, at the key's line.
	Findings []report.Finding
	// Checked are the files whose argoproj.io Applications and
	// ApplicationSets were checked: the schema check of the rendered
	// output leaves their unknown fields to these findings.
	Checked map[string]bool
	// unknown holds file, object name and dotted path of every reported
	// key, so that the rendered output's "missing required field" of a
	// misspelt key is not reported a second time.
	unknown map[string]bool
}

// argoKinds are the Argo CD kinds read from the repo's files.
var argoKinds = []string{"Application", "ApplicationSet"}

// ArgoUnknownFields reports the fields of the Applications and
// ApplicationSets in the repo's YAML files that Argo CD's CRDs (from the
// embedded catalog) do not declare: Argo CD decodes these objects into its
// Go types and silently drops such a field, so a misspelt `projet:` or
// `valueFile:` does nothing. Fields under x-kubernetes-preserve-unknown-fields
// (helm.valuesObject, generator templates' free-form parts) are free-form
// and never reported; keys starting with "$" (strategic-merge directives of
// a patch) are skipped. Files inside a Helm chart (templates) and documents
// that do not parse are left to the other checks. strict chooses the rule:
// schema/invalid (error) or, with strict validation off,
// schema/pruned-field (warning), as for any other kind.
func ArgoUnknownFields(files []string, read func(rel string) ([]byte, error), strict bool) ArgoFields {
	return ArgoUnknownFieldsCached(files, read, nil, strict, nil)
}

// ArgoUnknownFieldsCached is ArgoUnknownFields keeping its results in the
// verdict store: one entry per directory, keyed by the names and content
// hashes (hash: the workspace's git blob ids) of the directory's checked
// files, strictness and the embedded catalog, so that a rerun over
// unchanged files neither loads the catalog nor parses them. Files hash
// cannot answer for are checked on every run; a nil store or hash keeps
// nothing.
func ArgoUnknownFieldsCached(files []string, read func(rel string) ([]byte, error), hash func(rel string) (string, bool), strict bool, store *rendercache.Verdicts) ArgoFields {
	out := ArgoFields{Checked: map[string]bool{}, unknown: map[string]bool{}}
	var charts []string
	for _, f := range files {
		if path.Base(f) == "Chart.yaml" {
			charts = append(charts, path.Dir(f))
		}
	}
	inChart := func(f string) bool {
		for _, c := range charts {
			if c == "." || strings.HasPrefix(f, c+"/") {
				return true
			}
		}
		return false
	}
	var todo []string
	for _, f := range files {
		switch strings.ToLower(path.Ext(f)) {
		case ".yaml", ".yml":
		default:
			continue
		}
		if dir := path.Dir(f); dir != "." && slices.ContainsFunc(strings.Split(dir, "/"), func(d string) bool { return strings.HasPrefix(d, ".") }) {
			continue
		}
		if inChart(f) {
			continue
		}
		todo = append(todo, f)
	}
	var cat *crdCatalog
	catErr := false
	check := func(f string) (argoFile, bool) {
		data, err := read(f)
		if err != nil {
			return argoFile{}, false
		}
		if !bytes.Contains(data, []byte("argoproj.io/")) {
			return argoFile{}, true
		}
		if cat == nil && !catErr {
			if cat, err = loadCRDCatalog(); err != nil {
				catErr = true
			}
		}
		if catErr {
			return argoFile{}, false
		}
		return argoCheckFile(cat, f, data, strict), true
	}
	results := make(map[string]argoFile, len(todo))
	if store == nil || hash == nil {
		for _, f := range todo {
			results[f], _ = check(f)
		}
	} else {
		argoCached(todo, hash, strict, store, check, results)
	}
	for _, f := range todo {
		r := results[f]
		if r.checked {
			out.Checked[f] = true
		}
		for _, u := range r.unknown {
			out.unknown[u] = true
		}
		out.Findings = append(out.Findings, r.findings...)
	}
	sort.SliceStable(out.Findings, func(i, j int) bool {
		a, b := out.Findings[i], out.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return out
}

// argoFile is what ArgoUnknownFields found in one file.
type argoFile struct {
	// checked: the file holds an Application or ApplicationSet the
	// catalog has a schema of
	checked  bool
	findings []report.Finding
	// unknown are the argoKeys of the reported keys
	unknown []string
}

// argoCheckFile checks the Applications and ApplicationSets of file f
// (its content data) against the catalog's schemas.
func argoCheckFile(cat *crdCatalog, f string, data []byte, strict bool) argoFile {
	var out argoFile
	chunks := []Chunk{{Data: data, Line: 1}}
	if bytes.Contains(data, []byte("---")) {
		chunks = SplitDocuments(data) // one Application a file needs no split
	}
	for _, c := range chunks {
		if !bytes.Contains(c.Data, []byte("argoproj.io/")) {
			continue
		}
		for _, d := range ParseChunk(c, false) {
			if d.Err != nil || d.node == nil {
				continue
			}
			av, _ := d.Object["apiVersion"].(string)
			k, _ := d.Object["kind"].(string)
			if !strings.HasPrefix(av, "argoproj.io/") || !slices.Contains(argoKinds, k) {
				continue
			}
			s, ok, err := cat.schema(av, k)
			if err != nil || !ok || s.Schema == nil {
				continue
			}
			out.checked = true
			ref := objectRef(d.Object)
			var w argoWalker
			w.walk(d.node, s.Schema, nil)
			for _, u := range w.found {
				out.unknown = append(out.unknown, argoKey(f, ref.Name, u.path))
				field := formatKeyPath(u.path)
				msg := fmt.Sprintf("%s: unknown field %q, which Argo CD ignores", field, u.path[len(u.path)-1])
				if u.suggestion != "" {
					msg += fmt.Sprintf("; did you mean %q?", u.suggestion)
				}
				rule, sev := report.RuleSchemaInvalid, report.SeverityError
				if !strict {
					rule, sev = report.RuleSchemaPrunedField, report.SeverityWarning
					msg += " (strict validation would reject it)"
				}
				msg += " (schema: " + s.Source + ")"
				out.findings = append(out.findings, report.Finding{Rule: rule, Severity: sev, File: f,
					Line: u.line + d.offset, Resource: ref, Message: msg})
			}
		}
	}
	return out
}

// covers reports whether the file check already stands for problem p of
// the rendered object obj from file: an unknown field of an Argo CD object
// of a checked file, or a required field whose misspelt key it reported.
func (a ArgoFields) covers(file string, obj map[string]any, p Problem) bool {
	if !a.Checked[file] || !IsArgoObject(obj) {
		return false
	}
	if p.unknown {
		return true
	}
	rest, ok := strings.CutPrefix(p.Message, "missing required field ")
	if !ok {
		return false
	}
	q, err := strconv.QuotedPrefix(rest) // the message may go on: " (schema: ...)"
	if err != nil {
		return false
	}
	name, err := strconv.Unquote(q)
	if err != nil {
		return false
	}
	parent, _ := valueAt(obj, p.Path).(map[string]any)
	ref := objectRef(obj)
	for k := range parent {
		if s, ok := suggest.Nearest(k, []string{name}); ok && s == name &&
			a.unknown[argoKey(file, ref.Name, append(slices.Clone(p.Path), k))] {
			return true
		}
	}
	return false
}

// IsArgoObject reports whether obj is an argoproj.io Application or
// ApplicationSet.
func IsArgoObject(obj map[string]any) bool {
	av, _ := obj["apiVersion"].(string)
	k, _ := obj["kind"].(string)
	return strings.HasPrefix(av, "argoproj.io/") && slices.Contains(argoKinds, k)
}

func argoKey(file, name string, p []string) string {
	return file + "\x00" + name + "\x00" + strings.Join(p, "\x00")
}

// formatKeyPath renders a path of keys and list indexes:
// spec.sources[1].helm.valueFile.
func formatKeyPath(p []string) string {
	var b strings.Builder
	for _, e := range p {
		if _, err := strconv.Atoi(e); err == nil {
			b.WriteString("[" + e + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e)
	}
	return b.String()
}

// argoUnknown is one undeclared key.
type argoUnknown struct {
	path       []string
	line       int
	suggestion string
}

// argoWalker walks a YAML node along a converted CRD schema.
type argoWalker struct {
	found []argoUnknown
}

// walk reports the keys of mapping nodes that a schema closed by
// additionalProperties: false does not declare, and descends into declared
// properties, list items and additionalProperties schemas.
func (w *argoWalker) walk(n *yaml.Node, s map[string]any, p []string) {
	if n == nil || s == nil || len(p) > 64 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		props, _ := s["properties"].(map[string]any)
		// an object that declares no field (metadata: ObjectMeta is
		// validated by the built-in schemas) is not judged here
		closed := s["additionalProperties"] == false && len(props) > 0 && !(len(p) == 1 && p[0] == "metadata")
		addl, _ := s["additionalProperties"].(map[string]any)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" || strings.HasPrefix(k.Value, "$") ||
				strings.Contains(k.Value, "{{") || strings.Contains(k.Value, "${") {
				continue // a merge key, a patch directive, a key some tool fills in
			}
			kp := append(slices.Clone(p), k.Value)
			if ps, ok := props[k.Value].(map[string]any); ok {
				w.walk(v, ps, kp)
				continue
			}
			if addl != nil {
				w.walk(v, addl, kp)
				continue
			}
			if closed {
				u := argoUnknown{path: kp, line: k.Line}
				names := make([]string, 0, len(props))
				for name := range props {
					if !hasKey(n, name) {
						names = append(names, name) // a key already set is no suggestion
					}
				}
				u.suggestion, _ = suggest.Nearest(k.Value, names)
				w.found = append(w.found, u)
			}
		}
	case yaml.SequenceNode:
		items, _ := s["items"].(map[string]any)
		for i, c := range n.Content {
			w.walk(c, items, append(slices.Clone(p), strconv.Itoa(i)))
		}
	}
}

// hasKey reports whether mapping node n has the key name.
func hasKey(n *yaml.Node, name string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return true
		}
	}
	return false
}
