package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/secrets"
)

func init() { register(newSecretsCmd) }

type secretsOptions struct {
	root          string
	conf          configFlags
	format        string
	outputs       []string
	failOn        string
	writeBaseline bool
}

func newSecretsCmd() *cobra.Command {
	o := &secretsOptions{}
	cmd := &cobra.Command{
		Use:   "secrets [flags] [PATH...]",
		Short: "Scan files for plaintext secrets and incompletely encrypted SOPS files",
		Long: "Scan the repo's YAML/JSON files (git's file list, or every file under --root), or only the\n" +
			"given files and directories, for plaintext Kubernetes Secrets, credentials, well-known tokens,\n" +
			"secretGenerator literals, files .sops.yaml says must be encrypted, and SOPS files with plaintext\n" +
			"values, incomplete metadata or (with SOPS_AGE_KEY / SOPS_AGE_KEY_FILE) a MAC mismatch.\n" +
			"Values are never printed.\n" +
			"--write-baseline accepts every current finding into the baseline file (see docs/secrets.md).\n\n" +
			"Exit codes:\n" +
			"  0  nothing at or above the --fail-on level (always, with --write-baseline)\n" +
			"  1  findings at or above the --fail-on level\n" +
			"  2  bad flags or unreadable input",
		Example: `  # the whole repo
  render-check secrets --root config-repo
  # only the files a pre-commit hook passes
  render-check secrets clusters/prod/secret.yaml clusters/prod/values.yaml
  # accept the current findings, then fail only on new ones
  render-check secrets --write-baseline`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecrets(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.root, "root", defaultRoot(), "config repo root")
	o.conf.add(f)
	f.StringVar(&o.format, "format", "", "output format: "+strings.Join(report.Formats(), ", ")+" (default text; github under GitHub Actions)")
	f.StringArrayVar(&o.outputs, "output", nil, "also write FORMAT=PATH (repeatable)")
	f.StringVar(&o.failOn, "fail-on", "warning", "exit 1 on findings at or above: error, warning")
	f.BoolVar(&o.writeBaseline, "write-baseline", false, "write every current finding's fingerprint to the baseline file and exit 0")
	return cmd
}

func runSecrets(cmd *cobra.Command, o *secretsOptions, args []string) error {
	failOn, err := report.ParseSeverity(o.failOn)
	if err != nil {
		return usageErrorf("--fail-on: %w", err)
	}
	if o.writeBaseline && len(args) > 0 {
		return usageErrorf("--write-baseline scans the whole root: give no PATH")
	}
	outs, err := parseOutputs(o.format, o.outputs)
	if err != nil {
		return err
	}
	res, root, cfg, err := secretsScan(cmd.Context(), o, args)
	if err != nil {
		return err
	}
	if o.writeBaseline {
		path := secrets.BaselinePath(root, cfg.Secrets)
		if err := secrets.NewBaseline(res.Findings).Write(path); err != nil {
			return err
		}
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "wrote %d accepted findings to %s\n", len(res.Findings), path)
		return err
	}
	rep := &report.Report{Findings: res.Findings, Skipped: res.Skipped}
	rep.Finalize()
	if err := writeOutputs(cmd.OutOrStdout(), outs, rep, report.Options{}, root); err != nil {
		return err
	}
	if rep.Fails(failOn) {
		return errFindings
	}
	return nil
}

// secretsScan runs the secret scan of the paths (all of the root when none)
// and returns its result, the root and the config.
func secretsScan(ctx context.Context, o *secretsOptions, args []string) (*secrets.Result, string, *config.Config, error) {
	root, cfg, err := loadRoot(o.root, &o.conf)
	if err != nil {
		return nil, "", nil, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, "", nil, fmt.Errorf("working directory: %w", err)
	}
	paths, err := secrets.RelPaths(root, cwd, args)
	if err != nil {
		return nil, "", nil, usageErrorf("%w", err)
	}
	keys, err := secrets.KeysFromEnv(os.LookupEnv)
	if err != nil {
		return nil, "", nil, usageErrorf("%w", err)
	}
	res, err := secrets.Scan(ctx, secrets.Options{
		Root: root, Config: cfg.Secrets, Paths: paths, Keys: keys, NoBaseline: o.writeBaseline,
	})
	var cerr *secrets.ConfigError
	if errors.As(err, &cerr) {
		return nil, "", nil, usageErrorf("%w", err)
	}
	if err != nil {
		return nil, "", nil, err
	}
	return res, root, cfg, nil
}
