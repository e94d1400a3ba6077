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
	Recurse bool           `json:"recurse,omitempty"`
	Include string         `json:"include,omitempty"`
	Exclude string         `json:"exclude,omitempty"`
	Jsonnet map[string]any `json:"jsonnet,omitempty"`
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
