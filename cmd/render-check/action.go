package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/render-check/render-check/internal/diff"
	"github.com/render-check/render-check/internal/report"
)

func init() { register(newActionCmd) }

// The action's report files, inside the report directory.
const (
	actionReportJSON  = "report.json"
	actionReportSARIF = "render-check.sarif"
	// actionDiffMarkdown is the diff command's markdown view (PR comment, job summary).
	actionDiffMarkdown = "diff.md"
	// actionInventoryJSON is the inventory command's JSON form.
	actionInventoryJSON = "inventory.json"
)

func newActionCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "action",
		Hidden: true,
		Short:  "Run as the GitHub Action: read INPUT_* variables, annotate, summarise, set outputs",
		Long: `action is the entrypoint of the render-check GitHub Action (action.yml). It reads
the action's inputs from the INPUT_* environment variables, runs the chosen
command (check, validate, secrets, bump, render, diff or inventory) the same way the command line
would, then writes annotations at the findings' source lines, a job summary, the
JSON and SARIF reports, and the step outputs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := readActionInputs(os.Getenv)
			if err != nil {
				a := &actionRun{stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr(),
					gh: githubactions.New(githubactions.WithWriter(cmd.OutOrStdout()))}
				return a.fail(err)
			}
			return runAction(cmd, in)
		},
	}
}

// actionInputs are the inputs of action.yml.
type actionInputs struct {
	command     string
	workspace   string
	root        string
	config      string
	clusters    []string
	kubeVersion string
	images      string
	failOn      string
	format      string
	outputs     []string
	reportDir   string
	summary     bool
	paths       []string
	// bump
	image, tag, semver, digest  string
	allowShared, verify, dryRun bool
	// render
	outputDir string
	// diff
	base, head   string
	failOnChange bool
}

// readActionInputs reads and checks the inputs (a usage error, exit 2, when
// one is invalid). Relative paths are resolved against GITHUB_WORKSPACE.
func readActionInputs(getenv func(string) string) (*actionInputs, error) {
	gh := githubactions.New(githubactions.WithGetenv(getenv))
	get := func(name, def string) string {
		if v := gh.GetInput(name); v != "" {
			return v
		}
		return def
	}
	boolean := func(name string, def bool) (bool, error) {
		v := gh.GetInput(name)
		if v == "" {
			return def, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, usageErrorf("input %s: want true or false, got %q", name, v)
		}
		return b, nil
	}
	in := &actionInputs{
		command:     get("command", "check"),
		workspace:   getenv("GITHUB_WORKSPACE"),
		config:      gh.GetInput("config"),
		clusters:    splitList(gh.GetInput("clusters")),
		kubeVersion: gh.GetInput("kube-version"),
		images:      gh.GetInput("images"),
		failOn:      get("fail-on", "error"),
		format:      get("format", "github"),
		outputs:     splitList(gh.GetInput("outputs")),
		reportDir:   get("report-dir", "render-check-reports"),
		paths:       splitList(gh.GetInput("paths")),
		image:       gh.GetInput("image"),
		tag:         gh.GetInput("tag"),
		semver:      gh.GetInput("semver"),
		digest:      gh.GetInput("digest"),
		outputDir:   get("output-dir", "rendered"),
		base:        gh.GetInput("base"),
		head:        gh.GetInput("head"),
	}
	var err error
	if in.summary, err = boolean("summary", true); err != nil {
		return nil, err
	}
	if in.allowShared, err = boolean("allow-shared", false); err != nil {
		return nil, err
	}
	if in.verify, err = boolean("verify", true); err != nil {
		return nil, err
	}
	if in.dryRun, err = boolean("dry-run", false); err != nil {
		return nil, err
	}
	if in.failOnChange, err = boolean("fail-on-change", false); err != nil {
		return nil, err
	}
	if in.workspace == "" {
		if in.workspace, err = os.Getwd(); err != nil {
			return nil, fmt.Errorf("working directory: %w", err)
		}
	}
	in.root = in.abs(get("root", "."))
	switch in.command {
	case "check", "validate", "secrets", "bump", "render", "diff", "inventory":
	default:
		return nil, usageErrorf("input command: want check, validate, secrets, bump, render, diff or inventory, got %q", in.command)
	}
	if _, err := report.ParseSeverity(in.failOn); err != nil {
		return nil, usageErrorf("input fail-on: %w", err)
	}
	if !report.IsFormat(in.format) {
		return nil, usageErrorf("input format: unknown format %q (known: %s)", in.format, strings.Join(report.Formats(), ", "))
	}
	return in, nil
}

// splitList splits a multi-line or comma-separated input into its items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// abs resolves p against the workspace.
func (in *actionInputs) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(in.workspace, p)
}

// rel returns p relative to the workspace with forward slashes, the form
// GitHub resolves annotation and SARIF paths in; p itself when outside it.
func (in *actionInputs) rel(p string) string {
	r, err := filepath.Rel(in.workspace, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return p
	}
	return filepath.ToSlash(r)
}

// pathPrefix is the root relative to the workspace ("" when they are the
// same, or the root is outside the workspace).
func (in *actionInputs) pathPrefix() string {
	r := in.rel(in.root)
	if r == "." || filepath.IsAbs(r) {
		return ""
	}
	return r
}

// argv builds the command line equivalent to the inputs. Commands that
// report findings print the JSON report, which the action then presents.
func (in *actionInputs) argv() ([]string, error) {
	common := func(args []string) []string {
		if in.config != "" {
			args = append(args, "--config", in.abs(in.config))
		}
		for _, c := range in.clusters {
			args = append(args, "--cluster", c)
		}
		return args
	}
	switch in.command {
	case "check":
		args := common([]string{"check", "--root", in.root, "--format", "json", "--fail-on", in.failOn})
		if in.kubeVersion != "" {
			args = append(args, "--kube-version", in.kubeVersion)
		}
		if in.images != "" {
			args = append(args, "--images", in.images)
		}
		return args, nil
	case "validate":
		if len(in.paths) == 0 {
			return nil, usageErrorf("input paths: validate needs at least one file or directory")
		}
		args := []string{"validate", "--format", "json", "--fail-on", in.failOn}
		if in.kubeVersion != "" {
			args = append(args, "--kube-version", in.kubeVersion)
		}
		for _, p := range in.paths {
			args = append(args, in.abs(p))
		}
		return args, nil
	case "secrets":
		args := []string{"secrets", "--root", in.root, "--format", "json", "--fail-on", in.failOn}
		for _, p := range in.paths {
			args = append(args, in.abs(p))
		}
		return args, nil
	case "bump":
		args := common([]string{"bump", "--root", in.root, "--format", "json", "--image", in.image})
		for _, f := range []struct{ flag, v string }{{"--tag", in.tag}, {"--semver", in.semver}, {"--digest", in.digest}} {
			if f.v != "" {
				args = append(args, f.flag, f.v)
			}
		}
		if in.allowShared {
			args = append(args, "--allow-shared")
		}
		if !in.verify {
			args = append(args, "--no-verify")
		}
		if in.dryRun {
			args = append(args, "--dry-run")
		}
		return args, nil
	case "render":
		args := common([]string{"render", "--root", in.root, "--output-dir", in.abs(in.outputDir)})
		if in.kubeVersion != "" {
			args = append(args, "--kube-version", in.kubeVersion)
		}
		return args, nil
	case "diff":
		if in.base == "" {
			return nil, usageErrorf("input base: diff needs the git revision to compare against")
		}
		args := common([]string{"diff", "--root", in.root, "--base", in.base, "--format", "json",
			"--summary", filepath.Join(in.abs(in.reportDir), actionDiffMarkdown)})
		if in.head != "" {
			args = append(args, "--head", in.head)
		}
		if in.kubeVersion != "" {
			args = append(args, "--kube-version", in.kubeVersion)
		}
		if in.failOnChange {
			args = append(args, "--fail-on-change")
		}
		return args, nil
	case "inventory":
		args := common([]string{"inventory", "--root", in.root, "--format", "markdown",
			"--output", "json=" + filepath.Join(in.abs(in.reportDir), actionInventoryJSON)})
		if in.image != "" {
			args = append(args, "--image", in.image)
		}
		return args, nil
	}
	return nil, usageErrorf("input command: unknown command %q", in.command)
}

// actionRun is one run of the action.
type actionRun struct {
	in     *actionInputs
	gh     *githubactions.Action
	stdout io.Writer
	stderr io.Writer
	// noPrefix: finding paths are already relative to the workspace.
	noPrefix bool
}

func runAction(cmd *cobra.Command, in *actionInputs) error {
	a := &actionRun{
		in:     in,
		gh:     githubactions.New(githubactions.WithWriter(cmd.OutOrStdout())),
		stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr(),
	}
	args, err := in.argv()
	if err != nil {
		return a.fail(err)
	}
	if in.command == "diff" || in.command == "inventory" {
		if err := os.MkdirAll(in.abs(in.reportDir), 0o755); err != nil {
			return a.fail(fmt.Errorf("report directory: %w", err))
		}
	}
	var out, errOut bytes.Buffer
	code := run(cmd.Context(), args, cmd.InOrStdin(), &out, io.MultiWriter(a.stderr, &errOut))
	a.setOutput("exit-code", strconv.Itoa(code))
	switch in.command {
	case "bump":
		return a.bumpDone(code, out.Bytes(), errOut.String())
	case "render":
		if _, err := a.stdout.Write(out.Bytes()); err != nil {
			return err
		}
		a.setOutput("output-dir", in.rel(in.abs(in.outputDir)))
		return a.exit(code, errOut.String())
	case "diff":
		return a.diffDone(code, out.Bytes(), errOut.String())
	case "inventory":
		return a.inventoryDone(code, out.Bytes(), errOut.String())
	}
	if code == exitError {
		return a.exit(code, errOut.String())
	}
	var rep report.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return a.fail(fmt.Errorf("%s did not print a JSON report: %w", in.command, err))
	}
	if in.command == "validate" {
		a.relativize(&rep)
	}
	if err := a.present(&rep); err != nil {
		return a.fail(err)
	}
	return a.exit(code, "")
}

// relativize makes absolute finding paths (validate names files as given)
// relative to the workspace, and the paths then need no prefix.
func (a *actionRun) relativize(rep *report.Report) {
	for i, f := range rep.Findings {
		if filepath.IsAbs(f.File) {
			rep.Findings[i].File = a.in.rel(f.File)
		}
	}
	a.noPrefix = true
}

// present writes the annotations (or the chosen log format), the job
// summary, the report files and the outputs.
func (a *actionRun) present(rep *report.Report) error {
	failOn, _ := report.ParseSeverity(a.in.failOn)
	opts := report.Options{PathPrefix: a.in.pathPrefix(), FailOn: failOn, ToolVersion: versionString(), LinkBase: report.GitHubLinkBase(a.gh.Getenv)}
	if a.noPrefix {
		opts.PathPrefix = ""
	}
	w, err := report.New(a.stdout, a.in.format, opts)
	if err != nil {
		return err
	}
	if err := w.Write(rep); err != nil {
		return err
	}
	if a.in.summary {
		if err := a.summary(rep, opts); err != nil {
			return err
		}
	}
	dir := a.in.abs(a.in.reportDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	files := []struct{ format, path, output string }{
		{"json", filepath.Join(dir, actionReportJSON), "report"},
		{"sarif", filepath.Join(dir, actionReportSARIF), "sarif"},
	}
	for _, o := range a.in.outputs {
		format, p, ok := strings.Cut(o, "=")
		if !ok || p == "" || !report.IsFormat(format) {
			return usageErrorf("input outputs: want FORMAT=PATH with FORMAT one of %s, got %q", strings.Join(report.Formats(), ", "), o)
		}
		files = append(files, struct{ format, path, output string }{format, a.in.abs(p), ""})
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return fmt.Errorf("writing %s report: %w", f.format, err)
		}
		if err := writeReportFileWith(f.path, f.format, rep, opts); err != nil {
			return err
		}
		if f.output != "" {
			a.setOutput(f.output, a.in.rel(f.path))
		}
	}
	a.setOutput("errors", strconv.Itoa(rep.Summary.Errors))
	a.setOutput("warnings", strconv.Itoa(rep.Summary.Warnings))
	return nil
}

// summary appends the Markdown summary to the job summary.
func (a *actionRun) summary(rep *report.Report, opts report.Options) error {
	if os.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	var md bytes.Buffer
	w, err := report.New(&md, "summary", opts)
	if err != nil {
		return err
	}
	if err := w.Write(rep); err != nil {
		return err
	}
	return fileCommand(func() { a.gh.AddStepSummary(md.String()) })
}

// bumpJSON is the part of bump's JSON output (version 1) the action reads.
type bumpJSONOutput struct {
	Version  int      `json:"version"`
	Image    string   `json:"image"`
	Tag      string   `json:"tag"`
	Digest   string   `json:"digest"`
	DryRun   bool     `json:"dryRun"`
	Changed  bool     `json:"changed"`
	Files    []string `json:"files"`
	Refused  bool     `json:"refused"`
	Diff     string   `json:"diff"`
	Problems []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Message string `json:"message"`
	} `json:"problems"`
}

func (a *actionRun) bumpDone(code int, out []byte, stderr string) error {
	if code == exitError {
		return a.exit(code, stderr)
	}
	var res bumpJSONOutput
	if err := json.Unmarshal(out, &res); err != nil {
		// bump failed before it could report (e.g. the registry was unreachable)
		return a.exit(exitFindings, stderr)
	}
	prefix := a.in.pathPrefix()
	repoPath := func(f string) string {
		if prefix == "" || f == "" {
			return f
		}
		return prefix + "/" + f
	}
	for _, p := range res.Problems {
		props := githubactions.CommandProperties{"title": "render-check bump refused"}
		if p.File != "" {
			props["file"] = repoPath(p.File)
			if p.Line > 0 {
				props["line"] = strconv.Itoa(p.Line)
			}
		}
		fmt.Fprintln(a.stdout, (&githubactions.Command{Name: "error", Properties: props, Message: p.Message}).String())
	}
	files := make([]string, len(res.Files))
	for i, f := range res.Files {
		files[i] = repoPath(f)
	}
	newTok := res.Tag
	if res.Digest != "" {
		newTok = res.Digest
	}
	var line string
	switch {
	case res.Refused:
		line = fmt.Sprintf("render-check bump: %s -> %s refused; nothing was written", res.Image, newTok)
	case !res.Changed:
		line = fmt.Sprintf("render-check bump: %s is already %s everywhere in scope", res.Image, newTok)
	default:
		verb := "changed"
		if res.DryRun {
			verb = "would change"
		}
		line = fmt.Sprintf("render-check bump: %s -> %s: %s %s", res.Image, newTok, verb, strings.Join(files, ", "))
	}
	if res.DryRun && res.Diff != "" {
		a.gh.Group("render-check bump: diff")
		fmt.Fprint(a.stdout, res.Diff)
		a.gh.EndGroup()
	}
	fmt.Fprintln(a.stdout, line)
	if a.in.summary && os.Getenv("GITHUB_STEP_SUMMARY") != "" {
		md := "## " + strings.TrimPrefix(line, "render-check bump: ") + "\n"
		if len(files) > 0 {
			md = "## render-check bump\n\n`" + res.Image + "` → `" + newTok + "`\n\n"
			for _, f := range files {
				md += "- `" + f + "`\n"
			}
		}
		if err := fileCommand(func() { a.gh.AddStepSummary(md) }); err != nil {
			return a.fail(err)
		}
	}
	a.setOutput("changed", strconv.FormatBool(res.Changed && !res.Refused))
	a.setOutput("files", strings.Join(files, "\n"))
	return a.exit(code, "")
}

// setOutput sets a step output when running under Actions. A failure to
// write is reported on stderr: the run's result stands.
func (a *actionRun) setOutput(name, value string) {
	if os.Getenv("GITHUB_OUTPUT") == "" {
		return
	}
	if err := fileCommand(func() { a.gh.SetOutput(name, value) }); err != nil {
		fmt.Fprintf(a.stderr, "render-check action: output %s: %v\n", name, err)
	}
}

// fileCommand runs a go-githubactions file command, which panics when the
// file cannot be written, and returns that as an error.
func fileCommand(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

// fail reports an error that stopped the run as an annotation (and on
// stderr); exit 2.
func (a *actionRun) fail(err error) error {
	fmt.Fprintf(a.stderr, "render-check action: %v\n", err)
	fmt.Fprintln(a.stdout, (&githubactions.Command{
		Name: "error", Properties: githubactions.CommandProperties{"title": "render-check"}, Message: err.Error(),
	}).String())
	a.setOutput("exit-code", strconv.Itoa(exitError))
	return &exitCodeError{code: exitError}
}

// exit turns the command's exit code into the action's. For exit 2 the
// command's error message becomes an error annotation.
func (a *actionRun) exit(code int, stderr string) error {
	switch code {
	case exitOK:
		return nil
	case exitError:
		msg := strings.TrimSpace(stderr)
		if msg == "" {
			msg = a.in.command + " could not run"
		}
		fmt.Fprintln(a.stdout, (&githubactions.Command{
			Name: "error", Properties: githubactions.CommandProperties{"title": "render-check " + a.in.command}, Message: msg,
		}).String())
	}
	return &exitCodeError{code: code}
}

// appendStepSummary appends the Markdown summary of rep to the job summary
// ($GITHUB_STEP_SUMMARY), if there is one: the github format's companion
// when a command runs in a workflow step without the action.
func appendStepSummary(rep *report.Report) (err error) {
	path := os.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("job summary: %w", cerr)
		}
	}()
	w, err := report.New(f, "summary", report.Options{LinkBase: report.GitHubLinkBase(os.Getenv)})
	if err != nil {
		return err
	}
	return w.Write(rep)
}

// writeReportFileWith writes one report file with the given options.
func writeReportFileWith(path, format string, rep *report.Report, opts report.Options) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing %s report: %w", format, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing %s report: %w", format, cerr)
		}
	}()
	w, err := report.New(f, format, opts)
	if err != nil {
		return err
	}
	return w.Write(rep)
}

// diffDone presents a diff run: the markdown view in the log and the job
// summary, and the outputs diff (its path) and changed.
func (a *actionRun) diffDone(code int, out []byte, stderr string) error {
	if code == exitError {
		return a.exit(code, stderr)
	}
	var res diff.Result
	if err := json.Unmarshal(out, &res); err != nil {
		return a.fail(fmt.Errorf("diff did not print a JSON result: %w", err))
	}
	mdPath := filepath.Join(a.in.abs(a.in.reportDir), actionDiffMarkdown)
	md, err := os.ReadFile(mdPath)
	if err != nil {
		return a.fail(fmt.Errorf("reading the diff summary: %w", err))
	}
	if _, err := a.stdout.Write(md); err != nil {
		return err
	}
	if a.in.summary {
		if err := fileCommand(func() { a.gh.AddStepSummary(string(md)) }); err != nil {
			return a.fail(err)
		}
	}
	a.setOutput("diff", a.in.rel(mdPath))
	a.setOutput("changed", strconv.FormatBool(!res.Empty()))
	return a.exit(code, "")
}

// inventoryDone presents an inventory run: the markdown view in the log and
// the job summary, and the output inventory (the JSON file's path).
func (a *actionRun) inventoryDone(code int, md []byte, stderr string) error {
	if code != exitOK {
		return a.exit(code, stderr)
	}
	if _, err := a.stdout.Write(md); err != nil {
		return err
	}
	if a.in.summary {
		if err := fileCommand(func() { a.gh.AddStepSummary(string(md)) }); err != nil {
			return a.fail(err)
		}
	}
	a.setOutput("inventory", a.in.rel(filepath.Join(a.in.abs(a.in.reportDir), actionInventoryJSON)))
	return a.exit(code, "")
}
