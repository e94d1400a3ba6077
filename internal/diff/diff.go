// Package diff compares rendered desired states: two revisions of the config
// repo (what a pull request really changes per cluster, app and resource), or
// the desired state against exported live manifests (adoption). Secret values
// never appear in its output: they are replaced by fingerprints.
package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	textdiff "github.com/rogpeppe/go-internal/diff"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// Change says what happens to a resource.
type Change string

// Changes, as shown in every output.
const (
	Added   Change = "added"
	Removed Change = "removed"
	Changed Change = "changed"
	// Moved is a resource that left one app for another in the same cluster
	// with identical content.
	Moved Change = "moved"
)

// ResourceDiff is the change of one resource.
type ResourceDiff struct {
	Resource report.ResourceRef `json:"resource"`
	Change   Change             `json:"change"`
	// From names the app a moved resource came from.
	From string `json:"from,omitempty"`
	// Diff is a unified diff of the normalised YAML (changed resources only).
	Diff string `json:"diff,omitempty"`
	// Fields lists changed field paths (live diffs only).
	Fields []FieldDiff `json:"fields,omitempty"`

	key string
}

// FieldDiff is one field that differs between desired and live.
type FieldDiff struct {
	Path    string `json:"path"`
	Desired string `json:"desired"`
	Live    string `json:"live"`
}

// AppDiff groups the changes of one app in one cluster.
type AppDiff struct {
	Cluster   string         `json:"cluster"`
	App       string         `json:"app"`
	Added     int            `json:"added"`
	Removed   int            `json:"removed"`
	Changed   int            `json:"changed"`
	Moved     int            `json:"moved"`
	Resources []ResourceDiff `json:"resources"`
}

// Result is a whole comparison, sorted by cluster, app and resource.
type Result struct {
	Version int       `json:"version"`
	Apps    []AppDiff `json:"apps"`
}

// Empty reports whether nothing changed.
func (r *Result) Empty() bool { return len(r.Apps) == 0 }

// Totals sums the counts of every app.
func (r *Result) Totals() (added, removed, changed, moved int) {
	for _, a := range r.Apps {
		added += a.Added
		removed += a.Removed
		changed += a.Changed
		moved += a.Moved
	}
	return
}

type entry struct {
	cluster, app string
	res          *resource.Resource
	text         string
}

func index(clusters []*resource.Cluster) map[string]*entry {
	m := map[string]*entry{}
	for _, c := range clusters {
		for _, a := range c.Apps {
			for _, r := range a.Resources {
				// later duplicates win, as in Argo CD
				m[c.Name+"\x00"+a.Name+"\x00"+r.Key()] = &entry{cluster: c.Name, app: a.Name, res: r, text: Normalize(r.Object)}
			}
		}
	}
	return m
}

// Compare diffs the rendered clusters of a base and a head revision.
func Compare(base, head []*resource.Cluster) *Result {
	b, h := index(base), index(head)
	apps := collector{}
	add := apps.add
	// resources removed from one app and added, identical, to another app of
	// the same cluster are moves, not a removal plus an addition.
	removedByKey := map[string][]*entry{}
	for k, e := range b {
		if _, ok := h[k]; !ok {
			rk := e.cluster + "\x00" + e.res.Key()
			removedByKey[rk] = append(removedByKey[rk], e)
		}
	}
	moved := map[*entry]bool{}
	for _, k := range sortedKeys(h) {
		e := h[k]
		old, ok := b[k]
		if ok {
			if old.text != e.text {
				add(e.cluster, e.app, ResourceDiff{Resource: *e.res.Ref(), Change: Changed, Diff: unified(old.text, e.text), key: e.res.Key()})
			}
			continue
		}
		if cands := removedByKey[e.cluster+"\x00"+e.res.Key()]; len(cands) > 0 {
			slices.SortFunc(cands, func(x, y *entry) int { return cmp.Compare(x.app, y.app) })
			if i := slices.IndexFunc(cands, func(c *entry) bool { return !moved[c] && c.text == e.text }); i >= 0 {
				moved[cands[i]] = true
				add(e.cluster, e.app, ResourceDiff{Resource: *e.res.Ref(), Change: Moved, From: cands[i].app, key: e.res.Key()})
				continue
			}
		}
		add(e.cluster, e.app, ResourceDiff{Resource: *e.res.Ref(), Change: Added, Diff: unified("", e.text), key: e.res.Key()})
	}
	for _, k := range sortedKeys(b) {
		e := b[k]
		if _, ok := h[k]; ok || moved[e] {
			continue
		}
		add(e.cluster, e.app, ResourceDiff{Resource: *e.res.Ref(), Change: Removed, Diff: unified(e.text, ""), key: e.res.Key()})
	}
	return finish(apps)
}

