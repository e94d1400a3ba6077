package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/validate"
)

func init() { register(newSchemasCmd) }

func newSchemasCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schemas",
		Short: "Work with the embedded Kubernetes JSON schemas and CRD catalog",
		Long: `Work with the Kubernetes JSON schemas and the CRD catalog embedded in the binary;
see schemas export and schemas catalog.

Exit codes:
  0  help shown
  2  unknown subcommand`,
		Example: `  render-check schemas export --kube-version 1.31 schemas/
  render-check schemas catalog`,
		Args: cobra.NoArgs,
	}
	var kubeVersion string
	export := &cobra.Command{
		Use:   "export --kube-version V DIR",
		Short: "Write the embedded schemas of one Kubernetes version and the CRD catalog for kubeconform's -schema-location",
		Long: `Write the JSON schemas embedded for one Kubernetes version, and the CRD catalog,
into DIR in the layout kubeconform's -schema-location expects, then print the
kubeconform command line that uses them (offline validation with the same schemas).

Exit codes:
  0  written
  2  unknown --kube-version, or DIR cannot be written`,
		Example: `  # newest embedded version
  render-check schemas export schemas/
  # one version (prints the kubeconform command line that uses it)
  render-check schemas export --kube-version 1.31 schemas/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			minor, err := kube.Target(kubeVersion, "")
			if err != nil {
				return usageErrorf("%w", err)
			}
			res, err := validate.Export(minor, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, d := range res.Dirs {
				fmt.Fprintf(out, "wrote %d schemas and %d custom resource schemas (CRD catalog) to %s\n", res.Kinds, res.CatalogKinds, d)
			}
			_, err = fmt.Fprintf(out, "use: kubeconform -schema-location %s -kubernetes-version %s [-strict] FILE...\n", args[0], res.KubeconformVersion)
			return err
		},
	}
	export.Flags().StringVar(&kubeVersion, "kube-version", "", "Kubernetes version (embedded: "+fmt.Sprint(kube.Versions())+"; default newest)")
	catalog := &cobra.Command{
		Use:   "catalog",
		Short: "List the custom resources of the embedded CRD catalog and where each schema comes from",
		Long: `List every custom resource of the embedded CRD catalog (apiVersion, kind,
scope) and the module, version and file its schema comes from.

Exit codes:
  0  listed
  2  the catalog could not be read`,
		Example: `  render-check schemas catalog
  # is cert-manager's Certificate known?
  render-check schemas catalog | grep cert-manager.io`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entries, err := validate.Catalog()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "APIVERSION\tKIND\tSCOPE\tMODULE\tFILE")
			for _, e := range entries {
				scope := "Namespaced"
				if !e.Namespaced {
					scope = "Cluster"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s@%s\t%s\n", e.APIVersion, e.Kind, scope, e.Module, e.Version, e.File)
			}
			return w.Flush()
		},
	}
	cmd.AddCommand(export, catalog)
	return cmd
}
