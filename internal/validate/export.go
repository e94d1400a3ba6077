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
}

// Export writes the embedded schemas of a minor in the layout the upstream
// kubeconform CLI reads with -schema-location DIR:
//
//	DIR/v1.34.0-standalone-strict/deployment-apps-v1.json   (kubeconform -strict)
//	DIR/v1.34.0-standalone/deployment-apps-v1.json
//
// Each file is a self-contained draft-04 schema (its references in
// "definitions"). Use: kubeconform -schema-location DIR -kubernetes-version 1.34.0.
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
		res.Dirs = append(res.Dirs, out)
		res.Kinds = len(kinds)
	}
	return res, nil
}

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
	root := map[string]any{"$schema": "http://json-schema.org/draft-04/schema#"}
	if m, ok := defs[def].(map[string]any); ok {
		for k, v := range m {
			root[k] = v
		}
	}
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
	walk(defs[def])
	if len(reach) > 0 {
		root["definitions"] = reach
	}
	return root
}
