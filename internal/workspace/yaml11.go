package workspace

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml11Bools are the plain scalars YAML 1.1 (kubectl, sigs.k8s.io/yaml)
// reads as booleans and YAML 1.2 as strings (true/false are booleans in both).
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// applicationBoolFields are the boolean fields of the Application CRD, by
// key: a YAML 1.1 boolean there is what the author meant.
var applicationBoolFields = map[string]bool{
	"prune": true, "selfHeal": true, "allowEmpty": true, "enabled": true, "refresh": true,
	"passCredentials": true, "ignoreMissingValueFiles": true, "skipCrds": true, "skipTests": true,
	"skipSchemaValidation": true, "forceString": true, "forceCommonLabels": true,
	"forceCommonAnnotations": true, "commonAnnotationsEnvsubst": true, "labelWithoutSelector": true,
	"labelIncludeTemplates": true, "ignoreMissingComponents": true, "recurse": true,
	"disableExtensionFilter": true, "code": true, "preserveResourcesOnDeletion": true,
}

// yaml11Problems reports the string fields of one Application document
// holding a plain scalar that kubectl would turn into a boolean. Free-form
// subtrees (helm valuesObject, kustomize patch options) are left alone: the
// API server accepts a boolean there.
func yaml11Problems(cluster, file string, doc *yaml.Node) []Problem {
	var out []Problem
	var walk func(n *yaml.Node, path []string)
	walk = func(n *yaml.Node, path []string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, val := n.Content[i].Value, n.Content[i+1]
				if key == "valuesObject" || key == "options" {
					continue
				}
				walk(val, append(path, key))
			}
		case yaml.ScalarNode:
			b, ok := yaml11Bool(n)
			if !ok || len(path) == 0 || applicationBoolFields[path[len(path)-1]] {
				return
			}
			out = append(out, Problem{
				Kind: ProblemYAML11Boolean, Cluster: cluster, File: file, Line: n.Line,
				Message: fmt.Sprintf("%s: %s is the boolean %v for kubectl (YAML 1.1), and the API server rejects the Application: quote it (%q)",
					strings.Join(path, "."), n.Value, b, n.Value),
			})
		}
	}
	walk(doc, nil)
	return out
}

// applyYAML11Booleans gives the decoded Application the values kubectl
// would send where the API server accepts them: a y/yes/on/n/no/off plain
// scalar becomes a boolean in the CRD's boolean fields and anywhere under a
// free-form valuesObject. (In string fields it stays a string here; that
// case is a yaml11Problems problem.)
func applyYAML11Booleans(n *yaml.Node, v any, free bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			applyYAML11Booleans(n.Content[0], v, free)
		}
	case yaml.MappingNode:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i].Value, n.Content[i+1]
			if b, ok := yaml11Bool(val); ok && (free || applicationBoolFields[k]) {
				if _, exists := m[k]; exists {
					m[k] = b
				}
				continue
			}
			applyYAML11Booleans(val, m[k], free || k == "valuesObject")
		}
	case yaml.SequenceNode:
		l, ok := v.([]any)
		if !ok || len(l) != len(n.Content) {
			return
		}
		for i, c := range n.Content {
			if b, ok := yaml11Bool(c); ok && free {
				l[i] = b
				continue
			}
			applyYAML11Booleans(c, l[i], free)
		}
	}
}

// copyJSON deep-copies a JSON-compatible value (maps and slices), so that
// a shared parsed document is never modified.
func copyJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = copyJSON(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = copyJSON(e)
		}
		return l
	}
	return v
}

// yaml11Bool is the YAML 1.1 boolean of a plain scalar that YAML 1.2 reads
// as a string.
func yaml11Bool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Style != 0 || n.Tag != "!!str" {
		return false, false
	}
	b, ok := yaml11Bools[n.Value]
	return b, ok
}
