package render

import (
	"slices"
	"strings"
)

// clusterScoped lists the built-in cluster-scoped kinds as "group/Kind"
// (core group empty), across the Kubernetes versions render-check targets.
var clusterScoped = map[string]bool{
	"/Namespace": true, "/Node": true, "/PersistentVolume": true, "/ComponentStatus": true,
	"rbac.authorization.k8s.io/ClusterRole": true, "rbac.authorization.k8s.io/ClusterRoleBinding": true,
	"apiextensions.k8s.io/CustomResourceDefinition": true,
	"apiregistration.k8s.io/APIService":             true,
	"storage.k8s.io/StorageClass":                   true, "storage.k8s.io/CSIDriver": true, "storage.k8s.io/CSINode": true,
	"storage.k8s.io/VolumeAttachment": true, "storage.k8s.io/VolumeAttributesClass": true,
	"scheduling.k8s.io/PriorityClass": true, "node.k8s.io/RuntimeClass": true,
	"networking.k8s.io/IngressClass": true, "networking.k8s.io/IPAddress": true, "networking.k8s.io/ServiceCIDR": true,
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration":   true,
	"admissionregistration.k8s.io/MutatingWebhookConfiguration":     true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy":        true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicy":          true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding":   true,
	"certificates.k8s.io/CertificateSigningRequest":                 true,
	"certificates.k8s.io/ClusterTrustBundle":                        true,
	"flowcontrol.apiserver.k8s.io/FlowSchema":                       true,
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration":       true,
	"authentication.k8s.io/TokenReview":                             true,
	"authentication.k8s.io/SelfSubjectReview":                       true,
	"authorization.k8s.io/SubjectAccessReview":                      true,
	"authorization.k8s.io/SelfSubjectAccessReview":                  true,
	"authorization.k8s.io/SelfSubjectRulesReview":                   true,
	"internal.apiserver.k8s.io/StorageVersion":                      true,
	"storagemigration.k8s.io/StorageVersionMigration":               true,
	"resource.k8s.io/DeviceClass":                                   true,
	"resource.k8s.io/ResourceSlice":                                 true,
	"resource.k8s.io/DeviceTaintRule":                               true,
	"policy/PodSecurityPolicy":                                      true,
}

// scopes answers whether a kind is namespaced: built-in kinds from the
// table above, custom kinds from the CRDs found; unknown kinds count as
// namespaced, as Argo CD's controller treats them.
type scopes struct {
	crd map[string]bool // group/Kind -> namespaced
}

func newScopes() *scopes { return &scopes{crd: map[string]bool{}} }

// addCRD records a CustomResourceDefinition object's scope.
func (s *scopes) addCRD(obj map[string]any) {
	if k, _ := obj["kind"].(string); k != "CustomResourceDefinition" {
		return
	}
	av, _ := obj["apiVersion"].(string)
	if !strings.HasPrefix(av, "apiextensions.k8s.io/") {
		return
	}
	spec, _ := obj["spec"].(map[string]any)
	group, _ := spec["group"].(string)
	names, _ := spec["names"].(map[string]any)
	kind, _ := names["kind"].(string)
	scope, _ := spec["scope"].(string)
	if kind == "" {
		return
	}
	s.crd[group+"/"+kind] = scope != "Cluster"
}

// namespaced reports whether group/kind objects live in a namespace.
func (s *scopes) namespaced(group, kind string) bool {
	key := group + "/" + kind
	if clusterScoped[key] {
		return false
	}
	if ns, ok := s.crd[key]; ok {
		return ns
	}
	return true
}

// crdAPIVersions returns group/version and group/version/Kind for every
// served version of the CRDs in objs (Helm capabilities).
func crdAPIVersions(objs []map[string]any) []string {
	var out []string
	for _, obj := range objs {
		if k, _ := obj["kind"].(string); k != "CustomResourceDefinition" {
			continue
		}
		spec, _ := obj["spec"].(map[string]any)
		group, _ := spec["group"].(string)
		names, _ := spec["names"].(map[string]any)
		kind, _ := names["kind"].(string)
		versions, _ := spec["versions"].([]any)
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			name, _ := vm["name"].(string)
			if served, ok := vm["served"].(bool); ok && !served || name == "" || group == "" {
				continue
			}
			out = append(out, group+"/"+name, group+"/"+name+"/"+kind)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
