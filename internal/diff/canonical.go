package diff

import (
	"encoding/base64"
	"maps"

	"k8s.io/apimachinery/pkg/api/resource"

	rcresource "github.com/render-check/render-check/internal/resource"
)

// quantityMaps are the keys whose values are maps of resource name to
// Kubernetes quantity (container resources, ResourceQuota hard, LimitRange
// bounds, Pod overhead, PVC capacity).
var quantityMaps = map[string]bool{
	"requests": true, "limits": true, "hard": true, "overhead": true, "capacity": true,
	"default": true, "defaultRequest": true, "max": true, "min": true, "maxLimitRequestRatio": true,
}

// quantityLeaves are keys holding one quantity.
var quantityLeaves = map[string]bool{"sizeLimit": true}

// opaqueData are top-level keys whose content is user data, never
// canonicalised.
var opaqueData = map[string]bool{"data": true, "stringData": true, "binaryData": true}

// canonicalDesired returns a copy of desired in which every value that the
// API server would store in another but equivalent form takes live's form:
// quantities equal by value (1 and 1000m, 1Gi and 1024Mi, 0.5 and 500m),
// numbers and numeric strings of int-or-string fields (targetPort: "8080"
// and 8080), and a Secret's stringData, which the server folds into data
// as base64. What remains different is what applying would change.
func canonicalDesired(desired, live map[string]any) map[string]any {
	d := desired
	if rcresource.IsSecret(desired) {
		d = foldStringData(desired)
	}
	out := make(map[string]any, len(d))
	for k, v := range d {
		if opaqueData[k] {
			out[k] = v
			continue
		}
		var lv any
		if live != nil {
			lv = live[k]
		}
		out[k] = canonical(v, lv, quantityMaps[k], quantityLeaves[k])
	}
	return out
}

// canonical returns d, or live's form of it when they are equivalent.
// inQuantities: d's entries are quantities (d is a requests/limits map);
// isQuantity: d itself is one.
func canonical(d, live any, inQuantities, isQuantity bool) any {
	switch dv := d.(type) {
	case map[string]any:
		lm, _ := live.(map[string]any)
		out := make(map[string]any, len(dv))
		for k, v := range dv {
			var lv any
			if lm != nil {
				lv = lm[k]
			}
			out[k] = canonical(v, lv, quantityMaps[k], inQuantities || quantityLeaves[k])
		}
		return out
	case []any:
		ll, _ := live.([]any)
		out := make([]any, len(dv))
		if pairs, ok := namedItems(dv, ll); ok && ll != nil {
			for i, it := range dv {
				n, _ := it.(map[string]any)["name"].(string)
				out[i] = canonical(it, pairs[n][1], false, false)
			}
			return out
		}
		for i, it := range dv {
			var lv any
			if len(ll) == len(dv) {
				lv = ll[i]
			}
			out[i] = canonical(it, lv, false, false)
		}
		return out
	case nil:
		return nil
	}
	if live == nil {
		return d
	}
	if _, ok := live.(map[string]any); ok {
		return d
	}
	if _, ok := live.([]any); ok {
		return d
	}
	if isQuantity && sameQuantity(d, live) {
		return live
	}
	if scalar(d) == scalar(live) {
		return live
	}
	return d
}

// sameQuantity reports two values that parse as equal Kubernetes quantities.
func sameQuantity(a, b any) bool {
	qa, err := resource.ParseQuantity(scalar(a))
	if err != nil {
		return false
	}
	qb, err := resource.ParseQuantity(scalar(b))
	if err != nil {
		return false
	}
	return qa.Cmp(qb) == 0
}

// foldStringData returns a copy of a Secret with stringData merged into
// data as base64, stringData winning, as the API server stores it.
func foldStringData(secret map[string]any) map[string]any {
	sd, ok := secret["stringData"].(map[string]any)
	if !ok {
		return secret
	}
	out := maps.Clone(secret)
	delete(out, "stringData")
	data := map[string]any{}
	if d, ok := secret["data"].(map[string]any); ok {
		maps.Copy(data, d)
	}
	for k, v := range sd {
		data[k] = base64.StdEncoding.EncodeToString([]byte(scalar(v)))
	}
	if len(data) > 0 {
		out["data"] = data
	}
	return out
}
