package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/kube"
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
// the embedded Kubernetes schema versions.
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
	_, err := io.WriteString(w, b.String())
	return err
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the bundled Helm, Kustomize and Kubernetes schema versions",
		Long: `Print render-check's version and commit, the Go version it was built with, the
versions of the bundled libraries that render and validate (Helm, Kustomize,
kubeconform, sops, go-containerregistry; read from the binary's build
information) and the Kubernetes versions whose schemas are embedded.

Exit codes:
  0  printed`,
		Example: `  render-check version
  # in a bug report
  render-check version 2>&1 | tee version.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(cmd.OutOrStdout())
		},
	}
}
