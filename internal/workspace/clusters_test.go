package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/config"
)

const testApp = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: %s\nspec:\n  source:\n    repoURL: https://example.com/r.git\n    path: %s\n"

func TestClusterGlobs(t *testing.T) {
	root := t.TempDir()
	write(t, root, "regions/eu/prod/a.yaml", "a: 1\n")
	write(t, root, "regions/us/prod/a.yaml", "a: 1\n")
	write(t, root, "bootstrap/prod-root.yaml", strings.Replace(strings.Replace(testApp, "%s", "prod-root", 1), "%s", "envs/prod", 1))
	write(t, root, "bootstrap/root-staging.yml", "a: 1\n")
	write(t, root, "apps/web/envs/prod/kustomization.yaml", "resources: []\n")
	write(t, root, "apps/api/envs/prod/kustomization.yaml", "resources: []\n")
	for _, tt := range []struct {
		globs   []string
		pattern string
		want    string // name=paths;...
		err     string
	}{
		{globs: []string{"regions/*/*"}, pattern: "{1}-{2}", want: "eu-prod=regions/eu/prod;us-prod=regions/us/prod"},
		{globs: []string{"bootstrap/*.yaml", "bootstrap/*.yml"}, want: "prod=bootstrap/prod-root.yaml;staging=bootstrap/root-staging.yml"},
		{globs: []string{"."}, want: "root=."},
		{globs: []string{"."}, pattern: "homelab", want: "homelab=."},
		{globs: []string{"apps/*/envs/*"}, want: "prod=apps/api/envs/prod:api,apps/web/envs/prod:web"},
		{globs: []string{"regions/*/*", "apps/*/envs/*"}, err: `cluster name "prod" is used by both`},
		{globs: []string{"regions/*/*"}, pattern: "{1}/{2}", err: "not a valid cluster name"},
	} {
		cfg := config.Default()
		cfg.Clusters, cfg.ClusterName = tt.globs, tt.pattern
		r, err := Open(t.Context(), root, Settings{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := r.Clusters()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v %q: error %v, want %q", tt.globs, tt.pattern, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.globs, err)
		}
		var parts []string
		for _, c := range cs {
			var ps []string
			for _, m := range c.Paths() {
				p := m.Path
				if len(c.Paths()) > 1 {
					p += ":" + m.App
				}
				ps = append(ps, p)
			}
			parts = append(parts, c.Name+"="+strings.Join(ps, ","))
		}
		if got := strings.Join(parts, ";"); got != tt.want {
			t.Errorf("%v %q: %s, want %s", tt.globs, tt.pattern, got, tt.want)
		}
	}
}

// TestClusterSymlinksNotFollowed: a root Application file or cluster
// directory that is a symlink (possibly to outside the checkout) is not read.
func TestClusterSymlinksNotFollowed(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "secret.yaml", strings.Replace(strings.Replace(testApp, "%s", "outside", 1), "%s", "x", 1))
	root := t.TempDir()
	write(t, root, "bootstrap/real-root.yaml", strings.Replace(strings.Replace(testApp, "%s", "real", 1), "%s", "x", 1))
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(root, "bootstrap", "evil-root.yaml")); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "bootstrap", "evil")); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Clusters = []string{"bootstrap/*.yaml", "bootstrap/*"}
	r, _ := Open(t.Context(), root, Settings{Config: cfg})
	cs, err := r.Clusters()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		apps, _, err := r.Applications(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			if a.Metadata.Name == "outside" {
				t.Errorf("cluster %s read an Application through a symlink", c.Name)
			}
		}
		if c.Name == "evil" {
			t.Errorf("a symlinked directory became cluster %s", c.Name)
		}
	}
}

func TestIsRemoteURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://github.com/org/repo.git": true,
		"ssh://git@host/org/repo":         true,
		"git@github.com:org/repo.git":     true,
		"git://host/repo":                 true,
		"/work/.mirror/org+repo/repo":     false,
		"../repo":                         false,
		"file:///srv/repo.git":            false,
		"":                                false,
		"C:/repos/config":                 false,
	} {
		if got := IsRemoteURL(u); got != want {
			t.Errorf("IsRemoteURL(%q) = %v, want %v", u, got, want)
		}
	}
}
