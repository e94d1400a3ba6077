package argo

import (
	"encoding/json"
	"fmt"
	"strings"
)

// AppProject is an argoproj.io/v1alpha1 AppProject.
type AppProject struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   ObjectMeta  `json:"metadata"`
	Spec       ProjectSpec `json:"spec"`

	// File and Line locate the manifest (repo-relative, 1-based).
	File string `json:"-"`
	Line int    `json:"-"`
}

// ProjectSpec is the subset of the AppProject spec render-check reads.
type ProjectSpec struct {
	SourceRepos      []string             `json:"sourceRepos,omitempty"`
	Destinations     []ProjectDestination `json:"destinations,omitempty"`
	SyncWindows      []SyncWindow         `json:"syncWindows,omitempty"`
	SourceNamespaces []string             `json:"sourceNamespaces,omitempty"`
}

// ProjectDestination is one allowed destination of a project (globs).
type ProjectDestination struct {
	Server    string `json:"server,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncWindow is one sync window of a project.
type SyncWindow struct {
	// Kind is allow or deny.
	Kind string `json:"kind"`
	// Schedule is a cron expression (5 fields).
	Schedule string `json:"schedule"`
	// Duration is a Go duration, e.g. 1h.
	Duration     string   `json:"duration"`
	Applications []string `json:"applications,omitempty"`
	Namespaces   []string `json:"namespaces,omitempty"`
	Clusters     []string `json:"clusters,omitempty"`
	ManualSync   bool     `json:"manualSync,omitempty"`
	// AndOperator requires every selector to match instead of any.
	AndOperator bool   `json:"andOperator,omitempty"`
	TimeZone    string `json:"timeZone,omitempty"`
}

// IsAppProject reports whether a decoded object is an Argo CD AppProject.
func IsAppProject(obj map[string]any) bool {
	av, _ := obj["apiVersion"].(string)
	k, _ := obj["kind"].(string)
	return k == "AppProject" && strings.HasPrefix(av, "argoproj.io/")
}

// DecodeAppProject converts a decoded object into an AppProject.
func DecodeAppProject(obj map[string]any) (*AppProject, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding AppProject: %w", err)
	}
	var p AppProject
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decoding AppProject: %w", err)
	}
	return &p, nil
}
