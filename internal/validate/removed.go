package validate

import (
	"fmt"
	"github.com/render-check/render-check/internal/kube"
	"slices"
	"strings"
)

// removal is an API that some Kubernetes minor stopped serving.
type removal struct {
	// RemovedIn is the first minor that no longer serves the API.
	RemovedIn string
	// Replacement is "apiVersion" to migrate to, "" if none.
	Replacement string
	// Note explains a removal without replacement.
	Note string
}

// earlyRemovals lists APIs removed before the oldest embedded minor, keyed by
// "apiVersion/Kind". Later removals are derived from the embedded minors.
var earlyRemovals = func() map[string]removal {
	m := map[string]removal{}
	add := func(apiVersion, removedIn, replacement string, kinds ...string) {
		for _, k := range kinds {
			m[apiVersion+"/"+k] = removal{RemovedIn: removedIn, Replacement: replacement}
		}
	}
	add("extensions/v1beta1", "1.16", "apps/v1", "DaemonSet", "Deployment", "ReplicaSet")
	add("extensions/v1beta1", "1.16", "networking.k8s.io/v1", "NetworkPolicy")
	add("extensions/v1beta1", "1.22", "networking.k8s.io/v1", "Ingress")
	add("apps/v1beta1", "1.16", "apps/v1", "Deployment", "StatefulSet", "ControllerRevision")
	add("apps/v1beta2", "1.16", "apps/v1", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "ControllerRevision")
	add("networking.k8s.io/v1beta1", "1.22", "networking.k8s.io/v1", "Ingress", "IngressClass")
	add("admissionregistration.k8s.io/v1beta1", "1.22", "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
	add("apiextensions.k8s.io/v1beta1", "1.22", "apiextensions.k8s.io/v1", "CustomResourceDefinition")
	add("apiregistration.k8s.io/v1beta1", "1.22", "apiregistration.k8s.io/v1", "APIService")
	add("authentication.k8s.io/v1beta1", "1.22", "authentication.k8s.io/v1", "TokenReview")
	add("authorization.k8s.io/v1beta1", "1.22", "authorization.k8s.io/v1", "SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview")
	add("certificates.k8s.io/v1beta1", "1.22", "certificates.k8s.io/v1", "CertificateSigningRequest")
	add("coordination.k8s.io/v1beta1", "1.22", "coordination.k8s.io/v1", "Lease")
	add("rbac.authorization.k8s.io/v1beta1", "1.22", "rbac.authorization.k8s.io/v1", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
	add("rbac.authorization.k8s.io/v1alpha1", "1.22", "rbac.authorization.k8s.io/v1", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
	add("scheduling.k8s.io/v1beta1", "1.22", "scheduling.k8s.io/v1", "PriorityClass")
	add("scheduling.k8s.io/v1alpha1", "1.22", "scheduling.k8s.io/v1", "PriorityClass")
	add("storage.k8s.io/v1beta1", "1.22", "storage.k8s.io/v1", "CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")
	add("storage.k8s.io/v1beta1", "1.27", "storage.k8s.io/v1", "CSIStorageCapacity")
	add("batch/v1beta1", "1.25", "batch/v1", "CronJob")
	add("batch/v2alpha1", "1.21", "batch/v1", "CronJob")
	add("discovery.k8s.io/v1beta1", "1.25", "discovery.k8s.io/v1", "EndpointSlice")
	add("events.k8s.io/v1beta1", "1.25", "events.k8s.io/v1", "Event")
	add("autoscaling/v2beta1", "1.25", "autoscaling/v2", "HorizontalPodAutoscaler")
	add("autoscaling/v2beta2", "1.26", "autoscaling/v2", "HorizontalPodAutoscaler")
	add("policy/v1beta1", "1.25", "policy/v1", "PodDisruptionBudget")
	add("node.k8s.io/v1beta1", "1.25", "node.k8s.io/v1", "RuntimeClass")
	add("flowcontrol.apiserver.k8s.io/v1beta1", "1.26", "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration")
	add("flowcontrol.apiserver.k8s.io/v1beta2", "1.29", "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration")
	m["policy/v1beta1/PodSecurityPolicy"] = removal{RemovedIn: "1.25", Note: "PodSecurityPolicy has no replacement API: use Pod Security Admission (namespace labels pod-security.kubernetes.io/*)"}
	m["extensions/v1beta1/PodSecurityPolicy"] = removal{RemovedIn: "1.16", Note: "PodSecurityPolicy has no replacement API: use Pod Security Admission"}
	return m
}()

// apiStatus tells whether a built-in apiVersion/kind is removed or deprecated
// in a minor.
type apiStatus struct {
	removed    *removal
	deprecated string // warning message, "" if not deprecated
	// laterMinor is set when the API is not served yet but is in a newer minor.
	laterMinor string
}

// statusOf derives the lifecycle of apiVersion/kind at minor from the
// embedded minors and the table of early removals. served tells whether the
// target minor serves it.
func statusOf(minor, apiVersion, kind string, served bool) (apiStatus, error) {
	key := apiVersion + "/" + kind
	versions := kube.Versions()
	target, err := kube.Load(minor)
	if err != nil {
		return apiStatus{}, err
	}
	var st apiStatus
	if served {
		// Removed in a later embedded minor: deprecated now.
		for _, v := range versions {
			if kube.CompareMinor(v, minor) <= 0 {
				continue
			}
			c, err := kube.Load(v)
			if err != nil {
				return st, err
			}
			if _, ok := c.Kinds[key]; !ok {
				repl := replacement(c, apiVersion, kind)
				st.deprecated = fmt.Sprintf("%s %s is deprecated: Kubernetes %s no longer serves it%s", apiVersion, kind, v, useText(repl))
				return st, nil
			}
		}
		// A pre-release version whose kind is also served as stable.
		if isPrerelease(apiVersion) {
			if repl := replacement(target, apiVersion, kind); repl != "" && !isPrerelease(repl) {
				st.deprecated = fmt.Sprintf("%s %s is deprecated: Kubernetes %s serves %s %s", apiVersion, kind, minor, repl, kind)
			}
		}
		return st, nil
	}
	lastServed := ""
	for _, v := range versions {
		c, err := kube.Load(v)
		if err != nil {
			return st, err
		}
		if _, ok := c.Kinds[key]; ok {
			if kube.CompareMinor(v, minor) < 0 {
				lastServed = v
			} else if st.laterMinor == "" {
				st.laterMinor = v
			}
		}
	}
	if lastServed != "" {
		removedIn := ""
		for _, v := range versions {
			if kube.CompareMinor(v, lastServed) > 0 {
				removedIn = v
				break
			}
		}
		st.removed = &removal{RemovedIn: removedIn, Replacement: replacement(target, apiVersion, kind)}
		return st, nil
	}
	if r, ok := earlyRemovals[key]; ok {
		if r.Replacement != "" {
			if _, ok := target.Kinds[r.Replacement+"/"+kind]; !ok {
				// Prefer what the target serves in the same group.
				if alt := replacement(target, r.Replacement, kind); alt != "" {
					r.Replacement = alt
				}
			}
		}
		st.removed = &r
	}
	return st, nil
}

// replacement picks the apiVersion to use for kind in catalog c: the same
// group's newest stable version, else its newest pre-release; "" if the group
// does not serve the kind.
func replacement(c *kube.Catalog, apiVersion, kind string) string {
	group := groupOf(apiVersion)
	var candidates []string
	for key, k := range c.Kinds {
		if k.Kind == kind && k.Group == group && key != apiVersion+"/"+kind {
			candidates = append(candidates, k.APIVersion())
		}
	}
	if len(candidates) == 0 {
		return ""
	}
	slices.SortFunc(candidates, func(a, b string) int { return compareAPIVersion(b, a) })
	return candidates[0]
}

func useText(repl string) string {
	if repl == "" {
		return ""
	}
	return "; use " + repl
}

func groupOf(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return g
}

func versionOf(apiVersion string) string {
	if _, v, ok := strings.Cut(apiVersion, "/"); ok {
		return v
	}
	return apiVersion
}

func isPrerelease(apiVersion string) bool {
	v := versionOf(apiVersion)
	return strings.Contains(v, "alpha") || strings.Contains(v, "beta")
}

// compareAPIVersion orders versions as Kubernetes does: stable > beta >
// alpha, then by number (v2 > v1, v1beta2 > v1beta1).
func compareAPIVersion(a, b string) int {
	ra, rb := versionRank(versionOf(a)), versionRank(versionOf(b))
	for i := range ra {
		if ra[i] != rb[i] {
			return ra[i] - rb[i]
		}
	}
	return strings.Compare(a, b)
}

func versionRank(v string) [3]int {
	var major, level, minor int
	s := strings.TrimPrefix(v, "v")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		major = major*10 + int(s[i]-'0')
		i++
	}
	rest := s[i:]
	switch {
	case rest == "":
		level = 3
	case strings.HasPrefix(rest, "beta"):
		level, rest = 2, rest[4:]
	case strings.HasPrefix(rest, "alpha"):
		level, rest = 1, rest[5:]
	default:
		level = 0
	}
	for j := 0; j < len(rest) && rest[j] >= '0' && rest[j] <= '9'; j++ {
		minor = minor*10 + int(rest[j]-'0')
	}
	return [3]int{level, major, minor}
}

// builtinGroup reports whether group is served by Kubernetes itself (in any
// embedded minor or the table of early removals), so that a kind of that
// group without schema is not a custom resource.
func builtinGroup(group string) bool {
	for key := range earlyRemovals {
		if groupOf(key[:strings.LastIndex(key, "/")]) == group {
			return true
		}
	}
	for _, v := range kube.Versions() {
		c, err := kube.Load(v)
		if err != nil {
			continue
		}
		for _, k := range c.Kinds {
			if k.Group == group {
				return true
			}
		}
	}
	return false
}
