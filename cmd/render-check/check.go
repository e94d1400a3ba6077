package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/config"
	imagecheck "github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/pipeline"
	"github.com/render-check/render-check/internal/report"
)

func init() { register(newCheckCmd) }

type checkOptions struct {
	root        string
	conf        configFlags
	clusters    []string
	kubeVersion string
	images      string
	platforms   []string
	format      string
	outputs     []string
	failOn      string
	shard       string
	changed     string
	progress    string
	verbose     bool
}

func newCheckCmd() *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Render every cluster and run every check",
		Long: `Render every cluster and Application of the config repo as Argo CD would, then
validate the resources, verify the images, scan for secrets and check the repo.

Each finding points at the file and line to edit, once per mistake (a mistake
in a base shared by several clusters is one finding naming all of them). The
text format lists the failing apps and the totals; --verbose lists every app.` + exitCodesHelp,
		Example: `  # everything, as in CI
  render-check check
  # one cluster, no registry access, only the failing apps
  render-check check --cluster erp-saas-prod --images off
  # every app, with the renderers' raw errors
  render-check check --verbose
  # SARIF for code scanning next to the annotations
  render-check check --format github --output sarif=render-check.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	o.conf.add(f)
	f.StringArrayVar(&o.clusters, "cluster", nil, "only check this cluster (repeatable)")
	f.StringVar(&o.kubeVersion, "kube-version", "", "target Kubernetes version for every cluster (default: config, else newest embedded)")
	f.StringVar(&o.images, "images", "", "image check: verify, warn or off (default: config, else verify)")
	f.StringVar(&o.shard, "shard", "", "check only shard I/N of the clusters (see: render-check list --shards N); merge the JSON reports with: render-check merge")
	f.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (a live line on a terminal, log lines under GitHub Actions or GitLab CI), tty, plain or off")
	f.StringVar(&o.changed, "changed-since", "", "check only the apps whose inputs changed since this git revision (everything when unsure, and says so)")
	f.StringSliceVar(&o.platforms, "platforms", nil, "platforms every image must provide, e.g. linux/amd64,linux/arm64 (default: config)")
	f.StringVar(&o.format, "format", "", "output format: "+strings.Join(report.Formats(), ", ")+" (default text; github under GitHub Actions)")
	f.StringArrayVar(&o.outputs, "output", nil, "also write FORMAT=PATH (repeatable)")
	f.StringVar(&o.failOn, "fail-on", "error", "exit 1 on findings at or above: error, warning")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "text format: list every app (also those without findings) and the renderers' raw errors")
	completeFlags(cmd, map[string][]string{
		"format": report.Formats(), "images": {"verify", "warn", "off"}, "fail-on": {"error", "warning"},
		"progress": {"auto", "tty", "plain", "off"},
	})
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeClusters(&o.root, &o.conf))
	_ = cmd.RegisterFlagCompletionFunc("output", completeOutputs)
	return cmd
}

// checkKubeVersion validates --kube-version the one way every command does
// (kube.Target): an unsupported version is a usage error (exit 2).
func checkKubeVersion(v string) error {
	if _, err := kube.Target(v, ""); err != nil {
		return &usageError{err: err}
	}
	return nil
}

// loadRoot resolves --root and --config (exit 2 on failure).
func loadRoot(root string, conf *configFlags) (string, *config.Config, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", nil, usageErrorf("root %q: %w", root, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", nil, usageErrorf("root: %w", err)
	}
	if !st.IsDir() {
		return "", nil, usageErrorf("root %s is not a directory", root)
	}
	lo, err := conf.loadOptions(abs)
	if err != nil {
		return "", nil, err
	}
	cfg, err := config.LoadWith(lo)
	if err != nil {
		return "", nil, usageErrorf("%w", err)
	}
	return abs, cfg, nil
}

func runCheck(cmd *cobra.Command, o *checkOptions) error {
	failOn, err := report.ParseSeverity(o.failOn)
	if err != nil {
		return usageErrorf("--fail-on: %w", err)
	}
	outs, err := parseOutputs(o.format, o.outputs)
	if err != nil {
		return err
	}
	rep, root, err := checkReport(cmd.Context(), o, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if err := writeOutputs(cmd.OutOrStdout(), outs, rep, report.Options{FailOn: failOn, Verbose: o.verbose}, root); err != nil {
		return err
	}
	if rep.Fails(failOn) {
		return errFindings
	}
	return nil
}

// checkReport checks the options and runs the check: the report and the
// root it is relative to (progress goes to stderr).
func checkReport(ctx context.Context, o *checkOptions, stderr io.Writer) (*report.Report, string, error) {
	if err := checkKubeVersion(o.kubeVersion); err != nil {
		return nil, "", err
	}
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return nil, "", err
	}
	images := o.images
	if images == "" {
		images = cfg.Images.Mode
	}
	switch images {
	case "verify", "warn", "off":
	default:
		return nil, "", usageErrorf("--images: want verify, warn or off, got %q", images)
	}
	if _, err := imagecheck.Platforms(o.platforms); err != nil {
		return nil, "", usageErrorf("--platforms: %w", err)
	}
	progress, err := newProgress(o.progress, stderr)
	if err != nil {
		return nil, "", err
	}
	var shard *pipeline.Shard
	if o.shard != "" {
		s, err := pipeline.ParseShard(o.shard)
		if err != nil {
			return nil, "", usageErrorf("--shard: %w", err)
		}
		shard = &s
	}
	rep, err := pipeline.Check(ctx, pipeline.Options{
		Root: root, Config: cfg, Clusters: o.clusters, KubeVersion: o.kubeVersion, Images: images, Platforms: o.platforms,
		Shard: shard, ChangedSince: o.changed, Progress: progress,
	})
	if err != nil {
		return nil, "", err
	}
	return rep, root, nil
}

// output is one report destination: a format and a path ("" = stdout).
type output struct{ format, path string }

// parseOutputs validates --format and --output FORMAT=PATH values.
func parseOutputs(format string, extra []string) ([]output, error) {
	if format == "" {
		format = "text"
		if os.Getenv("GITHUB_ACTIONS") == "true" && report.IsFormat("github") {
			format = "github"
		}
	}
	if !report.IsFormat(format) {
		return nil, usageErrorf("--format: unknown format %q (known: %s)", format, strings.Join(report.Formats(), ", "))
	}
	outs := []output{{format: format}}
	for _, e := range extra {
		f, p, ok := strings.Cut(e, "=")
		if !ok || p == "" {
			return nil, usageErrorf("--output: want FORMAT=PATH, got %q", e)
		}
		if !report.IsFormat(f) {
			return nil, usageErrorf("--output: unknown format %q (known: %s)", f, strings.Join(report.Formats(), ", "))
		}
		outs = append(outs, output{format: f, path: p})
	}
	return outs, nil
}

// writeOutputs writes the report in every requested format; base carries
// the options of the run (fail level, verbosity), the tool version is added;
// guard is the checkout, whose symlinks a report file is never written through.
func writeOutputs(stdout io.Writer, outs []output, rep *report.Report, base report.Options, guard string) error {
	base.ToolVersion = versionString()
	for _, o := range outs {
		if o.path == "" {
			opts := base
			opts.Color = colorFor(stdout)
			w, err := report.New(stdout, o.format, opts)
			if err != nil {
				return err
			}
			if err := w.Write(rep); err != nil {
				return err
			}
			if o.format == "github" {
				if err := appendStepSummary(rep); err != nil {
					return err
				}
			}
			continue
		}
		if err := writeReportFileWith(o.path, o.format, rep, base, guard); err != nil {
			return err
		}
	}
	return nil
}

// colorFor enables colour only on a terminal and when NO_COLOR is unset.
func colorFor(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(w)
}

func isattyTerminal(f *os.File) bool { return isatty.IsTerminal(f.Fd()) }
