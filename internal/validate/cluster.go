package validate

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/yamlpos"
)

// ClusterOptions configure CheckCluster.
type ClusterOptions struct {
	// Root is the repo checkout; origins are relative to it.
	Root string
	// KubernetesVersion overrides the cluster's version ("" = cluster's, else default).
	KubernetesVersion string
	// Strict rejects undeclared fields.
	Strict bool
	// CRDs come from the checkout and configured paths; the cluster's
	// rendered CRDs are added in front of them.
	CRDs []CRDSchema
	// SchemaLocations, SchemaCacheDir and SkipKinds are as in Options.
	SchemaLocations []string
	SchemaCacheDir  string
	SkipKinds       []string
	// MissingSchema and NoCatalog are as in Options.
	MissingSchema MissingSchemaPolicy
	NoCatalog     bool
	// Lines maps fields to source lines (nil: a fresh index).
	Lines *yamlpos.Index
	// Cache shares converted and compiled CRDs and verdicts between the
	// clusters of a run (nil: none shared).
	Cache *Cache
	// Verdicts, when set, keeps each app's verdicts across runs (the
	// verdict cache): an app whose objects, CRDs and settings are unchanged
	// is not validated again, and no schema is loaded for it.
	Verdicts *rendercache.Verdicts
}

// CheckCluster validates every resource of a cluster for its Kubernetes
// version and reports duplicates. Findings point at the source file and the
// line of the offending field. An error means the check could not run (an
// unknown Kubernetes version, a bad schema location).
func CheckCluster(ctx context.Context, c *resource.Cluster, opts ClusterOptions) ([]report.Finding, error) {
	version := opts.KubernetesVersion
	if version == "" {
		version = c.KubernetesVersion
	}
	resources := c.All()
	cache := opts.Cache
	if cache == nil {
		cache = NewCache()
	}
	var findings []report.Finding
	var crds []CRDSchema
	for _, r := range resources {
		if !IsCRD(r.Object) {
			continue
		}
		cs, err := cache.convertCRD(normalize(r.Object).(map[string]any))
		if err != nil {
			findings = append(findings, finding(c.Name, r, report.RuleSchemaCRDInvalid, report.SeverityError, r.Origin.Line, err.Error()))
			continue
		}
		for i := range cs {
			cs[i].Source = fmt.Sprintf("%s (app %s)", r.Origin.File, r.App)
		}
		crds = append(crds, cs...)
	}
	crds = append(crds, opts.CRDs...)
	// then the CRDs of charts an app renders with skipCrds: shipped, not
	// applied; a broken one is no finding (nobody edits it), only no schema
	for _, a := range c.Apps {
		for _, r := range a.ChartCRDs {
			cs, err := ConvertCRD(normalize(r.Object).(map[string]any))
			if err != nil {
				continue
			}
			for i := range cs {
				cs[i].Source, cs[i].Cite = fmt.Sprintf("chart crds %s (app %s)", r.Origin.File, a.Name), true
			}
			crds = append(crds, cs...)
		}
	}
	v, err := New(Options{KubernetesVersion: version, Strict: opts.Strict, CRDs: crds,
		SchemaLocations: opts.SchemaLocations, SchemaCacheDir: opts.SchemaCacheDir, SkipKinds: opts.SkipKinds,
		MissingSchema: opts.MissingSchema, NoCatalog: opts.NoCatalog, Cache: cache})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	lines := opts.Lines
	if lines == nil {
		lines = yamlpos.NewIndex()
	}
	verdicts, err := judge(ctx, c, resources, v, newPersisted(opts.Verdicts, v, crds))
	if err != nil {
		return nil, err
	}
	per := make([][]report.Finding, len(resources))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(runtime.GOMAXPROCS(0), 1))
	for i, r := range resources {
		if len(verdicts[i].problems) == 0 {
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			obj, _ := normalize(r.Object).(map[string]any)
			for _, p := range verdicts[i].problems {
				line := r.Origin.Line
				if len(p.Path) > 0 || line == 0 {
					line = lines.FieldLine(opts.Root, r.Origin, r.Kind(), r.Name(), p.Path)
				}
				f := finding(c.Name, r, p.Rule, p.Severity, line, problemMessage(p))
				if vk, ok := valuesKey(lines, opts.Root, r, line, obj, p); ok {
					// the value came from a values file: that key is the line to edit
					f.Message += fmt.Sprintf(" (value of %s, used by %s:%d)", vk.Key, r.Origin.File, line)
					f.File, f.Line = vk.File, vk.Line
				}
				per[i] = append(per[i], f)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, f := range per {
		findings = append(findings, f...)
	}
	// Duplicates, in resource order: the first definition is the original.
	first := map[string]*resource.Resource{}
	dest := map[string]string{} // app -> destination cluster: one object per destination
	for _, a := range c.Apps {
		dest[a.Name] = a.Application.DestinationKey()
	}
	for i, r := range resources {
		k := verdicts[i].dup
		if k == "" {
			continue
		}
		k = dest[r.App] + "\x00" + k
		if o, ok := first[k]; ok {
			msg := fmt.Sprintf("%s is also defined by app %s (%s", r.Ref(), o.App, o.Origin.File)
			if o.Origin.Line > 0 {
				msg += fmt.Sprintf(":%d", o.Origin.Line)
			}
			msg += "): Argo CD would apply both and they would fight"
			f := finding(c.Name, r, report.RuleSchemaDuplicateResource, report.SeverityError, r.Origin.Line, msg)
			f.Cause = report.SharedObjectCause(r.Origin.File, r.Origin.Line, r.Ref()) // repo/app-sanity's "managed by two Applications"
			findings = append(findings, f)
			continue
		}
		first[k] = r
	}
	return findings, nil
}

// judge returns the verdict of every resource (in order): from the verdict
// cache for the apps whose verdicts it holds (pv nil: none), else by
// validating, storing the verdicts of each app judged.
func judge(ctx context.Context, c *resource.Cluster, resources []*resource.Resource, v *Validator, pv *persisted) ([]objVerdict, error) {
	out := make([]objVerdict, len(resources))
	objs := make([]map[string]any, len(resources))
	type app struct {
		from, to int
		key      rendercache.Key
		keyed    bool
		hit      bool
	}
	apps := make([]app, 0, len(c.Apps))
	at := 0
	for _, a := range c.Apps {
		apps = append(apps, app{from: at, to: at + len(a.Resources)})
		at += len(a.Resources)
	}
	limit := max(runtime.GOMAXPROCS(0), 1)
	// first the cached apps: keyed by their objects' content
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for ai := range apps {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			a := &apps[ai]
			sums := make([]resource.Sum, 0, a.to-a.from)
			keyed := pv != nil
			for i := a.from; i < a.to; i++ {
				objs[i], _ = normalize(resources[i].Object).(map[string]any)
				if !keyed {
					continue
				}
				sum, ok := resource.ContentSum(objs[i])
				sums = append(sums, sum)
				keyed = ok
			}
			if !keyed {
				return nil
			}
			a.key, a.keyed = pv.key(objs[a.from:a.to], sums)
			if !a.keyed {
				return nil
			}
			if vs, ok := pv.get(a.key, a.to-a.from); ok {
				copy(out[a.from:a.to], vs)
				a.hit = true
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// then the others, validated
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, a := range apps {
		if a.hit {
			continue
		}
		for i := a.from; i < a.to; i++ {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				out[i] = objVerdict{problems: v.Validate(objs[i]), dup: v.duplicateKey(resources[i].Object)}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.keyed && !a.hit {
			pv.put(a.key, out[a.from:a.to])
		}
	}
	return out, nil
}

// valuesKey finds the values-file key that supplied the wrong value of a
// Helm-rendered object's field (a wrong type, a bad enum value): the key a
// person edits. An unknown field is the template's mistake, never the
// values'.
func valuesKey(lines *yamlpos.Index, root string, r *resource.Resource, line int, obj map[string]any, p Problem) (yamlpos.ValuesKey, bool) {
	if len(r.ValuesFiles) == 0 || len(p.Path) == 0 || strings.HasPrefix(p.Message, "unknown field") {
		return yamlpos.ValuesKey{}, false
	}
	var v any = obj
	for _, k := range p.Path {
		switch t := v.(type) {
		case map[string]any:
			v = t[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(t) {
				return yamlpos.ValuesKey{}, false
			}
			v = t[i]
		default:
			return yamlpos.ValuesKey{}, false
		}
	}
	switch v.(type) {
	case map[string]any, []any, nil:
		return yamlpos.ValuesKey{}, false
	}
	return lines.ValuesKeyAt(root, r.Origin.File, line, r.ValuesFiles, fmt.Sprint(v))
}

func finding(cluster string, r *resource.Resource, rule string, sev report.Severity, line int, msg string) report.Finding {
	return report.Finding{Rule: rule, Severity: sev, Cluster: cluster, App: r.App, File: r.Origin.File, Line: line,
		Resource: r.Ref(), Message: msg}
}

// normalize converts values a YAML decoder may produce into JSON types
// (time.Time, map[any]any, typed slices), copying only what changes.
func normalize(v any) any {
	n, _ := normalizeValue(v)
	return n
}

func normalizeValue(v any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range t {
			n, changed := normalizeValue(e)
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(t))
				for k2, e2 := range t {
					out[k2] = e2
				}
			}
			out[k] = n
		}
		if out != nil {
			return out, true
		}
		return t, false
	case []any:
		var out []any
		for i, e := range t {
			n, changed := normalizeValue(e)
			if !changed {
				continue
			}
			if out == nil {
				out = make([]any, len(t))
				copy(out, t)
			}
			out[i] = n
		}
		if out != nil {
			return out, true
		}
		return t, false
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out, true
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out, true
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out, true
	case time.Time:
		return t.UTC().Format(time.RFC3339), true
	}
	return v, false
}
