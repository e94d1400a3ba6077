package validate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/report"
)

// Missing-schema actions.
const (
	MissingError   = "error"
	MissingWarning = "warning"
	MissingIgnore  = "ignore"
)

// MissingSchemaPolicy maps a selector to the action for objects whose kind
// has no schema (schema/missing). A selector is "*" (every kind), a group
// ("operators.coreos.com"), a kind ("Subscription"), or a kind in a group
// ("Subscription.operators.coreos.com"); the most specific one that matches
// wins: kind in group, then kind, then group, then "*". The action is error
// (the default), warning or ignore.
type MissingSchemaPolicy map[string]string

// PolicyError is an unusable missingSchema policy (a configuration error).
type PolicyError struct {
	Selector, Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("validate.missingSchema %q: %s", e.Selector, e.Reason)
}

// check rejects unknown actions and malformed selectors.
func (p MissingSchemaPolicy) check() error {
	for _, sel := range slices.Sorted(maps.Keys(p)) {
		switch p[sel] {
		case MissingError, MissingWarning, MissingIgnore:
		default:
			return &PolicyError{Selector: sel, Reason: fmt.Sprintf("unknown action %q (want error, warning or ignore)", p[sel])}
		}
		if strings.TrimSpace(sel) == "" || strings.ContainsAny(sel, "/ \t") {
			return &PolicyError{Selector: sel, Reason: "a selector is *, a group, a Kind or Kind.group"}
		}
	}
	return nil
}

// severity returns the severity of a missing schema for apiVersion/kind, ""
// when ignored.
func (p MissingSchemaPolicy) severity(apiVersion, kind string) report.Severity {
	group := groupOf(apiVersion)
	action := MissingError
	for _, sel := range []string{kind + "." + group, kind, group, "*"} {
		if a, ok := p[sel]; ok && sel != "" && sel != "." {
			action = a
			break
		}
	}
	switch action {
	case MissingIgnore:
		return ""
	case MissingWarning:
		return report.SeverityWarning
	}
	return report.SeverityError
}

// maxListed bounds the other locations a grouped schema/missing finding
// lists.
const maxListed = 5

// GroupMissing replaces the schema/missing findings of one kind by one
// finding at its first occurrence (in report order) that counts the
// resources, apps and clusters and lists a few other locations. Other
// findings are returned unchanged, in order.
func GroupMissing(findings []report.Finding) []report.Finding {
	type group struct {
		first  int
		all    []report.Finding
		apps   map[string]bool
		cluste map[string]bool
	}
	groups := map[string]*group{}
	var order []string
	sorted := report.Sort(slices.Clone(findings))
	for i, f := range sorted {
		if f.Rule != report.RuleSchemaMissing || f.Resource == nil {
			continue
		}
		key := string(f.Severity) + "\x00" + f.Resource.APIVersion + "\x00" + f.Resource.Kind + "\x00" + f.Message
		g := groups[key]
		if g == nil {
			g = &group{first: i, apps: map[string]bool{}, cluste: map[string]bool{}}
			groups[key] = g
			order = append(order, key)
		}
		g.all = append(g.all, f)
		g.apps[f.Cluster+"\x00"+f.App] = true
		g.cluste[f.Cluster] = true
	}
	if len(groups) == 0 {
		return findings
	}
	out := make([]report.Finding, 0, len(findings))
	for _, f := range findings {
		if f.Rule != report.RuleSchemaMissing || f.Resource == nil {
			out = append(out, f)
		}
	}
	for _, key := range order {
		g := groups[key]
		f := g.all[0]
		if len(g.all) > 1 {
			f.Message = fmt.Sprintf("%s (%s): %s%s", f.Resource.Kind,
				countPhrase(len(g.all), len(g.apps), len(g.cluste)), f.Message, otherPlaces(g.all[1:]))
			// the finding stands for the kind, not for its first object only
			f.Resource = &report.ResourceRef{APIVersion: f.Resource.APIVersion, Kind: f.Resource.Kind,
				Namespace: f.Resource.Namespace, Name: f.Resource.Name}
		}
		out = append(out, f)
	}
	return out
}

func countPhrase(resources, apps, clusters int) string {
	s := plural(resources, "resource")
	if apps > 1 {
		s += " in " + plural(apps, "app")
	}
	if clusters > 1 {
		s += " of " + plural(clusters, "cluster")
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// otherPlaces lists the locations of the other objects, deduplicated.
func otherPlaces(rest []report.Finding) string {
	var places []string
	seen := map[string]bool{}
	for _, f := range rest {
		p := f.File
		if p == "" {
			continue
		}
		if f.Line > 0 {
			p += fmt.Sprintf(":%d", f.Line)
		}
		if !seen[p] {
			seen[p] = true
			places = append(places, p)
		}
	}
	if len(places) == 0 {
		return ""
	}
	s := "; also at " + strings.Join(places[:min(len(places), maxListed)], ", ")
	if len(places) > maxListed {
		s += fmt.Sprintf(" and %d more", len(places)-maxListed)
	}
	return s
}
