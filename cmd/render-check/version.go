package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/validate"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = ""

func init() { register(newVersionCmd) }

func versionString() string {
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return v
}

// bundled are the modules whose versions decide what render-check renders
// and validates like, as `version` names them.
var bundled = []struct{ label, module string }{
	{"helm", "helm.sh/helm/v3"},
	{"kustomize", "sigs.k8s.io/kustomize/api"},
	{"kubeconform", "github.com/yannh/kubeconform"},
	{"sops", "github.com/getsops/sops/v3"},
	{"go-containerregistry", "github.com/google/go-containerregistry"},
}

// writeVersion prints the version, the commit, the Go version, the bundled
// renderer and validator versions (read from the binary's build info) and
// the embedded Kubernetes schema versions and the CRD catalog's module
// versions.
func writeVersion(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "render-check %s\n", versionString())
	commit, modified := "unknown", false
	mods := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			mods[d.Path] = d.Version
		}
	}
	if modified {
		commit += " (modified)"
	}
	fmt.Fprintf(&b, "  %-21s %s\n", "commit:", commit)
	fmt.Fprintf(&b, "  %-21s %s %s/%s\n", "go:", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, m := range bundled {
		v := mods[m.module]
		if v == "" {
			v = "unknown"
		}
		fmt.Fprintf(&b, "  %-21s %s\n", m.label+":", v)
	}
	vs := kube.Versions()
	fmt.Fprintf(&b, "  %-21s %s (default %s)\n", "kubernetes schemas:", strings.Join(vs, ", "), kube.DefaultVersion())
	// the CRD catalog: its kinds and the module versions they come from
	entries, err := validate.Catalog()
	if err != nil {
		return fmt.Errorf("crd catalog: %w", err)
	}
	var modules []string
	for _, e := range entries {
		modules = append(modules, e.Module+" "+e.Version)
	}
	slices.Sort(modules)
	modules = slices.Compact(modules)
	fmt.Fprintf(&b, "  %-21s %d kinds from %d modules (render-check schemas catalog lists them)\n", "crd catalog:", len(entries), len(modules))
	for _, m := range modules {
		fmt.Fprintf(&b, "    %s\n", m)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the bundled Helm, Kustomize, Kubernetes schema and CRD catalog versions",
		Long: `Print render-check's version and commit, the Go version it was built with, the
versions of the bundled libraries that render and validate (Helm, Kustomize,
kubeconform, sops, go-containerregistry; read from the binary's build
information), the Kubernetes versions whose schemas are embedded and the
module versions the embedded CRD catalog comes from.

Exit codes:
  0  printed
  2  the embedded CRD catalog could not be read`,
		Example: `  render-check version
  # in a bug report
  render-check version 2>&1 | tee version.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(cmd.OutOrStdout())
		},
	}
}
