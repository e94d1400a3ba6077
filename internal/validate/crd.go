package validate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// CRDSchema is the draft-04 schema of one served version of a custom
// resource, converted from a CustomResourceDefinition.
type CRDSchema struct {
	// APIVersion is group/version of the served version.
	APIVersion string
	// Kind is spec.names.kind.
	Kind string
	// Namespaced is false for scope: Cluster.
	Namespaced bool
	// Schema is the strict draft-04 JSON schema; nil when the CRD has no
	// schema for the version (then anything is accepted).
	Schema map[string]any
	// Source names where the CRD came from ("file:line" or a description).
	Source string
	// Cite adds Source to the findings of the resources it judges: set for
	// CRDs a person cannot find in the repo or the output (a chart's crds/
	// left unrendered).
	Cite bool
	// StatusSubresource is true when the version enables the status
	// subresource: the API server then ignores status on writes to the
	// resource, so the schema accepts any status.
	StatusSubresource bool
}

// CRDError is a CustomResourceDefinition that cannot be converted.
type CRDError struct {
	// Name is the CRD's metadata.name.
	Name string
	// Reason says what is wrong.
	Reason string
}

func (e *CRDError) Error() string {
	return fmt.Sprintf("CustomResourceDefinition %s: %s", e.Name, e.Reason)
}

// IsCRD reports whether obj is a CustomResourceDefinition.
func IsCRD(obj map[string]any) bool {
	k, _ := obj["kind"].(string)
	av, _ := obj["apiVersion"].(string)
	_, patch := obj["$patch"] // a kustomize patch ($patch: delete) names a CRD, it defines none
	return k == "CustomResourceDefinition" && strings.HasPrefix(av, "apiextensions.k8s.io/") && !patch
}

// ConvertCRD converts every served version of a CustomResourceDefinition
// (apiextensions.k8s.io/v1 or v1beta1) into a strict draft-04 schema that
// judges a custom resource as the API server does:
//   - objects reject unknown fields unless x-kubernetes-preserve-unknown-fields;
//   - nullable: true also accepts null; a field that is not nullable accepts
//     null too, since the server prunes it before validating (or defaults
//     it), unless the field is required and has no default;
//   - a required field with a default is not required (the server defaults it);
//   - x-kubernetes-int-or-string accepts an integer or a string;
//   - x-kubernetes-embedded-resource objects require apiVersion and kind and
//     accept metadata;
//   - apiVersion, kind and metadata are always allowed at the root;
//   - with the status subresource, any status is accepted (the server
//     ignores it on writes to the resource);
//   - oneOf is judged as anyOf, and a not whose constraints were all dropped
//     is left out: formats and CEL rules are not applied, so exactness
//     would give false findings;
//   - descriptions, formats, defaults, CEL rules are dropped, as are patterns
//     Go's regexp cannot compile (ECMA-262 lookarounds).
func ConvertCRD(obj map[string]any) ([]CRDSchema, error) {
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return nil, &CRDError{Name: name, Reason: "no spec"}
	}
	group, _ := spec["group"].(string)
	names, _ := spec["names"].(map[string]any)
	kind, _ := names["kind"].(string)
	if group == "" || kind == "" {
		return nil, &CRDError{Name: name, Reason: "spec.group and spec.names.kind are required"}
	}
	scope, _ := spec["scope"].(string)
	namespaced := scope != "Cluster"
	var topSchema map[string]any
	if v, ok := spec["validation"].(map[string]any); ok { // v1beta1
		topSchema, _ = v["openAPIV3Schema"].(map[string]any)
	}
	var out []CRDSchema
	versions, _ := spec["versions"].([]any)
	if len(versions) == 0 {
		if v, ok := spec["version"].(string); ok && v != "" { // v1beta1 single version
			versions = []any{map[string]any{"name": v, "served": true}}
		}
	}
	for _, ve := range versions {
		vm, ok := ve.(map[string]any)
		if !ok {
			continue
		}
		vname, _ := vm["name"].(string)
		if served, ok := vm["served"].(bool); ok && !served {
			continue
		}
		if vname == "" {
			continue
		}
		s := topSchema
		if sc, ok := vm["schema"].(map[string]any); ok {
			if o, ok := sc["openAPIV3Schema"].(map[string]any); ok {
				s = o
			}
		}
		cs := CRDSchema{APIVersion: group + "/" + vname, Kind: kind, Namespaced: namespaced}
		sub, _ := vm["subresources"].(map[string]any)
		if sub == nil {
			sub, _ = spec["subresources"].(map[string]any) // v1beta1
		}
		if _, ok := sub["status"]; ok {
			cs.StatusSubresource = true
		}
		if s != nil {
			conv := convertCRDSchema(s, false, true)
			addRootFields(conv)
			if cs.StatusSubresource {
				conv["properties"].(map[string]any)["status"] = map[string]any{}
			}
			cs.Schema = conv
		}
		out = append(out, cs)
	}
	if len(out) == 0 {
		return nil, &CRDError{Name: name, Reason: "no served version"}
	}
	return out, nil
}

