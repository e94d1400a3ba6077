package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/validate"
)

func init() { register(newSchemasCmd) }

func newSchemasCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schemas",
		Short: "Work with the embedded Kubernetes JSON schemas",
		Args:  cobra.NoArgs,
	}
	var kubeVersion string
	export := &cobra.Command{
		Use:   "export --kube-version V DIR",
		Short: "Write the embedded schemas of one Kubernetes version for kubeconform's -schema-location",
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
				fmt.Fprintf(out, "wrote %d schemas to %s\n", res.Kinds, d)
			}
			_, err = fmt.Fprintf(out, "use: kubeconform -schema-location %s -kubernetes-version %s [-strict] FILE...\n", args[0], res.KubeconformVersion)
			return err
		},
	}
	export.Flags().StringVar(&kubeVersion, "kube-version", "", "Kubernetes version (embedded: "+fmt.Sprint(kube.Versions())+"; default newest)")
	cmd.AddCommand(export)
	return cmd
}
