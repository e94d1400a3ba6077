package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadKubeVersionIsAUsageErrorEverywhere: the target Kubernetes version is
// decided and validated in one place (internal/kube), so check, render,
// validate and schemas export reject an unsupported --kube-version the same
// way: exit 2, one message, nothing rendered.
func TestBadKubeVersionIsAUsageErrorEverywhere(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml":          checkConfig,
		"CODEOWNERS":                  checkOwners,
		"clusters/prod/apps/web.yaml": checkApp("web", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: apps/web\n"),
		"apps/web/cm.yaml":            okConfigMap,
	})
	manifest := filepath.Join(root, "apps/web/cm.yaml")
	const want = `render-check: --kube-version: Kubernetes version "1.3" has no embedded schemas (embedded: 1.30,`
	for _, args := range [][]string{
		{"check", "--root", root, "--images", "off", "--kube-version", "1.3"},
		{"render", "--root", root, "--output-dir", t.TempDir(), "--kube-version", "1.3"},
		{"validate", "--kube-version", "1.3", manifest},
		{"schemas", "export", "--kube-version", "1.3", t.TempDir()},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitError {
			t.Errorf("%s: exit %d, want 2; stdout:\n%s\nstderr:\n%s", args[0], code, stdout, stderr)
		}
		if !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "cluster prod") {
			t.Errorf("%s: stderr %q, want one line starting %q", args[0], stderr, want)
		}
	}
	// A configured version is validated when the config is loaded.
	if err := os.WriteFile(filepath.Join(root, ".render-check.yaml"), []byte(checkConfig+"clusterSettings:\n  prod:\n    kubernetesVersion: \"1.3\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "check", "--root", root, "--images", "off")
	if code != exitError || !strings.Contains(stderr, `clusterSettings.prod.kubernetesVersion: Kubernetes version "1.3" has no embedded schemas`) {
		t.Errorf("configured version: exit %d, stderr:\n%s", code, stderr)
	}
}
