// Package resource holds what rendering produces and every later stage
// consumes: rendered Kubernetes objects, each with its cluster, app and the
// source file and line it came from.
package resource

import (
	"strings"

	"github.com/render-check/render-check/internal/argo"
)

// Origin is where a person edits to change a rendered object.
type Origin struct {
	// File is relative to the repo root, with forward slashes.
	File string
	// Line is the 1-based line where the object's document starts in File;
	// 0 when unknown (e.g. a Helm template).
	Line int
	// Chart, for an object rendered from a remote chart (whose templates are
	// not in the repo), names the chart, version and template, e.g.
	// "chart podinfo 6.5.0 (https://charts.example.com), template
	// podinfo/templates/deployment.yaml"; File and Line are then the
	// Application line that chose the chart, and Line is exact.
	Chart string
}

// Resource is one rendered Kubernetes object.
type Resource struct {
	Cluster string
	App     string
	// Object is the decoded object as Argo CD would apply it.
	Object map[string]any
	// Origin is the source file (and document line) that produced the object:
	// the manifest for directory and kustomize sources, the template for Helm.
	Origin Origin
	// ValuesFiles are, for Helm-rendered objects, the repo-relative values
	// files that fed the release, in precedence order (lowest first).
	ValuesFiles []string
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// Metadata returns the object's metadata map (nil if absent).
func (r *Resource) Metadata() map[string]any {
	m, _ := r.Object["metadata"].(map[string]any)
	return m
}

// APIVersion returns the object's apiVersion.
func (r *Resource) APIVersion() string { return str(r.Object, "apiVersion") }

// Kind returns the object's kind.
func (r *Resource) Kind() string { return str(r.Object, "kind") }

// Name returns metadata.name.
func (r *Resource) Name() string { return str(r.Metadata(), "name") }

// Namespace returns metadata.namespace.
func (r *Resource) Namespace() string { return str(r.Metadata(), "namespace") }

// Group returns the API group of the object ("" for core).
func (r *Resource) Group() string {
	g, _, ok := strings.Cut(r.APIVersion(), "/")
	if !ok {
		return ""
	}
	return g
}

// IsSecret is the one definition of a Secret every stage uses (redaction in
// rendered output and diffs, the plaintext-secret scan): kind Secret in the
// core group (apiVersion "v1").
func IsSecret(obj map[string]any) bool {
	k, _ := obj["kind"].(string)
	av, _ := obj["apiVersion"].(string)
	return k == "Secret" && !strings.Contains(av, "/")
}

// Key identifies the object in a cluster as Argo CD does: group/kind/namespace/name.
func (r *Resource) Key() string {
	return r.Group() + "/" + r.Kind() + "/" + r.Namespace() + "/" + r.Name()
}

// ObjectRef identifies a Kubernetes object: the form findings, diffs and
// reports name it by.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// String renders the reference as kind/namespace/name (apiVersion omitted).
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Ref returns the object's identity.
func (r *Resource) Ref() *ObjectRef {
	return &ObjectRef{APIVersion: r.APIVersion(), Kind: r.Kind(), Namespace: r.Namespace(), Name: r.Name()}
}

// Cluster is one cluster's rendered desired state.
type Cluster struct {
	Name string
	// Dir is the cluster directory relative to the root.
	Dir string
	// KubernetesVersion is the target minor, e.g. "1.34".
	KubernetesVersion string
	Apps              []*App
}

// App is one rendered Argo CD Application (or a cluster overlay rendered as one app).
type App struct {
	Name    string
	Cluster string
	// SourceType is helm, kustomize, directory, plugin or multi.
	SourceType string
	// Application is the parsed Argo CD Application; nil for a cluster
	// directory rendered as a plain Kustomize overlay.
	Application *argo.Application
	// Resources is what Argo CD would apply, after namespace defaulting,
	// List expansion, duplicate handling and exclusions.
	Resources []*Resource
	// Inputs are the repo-relative files read while rendering this app,
	// sorted (for changed-only runs).
	Inputs []string
	// ChartCRDs are CustomResourceDefinitions shipped in crds/ of the
	// charts the app renders that are not among Resources (skipCrds: true):
	// a schema source for custom resources, never applied. Origin.File is
	// helm's path of the file ("<chart>/crds/x.yaml").
	ChartCRDs []*Resource
}

// All returns every resource of every app of the cluster, in app order.
func (c *Cluster) All() []*Resource {
	var out []*Resource
	for _, a := range c.Apps {
		out = append(out, a.Resources...)
	}
	return out
}
