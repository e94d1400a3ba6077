package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/diff"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/validate"
	"github.com/render-check/render-check/internal/workspace"
)

func init() { register(newDiffCmd) }

type diffOptions struct {
	root                string
	conf                configFlags
	cache               cacheFlags
	base, head          string
	live                string
	clusters            []string
	app                 string
	kubeVersion, format string
	summary             string
	failOnChange        bool
}

func newDiffCmd() *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff (--base REF [--head REF] | --live DIR)",
		Short: "Show what a change really does to the rendered clusters, or how the desired state differs from live",
		Long: `diff renders two revisions of the config repo and compares them per cluster, app and resource
(--base REF, with --head REF or the working tree), or compares the rendered desired state of a cluster
(and optionally one app) with exported live manifests (--live DIR, e.g. from kubectl get -o yaml).
Secret values never appear: a changed Secret value shows as a changed fingerprint.

Exit codes:
  0  compared (with --fail-on-change: nothing changed)
  1  --fail-on-change and a rendered resource changed
  2  the run could not happen (bad flags, bad config, unknown revision or cluster)`,
		Example: `  # what a pull request changes, as a markdown comment
  render-check diff --base origin/main --format markdown
  # two commits, one cluster, fail when anything changed
  render-check diff --base v1.4.0 --head v1.5.0 --cluster erp-saas-prod --fail-on-change
  # desired state of one app against exported live manifests
  render-check diff --live live/ --cluster erp-saas-prod --app web`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDiff(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root (inside a git work tree for --base)")
	o.conf.add(f)
	o.cache.add(f)
	f.StringVar(&o.base, "base", "", "git revision to compare against")
	f.StringVar(&o.head, "head", "", "git revision to compare (default: the working tree)")
	f.StringVar(&o.live, "live", "", "directory (or file) of exported live manifests to compare the desired state with")
	f.StringArrayVar(&o.clusters, "cluster", nil, "only this cluster (repeatable; exactly one with --live)")
	f.StringVar(&o.app, "app", "", "with --live: only this app of the cluster")
	f.StringVar(&o.kubeVersion, "kube-version", "", "target Kubernetes version for every cluster")
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(diff.Formats, ", "))
	f.StringVar(&o.summary, "summary", "", "also append the markdown view to this file (default under GitHub Actions: $GITHUB_STEP_SUMMARY)")
	f.BoolVar(&o.failOnChange, "fail-on-change", false, "exit 1 if any rendered resource changed")
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeClusters(&o.root, &o.conf))
	_ = cmd.RegisterFlagCompletionFunc("app", completeApps(&o.root, &o.conf, func() []string { return o.clusters }))
	return cmd
}

func runDiff(cmd *cobra.Command, o *diffOptions) error {
	if !containsStr(diff.Formats, o.format) {
		return usageErrorf("--format: unknown diff format %q (known: %s)", o.format, strings.Join(diff.Formats, ", "))
	}
	res, err := diffResult(cmd, o)
	if err != nil {
		return err
	}
	if err := diff.Write(cmd.OutOrStdout(), res, o.format); err != nil {
		return err
	}
	summary := o.summary
	if summary == "" && os.Getenv("GITHUB_ACTIONS") == "true" {
		summary = os.Getenv("GITHUB_STEP_SUMMARY")
	}
	if summary != "" {
		if err := appendFile(summary, diff.Markdown(res, diff.DefaultMarkdownLimit)); err != nil {
			return err
		}
	}
	if o.failOnChange && !res.Empty() {
		return errFindings
	}
	return nil
}

// diffResult checks the options and compares: two revisions (--base) or
// the desired state with live manifests (--live).
func diffResult(cmd *cobra.Command, o *diffOptions) (*diff.Result, error) {
	if (o.base == "") == (o.live == "") {
		return nil, usageErrorf("diff needs exactly one of --base REF or --live DIR")
	}
	if o.head != "" && o.base == "" {
		return nil, usageErrorf("--head needs --base")
	}
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return nil, err
	}
	if o.live != "" {
		return liveDiff(cmd, o, root, cfg)
	}
	return revisionDiff(cmd, o, root)
}