// copied keywords: value validations kept as they are.
var crdKeywords = []string{"enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
	"minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "multipleOf", "minProperties", "maxProperties", "required"}

// convertCRDSchema converts one structural schema node. inJunctor is true
// below allOf/anyOf/oneOf/not, where a schema only restricts values and must
// not reject fields; strict makes objects reject unknown fields.
func convertCRDSchema(s map[string]any, inJunctor, strict bool) map[string]any {
	out := map[string]any{}
	for _, k := range crdKeywords {
		if v, ok := s[k]; ok {
			out[k] = v
		}
	}
	if p, ok := out["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			delete(out, "pattern")
		}
	}
	nullable, _ := s["nullable"].(bool)
	intOrString, _ := s["x-kubernetes-int-or-string"].(bool)
	preserve, _ := s["x-kubernetes-preserve-unknown-fields"].(bool)
	embedded, _ := s["x-kubernetes-embedded-resource"].(bool)
	typ, _ := s["type"].(string)
	var types []any
	switch {
	case intOrString:
		types = []any{"integer", "string"}
	case typ != "":
		types = []any{typ}
	}
	if nullable && len(types) > 0 {
		types = append(types, "null")
	}
	if nullable {
		if e, ok := out["enum"].([]any); ok && !slices.Contains(e, nil) {
			out["enum"] = append(slices.Clone(e), nil)
		}
	}
	switch len(types) {
	case 0:
	case 1:
		out["type"] = types[0]
	default:
		out["type"] = types
	}
	required, _ := out["required"].([]any)
	if props, ok := s["properties"].(map[string]any); ok {
		cp := make(map[string]any, len(props))
		for n, p := range props {
			if pm, ok := p.(map[string]any); ok {
				c := convertCRDSchema(pm, inJunctor, strict && !preserve)
				_, hasDefault := pm["default"]
				if hasDefault || !slices.Contains(required, any(n)) {
					acceptNull(c)
				}
				cp[n] = c
			}
		}
		out["properties"] = cp
		if len(required) > 0 {
			// a missing field with a default is defaulted before validation
			kept := slices.DeleteFunc(slices.Clone(required), func(r any) bool {
				name, _ := r.(string)
				pm, _ := props[name].(map[string]any)
				_, hasDefault := pm["default"]
				return hasDefault
			})
			if len(kept) == 0 {
				delete(out, "required")
			} else {
				out["required"] = kept
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		out["items"] = convertCRDSchema(items, inJunctor, strict)
	}
	switch ap := s["additionalProperties"].(type) {
	case map[string]any:
		c := convertCRDSchema(ap, inJunctor, strict)
		acceptNull(c)
		out["additionalProperties"] = c
	case bool:
		out["additionalProperties"] = ap
	}
	if !intOrString {
		// required fields with a default are defaulted before validation,
		// so junctor branches at this level do not require them either
		var defaulted []any
		if props, ok := s["properties"].(map[string]any); ok {
			for n, p := range props {
				if pm, ok := p.(map[string]any); ok {
					if _, ok := pm["default"]; ok {
						defaulted = append(defaulted, n)
					}
				}
			}
		}
		for _, j := range []string{"allOf", "anyOf", "oneOf"} {
			if list, ok := s[j].([]any); ok {
				var cl []any
				for _, e := range list {
					if em, ok := e.(map[string]any); ok {
						c := convertCRDSchema(em, true, false)
						dropRequired(c, defaulted)
						cl = append(cl, c)
					}
				}
				switch {
				case len(cl) == 0:
				case j != "oneOf":
					out[j] = cl
				case out["anyOf"] == nil:
					// formats, defaults inside branches and CEL rules are
					// not applied, so more than one branch may match where
					// the server sees exactly one: judge oneOf as anyOf
					out["anyOf"] = cl
				default:
					all, _ := out["allOf"].([]any)
					out["allOf"] = append(all, map[string]any{"anyOf": cl})
				}
			}
		}
		if n, ok := s["not"].(map[string]any); ok {
			// a not whose constraints were all dropped (formats) would
			// reject everything
			if c := convertCRDSchema(n, true, false); len(c) > 0 {
				out["not"] = c
			}
		}
	}
	if embedded {
		props, _ := out["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			out["properties"] = props
		}
		addMetaFields(props)
		// the server requires both in an embedded object
		req, _ := out["required"].([]any)
		for _, f := range []string{"apiVersion", "kind"} {
			if !slices.Contains(req, any(f)) {
				req = append(req, f)
			}
		}
		out["required"] = req
	}
	isObject := typ == "object" || (typ == "" && out["properties"] != nil)
	if isObject && strict && !inJunctor && !preserve {
		if _, ok := out["additionalProperties"]; !ok {
			out["additionalProperties"] = false
		}
	}
	return out
}

// dropRequired removes names from c's required list.
func dropRequired(c map[string]any, names []any) {
	req, ok := c["required"].([]any)
	if !ok || len(names) == 0 {
		return
	}
	kept := slices.DeleteFunc(slices.Clone(req), func(r any) bool { return slices.Contains(names, r) })
	if len(kept) == 0 {
		delete(c, "required")
	} else {
		c["required"] = kept
	}
}

// acceptNull makes a converted field schema accept null: the API server
// prunes a null in a field that is not nullable before validating it
// (apiextensions v1), so such a null is never an error by itself.
func acceptNull(c map[string]any) {
	switch t := c["type"].(type) {
	case string:
		if t != "null" {
			c["type"] = []any{t, "null"}
		}
	case []any:
		if !slices.Contains(t, any("null")) {
			c["type"] = append(slices.Clone(t), "null")
		}
	}
	if e, ok := c["enum"].([]any); ok && !slices.Contains(e, nil) {
		c["enum"] = append(slices.Clone(e), nil)
	}
}

func addMetaFields(props map[string]any) {
	if _, ok := props["apiVersion"]; !ok {
		props["apiVersion"] = map[string]any{"type": "string"}
	}
	if _, ok := props["kind"]; !ok {
		props["kind"] = map[string]any{"type": "string"}
	}
	if _, ok := props["metadata"]; !ok {
		props["metadata"] = map[string]any{"type": "object"}
	}
}

// addRootFields allows the fields every object has at the root of a custom
// resource. metadata is validated against ObjectMeta by the caller.
func addRootFields(s map[string]any) {
	props, _ := s["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		s["properties"] = props
	}
	addMetaFields(props)
}
