package render

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// The fidelity test renders the example repo with the upstream helm and
// kustomize CLIs, built from the module versions render-check links, and
// compares every app's output with ours after the same post-processing.
// Set RENDER_CHECK_SKIP_FIDELITY=1 to skip it when the CLIs cannot be built
// (it needs the Go toolchain and the module proxy or a warm module cache).

const skipFidelityEnv = "RENDER_CHECK_SKIP_FIDELITY"

// kustomizeCLIVersion is the kustomize CLI release built on kustomize/api v0.21.2.
const kustomizeCLIVersion = "v5.8.2"

func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s\n(the fidelity test builds helm and kustomize from the module proxy or cache; set %s=1 to skip it)",
			strings.Join(args, " "), err, out, skipFidelityEnv)
	}
	return strings.TrimSpace(string(out))
}

// upstreamCLIs builds (once, cached) helm and kustomize from the versions
// in our go.mod.
func upstreamCLIs(t *testing.T) (helmBin, kustBin string) {
	t.Helper()
	if os.Getenv(skipFidelityEnv) != "" {
		t.Skipf("fidelity against upstream CLIs skipped: %s is set", skipFidelityEnv)
	}
	modRoot, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	versions := goCmd(t, modRoot, "list", "-m", "-f", "{{.Path}}@{{.Version}}", "helm.sh/helm/v3", "sigs.k8s.io/kustomize/api")
	cacheRoot, err := os.UserCacheDir()
	if err != nil {
		cacheRoot = os.TempDir()
	}
	key := strings.NewReplacer("/", "_", "\n", "+", "@", "-").Replace(versions + "+kustomize-" + kustomizeCLIVersion)
	cache := filepath.Join(cacheRoot, "render-check", "fidelity", key)
	helmBin, kustBin = filepath.Join(cache, "helm"), filepath.Join(cache, "kustomize")
	if _, err := os.Stat(helmBin); err == nil {
		if _, err := os.Stat(kustBin); err == nil {
			return helmBin, kustBin
		}
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join(modRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(gomod), "\n", 2)
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module fidelitycli\n"+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	if sum, err := os.ReadFile(filepath.Join(modRoot, "go.sum")); err == nil {
		if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd(t, mod, "mod", "edit", "-require=sigs.k8s.io/kustomize/kustomize/v5@"+kustomizeCLIVersion)
	goCmd(t, mod, "build", "-o", helmBin+".tmp", "helm.sh/helm/v3/cmd/helm")
	goCmd(t, mod, "build", "-o", kustBin+".tmp", "sigs.k8s.io/kustomize/kustomize/v5")
	if got := goCmd(t, mod, "list", "-m", "-f", "{{.Path}}@{{.Version}}", "helm.sh/helm/v3", "sigs.k8s.io/kustomize/api"); got != versions {
		t.Fatalf("the CLIs were built against %q, render-check links %q", got, versions)
	}
	if err := os.Rename(helmBin+".tmp", helmBin); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(kustBin+".tmp", kustBin); err != nil {
		t.Fatal(err)
	}
	return helmBin, kustBin
}

func runCLI(t *testing.T, dir string, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", filepath.Base(bin), strings.Join(args, " "), dir, err, stderr.String())
	}
	return out
}

