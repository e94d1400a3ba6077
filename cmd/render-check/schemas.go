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
		Args:  cobra.NoArgs,
	}
	var kubeVersion string
	export := &cobra.Command{
		Use:   "export --kube-version V DIR",
		Short: "Write the embedded schemas of one Kubernetes version and the CRD catalog for kubeconform's -schema-location",
		Args:  cobra.ExactArgs(1),
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
		Args:  cobra.NoArgs,
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
