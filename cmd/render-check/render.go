package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/rootfs"
)

func init() { register(newRenderCmd) }

type renderOptions struct {
	root        string
	conf        configFlags
	clusters    []string
	kubeVersion string
	outputDir   string
}

func newRenderCmd() *cobra.Command {
	o := &renderOptions{}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Render every cluster as Argo CD would and write the manifests, one file per app",
		Long: `Render every selected cluster as Argo CD's repo-server would and write what
Argo CD would apply to DIR/<cluster>/<app>.yaml, Secret values redacted.
Render findings go to stderr.

Exit codes:
  0  every selected app rendered and was written
  1  an app failed to render (findings on stderr; the others are written)
  2  the run could not happen (bad flags, bad config, unreadable root)`,
		Example: `  # every cluster into ./rendered/<cluster>/<app>.yaml
  render-check render --output-dir rendered
  # one cluster, against the schemas of Kubernetes 1.31
  render-check render --root config-repo --cluster erp-saas-prod --kube-version 1.31 --output-dir /tmp/out`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRender(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	o.conf.add(f)
	f.StringArrayVar(&o.clusters, "cluster", nil, "only render this cluster (repeatable)")
	f.StringVar(&o.kubeVersion, "kube-version", "", "target Kubernetes version for every cluster (default: config, else "+kube.DefaultVersion()+")")
	f.StringVar(&o.outputDir, "output-dir", "", "directory to write DIR/<cluster>/<app>.yaml into (required)")
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeClusters(&o.root, &o.conf))
	return cmd
}

func runRender(cmd *cobra.Command, o *renderOptions) error {
	if o.outputDir == "" {
		return usageErrorf("--output-dir is required")
	}
	if err := checkKubeVersion(o.kubeVersion); err != nil {
		return err
	}
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return err
	}
	res, err := render.Render(cmd.Context(), render.Options{
		Root: root, Config: cfg, Clusters: o.clusters, KubeVersion: o.kubeVersion,
	})
	if err != nil {
		var uc *render.UnknownClusterError
		if errors.As(err, &uc) {
			return usageErrorf("--cluster: %w", err)
		}
		return err
	}
	for _, c := range res.Clusters {
		if err := rootfs.ValidPathElement(c.Name); err != nil {
			return fmt.Errorf("writing manifests: cluster %w", err)
		}
		for _, a := range render.SortedApps(c) {
			if err := rootfs.ValidAppName(a.Name); err != nil {
				// a name from content never becomes a path unchecked
				res.Findings = append(res.Findings, report.Finding{
					Rule: report.RuleRenderFailed, Severity: report.SeverityError, Cluster: c.Name, App: a.Name,
					Message: fmt.Sprintf("not written to --output-dir: %v", err),
				})
				continue
			}
			var buf bytes.Buffer
			if err := render.WriteManifests(&buf, a); err != nil {
				return err
			}
			if err := rootfs.WriteIn(o.outputDir, filepath.Join(c.Name, a.Name+".yaml"), buf.Bytes()); err != nil {
				return fmt.Errorf("writing manifests: %w", err)
			}
		}
	}
	failed := writeRenderFindings(cmd.ErrOrStderr(), res.Findings)
	if failed {
		return errFindings
	}
	return nil
}

// writeRenderFindings prints findings one per line; it reports whether any
// is an error.
func writeRenderFindings(w io.Writer, fs []report.Finding) bool {
	failed := false
	for _, f := range fs {
		loc := f.Location()
		if loc != "" {
			loc += ": "
		}
		scope := f.Cluster
		if f.App != "" {
			scope += "/" + f.App
		}
		if scope != "" {
			scope = " [" + scope + "]"
		}
		fmt.Fprintf(w, "%s%s %s%s: %s\n", loc, f.Severity, f.Rule, scope, f.Message)
		if f.Severity == report.SeverityError {
			failed = true
		}
	}
	return failed
}
