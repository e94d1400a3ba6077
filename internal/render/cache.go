package render

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// Flags a cached render replays.
const (
	// flagGuessed: a source was read from the checkout because its path
	// exists here (no git origin, no repoURLs).
	flagGuessed = "guessed"
	// flagRevision: the render used ARGOCD_APP_REVISION (through an
	// override file); the revision follows after a colon.
	flagRevision = "revision"
)

// revisionVar is the build environment variable prefix naming the commit.
const revisionVar = "ARGOCD_APP_REVISION"

// clusterKey hashes what every app of a cluster shares: the run's
// configuration, the cluster and its versions.
func (r *renderer) clusterKey(cl *cluster) (rendercache.Key, error) {
	k := rendercache.NewKey()
	// the whole configuration but the sections of later stages (a setting
	// render reads tomorrow is keyed without anyone remembering to);
	// parallelism and the chart cache location do not change a result
	cfg := *r.cfg
	cfg.Images, cfg.Validate, cfg.Secrets, cfg.Policy, cfg.Cache = config.Images{}, config.Validate{}, config.Secrets{}, config.Policy{}, config.Cache{}
	cfg.Render.Parallelism, cfg.Render.ChartCacheDir = 0, ""
	// the network policy is not keyed: a result that fetched records
	// where (flagNet), checked against the policy of the run reading it,
	// so trusted and untrusted runs share the results of local renders
	cfg.Network = ""
	b, err := json.Marshal(&cfg)
	if err != nil {
		return rendercache.Key{}, fmt.Errorf("render cache key: %w", err)
	}
	k.Bytes("config", b)
	k.String("origin", r.repo.Origin)
	k.String("knows", fmt.Sprint(r.repo.KnowsItself()))
	k.String("cluster", cl.name)
	k.String("dir", cl.dir)
	k.String("kube", cl.kubeVersion)
	k.Strings("apis", cl.apiVersions)
	return k.Sum(), nil
}

// appKey is the cache key of one app; ok is false when it cannot be made.
func (r *renderer) appKey(cl *cluster, app *argo.Application, synthetic bool) (rendercache.Key, bool) {
	k := rendercache.NewKey()
	k.Bytes("cluster", cl.key[:])
	spec, err := json.Marshal(app)
	if err != nil {
		return rendercache.Key{}, false
	}
	raw, err := json.Marshal(app.Raw)
	if err != nil {
		return rendercache.Key{}, false
	}
	k.Bytes("app", spec)
	k.Bytes("raw", raw)
	k.String("file", app.File)
	k.String("line", fmt.Sprint(app.Line))
	k.String("generatedBy", app.GeneratedBy)
	k.Strings("generatorInputs", app.GeneratorInputs)
	k.String("synthetic", fmt.Sprint(synthetic))
	if strings.Contains(string(spec), revisionVar) {
		k.String("revision", r.repo.Head)
	}
	return k.Sum(), true
}

// renderCached is renderAppSafe through the render cache: a stored result
// whose inputs are unchanged is used, else the app is rendered and its
// result stored when it may be.
func (r *renderer) renderCached(ctx context.Context, cl *cluster, app *argo.Application, synthetic bool) *appResult {
	if r.cache == nil || !cl.keyed {
		return r.renderAppSafe(ctx, cl, app, synthetic)
	}
	key, ok := r.appKey(cl, app, synthetic)
	if ok {
		if e, found := r.cache.Get(key); found && r.checker.Valid(e) && r.flagsHold(e.Flags) {
			if res, err := decodeResult(e.Result, app, synthetic); err == nil {
				r.replay(e.Flags)
				r.cache.Hit()
				return res
			}
		}
	}
	rec := &rendercache.Recorder{}
	res := r.renderAppSafe(rendercache.WithRecorder(ctx, rec), cl, app, synthetic)
	stored := ok && res != nil && !r.readOnlyCache && r.store(key, app, synthetic, res, rec)
	r.cache.Miss(!stored)
	return res
}

// flagsHold reports whether the facts a stored render depended on still
// hold.
func (r *renderer) flagsHold(flags []string) bool {
	for _, f := range flags {
		if rev, ok := strings.CutPrefix(f, flagRevision+":"); ok && rev != r.repo.Head {
			return false
		}
		if u, ok := strings.CutPrefix(f, rendercache.FlagNet); ok && r.network.Check("helm chart repository", u) != nil {
			return false // fetched from where this run may not fetch
		}
	}
	return true
}

// replay applies the run-level effects of a stored render.
func (r *renderer) replay(flags []string) {
	for _, f := range flags {
		if f == flagGuessed {
			r.guessOnce.Do(func() { r.guessed = true })
		}
	}
}

// uncacheableRules are findings of a render whose result is not stored.
var uncacheableRules = map[string]bool{RuleLimit: true, report.RuleRenderFailed: true, RuleRemoteRefused: true}

