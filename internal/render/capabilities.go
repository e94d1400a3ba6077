package render

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/render-check/render-check/internal/validate"
)

// DefaultKubeVersion is the target Kubernetes minor when neither the flag
// nor the config names one: the newest with embedded schemas.
const DefaultKubeVersion = "1.37"

// builtinAPIVersions returns the Helm capabilities of a cluster of the given
// minor as Argo CD passes them from a live cluster: group/version and
// group/version/Kind for every built-in kind, from the validate package's
// embedded per-version catalogue; for a minor it does not embed, from
// client-go's scheme (the newest built-in API set).
func builtinAPIVersions(minor string) []string {
	if v, err := validate.BuiltinAPIVersions(minor); err == nil && len(v) > 0 {
		// the schema catalogue has list kinds too; discovery (what Argo CD
		// reads) lists resources only
		return slices.DeleteFunc(v, func(s string) bool {
			kind := s[strings.LastIndex(s, "/")+1:]
			return kind != "" && kind[0] >= 'A' && kind[0] <= 'Z' && (strings.HasSuffix(kind, "List") || nonResourceKinds[kind])
		})
	}
	return schemeAPIVersions()
}

// schemeAPIVersions lists the built-in API versions client-go knows.
func schemeAPIVersions() []string {
	set := map[string]bool{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || gvk.Version == "" {
			continue
		}
		if strings.HasSuffix(gvk.Kind, "List") || nonResourceKinds[gvk.Kind] {
			continue
		}
		gv := gvk.GroupVersion().String()
		set[gv] = true
		set[gv+"/"+gvk.Kind] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// nonResourceKinds are kinds the scheme registers in every group version
// that are not API resources.
var nonResourceKinds = map[string]bool{
	"WatchEvent": true, "ListOptions": true, "GetOptions": true, "DeleteOptions": true, "CreateOptions": true,
	"UpdateOptions": true, "PatchOptions": true, "Status": true, "APIGroup": true, "APIVersions": true,
	"APIResourceList": true, "APIGroupList": true, "ExportOptions": true, "PodLogOptions": true,
	"PodExecOptions": true, "PodAttachOptions": true, "PodPortForwardOptions": true, "PodProxyOptions": true,
	"NodeProxyOptions": true, "ServiceProxyOptions": true, "RangeAllocation": true, "SerializedReference": true,
	"TableOptions": true, "Table": true, "PartialObjectMetadata": true, "PartialObjectMetadataList": true,
}

// kubeVersionFull turns a target minor ("1.34") into the full version Argo
// CD passes to helm ("1.34.0").
func kubeVersionFull(v string) string {
	v = strings.TrimPrefix(v, "v")
	if strings.Count(v, ".") == 1 {
		return v + ".0"
	}
	return v
}
