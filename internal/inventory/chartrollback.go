package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/imagebump"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
)

// ChartRollbackOptions describe a rollback of a remote Helm chart's
// version (an Application's targetRevision) in one cluster.
type ChartRollbackOptions struct {
	Root    string
	Config  *config.Config
	Cluster string
	// Chart is the chart name (spec.source.chart).
	Chart  string
	DryRun bool
	// Cache, when set, serves the apps the edit did not touch from the
	// render cache, in the inventory and in the re-render (nil: none).
	Cache *rendercache.Cache
}

// ChartRollback is what a chart rollback did (or would do).
type ChartRollback struct {
	Chart   string `json:"chart"`
	Cluster string `json:"cluster"`
	From    string `json:"from"`
	To      string `json:"to"`
	Undone  Change `json:"undone"`
	// Lines are the targetRevision lines edited.
	Lines  []string `json:"lines"`
	DryRun bool     `json:"dryRun"`
	// RenderChecked: the cluster was rendered after the edit and every app
	// using the chart rendered with the previous version.
	RenderChecked bool   `json:"renderChecked"`
	Diff          string `json:"diff"`
}

// RollBackChart sets a remote chart's targetRevision in one cluster's
// Applications back to the version before its last change: the same
// history walk as RollBack, an edit of that token only, and a re-render of
// the cluster (which pulls the chart, so a version missing from the chart
// repository fails it); a failed re-render puts the file back and is
// refused. An Application file that other clusters also read is refused.
// Refusals are *imagebump.RefusedError.
func RollBackChart(ctx context.Context, opts ChartRollbackOptions) (*ChartRollback, error) {
	inv, err := Build(ctx, Options{Root: opts.Root, Config: opts.Config, History: true, Cache: opts.Cache})
	if err != nil {
		return nil, err
	}
	found := false
	for _, c := range inv.Clusters {
		found = found || c.Name == opts.Cluster
	}
	if !found {
		known := make([]string, len(inv.Clusters))
		for i, c := range inv.Clusters {
			known[i] = c.Name
		}
		return nil, &render.UnknownClusterError{Name: opts.Cluster, Known: known}
	}
	if inv.HistoryError != "" {
		return nil, refused("the history is needed to find the previous version: %s", inv.HistoryError)
	}
	rb := &ChartRollback{Chart: opts.Chart, Cluster: opts.Cluster, DryRun: opts.DryRun, Lines: []string{}}
	var sites []Chart
	others := map[string][]string{} // file:line -> other clusters using it
	for _, c := range inv.Clusters {
		for _, a := range c.Apps {
			for _, ch := range a.Charts {
				if ch.Name != opts.Chart {
					continue
				}
				key := at(ch.File, ch.Line)
				if c.Name != opts.Cluster {
					others[key] = append(others[key], c.Name)
					continue
				}
				if ch.Path != "" {
					return nil, refusedAt(ch.File, ch.Line, "chart %s is in this repo (%s): its version is its content, which a version number cannot roll back; revert the chart's commit instead", ch.Name, ch.Path)
				}
				if !slices.ContainsFunc(sites, func(s Chart) bool { return s.File == ch.File && s.Line == ch.Line }) {
					sites = append(sites, ch)
				}
			}
		}
	}
	if len(sites) == 0 {
		return nil, refused("no Application of cluster %s renders chart %s: `render-check inventory --cluster %s` lists its charts", opts.Cluster, opts.Chart, opts.Cluster)
	}
	type edit struct {
		line       int
		start, end int
	}
	edits := map[string][]edit{}
	for _, s := range sites {
		key := at(s.File, s.Line)
		rb.Lines = append(rb.Lines, key)
		if cs := others[key]; len(cs) > 0 {
			return nil, refusedAt(s.File, s.Line, "this targetRevision also deploys chart %s to %s: a rollback changes one cluster only", s.Name, strings.Join(cs, ", "))
		}
		ch := s.Changed
		switch {
		case ch == nil:
			return nil, refusedAt(s.File, s.Line, "the line is not in the git history (an untracked file?); commit it first")
		case ch.Uncommitted:
			return nil, refusedAt(s.File, s.Line, "the line has an uncommitted edit; commit or discard it, then roll back")
		case !ch.HasPrevious:
			return nil, refusedAt(s.File, s.Line, "commit %s (%s) added this line rather than changing the version, so there is nothing earlier to roll back to", short(ch.Commit), ch.Subject)
		}
		cur, err := lineText(opts.Root, s.File, s.Line)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", key, err)
		}
		prev, ok := previousToken(cur, ch.Previous, s.Version)
		if !ok {
			return nil, refusedAt(s.File, s.Line, "commit %s (%s) changed more on this line than the version %s; roll back by hand", short(ch.Commit), ch.Subject, s.Version)
		}
		if strings.ContainsAny(prev, " \t\"'#:{}[],&*!|>%@`") {
			return nil, refusedAt(s.File, s.Line, "the version before commit %s is %q, which is not a plain version", short(ch.Commit), prev)
		}
		switch {
		case rb.To == "":
			rb.To, rb.From, rb.Undone = prev, s.Version, *ch
		case rb.To != prev || rb.From != s.Version:
			return nil, refused("the Applications of %s using chart %s had different versions before their last change (%s): roll back each by hand", opts.Cluster, opts.Chart, strings.Join(rb.Lines, ", "))
		}
		start, end, _ := tokenSpan(cur, s.Version)
		edits[s.File] = append(edits[s.File], edit{line: s.Line, start: start, end: end})
	}

	type write struct {
		abs      string
		old, new []byte
		mode     os.FileMode
	}
	var writes []write
	var diffs []string
	for _, rel := range slices.Sorted(maps.Keys(edits)) {
		old, err := readInRoot(opts.Root, rel)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", rel, err)
		}
		lines := bytes.SplitAfter(old, []byte("\n"))
		for _, e := range edits[rel] {
			l := lines[e.line-1]
			var nl []byte
			nl = append(nl, l[:e.start]...)
			nl = append(nl, rb.To...)
			nl = append(nl, l[e.end:]...)
			lines[e.line-1] = nl
		}
		updated := bytes.Join(lines, nil)
		abs := filepath.Join(opts.Root, filepath.FromSlash(rel))
		fi, err := os.Lstat(abs)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, refusedAt(rel, 0, "not a regular file (a symlink?): edit it by hand")
		}
		writes = append(writes, write{abs: abs, old: old, new: updated, mode: fi.Mode().Perm()})
		diffs = append(diffs, string(diff.Diff("a/"+rel, old, "b/"+rel, updated)))
	}
	rb.Diff = strings.Join(diffs, "")
	if opts.DryRun {
		return rb, nil
	}
	// put writes the new content (or, to undo, the old) of every file as
	// one atomic set: every file changes or none does
	put := func(new bool) error {
		edits := make([]imagebump.FileEdit, len(writes))
		for i, w := range writes {
			edits[i] = imagebump.FileEdit{Path: w.abs, Old: w.old, New: w.new, Mode: w.mode}
			if !new {
				edits[i].Old, edits[i].New = w.new, w.old
			}
		}
		return imagebump.WriteFiles(edits)
	}
	if err := put(true); err != nil {
		return nil, err
	}
	res, err := render.Render(ctx, render.Options{Root: opts.Root, Config: opts.Config, Clusters: []string{opts.Cluster}, Cache: opts.Cache})
	var failed []string
	if err == nil {
		users := map[string]bool{}
		for _, c := range inv.Clusters {
			if c.Name != opts.Cluster {
				continue
			}
			for _, a := range c.Apps {
				for _, ch := range a.Charts {
					if ch.Name == opts.Chart {
						users[a.Name] = true
					}
				}
			}
		}
		for _, f := range res.Findings {
			if f.Rule == report.RuleRenderFailed && f.Severity == report.SeverityError && users[f.App] {
				failed = append(failed, f.App+": "+f.Message)
			}
		}
	}
	if err != nil || len(failed) > 0 {
		if rerr := put(false); rerr != nil {
			return nil, errors.Join(err, fmt.Errorf("putting the files back: %w", rerr))
		}
		if err != nil {
			return nil, fmt.Errorf("re-rendering after the edit (put back): %w", err)
		}
		return nil, refused("with %s %s the cluster does not render (the edit was put back): %s", opts.Chart, rb.To, strings.Join(failed, "; "))
	}
	rb.RenderChecked = true
	return rb, nil
}
