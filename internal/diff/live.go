package diff

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/render-check/render-check/internal/resource"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// serverMetadata are metadata fields the API server populates.
var serverMetadata = []string{"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}

// serverAnnotations are annotations set by controllers or tooling, not by the manifest author.
var serverAnnotations = []string{lastApplied, "deployment.kubernetes.io/revision", "argocd.argoproj.io/tracking-id"}

// Live compares the desired resources of one scope (a cluster, or one app of
// it) with exported live objects, judging like Argo CD's sync status:
// server-populated fields and API-server defaults are ignored, and values the
// server stores in another but equivalent form (quantities by value, numeric
// int-or-string fields, Secret stringData as data, dropped null, empty and
// zero values) compare equal (canonical.go), so a correctly exported
// workload diffs empty. Live objects without a desired counterpart
// would be pruned; desired ones not live would be created.
func Live(cluster string, apps []*resource.App, live []map[string]any) *Result {
	liveByKey := map[string]map[string]any{}
	for _, o := range live {
		if createdByServer(o) {
			continue
		}
		r := &resource.Resource{Object: o}
		liveByKey[r.Key()] = o
	}
	apps2 := collector{}
	add := func(app string, d ResourceDiff) { apps2.add(cluster, app, d) }
	seen := map[string]bool{}
	for _, a := range apps {
		for _, r := range a.Resources {
			key := r.Key()
			seen[key] = true
			lo, ok := liveByKey[key]
			if !ok {
				add(a.Name, ResourceDiff{Resource: *r.Ref(), Change: Added, key: key})
				continue
			}
			var fields []FieldDiff
			liveObj := stripServerFields(lo)
			desired := stripServerFields(canonicalDesired(r.Object, liveObj))
			compareSubset(desired, liveObj, "", &fields, resource.IsSecret(r.Object))
			fields = append(fields, removedByLastApplied(r.Object, lo)...)
			if len(fields) > 0 {
				slices.SortFunc(fields, func(x, y FieldDiff) int { return strings.Compare(x.Path, y.Path) })
				add(a.Name, ResourceDiff{Resource: *r.Ref(), Change: Changed, Fields: fields, key: key,
					Diff: unified(Normalize(liveObj), Normalize(desired))})
			}
		}
	}
	for _, key := range sortedKeys(liveByKey) {
		if seen[key] {
			continue
		}
		r := &resource.Resource{Object: liveByKey[key]}
		add("", ResourceDiff{Resource: *r.Ref(), Change: Removed, key: key})
	}
	return finish(apps2)
}

// createdByServer reports live objects that no manifest author writes and that
// Argo CD never prunes: objects owned by a controller (Pods, ReplicaSets,
// EndpointSlices), Endpoints, Events, and the per-namespace defaults.
func createdByServer(o map[string]any) bool {
	r := &resource.Resource{Object: o}
	if md := r.Metadata(); md != nil {
		if refs, ok := md["ownerReferences"].([]any); ok && len(refs) > 0 {
			return true
		}
	}
	switch r.Kind() {
	case "Event", "Endpoints", "EndpointSlice":
		return true
	case "ConfigMap":
		return r.Name() == "kube-root-ca.crt"
	case "ServiceAccount":
		return r.Name() == "default"
	}
	return false
}

// stripServerFields returns a copy without status and server-populated metadata.
func stripServerFields(o map[string]any) map[string]any {
	out := make(map[string]any, len(o))
	for k, v := range o {
		if k == "status" {
			continue
		}
		out[k] = v
	}
	md, ok := o["metadata"].(map[string]any)
	if !ok {
		return out
	}
	m2 := make(map[string]any, len(md))
	for k, v := range md {
		if !slices.Contains(serverMetadata, k) {
			m2[k] = v
		}
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		a2 := map[string]any{}
		for k, v := range ann {
			if !slices.Contains(serverAnnotations, k) {
				a2[k] = v
			}
		}
		if len(a2) == 0 {
			delete(m2, "annotations")
		} else {
			m2["annotations"] = a2
		}
	}
	out["metadata"] = m2
	return out
}

// compareSubset reports fields of desired that differ in live. Fields only in
// live are API-server defaults (or other controllers') and are ignored, as
// Argo CD's default diff does.
func compareSubset(desired, live any, path string, out *[]FieldDiff, secret bool) {
	switch d := desired.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			*out = append(*out, field(path, desired, live, secret))
			return
		}
		for _, k := range sortedKeys(d) {
			lv, ok := l[k]
			if d[k] == nil {
				continue // null in a manifest: unset, the server's value stands
			}
			if !ok {
				if isEmpty(d[k]) || isZero(d[k]) {
					continue // empty and zero desired values are dropped by the API server
				}
				*out = append(*out, field(join(path, k), d[k], nil, secret))
				continue
			}
			compareSubset(d[k], lv, join(path, k), out, secret)
		}
	case []any:
		l, ok := live.([]any)
		if !ok {
			if len(d) == 0 && live == nil {
				return
			}
			*out = append(*out, field(path, desired, live, secret))
			return
		}
		if byName, ok := namedItems(d, l); ok {
			for _, n := range sortedKeys(byName) {
				pair := byName[n]
				p := path + "[name=" + n + "]"
				switch {
				case pair[1] == nil:
					*out = append(*out, field(p, pair[0], nil, secret))
				case pair[0] == nil:
					*out = append(*out, field(p, nil, pair[1], secret))
				default:
					compareSubset(pair[0], pair[1], p, out, secret)
				}
			}
			return
		}
		if len(d) != len(l) {
			*out = append(*out, field(path, desired, live, secret))
			return
		}
		for i := range d {
			compareSubset(d[i], l[i], fmt.Sprintf("%s[%d]", path, i), out, secret)
		}
	default:
		if scalar(desired) != scalar(live) {
			*out = append(*out, field(path, desired, live, secret))
		}
	}
}

