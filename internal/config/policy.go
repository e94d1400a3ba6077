package config

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/report"
)

// Policy configures the repo/... rules (see docs/policy.md).
type Policy struct {
	// Severity overrides the default severity of any rule (render/...,
	// schema/..., image/..., secret/..., repo/...) for every cluster:
	// rule -> error|warning|info|off. ClusterSettings[name].Severity
	// overrides it again for one cluster.
	Severity map[string]string `json:"severity,omitempty"`
	// Production are globs of cluster names that the production-only rules
	// (repo/sync-window, repo/notifications) apply to. When empty, a cluster
	// is production if its name has a "prod" or "production" segment (split
	// on "-", "_" and ".") not preceded by "non", "pre" or "not"; see
	// ProductionReason. ClusterSettings[name].Production wins over both.
	Production []string `json:"production,omitempty"`
	// Adoption enables repo/adoption when set: Applications with automated
	// sync must be listed in Adoption.Adopted.
	Adoption *Adoption `json:"adoption,omitempty"`
}

// Adoption lists the Applications whose rendered output was diffed empty
// against the live cluster (render-check diff --live) before automated sync
// was turned on.
type Adoption struct {
	// Adopted entries are "cluster/app" or "app" (any cluster); both parts
	// may be globs (path.Match syntax).
	Adopted []string `json:"adopted,omitempty"`
}

// SeverityOff is the severity value that turns a rule off.
const SeverityOff = "off"

// normSeverity maps "false" (how YAML 1.1 reads a bare off) to off.
func normSeverity(s string) string {
	if s == "false" {
		return SeverityOff
	}
	return s
}

// ValidatePolicy reports configuration errors in the policy section and in
// the per-cluster severity overrides: unknown rule names, unknown severities,
// bad globs.
func (c *Config) ValidatePolicy() error {
	check := func(where string, m map[string]string) error {
		for _, k := range sortedKeys(m) {
			if _, ok := report.LookupRule(k); !ok {
				return fmt.Errorf("%s: unknown rule %q", where, k)
			}
			switch m[k] {
			case "error", "warning", "info", SeverityOff, "false":
			default:
				return fmt.Errorf("%s: rule %s: severity %q: want error, warning, info or off", where, k, m[k])
			}
		}
		return nil
	}
	if err := check("policy.severity", c.Policy.Severity); err != nil {
		return err
	}
	for _, name := range sortedKeys(c.ClusterSettings) {
		if err := check("clusterSettings."+name+".severity", c.ClusterSettings[name].Severity); err != nil {
			return err
		}
	}
	globs := slices.Clone(c.Policy.Production)
	if c.Policy.Adoption != nil {
		globs = append(globs, c.Policy.Adoption.Adopted...)
	}
	for _, g := range globs {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("policy: bad glob %q: %w", g, err)
		}
	}
	return nil
}

// IsProduction reports whether the production-only repo rules apply to the
// named cluster.
func (c *Config) IsProduction(cluster string) bool {
	ok, _ := c.ProductionReason(cluster)
	return ok
}

// nonProductionQualifiers negate a following "prod" word: non-prod,
// pre-prod, not-prod.
var nonProductionQualifiers = map[string]bool{"non": true, "pre": true, "not": true}

// ProductionReason reports whether the production-only repo rules apply to
// the named cluster and says why (or why not), for the report:
//
//   - clusterSettings.<name>.production wins;
//   - else, when policy.production is set, the first glob that matches;
//   - else the name: split on "-", "_" and ".", one segment is exactly
//     "prod" or "production" and the segment before it is not "non", "pre"
//     or "not" (so agritech-prod and prod-eu-1 are production, non-prod-east,
//     pre-prod and production-like names such as "product" are not).
func (c *Config) ProductionReason(cluster string) (bool, string) {
	if s, ok := c.ClusterSettings[cluster]; ok && s.Production != nil {
		return *s.Production, fmt.Sprintf("clusterSettings.%s.production: %t", cluster, *s.Production)
	}
	if len(c.Policy.Production) > 0 {
		for _, g := range c.Policy.Production {
			if ok, _ := path.Match(g, cluster); ok {
				return true, fmt.Sprintf("policy.production glob %q", g)
			}
		}
		return false, "matches no policy.production glob"
	}
	words := strings.FieldsFunc(strings.ToLower(cluster), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, w := range words {
		if w != "prod" && w != "production" {
			continue
		}
		if i > 0 && nonProductionQualifiers[words[i-1]] {
			continue
		}
		return true, fmt.Sprintf("name segment %q", w)
	}
	return false, "no name segment \"prod\" or \"production\""
}

// RuleSeverity returns the configured severity for rule in cluster ("" for
// no cluster): the cluster's override, else the policy-wide one, else def.
// The result is error, warning, info or off.
func (c *Config) RuleSeverity(cluster, rule, def string) string {
	if cluster != "" {
		if s, ok := c.ClusterSettings[cluster].Severity[rule]; ok {
			return normSeverity(s)
		}
	}
	if s, ok := c.Policy.Severity[rule]; ok {
		return normSeverity(s)
	}
	return def
}

// RuleSeverityConfigured reports whether the rule's severity is set in the
// configuration for the cluster (its own override or the policy-wide one):
// an explicit setting is an opt-in that adoption-friendly defaults respect.
func (c *Config) RuleSeverityConfigured(cluster, rule string) bool {
	if cluster != "" {
		if _, ok := c.ClusterSettings[cluster].Severity[rule]; ok {
			return true
		}
	}
	_, ok := c.Policy.Severity[rule]
	return ok
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Severity resolves the severity of a finding under the overrides of its
// rule: the cluster's override, else the policy-wide one. ok is false when
// the rule is off (the finding is dropped). A finding a check reported below
// its rule's default severity (a capped finding, an image failure under
// --images warn) never rises above what it was reported at; otherwise the
// override replaces the severity. Without an override the finding is
// unchanged. Applying it twice gives the same result.
func (c *Config) Severity(f report.Finding) (sev report.Severity, ok bool) {
	def := f.Severity
	if r, known := report.LookupRule(f.Rule); known {
		def = r.Severity
	}
	s := c.RuleSeverity(f.Cluster, f.Rule, "")
	switch s {
	case "":
		return f.Severity, true
	case SeverityOff:
		return "", false
	}
	over := report.Severity(s)
	if f.Severity != "" && f.Severity.Rank() < def.Rank() && over.Rank() > f.Severity.Rank() {
		return f.Severity, true
	}
	return over, true
}

// ApplySeverities applies the severity overrides to every finding (see
// Severity), dropping those whose rule is off.
func (c *Config) ApplySeverities(fs []report.Finding) []report.Finding {
	out := fs[:0:0]
	for _, f := range fs {
		sev, ok := c.Severity(f)
		if !ok {
			continue
		}
		f.Severity = sev
		out = append(out, f)
	}
	return out
}
