package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/inventory"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/rootfs"
)

func init() { register(newInventoryCmd) }

type inventoryOptions struct {
	root, format, image string
	conf                configFlags
	cache               cacheFlags
	clusters, outputs   []string
	noHistory           bool
}

func newInventoryCmd() *cobra.Command {
	o := &inventoryOptions{}
	cmd := &cobra.Command{
		Use:   "inventory [--cluster NAME]... [--image REPOSITORY]",
		Short: "List what is deployed where: images and charts, the line that sets each and the commit that last changed it",
		Long: `inventory renders every cluster as check does and lists, per cluster and
Application, every deployed container image (repository, tag, digest when
pinned) and Helm chart (name, version, repository), with the file and line a
person edits to change it and the last commit that changed that line (sha,
author, date, subject), from one walk of the git history.

The markdown format fits a job summary or a status page.

Exit codes:
  0  listed (apps that fail to render are listed as failed; run check for details)
  2  the run could not happen (bad flags, bad config, unreadable root)`,
		Example: `  # everything deployed, per cluster and app
  render-check inventory --root config-repo
  # where one image runs, and which line sets it
  render-check inventory --image ghcr.io/acme/web --format json
  # a status page for two clusters, without the git history walk
  render-check inventory --cluster staging --cluster erp-saas-prod --format markdown --no-history`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInventory(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	o.conf.add(f)
	o.cache.add(f)
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(inventory.Formats, ", "))
	f.StringArrayVar(&o.outputs, "output", nil, "also write FORMAT=PATH (repeatable)")
	f.StringArrayVar(&o.clusters, "cluster", nil, "only this cluster (repeatable)")
	f.StringVar(&o.image, "image", "", "only this image repository (any tag), e.g. ghcr.io/org/app; leaves charts out")
	f.BoolVar(&o.noHistory, "no-history", false, "do not read the git history (no last change per line)")
	_ = cmd.RegisterFlagCompletionFunc("cluster", completeClusters(&o.root, &o.conf))
	return cmd
}

// runInventory builds the inventory, writes the --output files and prints
// it in the chosen format.
func runInventory(cmd *cobra.Command, o *inventoryOptions) error {
	if !slices.Contains(inventory.Formats, o.format) {
		return usageErrorf("--format: want %s, got %q", strings.Join(inventory.Formats, ", "), o.format)
	}
	outs := map[string]string{}
	for _, e := range o.outputs {
		f, p, ok := strings.Cut(e, "=")
		if !ok || p == "" || !slices.Contains(inventory.Formats, f) {
			return usageErrorf("--output: want FORMAT=PATH with FORMAT one of %s, got %q", strings.Join(inventory.Formats, ", "), e)
		}
		outs[p] = f
	}
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return err
	}
	rc := o.cache.open(cfg, cmd.ErrOrStderr())
	inv, err := inventory.Build(cmd.Context(), inventory.Options{
		Root: root, Config: cfg, Clusters: o.clusters, Image: o.image, History: !o.noHistory, Cache: rc,
	})
	closeCache(rc, cmd.ErrOrStderr())
	var unknown *render.UnknownClusterError
	switch {
	case errors.As(err, &unknown):
		return usageErrorf("--cluster: %w", err)
	case err != nil:
		return usageErrorf("%w", err)
	}
	for _, p := range slices.Sorted(maps.Keys(outs)) {
		if err := writeInventoryFile(p, outs[p], inv, root); err != nil {
			return err
		}
	}
	return inventory.Write(cmd.OutOrStdout(), inv, o.format)
}

// writeInventoryFile writes the inventory in format to path.
// guard is the checkout, whose symlinks the file is never written through.
func writeInventoryFile(path, format string, inv *inventory.Inventory, guard string) (err error) {
	f, err := rootfs.Create(path, guard)
	if err != nil {
		return fmt.Errorf("writing %s inventory: %w", format, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing %s inventory: %w", format, cerr)
		}
	}()
	return inventory.Write(f, inv, format)
}