// namedItems pairs list items by their "name" when every item has one.
func namedItems(d, l []any) (map[string][2]any, bool) {
	m := map[string][2]any{}
	for i, list := range [][]any{d, l} {
		for _, it := range list {
			o, ok := it.(map[string]any)
			if !ok {
				return nil, false
			}
			n, ok := o["name"].(string)
			if !ok {
				return nil, false
			}
			p := m[n]
			p[i] = o
			m[n] = p
		}
	}
	return m, len(m) > 0
}

// removedByLastApplied finds fields the previous kubectl apply set that the
// desired state no longer has: applying would remove them.
func removedByLastApplied(desired, live map[string]any) []FieldDiff {
	md, _ := live["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	s, _ := ann[lastApplied].(string)
	if s == "" {
		return nil
	}
	var prev map[string]any
	if json.Unmarshal([]byte(s), &prev) != nil {
		return nil
	}
	var out []FieldDiff
	var walk func(p, d any, path string)
	walk = func(p, d any, path string) {
		pm, ok := p.(map[string]any)
		if !ok {
			return
		}
		dm, _ := d.(map[string]any)
		for _, k := range sortedKeys(pm) {
			if path == "" && k == "status" {
				continue
			}
			if path == "metadata" && k == "annotations" {
				continue
			}
			dv, ok := dm[k]
			if !ok {
				out = append(out, field(join(path, k), nil, "(set by the last apply)", resource.IsSecret(desired)))
				continue
			}
			walk(pm[k], dv, join(path, k))
		}
	}
	walk(prev, desired, "")
	return out
}

func field(path string, desired, live any, secret bool) FieldDiff {
	f := FieldDiff{Path: path, Desired: show(desired), Live: show(live)}
	if secret && (strings.HasPrefix(path, "data") || strings.HasPrefix(path, "stringData")) {
		if desired != nil {
			f.Desired = Fingerprint(fmt.Sprint(desired))
		}
		if live != nil {
			f.Live = Fingerprint(fmt.Sprint(live))
		}
	}
	return f
}

func show(v any) string {
	switch v.(type) {
	case nil:
		return "(absent)"
	case map[string]any, []any:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	return scalar(v)
}

// scalar renders a scalar so that 1, 1.0 and "1" compare equal, as the API
// server stores numbers in whichever form.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case string:
		return x == ""
	}
	return false
}

// isZero reports false and 0, which the API server omits (omitempty) when
// it serialises a typed object.
func isZero(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case float64:
		return x == 0
	case int:
		return x == 0
	case int64:
		return x == 0
	}
	return false
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
