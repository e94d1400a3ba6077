package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/report"
)

func init() { register(newMergeCmd) }

type mergeOptions struct {
	format  string
	outputs []string
	failOn  string
}

func newMergeCmd() *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge REPORT.json...",
		Short: "Merge JSON reports of sharded runs into one report, in any format",
		Long: `Merge the JSON reports of sharded check runs (check --shard I/N --format json)
into one report and write it in any format, as a single check run would have.

Exit codes:
  0  nothing at or above the --fail-on level
  1  findings at or above the --fail-on level
  2  bad flags, or a report that cannot be read`,
		Example: `  # one text report from 4 shards
  render-check merge shard-*.json
  # annotations, and SARIF for code scanning
  render-check merge --format github --output sarif=render-check.sarif shard-*.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failOn, err := report.ParseSeverity(o.failOn)
			if err != nil {
				return usageErrorf("--fail-on: %w", err)
			}
			outs, err := parseOutputs(o.format, o.outputs)
			if err != nil {
				return err
			}
			var reps []*report.Report
			for _, p := range args {
				f, err := os.Open(p)
				if err != nil {
					return usageErrorf("%w", err)
				}
				r, err := report.ReadJSON(f)
				f.Close()
				if err != nil {
					return usageErrorf("%s: %w", p, err)
				}
				reps = append(reps, r)
			}
			merged := report.Merge(reps...)
			if err := writeOutputs(cmd.OutOrStdout(), outs, merged, report.Options{}, ""); err != nil {
				return err
			}
			if merged.Fails(failOn) {
				return errFindings
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "output format: "+strings.Join(report.Formats(), ", ")+" (default text; github under GitHub Actions)")
	f.StringArrayVar(&o.outputs, "output", nil, "also write FORMAT=PATH (repeatable)")
	f.StringVar(&o.failOn, "fail-on", "error", "exit 1 on findings at or above: error, warning")
	return cmd
}
