package main

import (
	"bytes"
	"context"
	"errors"
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
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/secrets"
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

// conf is the config flags the inputs give.
func (in *actionInputs) conf() configFlags {
	var c configFlags
	if in.config != "" {
		c.path = in.abs(in.config)
	}
	return c
}

// usage checks the inputs the chosen command needs (a usage error, exit 2).
func (in *actionInputs) usage() error {
	switch in.command {
	case "validate":
		if len(in.paths) == 0 {
			return usageErrorf("input paths: validate needs at least one file or directory")
		}
	case "diff":
		if in.base == "" {
			return usageErrorf("input base: diff needs the git revision to compare against")
		}
	}
	return nil
}

// absPaths resolves the paths input against the workspace.
func (in *actionInputs) absPaths() []string {
	out := make([]string, len(in.paths))
	for i, p := range in.paths {
		out[i] = in.abs(p)
	}
	return out
}

// The options of each command the action runs, as the command line's flags
// would set them (their defaults where an input is empty).

func (in *actionInputs) checkOptions() *checkOptions {
	return &checkOptions{root: in.root, conf: in.conf(), clusters: in.clusters, kubeVersion: in.kubeVersion,
		images: in.images, failOn: in.failOn, progress: "auto"}
}

func (in *actionInputs) validateOptions() *validateOptions {
	return &validateOptions{kubeVersion: in.kubeVersion, strict: true, format: "json", failOn: in.failOn}
}

func (in *actionInputs) secretsOptions() *secretsOptions {
	return &secretsOptions{root: in.root, failOn: in.failOn}
}

func (in *actionInputs) bumpOptions() *bumpOptions {
	return &bumpOptions{root: in.root, conf: in.conf(), image: in.image, tag: in.tag, semver: in.semver, digest: in.digest,
		clusters: in.clusters, allowShared: in.allowShared, noVerify: !in.verify, dryRun: in.dryRun, format: "json"}
}

func (in *actionInputs) renderOptions() *renderOptions {
	return &renderOptions{root: in.root, conf: in.conf(), clusters: in.clusters, kubeVersion: in.kubeVersion,
		outputDir: in.abs(in.outputDir)}
}

func (in *actionInputs) diffOptions() *diffOptions {
	return &diffOptions{root: in.root, conf: in.conf(), base: in.base, head: in.head, clusters: in.clusters,
		kubeVersion: in.kubeVersion, format: "markdown", failOnChange: in.failOnChange}
}

func (in *actionInputs) inventoryOptions() *inventoryOptions {
	return &inventoryOptions{root: in.root, conf: in.conf(), clusters: in.clusters, image: in.image, format: "markdown",
		outputs: []string{"json=" + filepath.Join(in.abs(in.reportDir), actionInventoryJSON)}}
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
	if err := in.usage(); err != nil {
		return a.fail(err)
	}
	if in.command == "diff" || in.command == "inventory" {
		if err := os.MkdirAll(in.abs(in.reportDir), 0o755); err != nil {
			return a.fail(fmt.Errorf("report directory: %w", err))
		}
	}
	ctx := cmd.Context()
	var rep *report.Report
	var err error
	switch in.command {
	case "bump":
		return a.bump(ctx)
	case "render":
		return a.done(runRender(cmd, in.renderOptions()), func() {
			a.setOutput("output-dir", in.rel(in.abs(in.outputDir)))
		})
	case "diff":
		return a.diff(cmd)
	case "inventory":
		return a.inventory(cmd)
	case "check":
		rep, _, err = checkReport(ctx, in.checkOptions(), a.stderr)
	case "secrets":
		var res *secrets.Result
		if res, _, _, err = secretsScan(ctx, in.secretsOptions(), in.absPaths()); err == nil {
			rep = &report.Report{Findings: res.Findings, Skipped: res.Skipped}
			rep.Finalize()
		}
	case "validate":
		if rep, err = validateReport(ctx, in.validateOptions(), cmd.InOrStdin(), in.absPaths()); err == nil {
			a.relativize(rep)
		}
	}
	if err != nil {
		return a.done(err, nil)
	}
	if err := a.present(rep); err != nil {
		return a.fail(err)
	}
	failOn, _ := report.ParseSeverity(in.failOn)
	if rep.Fails(failOn) {
		return a.done(errFindings, nil)
	}
	return a.done(nil, nil)
}

// done ends a run on the command's error: the exit-code output, then
// (unless the run could not happen) the other outputs by then, then the
// exit. An error other than an exit code is an exit 2 with its message as
// an error annotation.
func (a *actionRun) done(err error, outputs func()) error {
	code, msg := exitOK, ""
	var ec *exitCodeError
	switch {
	case err == nil:
	case errors.As(err, &ec):
		code = ec.code
	default:
		code, msg = exitError, "render-check: "+err.Error()
		fmt.Fprintln(a.stderr, msg)
	}
	a.setOutput("exit-code", strconv.Itoa(code))
	if code != exitError && outputs != nil {
		outputs()
	}
	return a.exit(code, msg)
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
		if err := writeReportFileWith(f.path, f.format, rep, opts, a.in.abs(".")); err != nil {
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

// bump runs a bump through the Go API and presents it: the refusal's
// problems as annotations, the diff of a dry run, a summary line, and the
// outputs changed, files, image, tag and digest, each written once, with
// paths relative to the workspace (as annotations).
func (a *actionRun) bump(ctx context.Context) error {
	o := a.in.bumpOptions()
	res, problems, err := doBump(ctx, o)
	if err != nil {
		return a.done(err, nil)
	}
	refused := problems != nil
	if refused {
		res = refusedResult(o)
	}
	prefix := a.in.pathPrefix()
	repoPath := func(f string) string {
		if prefix == "" || f == "" {
			return f
		}
		return prefix + "/" + f
	}
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "render-check bump: %s\n", p)
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
	case refused:
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
	code := error(nil)
	if refused {
		code = errFindings
	}
	return a.done(code, func() {
		a.setOutput("changed", strconv.FormatBool(res.Changed && !refused))
		a.setOutput("files", strings.Join(files, "\n"))
		a.setOutput("image", res.Image)
		a.setOutput("tag", res.Tag)
		a.setOutput("digest", res.Digest)
	})
}

// setOutput sets a step output when running under Actions. A failure to
// write is reported on stderr: the run's result stands.
func (a *actionRun) setOutput(name, value string) {
	if os.Getenv("GITHUB_OUTPUT") == "" {
		return
	}
	if err := setStepOutput(name, value); err != nil {
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
func writeReportFileWith(path, format string, rep *report.Report, opts report.Options, guard string) (err error) {
	f, err := rootfs.Create(path, guard)
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

// diff presents a diff run: the markdown view in the log, the report
// directory and the job summary, and the outputs diff (its path) and
// changed.
func (a *actionRun) diff(cmd *cobra.Command) error {
	o := a.in.diffOptions()
	res, err := diffResult(cmd, o)
	if err != nil {
		return a.done(err, nil)
	}
	md := diff.Markdown(res, diff.DefaultMarkdownLimit)
	mdPath := filepath.Join(a.in.abs(a.in.reportDir), actionDiffMarkdown)
	if err := writeFileGuarded(mdPath, md, a.in.abs(".")); err != nil {
		return a.fail(fmt.Errorf("writing the diff summary: %w", err))
	}
	if _, err := io.WriteString(a.stdout, md); err != nil {
		return err
	}
	if a.in.summary {
		if err := fileCommand(func() { a.gh.AddStepSummary(md) }); err != nil {
			return a.fail(err)
		}
	}
	if o.failOnChange && !res.Empty() {
		err = errFindings
	}
	return a.done(err, func() {
		a.setOutput("diff", a.in.rel(mdPath))
		a.setOutput("changed", strconv.FormatBool(!res.Empty()))
	})
}

// writeFileGuarded writes data to path, refusing a symlink under guard.
func writeFileGuarded(path, data, guard string) (err error) {
	f, err := rootfs.Create(path, guard)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.WriteString(f, data)
	return err
}

// inventory presents an inventory run: the markdown view in the log and
// the job summary, and the output inventory (the JSON file's path).
func (a *actionRun) inventory(cmd *cobra.Command) error {
	var md bytes.Buffer
	sub := &cobra.Command{}
	sub.SetContext(cmd.Context())
	sub.SetOut(&md)
	sub.SetErr(a.stderr)
	if err := runInventory(sub, a.in.inventoryOptions()); err != nil {
		return a.done(err, nil)
	}
	if _, err := a.stdout.Write(md.Bytes()); err != nil {
		return err
	}
	if a.in.summary {
		if err := fileCommand(func() { a.gh.AddStepSummary(md.String()) }); err != nil {
			return a.fail(err)
		}
	}
	return a.done(nil, func() {
		a.setOutput("inventory", a.in.rel(filepath.Join(a.in.abs(a.in.reportDir), actionInventoryJSON)))
	})
}