// store saves a render's result; it reports whether it did.
func (r *renderer) store(key rendercache.Key, app *argo.Application, synthetic bool, res *appResult, rec *rendercache.Recorder) bool {
	got := rec.Recorded()
	if len(got.Uncacheable) > 0 {
		return false
	}
	for _, f := range res.findings {
		if uncacheableRules[f.Rule] {
			return false
		}
	}
	flags := got.Flags
	for i, f := range flags {
		if f == flagRevision {
			flags[i] = flagRevision + ":" + r.repo.Head
		}
	}
	got.Flags = flags
	data, err := encodeResult(res, app, synthetic)
	if err != nil {
		return false
	}
	// the stored form must give back exactly this result
	back, err := decodeResult(data, app, synthetic)
	if err != nil || !reflect.DeepEqual(back, res) {
		return false
	}
	var plain []string
	if app.File != "" && !synthetic {
		plain = append(append(plain, app.File), app.GeneratorInputs...)
	}
	e, ok := r.checker.Build(r.repo.Root, res.app.Inputs, plain, got, data)
	if !ok {
		return false
	}
	return r.cache.Put(key, e) == nil
}

// encodeResult serializes an app's result (its Application is the one
// rendered: not stored, given back on decoding).
func encodeResult(res *appResult, app *argo.Application, synthetic bool) ([]byte, error) {
	var e rendercache.Encoder
	a := res.app
	switch {
	case synthetic && a.Application != nil, !synthetic && a.Application != app:
		return nil, fmt.Errorf("render cache: result of another Application")
	}
	e.String(a.Name)
	e.String(a.Cluster)
	e.String(a.SourceType)
	e.Strings(a.Inputs)
	e.Len(len(a.Resources), a.Resources == nil)
	objIndex := map[uintptr]int{}
	for i, rs := range a.Resources {
		e.String(rs.Cluster)
		e.String(rs.App)
		if err := e.Value(rs.Object); err != nil {
			return nil, err
		}
		if rs.Object != nil {
			objIndex[reflect.ValueOf(rs.Object).Pointer()] = i
		}
		e.String(rs.Origin.File)
		e.Int(rs.Origin.Line)
		e.String(rs.Origin.Chart)
		e.Strings(rs.ValuesFiles)
	}
	e.Len(len(res.findings), res.findings == nil)
	for _, f := range res.findings {
		e.Finding(f)
	}
	e.Len(len(res.children), res.children == nil)
	for _, c := range res.children {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("render cache: %w", err)
		}
		e.Raw(b)
		// a child's Raw is its resource's object in a fresh render: keep it so
		idx, shared := -1, false
		if c.Raw != nil {
			idx, shared = objIndex[reflect.ValueOf(c.Raw).Pointer()]
		}
		if !shared {
			idx = -1
		}
		e.Int(idx)
		if idx < 0 {
			if err := e.Value(c.Raw); err != nil {
				return nil, err
			}
		}
		e.String(c.File)
		e.Int(c.Line)
		e.String(c.GeneratedBy)
		e.Strings(c.GeneratorInputs)
	}
	return e.Bytes(), nil
}

// decodeResult is encodeResult's inverse.
func decodeResult(data []byte, app *argo.Application, synthetic bool) (*appResult, error) {
	d := rendercache.NewDecoder(data)
	a := &resource.App{Name: d.String(), Cluster: d.String(), SourceType: d.String(), Inputs: d.Strings()}
	if !synthetic {
		a.Application = app
	}
	if n, isNil := d.Len(); !isNil {
		a.Resources = make([]*resource.Resource, n)
		for i := range a.Resources {
			rs := &resource.Resource{Cluster: d.String(), App: d.String()}
			obj := d.Value()
			m, ok := obj.(map[string]any)
			if obj != nil && !ok {
				return nil, rendercache.ErrCorrupt
			}
			rs.Object = m
			rs.Origin = resource.Origin{File: d.String(), Line: d.Int(), Chart: d.String()}
			rs.ValuesFiles = d.Strings()
			a.Resources[i] = rs
		}
	}
	res := &appResult{app: a}
	if n, isNil := d.Len(); !isNil {
		res.findings = make([]report.Finding, n)
		for i := range res.findings {
			res.findings[i] = d.Finding()
		}
	}
	if n, isNil := d.Len(); !isNil {
		res.children = make([]*argo.Application, n)
		for i := range res.children {
			c := &argo.Application{}
			if err := json.Unmarshal(d.Raw(), c); err != nil {
				return nil, rendercache.ErrCorrupt
			}
			idx := d.Int()
			switch {
			case idx >= 0 && idx < len(a.Resources):
				c.Raw = a.Resources[idx].Object
			case idx >= 0:
				return nil, rendercache.ErrCorrupt
			default:
				raw := d.Value()
				m, ok := raw.(map[string]any)
				if raw != nil && !ok {
					return nil, rendercache.ErrCorrupt
				}
				c.Raw = m
			}
			c.File, c.Line, c.GeneratedBy, c.GeneratorInputs = d.String(), d.Int(), d.String(), d.Strings()
			res.children[i] = c
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return res, nil
}
