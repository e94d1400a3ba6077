package report

import "slices"

// Version is the version of the JSON report contract.
const Version = 1

// Report is the result of one run: what was rendered and what was found.
type Report struct {
	Version  int       `json:"version"`
	Clusters []Cluster `json:"clusters"`
	Findings []Finding `json:"findings"`
	// Skipped names checks that did not run and why (e.g. "image: --images off").
	// A skipped check is never counted as passed.
	Skipped []string `json:"skipped,omitempty"`
	// Notes say how the run was scoped (shards, changed-only selection).
	Notes   []string `json:"notes,omitempty"`
	Summary Summary  `json:"summary"`
}

// Cluster summarises one cluster of the run.
type Cluster struct {
	Name              string `json:"name"`
	KubernetesVersion string `json:"kubernetesVersion"`
	// Production is true when the production-only rules apply to the
	// cluster; ProductionReason says why (a setting or the name rule).
	Production       bool   `json:"production,omitempty"`
	ProductionReason string `json:"productionReason,omitempty"`
	Apps             []App  `json:"apps"`
}

// App summarises one rendered Application.
type App struct {
	Name string `json:"name"`
	// Source is helm, kustomize, directory, plugin or multi.
	Source string `json:"source"`
	// Resources counts what Argo CD would apply for this app.
	Resources int `json:"resources"`
	// ApplicationSet names the ApplicationSet that generated the app.
	ApplicationSet string `json:"applicationSet,omitempty"`
}

// Summary holds the totals of a report.
type Summary struct {
	Clusters  int `json:"clusters"`
	Apps      int `json:"apps"`
	Resources int `json:"resources"`
	Errors    int `json:"errors"`
	Warnings  int `json:"warnings"`
	// Cache says what the render cache did; present only when a cache was
	// used (docs/cache.md).
	Cache *CacheSummary `json:"cache,omitempty"`
}

// CacheSummary counts the apps served from the render cache (hits) and
// rendered (misses) in one run, and the lookups of the check stages in the
// verdict cache that found a verdict and that did not.
type CacheSummary struct {
	Hits          int `json:"hits"`
	Misses        int `json:"misses"`
	VerdictHits   int `json:"verdictHits"`
	VerdictMisses int `json:"verdictMisses"`
}

// Finalize sorts clusters, apps and findings, folds the views of one
// mistake into one finding (see Fold) and recomputes the summary, so two
// runs over the same input produce the same bytes.
func (r *Report) Finalize() {
	r.Version = Version
	slices.SortFunc(r.Clusters, func(a, b Cluster) int { return compareStr(a.Name, b.Name) })
	for i := range r.Clusters {
		slices.SortFunc(r.Clusters[i].Apps, func(a, b App) int { return compareStr(a.Name, b.Name) })
	}
	r.Findings = Fold(r.Findings)
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Clusters == nil {
		r.Clusters = []Cluster{}
	}
	slices.Sort(r.Skipped)
	r.Skipped = slices.Compact(r.Skipped)
	s := Summary{Clusters: len(r.Clusters), Cache: r.Summary.Cache}
	for _, c := range r.Clusters {
		s.Apps += len(c.Apps)
		for _, a := range c.Apps {
			s.Resources += a.Resources
		}
	}
	for _, f := range r.Findings {
		switch f.Severity {
		case SeverityError:
			s.Errors++
		case SeverityWarning:
			s.Warnings++
		}
	}
	r.Summary = s
}

// Fails reports whether any finding is at or above the given level.
func (r *Report) Fails(level Severity) bool {
	for _, f := range r.Findings {
		if f.Severity.Rank() >= level.Rank() {
			return true
		}
	}
	return false
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
