package validate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/kube/openapi"
)

// ExportResult tells what Export wrote.
type ExportResult struct {
	// Dirs are the written directories (strict and non-strict variants).
	Dirs []string
	// Kinds is the number of schemas in each directory.
	Kinds int
	// KubeconformVersion is the -kubernetes-version to pass to kubeconform.
	KubeconformVersion string
	// CatalogKinds is the number of custom resource schemas of the embedded
	// CRD catalog written beside the built-in ones in each directory.
	CatalogKinds int
}

// Export writes the embedded schemas of a minor in the layout the upstream
// kubeconform CLI reads with -schema-location DIR:
//
//	DIR/v1.34.0-standalone-strict/deployment-apps-v1.json   (kubeconform -strict)
//	DIR/v1.34.0-standalone/deployment-apps-v1.json
//
// Each file is a self-contained draft-04 schema (its references in
// "definitions"). The custom resources of the embedded CRD catalog are
// written in the same layout (rollout-argoproj-v1alpha1.json), so one
// schema location serves both. Use: kubeconform -schema-location DIR
// -kubernetes-version 1.34.0.
func Export(version, dir string) (*ExportResult, error) {
	c, err := kube.Load(version)
	if err != nil {
		return nil, err
	}
	doc, err := c.Definitions()
	if err != nil {
		return nil, err
	}
	defs, _ := doc["definitions"].(map[string]any)
	kv := c.Minor + ".0"
	res := &ExportResult{KubeconformVersion: kv}
	for _, strict := range []bool{true, false} {
		sub := "v" + kv + "-standalone"
		if strict {
			sub += "-strict"
		}
		out := filepath.Join(dir, sub)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
		kinds := make([]openapi.Kind, 0, len(c.Kinds))
		for _, k := range c.Kinds {
			kinds = append(kinds, k)
		}
		slices.SortFunc(kinds, func(a, b openapi.Kind) int {
			return strings.Compare(a.APIVersion()+"/"+a.Kind, b.APIVersion()+"/"+b.Kind)
		})
		written := map[string]string{}
		for _, k := range kinds {
			name := ExportFileName(k.APIVersion(), k.Kind)
			if prev, dup := written[name]; dup {
				return nil, fmt.Errorf("export: %s and %s %s map to the same file %s", prev, k.APIVersion(), k.Kind, name)
			}
			written[name] = k.APIVersion() + " " + k.Kind
			doc := standalone(defs, k.Definition)
			if !strict {
				doc = relax(doc).(map[string]any)
			}
			data, err := json.Marshal(doc)
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
				return nil, err
			}
		}
		n, err := exportCatalog(out, defs, written, strict)
		if err != nil {
			return nil, err
		}
		res.Dirs = append(res.Dirs, out)
		res.Kinds = len(kinds)
		res.CatalogKinds = n
	}
	return res, nil
}

// exportCatalog writes the CRD catalog's schemas into out; a kind whose
// file name a built-in kind already took is left out (built-ins win, as in
// validation).
func exportCatalog(out string, defs map[string]any, written map[string]string, strict bool) (int, error) {
	crds, err := CatalogCRDs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, crd := range crds {
		name := ExportFileName(crd.APIVersion, crd.Kind)
		if _, dup := written[name]; dup || crd.Schema == nil {
			continue
		}
		written[name] = crd.APIVersion + " " + crd.Kind
		root := make(map[string]any, len(crd.Schema)+1)
		for k, v := range crd.Schema {
			root[k] = v
		}
		props := make(map[string]any)
		for k, v := range crd.Schema["properties"].(map[string]any) {
			props[k] = v
		}
		props["metadata"] = map[string]any{"$ref": openapi.RefPrefix + objectMetaDef}
		root["properties"] = props
		doc := withDefinitions(defs, root)
		if !strict {
			doc = relax(doc).(map[string]any)
		}
		data, err := json.Marshal(doc)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// objectMetaDef is the definition name of ObjectMeta in the built-in schemas.
const objectMetaDef = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

// ExportFileName is kubeconform's file name for a kind:
// {{ .ResourceKind }}{{ .KindSuffix }}.json, e.g. deployment-apps-v1.json,
// ingress-networking-v1.json, pod-v1.json.
func ExportFileName(apiVersion, kind string) string {
	group, version, ok := strings.Cut(apiVersion, "/")
	suffix := ""
	if ok {
		first, _, _ := strings.Cut(group, ".")
		suffix = "-" + strings.ToLower(first) + "-" + strings.ToLower(version)
	} else {
		suffix = "-" + strings.ToLower(apiVersion)
	}
	return strings.ToLower(kind) + suffix + ".json"
}

// standalone returns definition def as a root schema carrying every
// definition it references.
func standalone(defs map[string]any, def string) map[string]any {
	root := map[string]any{}
	if m, ok := defs[def].(map[string]any); ok {
		for k, v := range m {
			root[k] = v
		}
	}
	return withDefinitions(defs, root)
}

// withDefinitions makes root a self-contained draft-04 schema: it carries
// every definition root references.
func withDefinitions(defs map[string]any, root map[string]any) map[string]any {
	root["$schema"] = "http://json-schema.org/draft-04/schema#"
	reach := map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if r, ok := t["$ref"].(string); ok {
				name := strings.TrimPrefix(r, openapi.RefPrefix)
				if _, seen := reach[name]; !seen {
					reach[name] = defs[name]
					walk(defs[name])
				}
			}
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(root)
	if len(reach) > 0 {
		root["definitions"] = reach
	}
	return root
}
