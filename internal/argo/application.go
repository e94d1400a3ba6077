// Package argo holds the parts of Argo CD's Application and AppProject types
// that render-check reads, decoded from the manifests in a config repo.
package argo

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Application is an argoproj.io/v1alpha1 Application.
type Application struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       AppSpec    `json:"spec"`

	// File and Line locate the manifest (repo-relative, 1-based); for an
	// Application rendered by another one, the file of that parent's source.
	File string `json:"-"`
	Line int    `json:"-"`
	// Raw is the decoded object.
	Raw map[string]any `json:"-"`
	// GeneratedBy names the ApplicationSet that generated this Application
	// ("" for an Application written as a manifest).
	GeneratedBy string `json:"-"`
	// GeneratorInputs are the repo files an ApplicationSet generator read to
	// generate it (git files, cluster Secrets).
	GeneratorInputs []string `json:"-"`
}

// ObjectMeta is the subset of Kubernetes object metadata we use.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AppSpec is the Application spec.
type AppSpec struct {
	Project     string      `json:"project,omitempty"`
	Source      *Source     `json:"source,omitempty"`
	Sources     []Source    `json:"sources,omitempty"`
	Destination Destination `json:"destination"`
	SyncPolicy  *SyncPolicy `json:"syncPolicy,omitempty"`
}

// AllSources returns spec.sources when set, else the single spec.source.
func (s *AppSpec) AllSources() []Source {
	if len(s.Sources) > 0 {
		return s.Sources
	}
	if s.Source != nil {
		return []Source{*s.Source}
	}
	return nil
}

