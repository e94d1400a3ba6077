package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVersionNamesBundledVersions: version prints the Go version, the
// bundled Helm and Kustomize module versions and the schema versions.
func TestVersionNamesBundledVersions(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, re := range []string{`(?m)^render-check \S+$`, `(?m)^  go: +go1\.`, `(?m)^  helm: +v3\.\d+`, `(?m)^  kustomize: +v0\.\d+`,
		`(?m)^  kubernetes schemas: +1\.\d+.*\(default 1\.\d+\)$`, `(?m)^  commit: +\S+`,
		`(?m)^  crd catalog: +\d+ kinds from \d+ modules`, `(?m)^    github\.com/cert-manager/cert-manager v1\.\d+`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("version output lacks %s:\n%s", re, out)
		}
	}
}

// TestCheckTextQuietByDefault: the text format lists failing apps and the
// cluster totals; --verbose lists every app and the raw renderer errors.
func TestCheckTextQuietByDefault(t *testing.T) {
	root := exampleCopy(t)
	edit(t, root, "clusters/distrib-prod/overlays/warehouse/kustomization.yaml", "_base/kustomize/worker", "_base/kustomize/workr")
	code, out, _ := runCLI(t, "check", "--root", root, "--images", "off", "--format", "text")
	if code != exitFindings {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, ": ok") || strings.Contains(out, "telemetry-ingest") {
		t.Errorf("default text output lists apps without findings:\n%s", out)
	}
	for _, want := range []string{"  warehouse (kustomize, 0 resources): 1 finding\n",
		"clusters/distrib-prod/overlays/warehouse/kustomization.yaml:5: error render/failed resources entry",
		"distrib-prod (kubernetes 1.37", " apps, 1 error, 0 warnings\n", "3 clusters, "} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "accumulating resources") {
		t.Errorf("kustomize's raw text printed without --verbose:\n%s", out)
	}
	_, out, _ = runCLI(t, "check", "--root", root, "--images", "off", "--format", "text", "--verbose")
	if !strings.Contains(out, "  telemetry-ingest (helm, 4 resources): ok") || !strings.Contains(out, "| kustomize build: accumulating resources") {
		t.Errorf("--verbose lacks the ok apps or the raw error:\n%s", out)
	}
}

// TestCheckHelpAndCompletion: help has examples and exit codes; flag
// values complete.
func TestCheckHelpAndCompletion(t *testing.T) {
	_, out, _ := runCLI(t, "check", "--help")
	for _, want := range []string{"Examples:", "Exit codes:", "  2  the run could not happen", "--verbose"} {
		if !strings.Contains(out, want) {
			t.Errorf("check --help lacks %q", want)
		}
	}
	_, out, _ = runCLI(t, "__complete", "check", "--format", "")
	if !strings.Contains(out, "sarif\n") || !strings.Contains(out, "junit\n") {
		t.Errorf("--format completion: %q", out)
	}
	root := exampleCopy(t)
	_, out, _ = runCLI(t, "__complete", "check", "--root", root, "--cluster", "er")
	if !strings.HasPrefix(out, "erp-saas-prod\n:4") {
		t.Errorf("--cluster completion: %q", out)
	}
	for _, cmd := range []string{"render", "diff", "bump", "inventory", "rollback"} {
		_, out, _ = runCLI(t, "__complete", cmd, "--root", root, "--cluster", "er")
		if !strings.HasPrefix(out, "erp-saas-prod\n:4") {
			t.Errorf("%s --cluster completion: %q", cmd, out)
		}
	}
	// --app: the Applications of the cluster chosen, none of another one
	_, out, _ = runCLI(t, "__complete", "diff", "--root", root, "--cluster", "erp-saas-prod", "--app", "t")
	if !strings.HasPrefix(out, "tenant-portal\n:4") {
		t.Errorf("diff --app completion: %q", out)
	}
	_, out, _ = runCLI(t, "__complete", "diff", "--root", root, "--app", "t")
	if !strings.HasPrefix(out, "telemetry-ingest\ntenant-portal\n:4") {
		t.Errorf("diff --app completion over every cluster: %q", out)
	}
}

// TestCheckJUnitOneCasePerFinding: junit has one test case per finding with
// its file and line; the SOPS MAC check that could not run (no age key) is
// one skipped case, not every app's secret check.
func TestCheckJUnitOneCasePerFinding(t *testing.T) {
	root := exampleCopy(t)
	edit(t, root, "_base/kustomize/api-service/deployment.yaml", "  replicas: 2", "  replica: 2")
	code, out, _ := runCLI(t, "check", "--root", root, "--images", "off", "--format", "junit")
	if code != exitFindings {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	failing := regexp.MustCompile(`<testcase name="field-sensors-api: schema/invalid _base/kustomize/api-service/deployment.yaml:8" classname="agritech-prod.field-sensors-api" file="_base/kustomize/api-service/deployment.yaml" line="8">\s*<failure `)
	if !failing.MatchString(out) {
		t.Errorf("no test case with file and line for the finding:\n%s", out)
	}
	if n := strings.Count(out, "<failure "); n != 1 {
		t.Errorf("%d failures, want 1 (one mistake)", n)
	}
	if !strings.Contains(out, `<testcase name="telemetry-ingest: secret" classname="agritech-prod.telemetry-ingest"></testcase>`) {
		t.Errorf("an app's secret check is marked skipped for the repo-wide SOPS MAC skip:\n%s", out)
	}
	if !strings.Contains(out, `name="(repository): secret/sops-mac-mismatch"`) {
		t.Errorf("the SOPS MAC skip has no test case of its own:\n%s", out)
	}
}

// TestCheckJobSummaryTotalsAndLinks: repo-level findings get a row of the
// summary table (the totals add up) and locations link to the file and line
// of the commit.
func TestCheckJobSummaryTotalsAndLinks(t *testing.T) {
	root := exampleCopy(t)
	writeFiles(t, root, map[string]string{"clusters/agritech-prod/manifests/alerting/smtp-secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: smtp\n  namespace: monitoring\nstringData:\n  password: hunter2-Xq9vTz7wLp\n"})
	edit(t, root, "_base/kustomize/api-service/deployment.yaml", "  replicas: 2", "  replica: 2")
	sum := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", sum)
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "example-org/config")
	t.Setenv("GITHUB_SHA", "0123abc")
	if code, _, _ := runCLI(t, "check", "--root", root, "--images", "off", "--format", "github"); code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	data, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)
	if !regexp.MustCompile(`\| \*\*total\*\* \| \| \d+ \| \d+ \| 2 \| 0 \|\n`).MatchString(md) {
		t.Errorf("job summary totals are not 2 errors:\n%s", md)
	}
	for _, want := range []string{
		"| _repository_ | | | | 1 | 0 |\n",
		"| field-sensors-api (also distrib-prod/warehouse) |",
		"[`_base/kustomize/api-service/deployment.yaml:8`](https://github.com/example-org/config/blob/0123abc/_base/kustomize/api-service/deployment.yaml#L8)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("job summary lacks %q:\n%s", want, md)
		}
	}
}

// TestCheckProgressCountsApps: the render stage reports apps rendered out
// of apps found while it runs.
func TestCheckProgressCountsApps(t *testing.T) {
	root := exampleCopy(t)
	_, _, stderr := runCLI(t, "check", "--root", root, "--images", "off", "--format", "json", "--progress", "plain")
	if !regexp.MustCompile(`(?m)^render-check: render: \d+/\d+ apps$`).MatchString(stderr) {
		t.Errorf("no per-app render progress:\n%s", stderr)
	}
}
