package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/validate"
)

func init() { register(newValidateCmd) }

type validateOptions struct {
	kubeVersion     string
	strict          bool
	crds            []string
	schemaLocations []string
	schemaCacheDir  string
	skipKinds       []string
	format          string
	failOn          string
	config          string
}

func newValidateCmd() *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate [flags] FILE|DIR|- ...",
		Short: "Validate plain manifests offline against the embedded Kubernetes schemas and CRDs",
		Long: "Validate Kubernetes manifests (multi-document YAML, JSON, Lists; directories recursively; - for stdin)\n" +
			"against the schemas of one Kubernetes version, the CRDs found in the inputs and in --crds, and\n" +
			"--schema-location templates, then the embedded CRD catalog. The validate section of the config\n" +
			"(--config, default ./" + config.FileName + " if present) applies: validate.missingSchema sets what a kind\n" +
			"without a schema yields, validate.catalog: false turns the catalog off.\n\n" +
			"Exit codes:\n" +
			"  0  nothing at or above the --fail-on level\n" +
			"  1  findings at or above the --fail-on level\n" +
			"  2  bad flags or unreadable input",
		Example: `  # a directory of manifests, as kubectl would apply them
  render-check validate --kube-version 1.31 manifests/
  # rendered output from another tool, on stdin, unknown fields rejected
  helm template web ./chart | render-check validate -
  # with the CRDs of an operator, warnings fail too
  render-check validate --crds crds/ --fail-on warning deploy/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeVersion, "kube-version", "", "target Kubernetes version (embedded: "+strings.Join(kube.Versions(), ", ")+"; default newest)")
	f.BoolVar(&o.strict, "strict", true, "reject fields the schema does not declare and duplicate keys (--strict=false to allow)")
	f.StringArrayVar(&o.crds, "crds", nil, "file or directory of CustomResourceDefinitions (repeatable)")
	f.StringArrayVar(&o.schemaLocations, "schema-location", nil, "kubeconform schema location template, path or URL (repeatable)")
	f.StringVar(&o.schemaCacheDir, "schema-cache-dir", "", "cache directory for schemas fetched over HTTP")
	f.StringSliceVar(&o.skipKinds, "skip-kinds", nil, "kinds or apiVersion/kinds not to validate (comma-separated, repeatable)")
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(report.Formats(), ", "))
	f.StringVar(&o.failOn, "fail-on", "error", "exit 1 on findings at or above: error, warning")
	f.StringVar(&o.config, "config", "", "config file whose validate section applies (default ./"+config.FileName+" if present)")
	return cmd
}

func runValidate(cmd *cobra.Command, o *validateOptions, args []string) error {
	failOn, err := report.ParseSeverity(o.failOn)
	if err != nil {
		return usageErrorf("--fail-on: %w", err)
	}
	if !report.IsFormat(o.format) {
		return usageErrorf("--format: unknown format %q (known: %s)", o.format, strings.Join(report.Formats(), ", "))
	}
	rep, err := validateReport(cmd.Context(), o, cmd.InOrStdin(), args)
	if err != nil {
		return err
	}
	w, err := report.New(cmd.OutOrStdout(), o.format, report.Options{Color: colorFor(cmd.OutOrStdout())})
	if err != nil {
		return usageErrorf("%w", err)
	}
	if err := w.Write(rep); err != nil {
		return err
	}
	if rep.Fails(failOn) {
		return errFindings
	}
	return nil
}

// validateReport validates the files args name ("-": stdin) and returns
// the report.
func validateReport(ctx context.Context, o *validateOptions, stdin io.Reader, args []string) (*report.Report, error) {
	if err := checkKubeVersion(o.kubeVersion); err != nil {
		return nil, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	cfg, err := config.LoadWith(config.LoadOptions{Root: cwd, Path: o.config})
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	inputs, err := readInputs(stdin, args)
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	crds, findings, err := validate.CRDsFromInputs(ctx, inputs)
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	extra, crdFindings, err := validate.CRDsFromPaths("", o.crds)
	if err != nil {
		return nil, usageErrorf("--crds: %w", err)
	}
	crds = append(crds, extra...)
	findings = append(findings, crdFindings...)
	v, err := validate.New(validate.Options{
		KubernetesVersion: o.kubeVersion, Strict: o.strict, CRDs: crds,
		SchemaLocations: o.schemaLocations, SchemaCacheDir: o.schemaCacheDir, SkipKinds: o.skipKinds,
		MissingSchema: cfg.Validate.MissingSchema, NoCatalog: !cfg.Validate.UsesCatalog(),
	})
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	res, err := validate.ValidateFiles(ctx, v, inputs)
	if err != nil {
		return nil, err
	}
	rep := &report.Report{Findings: append(findings, res.Findings...)}
	rep.Finalize()
	rep.Summary.Resources = res.Resources
	return rep, nil
}

// readInputs resolves every argument: "-" is stdin (read into memory), a directory is walked for
// .yaml, .yml and .json files (hidden directories skipped), sorted.
func readInputs(stdin io.Reader, args []string) ([]validate.Input, error) {
	var inputs []validate.Input
	stdinRead := false
	for _, a := range args {
		if a == "-" {
			if stdinRead {
				continue
			}
			stdinRead = true
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading stdin: %w", err)
			}
			inputs = append(inputs, validate.BytesInput("<stdin>", data))
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			inputs = append(inputs, validate.FileInput(filepath.ToSlash(filepath.Clean(a)), a))
			continue
		}
		files, err := validate.ManifestFiles(os.DirFS(a), ".", false)
		if err != nil {
			return nil, err
		}
		for i, f := range files {
			files[i] = filepath.Join(a, filepath.FromSlash(f))
		}
		slices.Sort(files)
		for _, p := range files {
			inputs = append(inputs, validate.FileInput(filepath.ToSlash(filepath.Clean(p)), p))
		}
	}
	if len(inputs) == 0 {
		return nil, errors.New("no manifest files found")
	}
	return inputs, nil
}
