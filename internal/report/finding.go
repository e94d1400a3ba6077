// Package report holds the findings every stage produces and the output
// formats that present them. Stages return findings; only this package and
// cmd/render-check write to the terminal.
package report

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/render-check/render-check/internal/resource"
)

// Severity is how bad a finding is.
type Severity string

// Severities, from least to most severe.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Rank orders severities: info < warning < error. Unknown severities rank as errors.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityWarning:
		return 1
	default:
		return 2
	}
}

// ParseSeverity parses a --fail-on style severity name.
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case SeverityInfo, SeverityWarning, SeverityError:
		return Severity(s), nil
	}
	return "", fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// ResourceRef identifies a Kubernetes object; it is the object model's
// identity (resource.ObjectRef), so that package need not know reports.
type ResourceRef = resource.ObjectRef

// Finding is one problem found by a check. It never contains a secret's value.
type Finding struct {
	// Rule is "<check>/<name>", check one of render, schema, image, secret, repo.
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Cluster  string   `json:"cluster,omitempty"`
	App      string   `json:"app,omitempty"`
	// File is relative to the repo root, with forward slashes.
	File     string       `json:"file,omitempty"`
	Line     int          `json:"line,omitempty"`
	Resource *ResourceRef `json:"resource,omitempty"`
	Message  string       `json:"message"`
	// Fingerprint optionally identifies the finding across runs (e.g. a hash
	// prefix of a secret value). Never the value itself.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Detail is the longer text behind a short message (a renderer's raw
	// error, other views of the same mistake), for formats with room for it.
	Detail string `json:"detail,omitempty"`
	// Affected lists every cluster/app the finding stands for when one
	// mistake shows in several of them (a base shared by two clusters);
	// Cluster and App are the first of them. Empty when there is only one.
	Affected []Target `json:"affected,omitempty"`
	// Cause, when set, names the one mistake behind the finding (such as
	// "missing:clusters/x/values.yaml"): findings of one app with the same
	// cause are folded into one. It is not written out.
	Cause string `json:"-"`
}

// Target is one cluster/app a finding affects.
type Target struct {
	Cluster string `json:"cluster,omitempty"`
	App     string `json:"app,omitempty"`
}

// String renders the target as "cluster/app", "cluster" or "app".
func (t Target) String() string {
	switch {
	case t.Cluster != "" && t.App != "":
		return t.Cluster + "/" + t.App
	case t.Cluster != "":
		return t.Cluster
	}
	return t.App
}

// Targets returns every cluster/app the finding affects: Affected, or its
// own Cluster and App.
func (f Finding) Targets() []Target {
	if len(f.Affected) > 0 {
		return f.Affected
	}
	return []Target{{Cluster: f.Cluster, App: f.App}}
}

// Check returns the check part of the rule ("image" for "image/tag-not-found").
func (f Finding) Check() string {
	for i := 0; i < len(f.Rule); i++ {
		if f.Rule[i] == '/' {
			return f.Rule[:i]
		}
	}
	return f.Rule
}

// Location returns "file:line", "file" or "" for messages.
func (f Finding) Location() string {
	switch {
	case f.File == "":
		return ""
	case f.Line > 0:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	default:
		return f.File
	}
}

// Compare orders findings deterministically: cluster, app, file, line, rule,
// resource, message, severity, fingerprint. It is a total order on the
// fields, so sorting and deduplicating never depend on input order.
func Compare(a, b Finding) int {
	if c := cmp.Compare(a.Cluster, b.Cluster); c != 0 {
		return c
	}
	if c := cmp.Compare(a.App, b.App); c != 0 {
		return c
	}
	if c := cmp.Compare(a.File, b.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	var ar, br string
	if a.Resource != nil {
		ar = a.Resource.APIVersion + " " + a.Resource.String()
	}
	if b.Resource != nil {
		br = b.Resource.APIVersion + " " + b.Resource.String()
	}
	if c := cmp.Compare(ar, br); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Message, b.Message); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Severity.Rank(), b.Severity.Rank()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Fingerprint, b.Fingerprint); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Detail, b.Detail); c != 0 {
		return c
	}
	return slices.CompareFunc(a.Affected, b.Affected, func(x, y Target) int {
		if c := cmp.Compare(x.Cluster, y.Cluster); c != 0 {
			return c
		}
		return cmp.Compare(x.App, y.App)
	})
}

// Sort sorts findings in place deterministically and drops exact duplicates.
// The Cause of a finding plays no part.
func Sort(fs []Finding) []Finding {
	slices.SortFunc(fs, Compare)
	return slices.CompactFunc(fs, func(a, b Finding) bool { return Compare(a, b) == 0 })
}
