// Package openapi converts the Kubernetes OpenAPI v3 documents (one per
// group-version, as in k8s.io/kubernetes api/openapi-spec/v3) into strict
// draft-04 JSON schemas for package validate's embedded schemas.
//
// Conversion rules:
//   - descriptions, defaults, formats and x-kubernetes-* annotations are dropped;
//   - objects with properties get additionalProperties: false unless they carry
//     x-kubernetes-preserve-unknown-fields;
//   - optional (not required) fields also accept null, as the API server does;
//     a referenced definition that is an object or a string accepts null
//     everywhere it is used, since draft-04 ignores siblings of $ref;
//   - IntOrString and Quantity (oneOf of plain types) become a type list;
//   - references stay references into one shared "definitions" map, so
//     recursive types (JSONSchemaProps) need no special case.
package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Kind is one group/version/kind the API server serves.
type Kind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
	// Definition names the kind's schema in Set.Definitions.
	Definition string `json:"definition"`
	// Namespaced tells the kind's scope; nil when the document does not say.
	Namespaced *bool `json:"namespaced,omitempty"`
}

// APIVersion returns "group/version", or "version" for the core group.
func (k Kind) APIVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// Set is the converted schemas of one Kubernetes minor.
type Set struct {
	// Kinds are sorted by group, version, kind.
	Kinds []Kind
	// Definitions holds every schema reachable from Kinds, referenced as
	// "#/definitions/<name>".
	Definitions map[string]any
}

// RefPrefix is how converted schemas reference each other.
const RefPrefix = "#/definitions/"

const v3RefPrefix = "#/components/schemas/"

type document struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

type gvk struct{ Group, Version, Kind string }

// Convert converts the documents (file name -> content) of one minor. File
// names follow api/openapi-spec/v3: api__v1_openapi.json,
// apis__apps__v1_openapi.json; other files are ignored.
func Convert(docs map[string][]byte) (*Set, error) {
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	slices.Sort(names)
	raw := map[string]map[string]any{}
	kinds := map[gvk]string{}
	scopes := map[gvk]bool{}
	for _, n := range names {
		group, version, ok := groupVersion(n)
		if !ok {
			continue
		}
		var d document
		if err := json.Unmarshal(docs[n], &d); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for name, s := range d.Components.Schemas {
			raw[name] = s
			if strings.HasPrefix(name, "io.k8s.apimachinery.pkg.apis.meta.") {
				continue
			}
			for _, g := range gvks(s) {
				if g.Group == group && g.Version == version {
					kinds[g] = name
				}
			}
		}
		scopeFromPaths(d.Paths, group, version, scopes)
	}
	set := &Set{Definitions: map[string]any{}}
	for g, def := range kinds {
		k := Kind{Group: g.Group, Version: g.Version, Kind: g.Kind, Definition: def}
		if ns, ok := scopes[g]; ok {
			k.Namespaced = &ns
		}
		set.Kinds = append(set.Kinds, k)
	}
	slices.SortFunc(set.Kinds, func(a, b Kind) int {
		return strings.Compare(a.Group+"\x00"+a.Version+"\x00"+a.Kind, b.Group+"\x00"+b.Version+"\x00"+b.Kind)
	})
	// Convert every definition reachable from a kind.
	queue := []string{}
	for _, k := range set.Kinds {
		queue = append(queue, k.Definition)
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		s, ok := raw[name]
		if !ok {
			return nil, fmt.Errorf("definition %s is referenced but not defined", name)
		}
		c := &converter{}
		out := c.convert(s, false)
		out = nullableDefinition(out)
		set.Definitions[name] = out
		queue = append(queue, c.refs...)
	}
	return set, nil
}

// groupVersion parses "apis__apps__v1_openapi.json" or "api__v1_openapi.json".
func groupVersion(file string) (group, version string, ok bool) {
	base, ok := strings.CutSuffix(file, "_openapi.json")
	if !ok {
		return "", "", false
	}
	parts := strings.Split(base, "__")
	switch {
	case len(parts) == 2 && parts[0] == "api":
		return "", parts[1], true
	case len(parts) == 3 && parts[0] == "apis":
		return parts[1], parts[2], true
	}
	return "", "", false
}

func gvks(s map[string]any) []gvk {
	list, _ := s["x-kubernetes-group-version-kind"].([]any)
	var out []gvk
	for _, e := range list {
		m, _ := e.(map[string]any)
		g, _ := m["group"].(string)
		v, _ := m["version"].(string)
		k, _ := m["kind"].(string)
		if v != "" && k != "" {
			out = append(out, gvk{g, v, k})
		}
	}
	return out
}

