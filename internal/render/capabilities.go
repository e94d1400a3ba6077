package render

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// DefaultKubeVersion is the target Kubernetes minor when neither the flag
// nor the config names one: the newest with embedded schemas.
const DefaultKubeVersion = "1.37"

// builtinAPIVersions returns the Helm capabilities of a cluster of the given
// minor as Argo CD passes them from a live cluster: group/version and
// group/version/Kind for every built-in kind. It is computed from client-go's
// scheme (the newest built-in API set); the validate package's embedded,
// per-version list can replace it.
func builtinAPIVersions(minor string) []string {
	_ = minor
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