// copyTree copies the example repo so that `kustomize edit` can run on it.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFidelityWithUpstreamCLIs(t *testing.T) {
	if testing.Short() {
		t.Skip("fidelity test builds helm and kustomize; skipped with -short")
	}
	helmBin, kustBin := upstreamCLIs(t)
	example, _ := filepath.Abs("../../testdata/clusters")
	_, res := renderRepo(t, example, Options{})
	cfg, _ := config.Load(example, "")
	rp, err := workspace.Open(t.Context(), example, workspace.Settings{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	crds, _ := rp.CRDs(t.Context())
	build, _ := ParseBuildOptions(cfg.Render.KustomizeBuildOptions)
	compared := 0
	for _, c := range res.Clusters {
		apis := mergeSorted(kube.APIVersions(c.KubernetesVersion), crdAPIVersions(crds))
		kv := kube.FullVersion(c.KubernetesVersion)
		for _, app := range c.Apps {
			if app.Application == nil || app.SourceType == TypeDirectory {
				continue // directories have no upstream CLI to compare with
			}
			t.Run(c.Name+"/"+app.Name, func(t *testing.T) {
				var upstream []*resource.Resource
				rendered := false
				for _, src := range app.Application.Spec.AllSources() {
					work := t.TempDir()
					copyTree(t, example, work)
					if src.Ref != "" && src.Path == "" {
						continue
					}
					dir, _ := cleanSourcePath(src.Path)
					src, _, err := applyOverrides(rp, src, dir, app.Name)
					if err != nil {
						t.Fatal(err)
					}
					typ, err := sourceType(src, rp.FS(), dir)
					if err != nil {
						t.Fatal(err)
					}
					var out []byte
					switch typ {
					case TypeKustomize:
						appDir := filepath.Join(work, filepath.FromSlash(dir))
						kustomizeEdit(t, kustBin, appDir, app.Application, src)
						args := []string{"build", appDir}
						if build.EnableHelm {
							args = append(args, "--enable-helm", "--helm-command", helmBin, "--helm-kube-version", kv)
							for _, a := range apis {
								args = append(args, "--helm-api-versions", a)
							}
						}
						if build.LoadRestrictionsNone {
							args = append(args, "--load-restrictor", "LoadRestrictionsNone")
						}
						out = runCLI(t, work, kustBin, args...)
					case TypeHelm:
						out = helmTemplate(t, helmBin, work, app.Application, src, dir, kv, apis)
					default:
						continue // directories have no upstream CLI
					}
					rendered = true
					docs, err := workspace.ParseDocuments("upstream", out)
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range docs {
						if d.Object != nil {
							upstream = append(upstream, &resource.Resource{Object: d.Object})
						}
					}
				}
				if !rendered {
					t.Fatalf("%s: no helm or kustomize source was compared", app.Name)
				}
				up := &resource.App{Name: app.Name, Cluster: c.Name, Resources: expandLists(upstream)}
				sc := newScopes()
				for _, o := range crds {
					sc.addCRD(o)
				}
				for _, a := range c.Apps {
					for _, r := range a.Resources {
						sc.addCRD(r.Object)
					}
				}
				finalize(up, app.Application.Spec.Destination.Namespace, sc, cfg.Render.ResourceExclusions)
				want, got := objectsYAML(t, up.Resources), objectsYAML(t, app.Resources)
				if want != got {
					t.Errorf("render-check differs from the upstream CLIs:\n%s", diffLines(want, got))
				}
				compared++
			})
		}
	}
	if compared < 6 {
		t.Errorf("compared %d apps with the upstream CLIs, want at least 6", compared)
	}
}

func objectsYAML(t *testing.T, rs []*resource.Resource) string {
	t.Helper()
	var b strings.Builder
	for _, r := range rs {
		y, err := yaml.Marshal(r.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.String()
}

// kustomizeEdit runs the `kustomize edit` commands Argo CD runs for the
// Application's kustomize options, with the real CLI.
func kustomizeEdit(t *testing.T, bin, dir string, app *argo.Application, src argo.Source) {
	t.Helper()
	k := src.Kustomize
	if k == nil {
		return
	}
	env := buildEnv(app, app.Metadata.Name, src, "")
	edit := func(args ...string) { runCLI(t, dir, bin, append([]string{"edit"}, args...)...) }
	if k.NamePrefix != "" {
		edit("set", "nameprefix", "--", k.NamePrefix)
	}
	if k.NameSuffix != "" {
		edit("set", "namesuffix", "--", k.NameSuffix)
	}
	if len(k.Images) > 0 {
		args := []string{"set", "image"}
		for _, im := range k.Images {
			args = append(args, envsubst(im, env))
		}
		edit(args...)
	}
	if len(k.Replicas) > 0 {
		args := []string{"set", "replicas"}
		for _, r := range k.Replicas {
			n, err := replicaCount(r.Count)
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, fmt.Sprintf("%s=%d", r.Name, n))
		}
		edit(args...)
	}
	if len(k.CommonLabels) > 0 {
		args := []string{"add", "label"}
		if k.ForceCommonLabels {
			args = append(args, "--force")
		}
		if k.LabelWithoutSelector {
			args = append(args, "--without-selector")
		}
		for _, key := range sortedKeys(k.CommonLabels) {
			args = append(args, key+":"+envsubst(k.CommonLabels[key], env))
		}
		edit(args...)
	}
	if len(k.CommonAnnotations) > 0 {
		args := []string{"add", "annotation"}
		if k.ForceCommonAnnotations {
			args = append(args, "--force")
		}
		for _, key := range sortedKeys(k.CommonAnnotations) {
			args = append(args, key+":"+k.CommonAnnotations[key])
		}
		edit(args...)
	}
	if k.Namespace != "" {
		edit("set", "namespace", "--", k.Namespace)
	}
	if len(k.Patches) > 0 {
		name := findKustomization(os.DirFS(dir), ".")
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		patches, _ := m["patches"].([]any)
		for _, p := range k.Patches {
			patches = append(patches, p)
		}
		m["patches"] = patches
		out, err := yaml.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(k.Components) > 0 {
		edit(append([]string{"add", "component"}, k.Components...)...)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// helmTemplate runs `helm template` as Argo CD's repo-server does.
func helmTemplate(t *testing.T, bin, work string, app *argo.Application, src argo.Source, dir, kv string, apis []string) []byte {
	t.Helper()
	h := src.Helm
	if h == nil {
		h = &argo.HelmSource{}
	}
	chartDir := filepath.Join(work, filepath.FromSlash(dir))
	release := h.ReleaseName
	if release == "" {
		release = app.Metadata.Name
	}
	ns := h.Namespace
	if ns == "" {
		ns = app.Spec.Destination.Namespace
	}
	args := []string{"template", ".", "--name-template", release, "--kube-version", kv, "--include-crds"}
	if ns != "" {
		args = append(args, "--namespace", ns)
	}
	for _, a := range apis {
		args = append(args, "--api-versions", a)
	}
	for _, vf := range h.ValueFiles {
		switch {
		case strings.HasPrefix(vf, "$"):
			_, rest, _ := strings.Cut(vf, "/")
			vf = filepath.Join(work, filepath.FromSlash(rest))
		case strings.HasPrefix(vf, "/"):
			vf = filepath.Join(work, filepath.FromSlash(vf))
		default:
			vf = filepath.Join(chartDir, filepath.FromSlash(path.Clean(vf)))
		}
		args = append(args, "--values", vf)
	}
	values := h.Values
	if h.ValuesObject != nil {
		b, err := yaml.Marshal(h.ValuesObject)
		if err != nil {
			t.Fatal(err)
		}
		values = string(b)
	}
	if values != "" {
		p := filepath.Join(t.TempDir(), "values.yaml")
		if err := os.WriteFile(p, []byte(values), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--values", p)
	}
	for _, p := range h.Parameters {
		flag := "--set"
		if p.ForceString {
			flag = "--set-string"
		}
		args = append(args, flag, p.Name+"="+strings.ReplaceAll(p.Value, ",", "\\,"))
	}
	for _, p := range h.FileParameters {
		args = append(args, "--set-file", p.Name+"="+filepath.Join(chartDir, p.Path))
	}
	return runCLI(t, chartDir, bin, args...)
}
