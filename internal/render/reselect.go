package render

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/report"
)

// Decisions records, per cluster and Application, what an Options.Select
// decided during a render, so that a second render of the same checkout
// with a few of the selected-for files changed (a bump's edits, in an
// overlay) can choose its apps from what the first one learned instead of
// judging every app again. Safe for concurrent use.
type Decisions struct {
	mu   sync.Mutex
	apps map[appKey]decision
}

type appKey struct{ cluster, name string }

// decision is the last verdict on an app, with the manifest it was given
// for (file and spec as JSON): a verdict holds only for that manifest.
type decision struct {
	file string
	spec []byte
	kept bool
}

// Record returns sel, recording each of its verdicts in d.
func (d *Decisions) Record(sel func(cluster string, app *argo.Application) bool) func(cluster string, app *argo.Application) bool {
	return func(cluster string, app *argo.Application) bool {
		kept := sel(cluster, app)
		spec, err := json.Marshal(app.Spec)
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.apps == nil {
			d.apps = map[appKey]decision{}
		}
		k := appKey{cluster, app.Metadata.Name}
		if err != nil {
			delete(d.apps, k) // unknown: judged again next time
		} else {
			d.apps[k] = decision{file: app.File, spec: spec, kept: kept}
		}
		return kept
	}
}

// Reselect returns the Select of a second render of the checkout that res
// was rendered from, with the recorded Select, in which the files changed
// (repo-relative) differ. changed must be among the files the recorded
// Select kept the readers of (ReadersOf's files): then an app refused
// before cannot read one now, and an app rendered before whose inputs hold
// none of them renders as before. So an app given with the manifest it had
// before is refused when it was refused before, and else kept when res
// shows it read a changed file or produced Applications or ApplicationSets
// (its children are found only by rendering it), refused when res shows
// it read none; any other app (a new one, a changed manifest, one not in
// res or whose render failed, which may have read less than it would) is
// asked of static.
func (d *Decisions) Reselect(res *Result, changed []string, static func(cluster string, app *argo.Application) bool) func(cluster string, app *argo.Application) bool {
	failed := map[appKey]bool{}
	for _, f := range res.Findings {
		if f.Rule == report.RuleRenderFailed && f.Severity == report.SeverityError {
			failed[appKey{f.Cluster, f.App}] = true
		}
	}
	rendered := map[appKey]bool{} // in the result
	needed := map[appKey]bool{}   // in the result and needed again
	for _, c := range res.Clusters {
		for _, a := range c.Apps {
			k := appKey{c.Name, a.Name}
			rendered[k] = true
			if slices.ContainsFunc(a.Inputs, func(in string) bool { return slices.Contains(changed, in) }) {
				needed[k] = true
				continue
			}
			for _, rs := range a.Resources {
				if argo.IsApplication(rs.Object) || argo.IsApplicationSet(rs.Object) {
					needed[k] = true
					break
				}
			}
		}
	}
	d.mu.Lock()
	known := make(map[appKey]decision, len(d.apps))
	for k, v := range d.apps {
		known[k] = v
	}
	d.mu.Unlock()
	return func(cluster string, app *argo.Application) bool {
		k := appKey{cluster, app.Metadata.Name}
		dec, ok := known[k]
		if ok && dec.file == app.File {
			if spec, err := json.Marshal(app.Spec); err == nil && bytes.Equal(spec, dec.spec) {
				switch {
				case !dec.kept:
					return false
				case rendered[k] && !failed[k]:
					return needed[k]
				}
				// kept but its result is not known: it failed, or the
				// render dropped it (a parent's copy replaced it)
			}
		}
		return static(cluster, app)
	}
}

// ReadersIn returns, by cluster, the Applications of res that read one of
// the files changed (repo-relative), when those apps alone make a render
// of the checkout with changed edited (an overlay) and their manifests
// stay as res has them: no app of res failed (it may have read less than
// it would), and none of them is a cluster directory rendered without an
// Application, produced Applications or ApplicationSets (a parent whose
// output may change), or has its manifest in, or generated from, a changed
// file. res must have been rendered with a Select that
// keeps every app that may read a changed file (ReadersOf of them, or of
// more files), or with none. ok is false otherwise: then render with
// discovery (Reselect chooses the apps). The result is for Options.Apps.
func ReadersIn(res *Result, changed []string) (apps map[string][]*argo.Application, ok bool) {
	for _, f := range res.Findings {
		if f.Rule == report.RuleRenderFailed && f.Severity == report.SeverityError && f.App != "" {
			return nil, false // it may have read less than it would
		}
	}
	isChanged := func(f string) bool { return slices.Contains(changed, f) }
	apps = map[string][]*argo.Application{}
	for _, c := range res.Clusters {
		for _, a := range c.Apps {
			if !slices.ContainsFunc(a.Inputs, isChanged) {
				continue
			}
			app := a.Application
			if app == nil || isChanged(app.File) || slices.ContainsFunc(app.GeneratorInputs, isChanged) {
				return nil, false
			}
			for _, rs := range a.Resources {
				if argo.IsApplication(rs.Object) || argo.IsApplicationSet(rs.Object) {
					return nil, false
				}
			}
			apps[c.Name] = append(apps[c.Name], app)
		}
	}
	return apps, true
}
