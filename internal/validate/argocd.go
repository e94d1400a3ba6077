package validate

import (
	_ "embed"
	"fmt"
	"slices"
	"sync"

	"github.com/render-check/render-check/internal/resource"
)

//go:embed argocd/crds.yaml
var argoCDCRDs []byte

var (
	builtinCRDsOnce sync.Once
	builtinCRDs     []CRDSchema
	builtinCRDsErr  error
)

// ArgoCDCRDs returns the embedded, trimmed CRDs of Argo CD's own kinds
// (Application, AppProject, ApplicationSet). They stand in when neither the
// repo nor the rendered output carries Argo CD's CRDs: every app-of-apps
// renders Applications, and "no schema" for them would be noise.
func ArgoCDCRDs() ([]CRDSchema, error) {
	builtinCRDsOnce.Do(func() {
		objs, err := resource.DecodeAll(argoCDCRDs)
		if err != nil {
			builtinCRDsErr = fmt.Errorf("embedded Argo CD CRDs: %w", err)
			return
		}
		for _, o := range objs {
			cs, err := ConvertCRD(normalize(o).(map[string]any))
			if err != nil {
				builtinCRDsErr = fmt.Errorf("embedded Argo CD CRDs: %w", err)
				return
			}
			for i := range cs {
				cs[i].Source = "render-check's built-in Argo CD CRDs"
			}
			builtinCRDs = append(builtinCRDs, cs...)
		}
	})
	return builtinCRDs, builtinCRDsErr
}

// withArgoCDCRDs appends the built-in Argo CD CRDs; the validator keeps the
// first definition of a kind, so CRDs from the repo or the output win.
func withArgoCDCRDs(crds []CRDSchema) ([]CRDSchema, error) {
	builtin, err := ArgoCDCRDs()
	if err != nil {
		return nil, err
	}
	return append(slices.Clip(crds), builtin...), nil
}
