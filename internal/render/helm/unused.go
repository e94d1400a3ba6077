package helm

import (
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/render-check/render-check/internal/suggest"
	"github.com/render-check/render-check/internal/workspace"

	"github.com/render-check/render-check/internal/rootfs"
)

// UnusedValue is a key of a values file that no template of the chart reads
// (most often a misspelled key: `replicaCont: 5`).
type UnusedValue struct {
	// File is the repo-relative values file; Line the key's 1-based line.
	File string
	Line int
	// Key is the dotted key path.
	Key string
	// Suggestion is the nearest key the chart does read ("" if none is close).
	Suggestion string
}

var (
	// valuesPathRE is a `.Values.a.b` reference.
	valuesPathRE = regexp.MustCompile(`\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)
	// valuesAnyRE is any use of .Values, also as a whole (`toYaml .Values`,
	// `index .Values "k"`) which could read any key.
	valuesAnyRE = regexp.MustCompile(`\.Values\b`)
	identRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ValuesReads is what a chart and its subcharts read of .Values: the key
// paths of `.Values.a.b` references, and the top-level keys that count as
// read whatever is under them (global, subchart names and aliases).
type ValuesReads struct {
	refs, skip map[string]bool
}

// chartReads collects what ch reads of .Values. It is deliberately
// conservative, since a false warning costs more than a missed one: it
// returns nil (nothing can be called unused) when the chart uses .Values as
// a whole anywhere (toYaml .Values, index .Values "k", passing .Values to a
// helper) or imports values from subcharts.
func chartReads(ch *chart.Chart) *ValuesReads {
	v := &ValuesReads{refs: map[string]bool{}, skip: map[string]bool{"global": true}}
	ok := true
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		if c.Metadata != nil {
			for _, d := range c.Metadata.Dependencies {
				if d == nil {
					continue
				}
				v.skip[d.Name] = true
				if d.Alias != "" {
					v.skip[d.Alias] = true
				}
				if len(d.ImportValues) > 0 {
					ok = false
				}
			}
		}
		for _, files := range [][]*chart.File{c.Templates, c.Files} {
			for _, f := range files {
				text := string(f.Data)
				all := len(valuesAnyRE.FindAllStringIndex(text, -1))
				paths := valuesPathRE.FindAllStringSubmatch(text, -1)
				if all != len(paths) {
					ok = false // .Values used as a whole
				}
				for _, m := range paths {
					v.refs[strings.TrimPrefix(m[1], ".")] = true
				}
			}
		}
		for _, d := range c.Dependencies() {
			v.skip[d.Name()] = true
			walk(d)
		}
	}
	walk(ch)
	if !ok {
		return nil
	}
	return v
}

// Unused lists the keys of a values mapping (a document or mapping node,
// in file; lines are the node's plus offset) that the chart never reads:
// the shallowest unread key of each branch, with the nearest read key as
// suggestion. A key counts as read when any reference is inside it or
// above it (`toYaml .Values.resources` reads every key under resources).
// A nil ValuesReads reports nothing.
func (v *ValuesReads) Unused(n *yaml.Node, file string, offset int) []UnusedValue {
	if v == nil || n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	var out []UnusedValue
	unusedIn(n, nil, v.refs, v.skip, func(key []string, line int) {
		out = append(out, UnusedValue{File: file, Line: line + offset, Key: strings.Join(key, "."), Suggestion: suggestKey(key, v.refs)})
	})
	return out
}

// unusedValues lists the keys of the given values files (repo-relative,
// under root, outside the chart's own directory) that no file of the chart
// or its subcharts reads (see chartReads and Unused); a values file that
// holds a template (read by tpl) is skipped.
func unusedValues(reads *ValuesReads, root, chartDir string, valueFiles []string) []UnusedValue {
	if reads == nil {
		return nil
	}
	// values files are read through the rooted filesystem, like the
	// render itself: a symlink out of the repo is never followed
	fsys, err := rootfs.Open(root)
	if err != nil {
		return nil
	}
	defer fsys.Close()
	var out []UnusedValue
	for _, vf := range valueFiles {
		if strings.Contains(vf, "://") || path.IsAbs(vf) || strings.HasPrefix(vf, "../") {
			continue
		}
		abs := filepath.Join(root, filepath.FromSlash(vf))
		if chartDir != "" && strictlyInside(chartDir, abs) {
			continue // the chart's own defaults
		}
		data, err := fsys.ReadFile(abs)
		if err != nil || strings.Contains(string(data), "{{") {
			continue
		}
		docs, err := workspace.DecodeNodes(data)
		if err != nil || len(docs) == 0 {
			continue
		}
		out = append(out, reads.Unused(docs[0], vf, 0)...)
	}
	return out
}

// unusedIn walks a values mapping, calling report for each shallowest key
// that no reference reads.
func unusedIn(m *yaml.Node, prefix []string, refs, skip map[string]bool, report func([]string, int)) {
	if m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			continue
		}
		key := append(slices.Clone(prefix), k.Value)
		if len(prefix) == 0 && skip[k.Value] {
			continue
		}
		if !identRE.MatchString(k.Value) {
			continue // only `index` can read it: counted as read
		}
		p := strings.Join(key, ".")
		read, deeper := false, false
		for r := range refs {
			switch {
			case r == p || strings.HasPrefix(p, r+"."):
				read = true
			case strings.HasPrefix(r, p+"."):
				deeper = true
			}
		}
		switch {
		case read:
		case deeper:
			unusedIn(m.Content[i+1], key, refs, skip, report)
		default:
			report(key, k.Line)
		}
	}
}

// suggestKey finds the read key nearest to the last element of key, among
// those at the same place.
func suggestKey(key []string, refs map[string]bool) string {
	prefix := strings.Join(key[:len(key)-1], ".")
	var cands []string
	for r := range refs {
		rest := r
		if prefix != "" {
			var ok bool
			if rest, ok = strings.CutPrefix(r, prefix+"."); !ok {
				continue
			}
		}
		first, _, _ := strings.Cut(rest, ".")
		cands = append(cands, first)
	}
	s, _ := suggest.Nearest(key[len(key)-1], cands)
	return s
}
