package pipeline

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// ChangedFiles lists the files, relative to the root with forward slashes, that
// differ between the revision ref and the working tree (committed, staged,
// unstaged and untracked changes alike). Files outside root are left out.
func ChangedFiles(ctx context.Context, ws *workspace.Workspace, ref string) ([]string, error) {
	g := ws.GitRunner()
	if err := g.VerifyCommit(ctx, ref); err != nil {
		return nil, fmt.Errorf("--changed-since: %w", err)
	}
	gitOut := func(args ...string) (string, error) { return g.Run(ctx, args...) }
	prefix := ws.Git.Prefix
	diff, err := gitOut("diff", "--name-only", "--no-renames", "-z", ref, "--", ".")
	if err != nil {
		return nil, fmt.Errorf("--changed-since: %w", err)
	}
	untracked, err := gitOut("ls-files", "--others", "--exclude-standard", "-z", "--full-name", "--", ".")
	if err != nil {
		return nil, fmt.Errorf("--changed-since: %w", err)
	}
	var out []string
	for _, f := range strings.Split(diff+untracked, "\x00") {
		if f == "" {
			continue
		}
		// both commands print paths relative to the top of the work tree
		if rel, ok := strings.CutPrefix(f, prefix); ok {
			out = append(out, rel)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// selectChanged keeps the apps whose inputs (the files read to render them,
// their Application manifest included) intersect changed. It returns
// everything, with the reason, when it cannot be sure: the configuration
// changed, or an app has no recorded inputs (e.g. it failed to render).
func selectChanged(clusters []*resource.Cluster, changed []string) (kept []*resource.Cluster, unsure string) {
	set := map[string]bool{}
	for _, f := range changed {
		set[f] = true
		if path.Base(f) == config.FileName || path.Base(f) == ".argocd-source.yaml" {
			unsure = f + " changed"
		}
	}
	if unsure != "" {
		return clusters, unsure
	}
	for _, c := range clusters {
		nc := *c
		nc.Apps = nil
		for _, a := range c.Apps {
			if len(a.Inputs) == 0 {
				return clusters, "no recorded inputs for app " + c.Name + "/" + a.Name
			}
			if a.Application != nil && set[a.Application.File] || slices.ContainsFunc(a.Inputs, func(f string) bool { return set[f] }) {
				nc.Apps = append(nc.Apps, a)
			}
		}
		if len(nc.Apps) > 0 {
			kept = append(kept, &nc)
		}
	}
	return kept, ""
}