// scopeFromPaths records, for each kind with a create/read/update path of its
// own (not a subresource), whether that path is under namespaces/{namespace}.
func scopeFromPaths(paths map[string]map[string]json.RawMessage, group, version string, scopes map[gvk]bool) {
	prefix := "/apis/" + group + "/" + version + "/"
	if group == "" {
		prefix = "/api/" + version + "/"
	}
	for p, ops := range paths {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		segs := strings.Split(rest, "/")
		namespaced := false
		if len(segs) > 2 && segs[0] == "namespaces" && segs[1] == "{namespace}" {
			segs, namespaced = segs[2:], true
		}
		if len(segs) == 0 || len(segs) > 2 || (len(segs) == 2 && segs[1] != "{name}") || strings.HasPrefix(segs[0], "{") {
			continue
		}
		for _, raw := range ops {
			var op struct {
				Action string `json:"x-kubernetes-action"`
				GVK    *gvk   `json:"x-kubernetes-group-version-kind"`
			}
			if json.Unmarshal(raw, &op) != nil || op.GVK == nil {
				continue
			}
			switch op.Action {
			case "post", "put", "get", "patch", "delete":
			default:
				continue
			}
			if op.GVK.Group == group && op.GVK.Version == version {
				scopes[*op.GVK] = namespaced
			}
		}
	}
}

type converter struct{ refs []string }

// convert converts one schema; optional means the field may be null.
func (c *converter) convert(s map[string]any, optional bool) map[string]any {
	if ref := refOf(s); ref != "" {
		c.refs = append(c.refs, ref)
		return map[string]any{"$ref": RefPrefix + ref}
	}
	out := map[string]any{}
	if types := plainOneOf(s); types != nil {
		if optional {
			types = append(types, "null")
		}
		out["type"] = types
		return out
	}
	typ, _ := s["type"].(string)
	if typ != "" {
		if optional {
			out["type"] = []any{typ, "null"}
		} else {
			out["type"] = typ
		}
	}
	required := map[string]bool{}
	if req, ok := s["required"].([]any); ok && len(req) > 0 {
		out["required"] = req
		for _, r := range req {
			if rs, ok := r.(string); ok {
				required[rs] = true
			}
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		cp := map[string]any{}
		for name, p := range props {
			if pm, ok := p.(map[string]any); ok {
				cp[name] = c.convert(pm, !required[name])
			}
		}
		out["properties"] = cp
	}
	if items, ok := s["items"].(map[string]any); ok {
		out["items"] = c.convert(items, false)
	}
	preserve, _ := s["x-kubernetes-preserve-unknown-fields"].(bool)
	switch ap := s["additionalProperties"].(type) {
	case map[string]any:
		out["additionalProperties"] = c.convert(ap, false)
	case bool:
		out["additionalProperties"] = ap
	default:
		if _, hasProps := out["properties"]; hasProps && !preserve {
			out["additionalProperties"] = false
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		e := slices.Clone(enum)
		if optional {
			e = append(e, nil)
		}
		out["enum"] = e
	}
	return out
}

// refOf returns the definition name of {"$ref"} or {"allOf": [{"$ref"}]}.
func refOf(s map[string]any) string {
	if r, ok := s["$ref"].(string); ok {
		return strings.TrimPrefix(r, v3RefPrefix)
	}
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		if m, ok := all[0].(map[string]any); ok {
			if r, ok := m["$ref"].(string); ok {
				return strings.TrimPrefix(r, v3RefPrefix)
			}
		}
	}
	return ""
}

// plainOneOf returns the types of a oneOf made only of {"type": T}
// (IntOrString, Quantity), else nil.
func plainOneOf(s map[string]any) []any {
	one, ok := s["oneOf"].([]any)
	if !ok || len(one) == 0 {
		return nil
	}
	var types []any
	for _, o := range one {
		m, ok := o.(map[string]any)
		if !ok || len(m) != 1 {
			return nil
		}
		t, ok := m["type"].(string)
		if !ok {
			return nil
		}
		types = append(types, t)
	}
	return types
}

// nullableDefinition lets a referenced definition accept null: draft-04
// ignores keywords next to $ref, so the use site cannot add it.
func nullableDefinition(s map[string]any) map[string]any {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []any{t, "null"}
	case []any:
		if !slices.Contains(t, any("null")) {
			s["type"] = append(t, "null")
		}
	}
	return s
}