// Destination is where the app is deployed.
type Destination struct {
	Server    string `json:"server,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncPolicy is the Application's sync policy.
type SyncPolicy struct {
	Automated   *Automated `json:"automated,omitempty"`
	SyncOptions []string   `json:"syncOptions,omitempty"`
}

// Automated is the automated sync policy.
type Automated struct {
	Prune    bool  `json:"prune,omitempty"`
	SelfHeal bool  `json:"selfHeal,omitempty"`
	Enabled  *bool `json:"enabled,omitempty"`
}

// Source is one Application source.
type Source struct {
	RepoURL        string           `json:"repoURL"`
	Path           string           `json:"path,omitempty"`
	TargetRevision string           `json:"targetRevision,omitempty"`
	Chart          string           `json:"chart,omitempty"`
	Ref            string           `json:"ref,omitempty"`
	Name           string           `json:"name,omitempty"`
	Helm           *HelmSource      `json:"helm,omitempty"`
	Kustomize      *KustomizeSource `json:"kustomize,omitempty"`
	Directory      *DirectorySource `json:"directory,omitempty"`
	Plugin         map[string]any   `json:"plugin,omitempty"`
}

// HelmSource holds Helm options of a source.
type HelmSource struct {
	ValueFiles              []string        `json:"valueFiles,omitempty"`
	Parameters              []HelmParameter `json:"parameters,omitempty"`
	FileParameters          []HelmFileParam `json:"fileParameters,omitempty"`
	ReleaseName             string          `json:"releaseName,omitempty"`
	Values                  string          `json:"values,omitempty"`
	ValuesObject            map[string]any  `json:"valuesObject,omitempty"`
	IgnoreMissingValueFiles bool            `json:"ignoreMissingValueFiles,omitempty"`
	SkipCrds                bool            `json:"skipCrds,omitempty"`
	SkipSchemaValidation    bool            `json:"skipSchemaValidation,omitempty"`
	SkipTests               bool            `json:"skipTests,omitempty"`
	PassCredentials         bool            `json:"passCredentials,omitempty"`
	Version                 string          `json:"version,omitempty"`
	Namespace               string          `json:"namespace,omitempty"`
	KubeVersion             string          `json:"kubeVersion,omitempty"`
	APIVersions             []string        `json:"apiVersions,omitempty"`
}

// HelmParameter is a --set (or --set-string when ForceString) parameter.
type HelmParameter struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	ForceString bool   `json:"forceString,omitempty"`
}

// HelmFileParam is a --set-file parameter.
type HelmFileParam struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// KustomizeSource holds Kustomize options of a source.
type KustomizeSource struct {
	NamePrefix                string             `json:"namePrefix,omitempty"`
	NameSuffix                string             `json:"nameSuffix,omitempty"`
	Images                    []string           `json:"images,omitempty"`
	CommonLabels              map[string]string  `json:"commonLabels,omitempty"`
	CommonAnnotations         map[string]string  `json:"commonAnnotations,omitempty"`
	CommonAnnotationsEnvsubst bool               `json:"commonAnnotationsEnvsubst,omitempty"`
	LabelWithoutSelector      bool               `json:"labelWithoutSelector,omitempty"`
	LabelIncludeTemplates     bool               `json:"labelIncludeTemplates,omitempty"`
	ForceCommonLabels         bool               `json:"forceCommonLabels,omitempty"`
	ForceCommonAnnotations    bool               `json:"forceCommonAnnotations,omitempty"`
	Namespace                 string             `json:"namespace,omitempty"`
	Replicas                  []KustomizeReplica `json:"replicas,omitempty"`
	Patches                   []map[string]any   `json:"patches,omitempty"`
	Components                []string           `json:"components,omitempty"`
	IgnoreMissingComponents   bool               `json:"ignoreMissingComponents,omitempty"`
	Version                   string             `json:"version,omitempty"`
	KubeVersion               string             `json:"kubeVersion,omitempty"`
	APIVersions               []string           `json:"apiVersions,omitempty"`
}

// KustomizeReplica is a replicas override; Count is an int or a string.
type KustomizeReplica struct {
	Name  string          `json:"name"`
	Count json.RawMessage `json:"count"`
}

// DirectorySource holds directory options of a source.
type DirectorySource struct {
	Recurse bool   `json:"recurse,omitempty"`
	Include string `json:"include,omitempty"`
	Exclude string `json:"exclude,omitempty"`
	// DisableExtensionFilter reads every file, not only .yaml, .yml, .json
	// and .jsonnet ones (include/exclude still apply).
	DisableExtensionFilter bool           `json:"disableExtensionFilter,omitempty"`
	Jsonnet                JsonnetOptions `json:"jsonnet,omitzero"`
}

// JsonnetOptions are the jsonnet options of a directory source.
type JsonnetOptions struct {
	ExtVars []JsonnetVar `json:"extVars,omitempty"`
	TLAs    []JsonnetVar `json:"tlas,omitempty"`
	// Libs are library search directories, relative to the repo root.
	Libs []string `json:"libs,omitempty"`
}

// JsonnetVar is an external variable or top-level argument; Code means the
// value is jsonnet code rather than a string.
type JsonnetVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Code  bool   `json:"code,omitempty"`
}

// IsZero reports whether no jsonnet option is set.
func (j JsonnetOptions) IsZero() bool {
	return len(j.ExtVars) == 0 && len(j.TLAs) == 0 && len(j.Libs) == 0
}

// IsZero reports whether the Helm block sets nothing that counts for Argo CD
// (ApplicationSourceHelm.IsZero).
func (h *HelmSource) IsZero() bool {
	return h == nil || h.Version == "" && h.ReleaseName == "" && len(h.ValueFiles) == 0 &&
		len(h.Parameters) == 0 && len(h.FileParameters) == 0 && h.Values == "" && len(h.ValuesObject) == 0 &&
		!h.PassCredentials && !h.IgnoreMissingValueFiles && !h.SkipCrds && !h.SkipTests &&
		!h.SkipSchemaValidation && h.KubeVersion == "" && len(h.APIVersions) == 0 && h.Namespace == ""
}

// IsZero reports whether the Kustomize block sets nothing that counts for
// Argo CD (ApplicationSourceKustomize.IsZero: the force*, envsubst and
// label-selector switches alone do not count).
func (k *KustomizeSource) IsZero() bool {
	return k == nil || k.NamePrefix == "" && k.NameSuffix == "" && k.Version == "" && k.Namespace == "" &&
		len(k.Images) == 0 && len(k.Replicas) == 0 && len(k.CommonLabels) == 0 && len(k.CommonAnnotations) == 0 &&
		len(k.Patches) == 0 && len(k.Components) == 0 && k.KubeVersion == "" && len(k.APIVersions) == 0 &&
		!k.IgnoreMissingComponents
}

// IsZero reports whether the Directory block sets nothing that counts for
// Argo CD (include and exclude alone do not count).
func (d *DirectorySource) IsZero() bool {
	return d == nil || !d.Recurse && d.Jsonnet.IsZero() && !d.DisableExtensionFilter
}

// Normalized returns the source as Argo CD's controller hands it to the
// repo-server (util/argo.NormalizeSource): zero helm and kustomize blocks
// are dropped, and a zero directory block is dropped unless it carries
// include or exclude (then only those are kept). Plugin blocks are kept.
func (s Source) Normalized() Source {
	if s.Kustomize.IsZero() {
		s.Kustomize = nil
	}
	if s.Helm.IsZero() {
		s.Helm = nil
	}
	if s.Directory != nil && s.Directory.IsZero() {
		if s.Directory.Include == "" && s.Directory.Exclude == "" {
			s.Directory = nil
		} else {
			s.Directory = &DirectorySource{Include: s.Directory.Include, Exclude: s.Directory.Exclude}
		}
	}
	return s
}

// InstanceName is the name Argo CD gives the app everywhere the repo-server
// sees it (Application.InstanceName): NAMESPACE_NAME when the Application
// lives in a namespace other than the control plane's, else its name.
func (a *Application) InstanceName(controlPlaneNS string) string {
	if a.Metadata.Namespace == "" || a.Metadata.Namespace == controlPlaneNS {
		return a.Metadata.Name
	}
	return a.Metadata.Namespace + "_" + a.Metadata.Name
}

// IsApplication reports whether a decoded object is an Argo CD Application.
func IsApplication(obj map[string]any) bool {
	av, _ := obj["apiVersion"].(string)
	k, _ := obj["kind"].(string)
	return k == "Application" && strings.HasPrefix(av, "argoproj.io/")
}

// IsApplicationSet reports whether a decoded object is an Argo CD ApplicationSet.
func IsApplicationSet(obj map[string]any) bool {
	av, _ := obj["apiVersion"].(string)
	k, _ := obj["kind"].(string)
	return k == "ApplicationSet" && strings.HasPrefix(av, "argoproj.io/")
}

// DecodeApplication converts a decoded object into an Application.
func DecodeApplication(obj map[string]any) (*Application, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding application: %w", err)
	}
	var app Application
	if err := json.Unmarshal(b, &app); err != nil {
		return nil, fmt.Errorf("decoding application: %w", err)
	}
	app.Raw = obj
	return &app, nil
}

// DestinationKey names the Application's destination cluster: its server,
// with in-cluster (by name, or no destination) as the in-cluster server, else
// "name:" and the name. "" for a nil Application. Two keys that differ may
// still be one cluster (a name and a server of it); equal keys are one.
func (a *Application) DestinationKey() string {
	if a == nil {
		return ""
	}
	d := a.Spec.Destination
	server := strings.TrimRight(d.Server, "/")
	if server == "" && (d.Name == "in-cluster" || d.Name == "") {
		server = "https://kubernetes.default.svc"
	}
	if server != "" {
		return server
	}
	return "name:" + d.Name
}
