package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

func init() { register(newInitCmd) }

type initOptions struct {
	root        string
	force, show bool
}

func newInitCmd() *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a " + config.FileName + " from what discovery finds (clusters, repo URL, production marks)",
		Long: "init writes <root>/" + config.FileName + " from what render-check sees in the repo: the clusters\n" +
			"(configured, or detected from envs/, environments/ or root Applications) as explicit globs or\n" +
			"root Application files, the git origin as repoURLs, each cluster's production mark and why,\n" +
			"Argo CD's namespace when the Applications live elsewhere than argocd, and kustomize.buildOptions\n" +
			"from an argocd-cm in the repo. An existing file is kept unless --force.\n\n" +
			"Exit codes:\n" +
			"  0  written (or, with --show, printed)\n" +
			"  2  the file exists (without --force or --show), bad flags, or unreadable root",
		Example: `  # propose a config without writing it
  render-check init --root config-repo --show
  # write it, replacing an existing one
  render-check init --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := filepath.Abs(o.root)
			if err != nil {
				return usageErrorf("--root: %w", err)
			}
			target := filepath.Join(root, config.FileName)
			cfg := config.Default()
			if _, err := os.Stat(target); err == nil {
				if !o.force && !o.show {
					return usageErrorf("%s already exists (use --force to replace it, --show to print a proposal)", target)
				}
			} else if !errors.Is(err, fs.ErrNotExist) {
				return usageErrorf("%w", err)
			}
			rp, err := workspace.Open(cmd.Context(), root, workspace.Settings{Config: cfg})
			if err != nil {
				return usageErrorf("%w", err)
			}
			prop, err := rp.ProposeConfig()
			if err != nil {
				return err
			}
			for _, f := range prop.Found {
				fmt.Fprintln(cmd.ErrOrStderr(), "found: "+f)
			}
			if o.show {
				_, err := cmd.OutOrStdout().Write(prop.YAML)
				return err
			}
			// never through a symlink the checkout holds at that name
			if err := rootfs.WriteIn(root, config.FileName, prop.YAML); err != nil {
				return fmt.Errorf("writing %s: %w", target, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", target)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	f.BoolVar(&o.force, "force", false, "replace an existing "+config.FileName)
	f.BoolVar(&o.show, "show", false, "print the proposed configuration instead of writing it")
	return cmd
}