func appendFile(path, s string) error {
	f, err := rootfs.Append(path, "")
	if err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("writing summary: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// renderForDiff renders a tree and prints its render errors to stderr, since
// a failed app would otherwise look like removed resources.
func renderForDiff(cmd *cobra.Command, label, root string, cfg *config.Config, o *diffOptions) ([]*resource.Cluster, error) {
	rc := o.cache.open(cfg, cmd.ErrOrStderr())
	res, err := render.Render(cmd.Context(), render.Options{Root: root, Config: cfg, Clusters: o.clusters, KubeVersion: o.kubeVersion, Cache: rc})
	closeCache(rc, cmd.ErrOrStderr())
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", label, err)
	}
	for _, f := range report.Sort(res.Findings) {
		if f.Severity == report.SeverityError {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s %s %s/%s: %s\n", label, f.Location(), f.Rule, f.Cluster, f.App, f.Message)
		}
	}
	return res.Clusters, nil
}

func revisionDiff(cmd *cobra.Command, o *diffOptions, root string) (*diff.Result, error) {
	baseDir, cleanBase, err := checkoutRevision(cmd.Context(), root, o.base)
	if err != nil {
		return nil, err
	}
	defer cleanBase()
	headDir := root
	if o.head != "" {
		d, cleanHead, err := checkoutRevision(cmd.Context(), root, o.head)
		if err != nil {
			return nil, err
		}
		defer cleanHead()
		headDir = d
	}
	origin := workspace.Origin(cmd.Context(), root) // "" when the checkout has none
	load := func(dir string) (*config.Config, error) {
		path := o.conf.path
		if path != "" && !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		lo, err := o.conf.loadOptions(dir)
		if err != nil {
			return nil, err
		}
		lo.Path = path
		cfg, err := config.LoadWith(lo)
		if err != nil {
			return nil, usageErrorf("%w", err)
		}
		// The extracted trees have no .git: name this repo's origin explicitly.
		if origin != "" {
			cfg.RepoURLs = append(cfg.RepoURLs, origin)
		}
		return cfg, nil
	}
	baseCfg, err := load(baseDir)
	if err != nil {
		return nil, err
	}
	headCfg, err := load(headDir)
	if err != nil {
		return nil, err
	}
	base, err := renderForDiff(cmd, "base "+o.base, baseDir, baseCfg, o)
	if err != nil {
		return nil, err
	}
	headLabel := "head " + o.head
	if o.head == "" {
		headLabel = "working tree"
	}
	head, err := renderForDiff(cmd, headLabel, headDir, headCfg, o)
	if err != nil {
		return nil, err
	}
	return diff.Compare(base, head), nil
}

func liveDiff(cmd *cobra.Command, o *diffOptions, root string, cfg *config.Config) (*diff.Result, error) {
	if len(o.clusters) != 1 {
		return nil, usageErrorf("--live compares one cluster: pass exactly one --cluster")
	}
	live, err := readLive(o.live)
	if err != nil {
		return nil, err
	}
	clusters, err := renderForDiff(cmd, "desired", root, cfg, o)
	if err != nil {
		return nil, err
	}
	var c *resource.Cluster
	for _, x := range clusters {
		if x.Name == o.clusters[0] {
			c = x
		}
	}
	if c == nil {
		return nil, usageErrorf("cluster %q not found under %s", o.clusters[0], root)
	}
	apps := c.Apps
	if o.app != "" {
		apps = nil
		for _, a := range c.Apps {
			if a.Name == o.app {
				apps = append(apps, a)
			}
		}
		if apps == nil {
			return nil, usageErrorf("app %q not found in cluster %s", o.app, c.Name)
		}
	}
	return diff.Live(c.Name, apps, live), nil
}

// readLive reads exported manifests: one file or a directory tree of
// .yaml/.yml/.json files, multi-document, Lists expanded.
func readLive(path string) ([]map[string]any, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, usageErrorf("--live: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		if files, err = validate.ManifestFiles(os.DirFS(path), ".", false); err != nil {
			return nil, usageErrorf("--live: %w", err)
		}
		for i, f := range files {
			files[i] = filepath.Join(path, filepath.FromSlash(f))
		}
	}
	var out []map[string]any
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, usageErrorf("--live: %w", err)
		}
		docs, err := workspace.ParseDocuments(filepath.ToSlash(f), data)
		if err != nil {
			return nil, usageErrorf("--live: %w", err)
		}
		for _, d := range docs {
			if d.Value != nil {
				return nil, usageErrorf("--live: %s:%d: not a Kubernetes object", filepath.ToSlash(f), d.Line)
			}
			if d.Object != nil {
				out = append(out, resource.ExpandList(d.Object)...)
			}
		}
	}
	return out, nil
}

// checkoutRevision extracts the config root as of rev into a temporary
// directory with `git archive`, never touching the work tree or the index.
func checkoutRevision(ctx context.Context, root, rev string) (string, func(), error) {
	ws, err := workspace.Open(ctx, root, workspace.Settings{})
	if err != nil {
		return "", nil, usageErrorf("%w", err)
	}
	g := ws.GitRunner()
	if err := g.VerifyCommit(ctx, rev); err != nil {
		return "", nil, usageErrorf("--base/--head: %w", err)
	}
	if !ws.Git.InWorkTree() {
		return "", nil, usageErrorf("%s is not inside a git work tree", root)
	}
	treeish := rev
	if p := ws.Git.Prefix; p != "" {
		treeish = rev + ":" + strings.TrimSuffix(p, "/")
	}
	// from the top: inside a subdirectory git archive limits itself to it
	data, err := workspace.Git{Dir: ws.Git.TopLevel}.Run(ctx, "archive", "--format=tar", treeish)
	if err != nil {
		return "", nil, fmt.Errorf("reading %s from git: %w", rev, err)
	}
	dir, err := os.MkdirTemp("", "render-check-rev-")
	if err != nil {
		return "", nil, fmt.Errorf("extracting %s: %w", rev, err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := untar(strings.NewReader(data), dir); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("extracting %s: %w", rev, err)
	}
	return dir, cleanup, nil
}

// untar extracts a git archive into dir through an os.Root: no entry is
// written outside dir, also not through a symlink an earlier entry made (a
// tree can hold both a symlink "a" and a directory "a/").
func untar(r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("archive entry %q escapes the directory", h.Name)
		}
		parent := filepath.Dir(name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("archive entry %q: %w", h.Name, err)
			}
		case tar.TypeReg:
			if parent != "." {
				if err := root.MkdirAll(parent, 0o755); err != nil {
					return fmt.Errorf("archive entry %q: %w", h.Name, err)
				}
			}
			if st, err := root.Lstat(name); err == nil && !st.Mode().IsRegular() {
				return fmt.Errorf("archive entry %q: duplicate entry over a %s", h.Name, st.Mode().Type())
			}
			f, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777|0o600)
			if err != nil {
				return fmt.Errorf("archive entry %q: %w", h.Name, err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if parent != "." {
				if err := root.MkdirAll(parent, 0o755); err != nil {
					return fmt.Errorf("archive entry %q: %w", h.Name, err)
				}
			}
			if err := root.Symlink(h.Linkname, name); err != nil {
				return fmt.Errorf("archive entry %q: %w", h.Name, err)
			}
		}
	}
}
