package yamlpos

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// valuesRefRE finds `.Values.a.b` references in a template line.
var valuesRefRE = regexp.MustCompile(`\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)

// ValuesKey is the values-file key that supplied a value to a template.
type ValuesKey struct {
	// File is the repo-relative values file; Line the key's 1-based line.
	File string
	Line int
	// Key is the dotted key path, e.g. "image.tag".
	Key string
	// Value is the key's scalar value as written ("" for a map or list).
	Value string
}

// ValuesKeyAt finds the values-file key that fed the template line
// template:line (repo-relative): the `.Values.x.y` the line reads, looked
// up in valuesFiles (lowest precedence first, as Helm merges them) from the
// last one back. It reports false when the line reads no value, or no
// values file sets it (the chart's own default, a --set parameter).
//
// Only a key holding the scalar value (as text) is returned, so a line that
// reads several values points at the one that was rendered.
func (ix *Index) ValuesKeyAt(root, template string, line int, valuesFiles []string, value string) (ValuesKey, bool) {
	if template == "" || line <= 0 || len(valuesFiles) == 0 {
		return ValuesKey{}, false
	}
	f := ix.load(root, template)
	if f == nil {
		return ValuesKey{}, false
	}
	text := ""
	if f.lines != nil {
		if line <= len(f.lines) {
			text = f.lines[line-1]
		}
	} else {
		return ValuesKey{}, false // a plain YAML file reads no values
	}
	for _, m := range valuesRefRE.FindAllStringSubmatch(text, -1) {
		key := strings.TrimPrefix(m[1], ".")
		if k, ok := ix.ValuesKeyLine(root, valuesFiles, strings.Split(key, ".")); ok && k.Value != "" && k.Value == value {
			return k, true
		}
	}
	return ValuesKey{}, false
}

// ValuesKeyLine finds the key path in the values files, the last (highest
// precedence) first; the whole path must be there.
func (ix *Index) ValuesKeyLine(root string, valuesFiles []string, path []string) (ValuesKey, bool) {
	for i := len(valuesFiles) - 1; i >= 0; i-- {
		vf := valuesFiles[i]
		if strings.Contains(vf, "://") {
			continue
		}
		f := ix.load(root, vf)
		if f == nil || len(f.docs) == 0 {
			continue
		}
		n := f.docs[0].root
		for _, p := range path {
			if n = child(n, p); n == nil {
				break
			}
		}
		if n == nil {
			continue
		}
		k := ValuesKey{File: vf, Line: keyLine(f.docs[0].root, path), Key: strings.Join(path, ".")}
		if n = resolveAlias(n); n.Kind == yaml.ScalarNode {
			k.Value = n.Value
		}
		return k, true
	}
	return ValuesKey{}, false
}

// keyLine is the line of the last key of path (which exists) under m.
func keyLine(m *yaml.Node, path []string) int {
	line := 0
	for _, p := range path {
		m = resolveAlias(m)
		if m.Kind != yaml.MappingNode {
			return line
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == p {
				line = m.Content[i].Line
				m = m.Content[i+1]
				break
			}
		}
	}
	return line
}
