package images_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/registry/registrytest"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/report"
)

// TestExampleRepoImages renders the example config repo (testdata/clusters),
// seeds a local docker-registry with every image it uses except one, points
// the public registries at it as mirrors, and checks: the only findings are
// for the missing image, each at a line that sets its tag.
func TestExampleRepoImages(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	root, err := filepath.Abs("../../testdata/clusters")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Render(context.Background(), render.Options{Root: root, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var refs []registry.Ref
	seen := map[string]bool{}
	for _, c := range res.Clusters {
		for _, r := range c.All() {
			for _, u := range images.Extract(r.Object) {
				ref, err := registry.Parse(u.Image)
				if err != nil || seen[ref.String()] {
					continue
				}
				seen[ref.String()] = true
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) < 3 {
		t.Fatalf("the example repo renders %d images; want several", len(refs))
	}
	slices.SortFunc(refs, func(a, b registry.Ref) int { return strings.Compare(a.String(), b.String()) })

	reg := registrytest.Start(t, registrytest.Options{})
	mirrors := map[string][]string{}
	var missing registry.Ref
	var unseedable []string
	for _, ref := range refs {
		host := ref.Registry()
		if host == "index.docker.io" {
			host = "docker.io"
		}
		mirrors[host] = []string{reg.Host + "/" + host}
		if missing.Original == "" && ref.Tag != "" && ref.Digest == "" && !strings.HasPrefix(ref.Registry(), "index.docker.io") {
			missing = ref
			continue
		}
		tag := ref.EffectiveTag()
		if ref.Digest != "" {
			// A random image cannot have a given digest: not seeded, not asserted.
			unseedable = append(unseedable, ref.Original)
			continue
		}
		reg.Push(t, reg.Ref(host+"/"+ref.Repository.RepositoryStr(), ":"+tag), registrytest.RandomImage(t, "linux/amd64"))
	}
	if missing.Original == "" {
		t.Fatal("no tagged image outside Docker Hub to leave out")
	}

	icfg := cfg.Images
	icfg.Mirrors = mirrors
	icfg.Insecure = []string{reg.Host}
	fs, err := images.Check(context.Background(), res.Clusters, images.Options{Root: root, Config: icfg, Mode: "verify"})
	if err != nil {
		t.Fatal(err)
	}
	var notFound []report.Finding
	for _, f := range fs {
		if slices.ContainsFunc(unseedable, func(s string) bool { return strings.HasPrefix(f.Message, s+":") }) {
			continue
		}
		switch f.Rule {
		case report.RuleImageTagNotFound:
			notFound = append(notFound, f)
		case report.RuleImageMutableTag:
		default:
			t.Errorf("unexpected finding %s %s:%d %s", f.Rule, f.File, f.Line, f.Message)
		}
	}
	if len(notFound) == 0 {
		t.Fatalf("no finding for the unseeded %s; findings: %+v", missing, fs)
	}
	for _, f := range notFound {
		if !strings.HasPrefix(f.Message, missing.Original+": repository not found") {
			t.Errorf("finding for another image: %s", f.Message)
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.File)))
		if err != nil {
			t.Fatalf("finding file %s: %v", f.File, err)
		}
		lines := strings.Split(string(data), "\n")
		if f.Line < 1 || f.Line > len(lines) || !strings.Contains(lines[f.Line-1], missing.Tag) {
			t.Errorf("%s:%d does not set tag %s", f.File, f.Line, missing.Tag)
		}
		t.Logf("%s/%s: %s:%d %s", f.Cluster, f.App, f.File, f.Line, f.Message)
	}
}
