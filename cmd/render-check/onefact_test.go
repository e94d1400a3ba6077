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

// TestSeverityOverridesApplyToEveryCheck: policy.severity and
// clusterSettings.*.severity are applied to every check's findings by rule
// (not only to repo/...), and a rule name that does not exist is a
// configuration error (exit 2), not silently ignored.
func TestSeverityOverridesApplyToEveryCheck(t *testing.T) {
	bad := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\nbogus: true\n"
	files := map[string]string{
		"CODEOWNERS":                  checkOwners,
		"clusters/prod/apps/web.yaml": checkApp("web", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: apps/web\n"),
		"apps/web/cm.yaml":            bad,
	}
	files[".render-check.yaml"] = checkConfig
	root := checkRepo(t, files)
	code, rep, stderr := checkJSON(t, root)
	if code != exitFindings || findRule(rep, "schema/invalid", "web") == nil {
		t.Fatalf("without overrides: exit %d, want 1 with schema/invalid; stderr:\n%s", code, stderr)
	}
	for _, tc := range []struct {
		name, config string
		code         int
		sev          string // "" = no finding
	}{
		{"off", "policy:\n  severity:\n    schema/invalid: \"off\"\n", exitOK, ""},
		{"bare off (YAML false)", "policy:\n  severity:\n    schema/invalid: off\n", exitOK, ""},
		{"warning", "policy:\n  severity:\n    schema/invalid: warning\n", exitOK, "warning"},
		{"per cluster", "policy:\n  severity:\n    schema/invalid: \"off\"\nclusterSettings:\n  prod:\n    severity:\n      schema/invalid: info\n", exitOK, "info"},
		{"other cluster", "clusterSettings:\n  staging:\n    severity:\n      schema/invalid: \"off\"\n", exitFindings, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFiles(t, root, map[string]string{".render-check.yaml": checkConfig + tc.config})
			code, rep, stderr := checkJSON(t, root)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			f := findRule(rep, "schema/invalid", "web")
			switch {
			case tc.sev == "" && f != nil:
				t.Errorf("schema/invalid still reported: %+v", *f)
			case tc.sev != "" && (f == nil || string(f.Severity) != tc.sev):
				t.Errorf("schema/invalid = %+v, want severity %s", f, tc.sev)
			}
		})
	}
	for _, cfg := range []string{
		"policy:\n  severity:\n    schema/invalidd: \"off\"\n",
		"clusterSettings:\n  prod:\n    severity:\n      no-such/rule: warning\n",
	} {
		writeFiles(t, root, map[string]string{".render-check.yaml": checkConfig + cfg})
		code, _, stderr := checkJSON(t, root)
		if code != exitError || !strings.Contains(stderr, "unknown rule") {
			t.Errorf("%q: exit %d, want 2 naming the unknown rule; stderr:\n%s", cfg, code, stderr)
		}
	}
}

// TestClusterDiscoveryIsShared: bump finds clusters the way check does (one
// discovery): a "_" scratch directory matching the glob is not a cluster, so
// both refuse --cluster _scratch (exit 2), and both accept the real one.
func TestClusterDiscoveryIsShared(t *testing.T) {
	values := strings.ReplaceAll(valuesTmpl, "REPO", "registry.example/org/app")
	root := checkRepo(t, map[string]string{
		".render-check.yaml":                checkConfig,
		"CODEOWNERS":                        checkOwners,
		"clusters/prod/apps/web.yaml":       checkApp("web", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: apps/web\n"),
		"clusters/prod/values/app.yaml":     values,
		"clusters/_scratch/values/app.yaml": values,
		"apps/web/cm.yaml":                  okConfigMap,
	})
	for _, args := range [][]string{
		{"check", "--root", root, "--images", "off", "--cluster", "_scratch"},
		{"bump", "--root", root, "--image", "registry.example/org/app", "--tag", "2.0.0", "--no-verify", "--cluster", "_scratch"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitError || !strings.Contains(stderr, `unknown cluster "_scratch"`) {
			t.Errorf("%s --cluster _scratch: exit %d, want 2; stderr:\n%s", args[0], code, stderr)
		}
	}
	// prod is a cluster for both (the bump itself is refused: no app of
	// prod reads the values file, but the cluster name is accepted)
	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/app", "--tag", "2.0.0", "--no-verify", "--cluster", "prod", "--dry-run")
	if code == exitError || strings.Contains(stderr, "unknown cluster") {
		t.Errorf("bump --cluster prod: exit %d\nstderr:\n%s", code, stderr)
	}
}
