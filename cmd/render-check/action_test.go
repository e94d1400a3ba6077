package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/render-check/render-check/internal/report"
)

// readGitHubOutputs parses a GITHUB_OUTPUT file: name<<DELIMITER, value
// lines, DELIMITER. The last value of a name wins, as on GitHub.
func readGitHubOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		name, delim, ok := strings.Cut(l, "<<")
		if !ok {
			if n, v, ok := strings.Cut(l, "="); ok {
				out[n] = v
				continue
			}
			t.Fatalf("GITHUB_OUTPUT line %d: %q", i+1, l)
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("GITHUB_OUTPUT: unterminated value of %s", name)
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func envGetter(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestActionInputs(t *testing.T) {
	ws := t.TempDir()
	in, err := readActionInputs(envGetter(map[string]string{
		"GITHUB_WORKSPACE":   ws,
		"INPUT_ROOT":         "config",
		"INPUT_CLUSTERS":     "agritech-prod, distrib-prod\nerp-saas-prod\n",
		"INPUT_KUBE-VERSION": "1.34",
		"INPUT_IMAGES":       "warn",
		"INPUT_FAIL-ON":      "warning",
		"INPUT_CONFIG":       "config/.render-check.yaml",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if in.command != "check" || in.format != "github" || !in.summary || in.pathPrefix() != "config" {
		t.Errorf("defaults: %+v (prefix %q)", in, in.pathPrefix())
	}
	root := filepath.Join(ws, "config")
	co := in.checkOptions()
	if co.root != root || co.failOn != "warning" || co.conf.path != filepath.Join(root, ".render-check.yaml") ||
		!slices.Equal(co.clusters, []string{"agritech-prod", "distrib-prod", "erp-saas-prod"}) ||
		co.kubeVersion != "1.34" || co.images != "warn" || co.progress != "auto" {
		t.Errorf("check options %+v", co)
	}

	in, err = readActionInputs(envGetter(map[string]string{
		"GITHUB_WORKSPACE": ws, "INPUT_COMMAND": "bump", "INPUT_IMAGE": "registry.example/app",
		"INPUT_SEMVER": "~1.8", "INPUT_VERIFY": "false", "INPUT_DRY-RUN": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	bo := in.bumpOptions()
	if bo.root != ws || bo.image != "registry.example/app" || bo.semver != "~1.8" || !bo.noVerify || !bo.dryRun || bo.tag != "" || bo.allowShared {
		t.Errorf("bump options %+v", bo)
	}
	if err := bo.validate(); err != nil {
		t.Errorf("bump options: %v", err)
	}
	if in.pathPrefix() != "" {
		t.Errorf("root = workspace: prefix %q", in.pathPrefix())
	}

	for name, env := range map[string]map[string]string{
		"command":  {"INPUT_COMMAND": "deploy"},
		"fail-on":  {"INPUT_FAIL-ON": "fatal"},
		"format":   {"INPUT_FORMAT": "xml"},
		"boolean":  {"INPUT_SUMMARY": "yes please"},
		"validate": {"INPUT_COMMAND": "validate"},
	} {
		env["GITHUB_WORKSPACE"] = ws
		in, err := readActionInputs(envGetter(env))
		if err == nil {
			err = in.usage()
		}
		var ue *usageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("%s: want a usage error, got %v", name, err)
		}
	}
}

// TestActionPresent drives the presentation with a hand-built report: the
// annotations, job summary, report files and outputs the action writes.
func TestActionPresent(t *testing.T) {
	ws := t.TempDir()
	outFile := filepath.Join(ws, "github_output")
	sumFile := filepath.Join(ws, "step_summary")
	t.Setenv("GITHUB_OUTPUT", outFile)
	t.Setenv("GITHUB_STEP_SUMMARY", sumFile)
	in, err := readActionInputs(envGetter(map[string]string{
		"GITHUB_WORKSPACE": ws, "INPUT_ROOT": "deploy/config",
		"INPUT_OUTPUTS": "junit=reports/junit.xml\ncodequality=reports/cq.json",
	}))
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{
		Clusters: []report.Cluster{{Name: "dev", KubernetesVersion: "1.34", Apps: []report.App{{Name: "web", Source: "directory", Resources: 2}}}},
		Findings: []report.Finding{
			{Rule: "schema/invalid", Severity: report.SeverityError, Cluster: "dev", App: "web",
				File: "clusters/dev/web/deploy.yaml", Line: 12, Message: "spec.replicas: want integer"},
			{Rule: "secret/plaintext-secret", Severity: report.SeverityWarning, File: "clusters/dev/web/secret.yaml", Line: 1,
				Message: "Secret web-db is committed in plaintext"},
		},
	}
	rep.Finalize()
	var stdout, stderr bytes.Buffer
	a := &actionRun{in: in, gh: githubactions.New(githubactions.WithWriter(&stdout)), stdout: &stdout, stderr: &stderr}
	if err := a.present(rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "::error file=deploy/config/clusters/dev/web/deploy.yaml,line=12,title=schema/invalid (dev/web)::spec.replicas: want integer\n") ||
		!strings.Contains(stdout.String(), "::warning file=deploy/config/clusters/dev/web/secret.yaml,line=1,") {
		t.Errorf("annotations:\n%s", stdout.String())
	}
	outs := readGitHubOutputs(t, outFile)
	want := map[string]string{
		"errors": "1", "warnings": "1",
		"report": "render-check-reports/report.json", "sarif": "render-check-reports/render-check.sarif",
	}
	for k, v := range want {
		if outs[k] != v {
			t.Errorf("output %s = %q, want %q", k, outs[k], v)
		}
	}
	var back report.Report
	data, err := os.ReadFile(filepath.Join(ws, outs["report"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &back); err != nil || len(back.Findings) != 2 || back.Findings[0].File != "clusters/dev/web/secret.yaml" {
		t.Errorf("JSON report (paths relative to the root): %v %+v", err, back.Findings)
	}
	sarif, err := os.ReadFile(filepath.Join(ws, outs["sarif"]))
	if err != nil || !bytes.Contains(sarif, []byte(`"uri": "deploy/config/clusters/dev/web/deploy.yaml"`)) {
		t.Errorf("sarif: %v\n%s", err, sarif)
	}
	for _, p := range []string{"reports/junit.xml", "reports/cq.json"} {
		if st, err := os.Stat(filepath.Join(ws, p)); err != nil || st.Size() == 0 {
			t.Errorf("extra output %s: %v", p, err)
		}
	}
	sum, err := os.ReadFile(sumFile)
	if err != nil || !strings.Contains(string(sum), "| dev | 1.34 | 1 | 2 | 1 | 0 |") {
		t.Errorf("job summary: %v\n%s", err, sum)
	}
}

var annotation = regexp.MustCompile(`(?m)^::(error|warning|notice)( [^:]*)?::(.*)$`)

// annotations returns the workflow-command annotations of findings in a
// log (not the notices of skipped checks).
func annotations(log string) []string {
	var out []string
	for _, m := range annotation.FindAllString(log, -1) {
		if !strings.Contains(m, "title=render-check%3A check skipped") {
			out = append(out, m)
		}
	}
	return out
}

// TestCheckGitHubFormatWritesJobSummary: a plain `render-check check` in a
// workflow step prints annotations and also appends the job summary.
func TestCheckGitHubFormatWritesJobSummary(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, shipRepo("registry.invalid/shop/web:1.0", true))
	sum := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_STEP_SUMMARY", sum)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "--root", root, "--images", "off"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitFindings || !strings.Contains(stdout.String(), "::error file=apps/web/deploy.yaml,") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(sum)
	if err != nil || !strings.Contains(string(data), "## render-check: ❌") || !strings.Contains(string(data), "| dev | 1.34 | 1 |") {
		t.Fatalf("job summary: %v\n%s", err, data)
	}
	// --format text prints no annotations and leaves the summary alone
	if err := os.Remove(sum); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	run(context.Background(), []string{"check", "--root", root, "--images", "off", "--format", "text"}, strings.NewReader(""), &stdout, &stderr)
	if _, err := os.Stat(sum); !errors.Is(err, os.ErrNotExist) || strings.Contains(stdout.String(), "::error") {
		t.Errorf("text format touched the summary (%v) or annotated:\n%s", err, stdout.String())
	}
}

// TestActionOptionsFollowFlagDefaults: the action builds each command's
// options in Go (no command line); an option no input sets must keep the
// command's flag default, so a changed default cannot drift apart.
func TestActionOptionsFollowFlagDefaults(t *testing.T) {
	in, err := readActionInputs(envGetter(map[string]string{"GITHUB_WORKSPACE": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	defaults := func(newCmd func() *cobra.Command) map[string]string {
		m := map[string]string{}
		newCmd().Flags().VisitAll(func(f *pflag.Flag) { m[f.Name] = f.DefValue })
		return m
	}
	check, validate, bump, diff := defaults(newCheckCmd), defaults(newValidateCmd), defaults(newBumpCmd), defaults(newDiffCmd)
	co, vo, bo, do := in.checkOptions(), in.validateOptions(), in.bumpOptions(), in.diffOptions()
	for _, c := range []struct{ name, got, want string }{
		{"check --progress", co.progress, check["progress"]},
		{"check --changed-since", co.changed, check["changed-since"]},
		{"check --shard", co.shard, check["shard"]},
		{"check --fail-on", co.failOn, check["fail-on"]},
		{"validate --strict", strconv.FormatBool(vo.strict), validate["strict"]},
		{"validate --schema-cache-dir", vo.schemaCacheDir, validate["schema-cache-dir"]},
		{"bump --allow-shared", strconv.FormatBool(bo.allowShared), bump["allow-shared"]},
		{"bump --no-verify", strconv.FormatBool(bo.noVerify), bump["no-verify"]},
		{"bump --dry-run", strconv.FormatBool(bo.dryRun), bump["dry-run"]},
		{"diff --fail-on-change", strconv.FormatBool(do.failOnChange), diff["fail-on-change"]},
		{"diff --live", do.live, diff["live"]},
	} {
		if c.got != c.want {
			t.Errorf("%s: the action uses %q, the command's default is %q", c.name, c.got, c.want)
		}
	}
}
