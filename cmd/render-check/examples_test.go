package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/report"
)

// repoRoot is the repository root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found: %v", err)
	}
	return root
}

func lint(t *testing.T, files []string, project *actionlint.Project) []*actionlint.Error {
	t.Helper()
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Oneline: true})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(files, project)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// TestExampleWorkflowsActionlint lints the example workflows as they are,
// and again as a project that uses this repository's action.yml locally
// (`uses: ./`), so actionlint also checks every input and output the
// examples use against action.yml.
func TestExampleWorkflowsActionlint(t *testing.T) {
	root := repoRoot(t)
	examples, err := filepath.Glob(filepath.Join(root, "examples", "github", "*.yml"))
	if err != nil || len(examples) < 2 {
		t.Fatalf("example workflows: %v %v", examples, err)
	}
	for _, e := range lint(t, examples, nil) {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}

	project := t.TempDir()
	wf := filepath.Join(project, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(project, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"action.yml", "Dockerfile"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(project, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var local []string
	for _, e := range examples {
		src, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(src, []byte("uses: render-check/render-check@v1"))
		if n == 0 {
			t.Errorf("%s does not use the render-check action", e)
		}
		src = bytes.ReplaceAll(src, []byte("uses: render-check/render-check@v1"), []byte("uses: ./"))
		p := filepath.Join(wf, filepath.Base(e))
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		local = append(local, p)
	}
	proj, err := actionlint.NewProject(project)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range lint(t, local, proj) {
		t.Errorf("actionlint against action.yml: %s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}

	// the check proves something: an input action.yml lacks is reported
	bad := filepath.Join(wf, "bad.yml")
	if err := os.WriteFile(bad, []byte("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          no-such-input: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if errs := lint(t, []string{bad}, proj); len(errs) == 0 {
		t.Error("actionlint accepted an input that action.yml does not declare")
	}
}

// actionYAML is the part of action.yml the tests read.
type actionYAML struct {
	Inputs map[string]struct {
		Default  string `yaml:"default"`
		Required bool   `yaml:"required"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

// TestActionYAML checks action.yml against what the action subcommand
// reads and writes.
func TestActionYAML(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "docker" || a.Runs.Image != "Dockerfile" || !slices.Equal(a.Runs.Args, []string{"action"}) {
		t.Errorf("runs: %+v", a.Runs)
	}
	// every input is read by the action, and every input it reads is declared
	src, err := os.ReadFile("action.go")
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:GetInput|get|boolean)\("([a-z-]+)"`).FindAllStringSubmatch(string(src), -1) {
		read[m[1]] = true
	}
	for name := range a.Inputs {
		if !read[name] {
			t.Errorf("input %s is declared in action.yml but never read", name)
		}
	}
	for name := range read {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("action reads input %s that action.yml does not declare", name)
		}
	}
	set := map[string]bool{}
	for _, m := range regexp.MustCompile(`setOutput\("([a-z-]+)"|\{"[a-z]+", filepath\.Join\(dir, [A-Za-z]+\), "([a-z-]+)"\}`).FindAllStringSubmatch(string(src), -1) {
		set[m[1]+m[2]] = true
	}
	for name := range a.Outputs {
		if !set[name] {
			t.Errorf("output %s is declared in action.yml but never set", name)
		}
	}
	for name := range set {
		if _, ok := a.Outputs[name]; !ok {
			t.Errorf("action sets output %s that action.yml does not declare", name)
		}
	}
	// defaults agree with the action's own
	in, err := readActionInputs(envGetter(map[string]string{"GITHUB_WORKSPACE": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"command": in.command, "fail-on": in.failOn, "format": in.format, "report-dir": in.reportDir,
		"summary": "true", "verify": "true", "output-dir": in.outputDir,
	} {
		if got := a.Inputs[name].Default; got != want {
			t.Errorf("input %s: action.yml default %q, action default %q", name, got, want)
		}
	}
}

// TestGitLabTemplate checks the GitLab CI job: the image's entrypoint is
// reset, the reports GitLab reads are the files the script writes, and the
// command line parses with the real check command.
func TestGitLabTemplate(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]struct {
		Image struct {
			Name       string   `yaml:"name"`
			Entrypoint []string `yaml:"entrypoint"`
		} `yaml:"image"`
		Script    []string `yaml:"script"`
		Artifacts struct {
			When    string            `yaml:"when"`
			Reports map[string]string `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	job, ok := doc["render-check"]
	if !ok {
		t.Fatal("no render-check job")
	}
	if job.Image.Name == "" || !slices.Equal(job.Image.Entrypoint, []string{""}) {
		t.Errorf("image: %+v (want entrypoint [\"\"])", job.Image)
	}
	if job.Artifacts.When != "always" {
		t.Error("reports must be uploaded when the job fails too (artifacts:when: always)")
	}
	var args []string
	for _, line := range job.Script {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "render-check" && f[1] == "check" {
			for _, a := range f[2:] {
				args = append(args, strings.Trim(a, `"`))
			}
		}
	}
	if args == nil {
		t.Fatal("the script never runs render-check check")
	}
	cmd := newCheckCmd()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("check %q: %v", args, err)
	}
	format, _ := cmd.Flags().GetString("format")
	extra, _ := cmd.Flags().GetStringArray("output")
	outs, err := parseOutputs(format, extra)
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]string{}
	for _, o := range outs {
		written[o.format] = o.path
	}
	for kind, format := range map[string]string{"codequality": "codequality", "junit": "junit"} {
		path := job.Artifacts.Reports[kind]
		if path == "" || written[format] != path {
			t.Errorf("artifacts:reports:%s is %q, the script writes %s to %q", kind, path, format, written[format])
		}
		if !report.IsFormat(format) {
			t.Errorf("format %s is not registered", format)
		}
	}
}
