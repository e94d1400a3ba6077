package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/pipeline"
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
func completeClusters(root, configPath *string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		abs, cfg, err := loadRoot(*root, *configPath)
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
		all, err := pipeline.Discover(ctx, ws)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, c := range all {
			if strings.HasPrefix(c.Name, prefix) {
				out = append(out, c.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
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
