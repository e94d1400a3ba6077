package render

import (
	"fmt"
	"io"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/resource"
)

// RedactionMarker replaces every value of a Secret's data and stringData in
// written manifests.
const RedactionMarker = "<redacted>"

// Redacted returns obj, or for a core Secret a copy whose data and
// stringData values are RedactionMarker (keys kept). obj is not modified.
func Redacted(obj map[string]any) map[string]any {
	if !resource.IsSecret(obj) {
		return obj
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	for _, field := range []string{"data", "stringData"} {
		m, ok := obj[field].(map[string]any)
		if !ok {
			if _, present := obj[field]; present {
				out[field] = RedactionMarker
			}
			continue
		}
		r := make(map[string]any, len(m))
		for k := range m {
			r[k] = RedactionMarker
		}
		out[field] = r
	}
	return out
}

// WriteManifests writes an app's resources as a YAML stream, in render
// order, each document preceded by a comment naming its source, Secrets
// redacted. The output is byte-identical for the same input.
func WriteManifests(w io.Writer, app *resource.App) error {
	for _, r := range app.Resources {
		b, err := yaml.Marshal(Redacted(r.Object))
		if err != nil {
			return fmt.Errorf("encoding %s: %w", r.Ref(), err)
		}
		src := r.Origin.File
		if r.Origin.Line > 0 {
			src = fmt.Sprintf("%s:%d", r.Origin.File, r.Origin.Line)
		}
		if _, err := fmt.Fprintf(w, "---\n# Source: %s\n%s", src, b); err != nil {
			return err
		}
	}
	return nil
}

// SortedApps returns a cluster's apps sorted by name.
func SortedApps(c *resource.Cluster) []*resource.App {
	apps := append([]*resource.App(nil), c.Apps...)
	sort.Slice(apps, func(i, j int) bool { return apps[i].Name < apps[j].Name })
	return apps
}
