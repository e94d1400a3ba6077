package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/pipeline"
	"github.com/render-check/render-check/internal/workspace"
)

func init() { register(newListCmd) }

type listOptions struct {
	root, format string
	conf         configFlags
	shards       int
}

// listOutput is the JSON form of `render-check list`; Matrix plugs into a
// GitHub Actions `strategy.matrix` (fromJSON) or a GitLab `parallel:matrix`.
type listOutput struct {
	Clusters []pipeline.ClusterInfo `json:"clusters"`
	Shards   int                    `json:"shards"`
	Matrix   struct {
		Shard []string `json:"shard"`
	} `json:"matrix"`
}

func newListCmd() *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List clusters, their Application counts and shard assignment (for CI matrices)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.shards < 1 {
				return usageErrorf("--shards must be at least 1")
			}
			if o.format != "text" && o.format != "json" {
				return usageErrorf("--format: want text or json, got %q", o.format)
			}
			root, cfg, err := loadRoot(o.root, &o.conf)
			if err != nil {
				return err
			}
			ws, err := workspace.Open(cmd.Context(), root, workspace.Settings{Config: cfg})
			if err != nil {
				return usageErrorf("%w", err)
			}
			all, err := pipeline.Discover(cmd.Context(), ws)
			if err != nil {
				return usageErrorf("%w", err)
			}
			out := listOutput{Clusters: pipeline.AssignShards(all, o.shards), Shards: o.shards}
			out.Matrix.Shard = []string{}
			for i := 1; i <= o.shards; i++ {
				out.Matrix.Shard = append(out.Matrix.Shard, strconv.Itoa(i)+"/"+strconv.Itoa(o.shards))
			}
			w := cmd.OutOrStdout()
			if o.format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			for _, c := range out.Clusters {
				if _, err := fmt.Fprintf(w, "%s\t%s\t%d applications\tshard %d/%d\n", c.Name, c.Dir, c.Applications, c.Shard, o.shards); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	o.conf.add(f)
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	f.IntVar(&o.shards, "shards", 1, "number of shards to assign clusters to")
	return cmd
}
