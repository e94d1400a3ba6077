package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/imagebump"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/inventory"
	"github.com/render-check/render-check/internal/render"
)

func init() { register(newRollbackCmd) }

type rollbackOptions struct {
	root, image, chart, cluster, format string
	conf                                configFlags
	noVerify, dryRun                    bool
}

func newRollbackCmd() *cobra.Command {
	o := &rollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback (--image REPOSITORY | --chart NAME) --cluster NAME",
		Short: "Set an image or chart version in one cluster back to its value before the last change, found from the git history",
		Long: `rollback finds the lines that set an image for one cluster (as inventory does),
reads from the git history the tag or digest those lines had before the commit
that last changed them, and sets it again with the same one-token edit,
registry verification and re-render as bump. References shared with other
clusters are refused: a rollback changes one cluster only.

With --chart, the targetRevision of the cluster's Applications that render that
remote chart goes back to the version before its last change, and the cluster
is re-rendered (pulling that version); a failed render puts the file back.

Exit codes:
  0  rolled back (or, with --dry-run, would be)
  1  refused: nothing written
  2  bad flags or unknown cluster`,
		Example: `  # the image of one cluster back to its previous tag
  render-check rollback --image ghcr.io/acme/web --cluster erp-saas-prod
  # a remote chart back to its previous version, without writing
  render-check rollback --chart ingress-nginx --cluster staging --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRollback(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	o.conf.add(f)
	f.StringVar(&o.image, "image", "", "image repository to roll back, without tag, e.g. registry.example/org/app")
	f.StringVar(&o.chart, "chart", "", "remote Helm chart to roll back (its Applications' targetRevision), instead of --image")
	f.StringVar(&o.cluster, "cluster", "", "the cluster to roll back")
	f.BoolVar(&o.noVerify, "no-verify", false, "do not check that the previous tag or digest still exists in the registry")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the unified diff and write nothing")
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeClusters(&o.root, &o.conf))
	return cmd
}

// rollbackJSON is rollback's --format json output, version 1.
type rollbackJSON struct {
	Version int `json:"version"`
	*inventory.Rollback
	Refused  bool                `json:"refused,omitempty"`
	Problems []imagebump.Problem `json:"problems,omitempty"`
}

func runRollback(cmd *cobra.Command, o *rollbackOptions) error {
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--format: want text or json, got %q", o.format)
	}
	if (o.image == "") == (o.chart == "") || o.cluster == "" {
		return usageErrorf("give --cluster and exactly one of --image and --chart")
	}
	if o.chart != "" {
		return runChartRollback(cmd, o)
	}
	canonical, err := imagebump.ParseRepository(o.image)
	if err != nil {
		return usageErrorf("--image: %w", err)
	}
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return err
	}
	opts := inventory.RollbackOptions{
		Root: root, Cluster: o.cluster, Image: canonical,
		Inventory: inventory.Options{Config: cfg},
		Bump: imagebump.Options{
			ClusterGlobs: cfg.Clusters, Verify: !o.noVerify, DryRun: o.dryRun,
			Renderer: newBumpRenderer(root, cfg, nil, nil),
		},
	}
	if opts.Bump.Verify {
		client, err := images.NewClient(root, cfg.Images, nil)
		if err != nil {
			return usageErrorf("%w", err)
		}
		opts.Bump.Registry = registryAdapter{c: client}
	}
	rb, err := inventory.RollBack(cmd.Context(), opts)
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var refused *imagebump.RefusedError
	var unknown *render.UnknownClusterError
	var unknownBump *imagebump.UnknownClusterError
	switch {
	case errors.As(err, &unknown) || errors.As(err, &unknownBump):
		return usageErrorf("--cluster: %w", err)
	case err != nil:
		problems := []imagebump.Problem{{Message: err.Error()}}
		if errors.As(err, &refused) {
			problems = refused.Problems
		}
		if o.format == "json" {
			out := rollbackJSON{Version: 1, Rollback: &inventory.Rollback{Image: canonical, Cluster: o.cluster, Lines: []string{}}, Refused: true, Problems: problems}
			if jerr := writeJSON(stdout, out); jerr != nil {
				return jerr
			}
		}
		for _, p := range problems {
			fmt.Fprintf(stderr, "render-check rollback: %s\n", p)
		}
		fmt.Fprintln(stderr, "render-check rollback: refused; nothing was written")
		return errFindings
	}
	if err := setGitHubOutputs(rb.Bump); err != nil {
		return err
	}
	if o.format == "json" {
		return writeJSON(stdout, rollbackJSON{Version: 1, Rollback: rb})
	}
	head := fmt.Sprintf("%s in %s: %s -> %s, undoing %s\n", rb.Image, rb.Cluster, rb.From, rb.To, describeChange(rb.Undone))
	if o.dryRun {
		// The diff alone on stdout, so it can be piped to `git apply`.
		if _, err := io.WriteString(stdout, rb.Bump.Diff); err != nil {
			return err
		}
		if _, err := io.WriteString(stderr, head); err != nil {
			return err
		}
		return writeBumpText(stderr, rb.Bump)
	}
	if _, err := io.WriteString(stdout, head); err != nil {
		return err
	}
	return writeBumpText(stdout, rb.Bump)
}

// describeChange names a commit for people: "abc123 (subject) by Ann on 2026-03-01".
func describeChange(c inventory.Change) string {
	sha := c.Commit
	if len(sha) > 12 {
		sha = sha[:12]
	}
	date, _, _ := strings.Cut(c.Date, "T")
	return fmt.Sprintf("%s (%s) by %s on %s", sha, c.Subject, c.Author, date)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// chartRollbackJSON is rollback --chart's --format json output, version 1.
type chartRollbackJSON struct {
	Version int `json:"version"`
	*inventory.ChartRollback
	Refused  bool                `json:"refused,omitempty"`
	Problems []imagebump.Problem `json:"problems,omitempty"`
}

func runChartRollback(cmd *cobra.Command, o *rollbackOptions) error {
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return err
	}
	rb, err := inventory.RollBackChart(cmd.Context(), inventory.ChartRollbackOptions{
		Root: root, Config: cfg, Cluster: o.cluster, Chart: o.chart, DryRun: o.dryRun,
	})
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var refused *imagebump.RefusedError
	var unknown *render.UnknownClusterError
	switch {
	case errors.As(err, &unknown):
		return usageErrorf("--cluster: %w", err)
	case err != nil:
		problems := []imagebump.Problem{{Message: err.Error()}}
		if errors.As(err, &refused) {
			problems = refused.Problems
		}
		if o.format == "json" {
			out := chartRollbackJSON{Version: 1, ChartRollback: &inventory.ChartRollback{Chart: o.chart, Cluster: o.cluster, Lines: []string{}, DryRun: o.dryRun}, Refused: true, Problems: problems}
			if jerr := writeJSON(stdout, out); jerr != nil {
				return jerr
			}
		}
		for _, p := range problems {
			fmt.Fprintf(stderr, "render-check rollback: %s\n", p)
		}
		fmt.Fprintln(stderr, "render-check rollback: refused; nothing was written")
		return errFindings
	}
	if o.format == "json" {
		return writeJSON(stdout, chartRollbackJSON{Version: 1, ChartRollback: rb})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chart %s in %s: %s -> %s, undoing %s\n", rb.Chart, rb.Cluster, rb.From, rb.To, describeChange(rb.Undone))
	verb := "changed"
	if rb.DryRun {
		verb = "would change"
	}
	fmt.Fprintf(&b, "%s %s\n", verb, strings.Join(rb.Lines, ", "))
	if rb.RenderChecked {
		fmt.Fprintf(&b, "re-rendered: the apps of %s render chart %s %s\n", rb.Cluster, rb.Chart, rb.To)
	}
	if o.dryRun {
		// The diff alone on stdout, so it can be piped to `git apply`.
		if _, err := io.WriteString(stdout, rb.Diff); err != nil {
			return err
		}
		_, err := io.WriteString(stderr, b.String())
		return err
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}