// collector groups resource changes per cluster and app.
type collector map[[2]string]*AppDiff

func (c collector) add(cluster, app string, d ResourceDiff) {
	k := [2]string{cluster, app}
	a := c[k]
	if a == nil {
		a = &AppDiff{Cluster: cluster, App: app}
		c[k] = a
	}
	switch d.Change {
	case Added:
		a.Added++
	case Removed:
		a.Removed++
	case Changed:
		a.Changed++
	case Moved:
		a.Moved++
	}
	a.Resources = append(a.Resources, d)
}

func finish(apps collector) *Result {
	res := &Result{Version: 1, Apps: []AppDiff{}}
	for _, a := range apps {
		slices.SortFunc(a.Resources, func(x, y ResourceDiff) int { return cmp.Compare(x.key, y.key) })
		res.Apps = append(res.Apps, *a)
	}
	slices.SortFunc(res.Apps, func(x, y AppDiff) int {
		if c := cmp.Compare(x.Cluster, y.Cluster); c != 0 {
			return c
		}
		return cmp.Compare(x.App, y.App)
	})
	return res
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Normalize renders an object as YAML with sorted keys and Secret values
// replaced by fingerprints, so that formatting noise never shows and secret
// values never do.
func Normalize(obj map[string]any) string {
	b, err := yaml.Marshal(Redact(obj))
	if err != nil {
		return fmt.Sprintf("# unrenderable object: %v\n", err)
	}
	return string(b)
}

// Redact returns a copy of obj where the values of a Secret's data and
// stringData are replaced by "<redacted FINGERPRINT>" markers.
func Redact(obj map[string]any) map[string]any {
	if !resource.IsSecret(obj) {
		return obj
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	for _, field := range []string{"data", "stringData"} {
		m, ok := obj[field].(map[string]any)
		if !ok {
			continue
		}
		red := make(map[string]any, len(m))
		for k, v := range m {
			red[k] = Fingerprint(fmt.Sprint(v))
		}
		out[field] = red
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			if _, has := ann[lastApplied]; has {
				md2 := make(map[string]any, len(md))
				for k, v := range md {
					md2[k] = v
				}
				ann2 := make(map[string]any, len(ann))
				for k, v := range ann {
					ann2[k] = v
				}
				ann2[lastApplied] = Fingerprint(fmt.Sprint(ann[lastApplied]))
				md2["annotations"] = ann2
				out["metadata"] = md2
			}
		}
	}
	return out
}

// Fingerprint is the redaction marker for a secret value: a hash prefix,
// never any part of the value.
func Fingerprint(v string) string {
	return "<redacted " + report.SecretFingerprint([]byte(v)) + ">"
}

func unified(a, b string) string {
	d := string(textdiff.Diff("base", []byte(a), "head", []byte(b)))
	// drop the "diff base head" line: the ---/+++ header names both sides
	if _, rest, ok := strings.Cut(d, "\n"); ok && strings.HasPrefix(d, "diff ") {
		return rest
	}
	return d
}
