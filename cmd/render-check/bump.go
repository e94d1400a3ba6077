package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/imagebump"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/workspace"
)

func init() { register(newBumpCmd) }

type bumpOptions struct {
	root        string
	conf        configFlags
	cache       cacheFlags
	image       string
	tag         string
	semver      string
	digest      string
	clusters    []string
	allowShared bool
	noVerify    bool
	dryRun      bool
	format      string
}

func newBumpCmd() *cobra.Command {
	o := &bumpOptions{}
	cmd := &cobra.Command{
		Use:   "bump --image REPOSITORY (--tag TAG | --semver RANGE | --digest DIGEST)",
		Short: "Set a new image tag or digest in the config repo, editing only that token",
		Long: `bump finds every reference to an image repository in the source files of the
config repo (kustomization images:, Helm values, manifests, Argo CD Applications'
kustomize.images, helm.parameters and helm.valuesObject) and replaces only the tag
or digest token: comments, quotes, indentation, key order and line endings stay.

The new tag or digest must exist in the registry (skip with --no-verify).
Only the Applications that can read a file referencing the image are
rendered; the apps reading an edited file are rendered with the edit in
memory, and nothing is written unless they deploy the new reference.

Exit codes:
  0  bumped, or already current
  1  refused (e.g. tag not in the registry, image referenced nowhere): nothing written
  2  bad flags or unreadable root`,
		Example: `  # an exact tag, verified in the registry
  render-check bump --root config-repo --image ghcr.io/acme/web --tag 1.8.3
  # the highest tag matching a semver range
  render-check bump --image ghcr.io/acme/web --semver '~1.8'
  # one cluster only, show the edit without writing it
  render-check bump --image ghcr.io/acme/web --tag 1.8.3 --cluster staging --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBump(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	o.conf.add(f)
	o.cache.add(f)
	f.StringVar(&o.image, "image", "", "image repository to bump, without tag, e.g. registry.example/org/app")
	f.StringVar(&o.tag, "tag", "", "new tag")
	f.StringVar(&o.semver, "semver", "", "semver range: use the highest matching tag in the registry, e.g. '~1.8'")
	f.StringVar(&o.digest, "digest", "", "new digest, sha256:...")
	f.StringArrayVar(&o.clusters, "cluster", nil, "only references reaching this cluster (repeatable)")
	f.BoolVar(&o.allowShared, "allow-shared", false, "also change references shared with other clusters (e.g. in _base)")
	f.BoolVar(&o.noVerify, "no-verify", false, "do not check that the tag or digest exists in the registry")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the unified diff and write nothing")
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeClusters(&o.root, &o.conf))
	return cmd
}

// validate checks the flags (exit 2 on error).
func (o *bumpOptions) validate() error {
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--format: want text or json, got %q", o.format)
	}
	if o.image == "" {
		return usageErrorf("--image is required")
	}
	if _, err := imagebump.ParseRepository(o.image); err != nil {
		return usageErrorf("--image: %w", err)
	}
	n := 0
	for _, s := range []string{o.tag, o.semver, o.digest} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return usageErrorf("give exactly one of --tag, --semver and --digest")
	}
	switch {
	case o.tag != "":
		if err := imagebump.ValidateTag(o.tag); err != nil {
			return usageErrorf("--tag: %w", err)
		}
	case o.digest != "":
		if err := imagebump.ValidateDigest(o.digest); err != nil {
			return usageErrorf("--digest: %w", err)
		}
	default:
		if _, err := imagebump.ParseRange(o.semver); err != nil {
			return usageErrorf("--semver: %w", err)
		}
	}
	return nil
}

func runBump(cmd *cobra.Command, o *bumpOptions) error {
	res, problems, err := doBump(cmd.Context(), o, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if problems != nil {
		if o.format == "json" {
			if jerr := writeBumpJSON(stdout, refusedResult(o), problems); jerr != nil {
				return jerr
			}
		}
		for _, p := range problems {
			fmt.Fprintf(stderr, "render-check bump: %s\n", p)
		}
		fmt.Fprintln(stderr, "render-check bump: refused; nothing was written")
		return errFindings
	}
	if err := setGitHubOutputs(res); err != nil {
		return err
	}
	if o.format == "json" {
		return writeBumpJSON(stdout, res, nil)
	}
	if o.dryRun {
		// The diff alone on stdout, so it can be piped to `git apply`.
		if _, err := io.WriteString(stdout, res.Diff); err != nil {
			return err
		}
		return writeBumpText(stderr, res)
	}
	return writeBumpText(stdout, res)
}

// doBump checks the options and runs the bump. It returns the result, or
// the problems of a refused bump (nothing written), or an error that
// stopped it (a usage error for bad options: exit 2).
func doBump(ctx context.Context, o *bumpOptions, stderr io.Writer) (*imagebump.Result, []imagebump.Problem, error) {
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return nil, nil, err
	}
	// one workspace for the scan and both renders: the checkout is listed
	// and its Applications parsed once
	ws, err := workspace.Open(ctx, root, workspace.Settings{Config: cfg})
	if err != nil {
		return nil, nil, err
	}
	opts := imagebump.Options{
		Root: root, ClusterGlobs: cfg.Clusters,
		Image: o.image, Tag: o.tag, Digest: o.digest, Semver: o.semver,
		Clusters: o.clusters, AllowShared: o.allowShared,
		Verify: !o.noVerify, DryRun: o.dryRun, Workspace: ws,
	}
	rc := o.cache.open(cfg, stderr)
	opts.Renderer = newBumpRenderer(root, cfg, rc, ws)
	if opts.Verify || opts.Semver != "" {
		// The same client settings as the image check: credentials,
		// insecure hosts, CA bundle and mirrors from the config.
		client, err := images.NewClient(root, cfg.Images, nil)
		if err != nil {
			return nil, nil, usageErrorf("%w", err)
		}
		opts.Registry = registryAdapter{c: client}
	}
	res, err := imagebump.Bump(ctx, opts)
	closeCache(rc, stderr)
	var refused *imagebump.RefusedError
	var unknown *imagebump.UnknownClusterError
	switch {
	case errors.As(err, &unknown):
		return nil, nil, usageErrorf("--cluster: %w", err)
	case errors.As(err, &refused) && len(refused.Problems) > 0:
		return nil, refused.Problems, nil
	case err != nil:
		// e.g. the registry could not be reached: refused, nothing written
		return nil, []imagebump.Problem{{Message: err.Error()}}, nil
	}
	return res, nil, nil
}

// refusedResult is the result a refused bump reports: nothing changed.
func refusedResult(o *bumpOptions) *imagebump.Result {
	canonical, _ := imagebump.ParseRepository(o.image)
	return &imagebump.Result{Image: canonical, Tag: o.tag, Digest: o.digest, DryRun: o.dryRun, Files: []string{}, References: []imagebump.Reference{}}
}

// bumpJSON is bump's --format json output, version 1.
type bumpJSON struct {
	Version int `json:"version"`
	*imagebump.Result
	Refused  bool                `json:"refused,omitempty"`
	Problems []imagebump.Problem `json:"problems,omitempty"`
}

func writeBumpJSON(w io.Writer, res *imagebump.Result, problems []imagebump.Problem) error {
	out := bumpJSON{Version: 1, Result: res, Refused: problems != nil, Problems: problems}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeBumpText prints one line per reference and a summary.
func writeBumpText(w io.Writer, res *imagebump.Result) error {
	var b strings.Builder
	newTok := res.Tag
	if res.Digest != "" {
		newTok = res.Digest
	}
	for _, r := range res.References {
		fmt.Fprintf(&b, "%-22s %s:%d %s: %s -> %s", r.Status, r.File, r.Line, r.Field, r.Old, r.New)
		if r.Status == imagebump.StatusShared {
			fmt.Fprintf(&b, " (also reaches %s: use --allow-shared)", strings.Join(r.Clusters, ", "))
		}
		b.WriteByte('\n')
	}
	verb := "changed"
	if res.DryRun {
		verb = "would change"
	}
	switch {
	case !res.Changed:
		fmt.Fprintf(&b, "%s is already %s everywhere in scope: nothing to do\n", res.Image, newTok)
	default:
		fmt.Fprintf(&b, "%s -> %s: %s %d file(s): %s\n", res.Image, newTok, verb, len(res.Files), strings.Join(res.Files, ", "))
	}
	if res.Verified {
		fmt.Fprintf(&b, "verified: %s exists in the registry\n", newTok)
	}
	if res.RenderedApps+res.SkippedApps > 0 {
		fmt.Fprintf(&b, "rendered %d of %d apps (the others cannot read a file that references the image)\n", res.RenderedApps, res.RenderedApps+res.SkippedApps)
	}
	if res.RenderChecked {
		b.WriteString("rendered with the edit before writing: the affected apps deploy the new reference\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// setGitHubOutputs writes step outputs under GitHub Actions: changed
// (true/false), files (one per line), image and tag or digest.
func setGitHubOutputs(res *imagebump.Result) error {
	if os.Getenv("GITHUB_ACTIONS") != "true" || os.Getenv("GITHUB_OUTPUT") == "" {
		return nil
	}
	for _, o := range []struct{ name, value string }{
		{"changed", fmt.Sprint(res.Changed)},
		{"files", strings.Join(res.Files, "\n")},
		{"image", res.Image},
		{"tag", res.Tag},
		{"digest", res.Digest},
	} {
		if err := setStepOutput(o.name, o.value); err != nil {
			return err
		}
	}
	return nil
}

// registryAdapter gives imagebump the registry client it needs.
type registryAdapter struct{ c *registry.Client }

func (a registryAdapter) Exists(ctx context.Context, ref string) error {
	res := a.c.Check(ctx, ref, nil)
	switch res.Status {
	case registry.Found:
		return nil
	case registry.NotFound:
		return fmt.Errorf("%s: %w", res.Detail, imagebump.ErrNotFound)
	default:
		if res.Err != nil {
			return fmt.Errorf("%s (%s): %w", res.Status, res.Detail, res.Err)
		}
		return fmt.Errorf("%s: %s", res.Status, res.Detail)
	}
}

func (a registryAdapter) Tags(ctx context.Context, repository string) ([]string, error) {
	return a.c.Tags(ctx, repository)
}
