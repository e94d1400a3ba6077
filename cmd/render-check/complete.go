package main

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/workspace"
)

// exitCodesHelp ends the long help of the commands that run checks.
const exitCodesHelp = `

Exit codes:
  0  nothing at or above the --fail-on level
  1  findings at or above the --fail-on level
  2  the run could not happen (bad flags, bad config, unreadable root)`

// completeFlags registers fixed value lists for flags' shell completion.
func completeFlags(cmd *cobra.Command, values map[string][]string) {
	for name, vs := range values {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(vs, cobra.ShellCompDirectiveNoFileComp))
	}
}

// completeClusters completes --cluster with the clusters found under the
// --root (and --config) given so far on the command line.
func completeClusters(root *string, conf *configFlags) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return completeNames(cmd, root, conf, prefix, func(ctx context.Context, _ *workspace.Workspace, c workspace.ClusterDir) []string {
			return []string{c.Name}
		})
	}
}

// completeApps completes --app with the Applications of the clusters
// selected so far (--cluster; all when none), found without rendering:
// children an app-of-apps renders are not listed.
func completeApps(root *string, conf *configFlags, clusters func() []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		sel := clusters()
		return completeNames(cmd, root, conf, prefix, func(ctx context.Context, ws *workspace.Workspace, c workspace.ClusterDir) []string {
			if len(sel) > 0 && !slices.Contains(sel, c.Name) {
				return nil
			}
			apps, _, err := render.Applications(ctx, ws, c)
			if err != nil {
				return nil
			}
			var out []string
			for _, a := range apps {
				out = append(out, a.Metadata.Name)
			}
			return out
		})
	}
}

// completeNames lists, sorted and without duplicates, the names names
// gives for each cluster discovered under --root that start with prefix.
func completeNames(cmd *cobra.Command, root *string, conf *configFlags, prefix string, names func(context.Context, *workspace.Workspace, workspace.ClusterDir) []string) ([]string, cobra.ShellCompDirective) {
	abs, cfg, err := loadRoot(*root, conf)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ws, err := workspace.Open(ctx, abs, workspace.Settings{Config: cfg})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dirs, _, err := ws.DiscoverClusters()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, d := range dirs {
		for _, n := range names(ctx, ws, d) {
			if strings.HasPrefix(n, prefix) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), cobra.ShellCompDirectiveNoFileComp
}

// completeOutputs completes --output FORMAT=PATH: the formats, then files.
func completeOutputs(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if strings.Contains(prefix, "=") {
		return nil, cobra.ShellCompDirectiveDefault
	}
	var out []string
	for _, f := range report.Formats() {
		out = append(out, f+"=")
	}
	return out, cobra.ShellCompDirectiveNoSpace
}
