package kube

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// Target decides a cluster's target Kubernetes minor, once: the override
// (the --kube-version flag) when set, else the configured version (the
// cluster's own, else the config's global one), else DefaultVersion. The
// result is an embedded minor ("1.34"); a version that is not supported is
// an error naming where it came from (wrapping *UnknownVersionError).
func Target(override, configured string) (string, error) {
	if override != "" {
		m, err := ParseVersion(override)
		if err != nil {
			return "", fmt.Errorf("--kube-version: %w", err)
		}
		return m, nil
	}
	m, err := ParseVersion(configured)
	if err != nil {
		return "", fmt.Errorf("kubernetesVersion: %w", err)
	}
	return m, nil
}

// APIVersions returns the Helm capabilities of a cluster of the given minor
// as Argo CD passes them from a live cluster: group/version and
// group/version/Kind for every built-in resource kind the minor serves
// (discovery lists resources only: no List kinds, no options kinds). For a
// minor the catalogue does not embed, it falls back to client-go's scheme
// (the newest built-in API set).
func APIVersions(minor string) []string {
	if v, err := BuiltinAPIVersions(minor); err == nil && len(v) > 0 {
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

// FullVersion turns a target minor ("1.34") into the full version Argo CD
// passes to Helm and kustomize ("1.34.0").
func FullVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if strings.Count(v, ".") == 1 {
		return v + ".0"
	}
	return v
}
