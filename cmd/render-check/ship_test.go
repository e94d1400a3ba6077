package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/render-check/render-check/internal/report"
)

// shipVersion is stamped into the test binary as the Dockerfile does.
const shipVersion = "v9.9.9-ship"

// buildShipBinary returns render-check built the way the Dockerfile builds
// it: static, CGO_ENABLED=0, -trimpath, version stamped with -ldflags. It is
// built once per package run, by TestMain (see there), and shared by every
// test that runs it.
func buildShipBinary(t *testing.T) string {
	t.Helper()
	shipOnce.Do(buildShip)
	if shipErr != nil {
		t.Fatal(shipErr)
	}
	return shipBin
}

// buildShip builds the shipped binary into a temporary directory, setting
// shipBin or shipErr.
func buildShip() {
	dir, err := os.MkdirTemp("", "render-check-ship-")
	if err != nil {
		shipErr = err
		return
	}
	shipDir = dir
	bin := filepath.Join(dir, "render-check")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+shipVersion, "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		shipErr = fmt.Errorf("go build: %w\n%s", err, out)
		return
	}
	shipBin = bin
}

var (
	shipOnce sync.Once
	shipDir  string
	shipBin  string
	shipErr  error
)

// TestMain builds the shipped binary before the tests start and removes it
// after them. Its flags (-trimpath, no cgo) differ from the test binary's, so
// on a cold build cache this compiles every dependency again: done here, that
// compile is not charged to go test's per-package -timeout, which then
// measures only the tests. A failed build fails the tests that need the
// binary (buildShipBinary), not the others.
func TestMain(m *testing.M) {
	shipOnce.Do(buildShip)
	code := m.Run()
	if shipDir != "" {
		os.RemoveAll(shipDir)
	}
	os.Exit(code)
}

// runBin runs the binary with exactly env (nil: an empty environment) in dir.
func runBin(t *testing.T, bin, dir string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	if env == nil {
		cmd.Env = []string{}
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", args, err)
	}
	if strings.Contains(e.String(), "panic:") || strings.Contains(e.String(), "goroutine ") {
		t.Fatalf("%v panicked:\n%s", args, e.String())
	}
	return code, o.String(), e.String()
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// shipRepo is a one-cluster config repo whose web Deployment runs image.
// broken adds a schema error (replicas: "two") and a plaintext Secret.
func shipRepo(image string, broken bool) map[string]string {
	replicas := "2"
	if broken {
		replicas = `"two"`
	}
	files := map[string]string{
		".github/CODEOWNERS": "* @example-org/platform\n",
		".render-check.yaml": `repoURLs: [https://git.example/config.git]
kubernetesVersion: "1.34"
validate:
  skipKinds: [argoproj.io/v1alpha1/Application]
`,
		"clusters/dev/apps/web.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  source:
    repoURL: https://git.example/config.git
    targetRevision: HEAD
    path: apps/web
  syncPolicy:
    syncOptions: [CreateNamespace=true]
`,
		"apps/web/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ` + replicas + `
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ` + image + `
`,
	}
	if broken {
		files["apps/web/secret.yaml"] = `apiVersion: v1
kind: Secret
metadata:
  name: web-db
stringData:
  password: hunter2-correct-horse-battery
`
	}
	return files
}

// TestShipBinary builds the binary as the container image does and checks
// what can be checked without Docker: static, version stamped, runs with an
// empty environment and no HOME, finds CA certificates from SSL_CERT_FILE,
// and works as the GitHub Action in a simulated runner.
func TestShipBinary(t *testing.T) {
	bin := buildShipBinary(t)

	t.Run("static", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("binary has a %v program header: not static", p.Type)
			}
		}
		for _, s := range []string{".interp", ".dynamic"} {
			if f.Section(s) != nil {
				t.Errorf("binary has a %s section", s)
			}
		}
		if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
			t.Errorf("binary imports libraries %v (%v)", libs, err)
		}
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		// (Go does not record -ldflags with -trimpath: the version stamp is
		// checked by running `version` below.)
		if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
			t.Errorf("build settings %v", settings)
		}
	})

	t.Run("empty-environment", func(t *testing.T) {
		dir := t.TempDir()
		code, out, errOut := runBin(t, bin, dir, nil, "version")
		if code != 0 || !strings.HasPrefix(out, "render-check "+shipVersion+"\n") {
			t.Fatalf("version: exit %d, %q %q", code, out, errOut)
		}
		root := filepath.Join(dir, "repo")
		writeFiles(t, root, shipRepo("registry.invalid/shop/web:1.0", false))
		code, out, errOut = runBin(t, bin, dir, nil, "check", "--root", root, "--images", "off", "--format", "json")
		if code != exitOK {
			t.Fatalf("check without HOME: exit %d\n%s\n%s", code, out, errOut)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Summary.Clusters != 1 || rep.Summary.Apps != 1 || rep.Summary.Resources != 1 {
			t.Fatalf("check without HOME: %v %+v\n%s", err, rep.Summary, out)
		}
	})

	t.Run("ssl-cert-file", func(t *testing.T) {
		quiet := log.New(io.Discard, "", 0)
		srv := httptest.NewUnstartedServer(ggcrregistry.New(ggcrregistry.Logger(quiet)))
		srv.Config.ErrorLog = quiet // the run without the CA fails TLS handshakes on purpose
		srv.StartTLS()
		t.Cleanup(srv.Close)
		host := strings.TrimPrefix(srv.URL, "https://")
		img := host + "/shop/web:1.0"
		ref, err := name.ParseReference(img)
		if err != nil {
			t.Fatal(err)
		}
		ri, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, ri, remote.WithTransport(srv.Client().Transport)); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		ca := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(dir, "repo")
		writeFiles(t, root, shipRepo(img, false))
		// trusted through SSL_CERT_FILE: the image is found
		code, out, errOut := runBin(t, bin, dir, []string{"SSL_CERT_FILE=" + ca}, "check", "--root", root, "--format", "json")
		if code != exitOK {
			t.Fatalf("with SSL_CERT_FILE: exit %d\n%s\n%s", code, out, errOut)
		}
		// the same run without it cannot verify the registry's certificate
		code, out, errOut = runBin(t, bin, dir, nil, "check", "--root", root, "--format", "json")
		var rep report.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("exit %d: %v\n%s", code, err, errOut)
		}
		if code != exitFindings || len(rep.Findings) != 1 || rep.Findings[0].Check() != "image" {
			t.Fatalf("without SSL_CERT_FILE: exit %d, findings %+v", code, rep.Findings)
		}
	})

	t.Run("action-check", func(t *testing.T) {
		ws := t.TempDir()
		writeFiles(t, filepath.Join(ws, "config"), shipRepo("registry.invalid/shop/web:1.0", true))
		r := runActionBin(t, bin, ws, map[string]string{
			"root": "config", "images": "off", "outputs": "junit=out/junit.xml\ncodequality=out/cq.json",
		})
		if r.code != exitFindings {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		var rep report.Report
		data, err := os.ReadFile(filepath.Join(ws, r.outputs["report"]))
		if err != nil {
			t.Fatalf("report output %q: %v", r.outputs["report"], err)
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		if r.outputs["errors"] != fmt.Sprint(rep.Summary.Errors) || r.outputs["warnings"] != fmt.Sprint(rep.Summary.Warnings) || r.outputs["exit-code"] != "1" {
			t.Errorf("outputs %v, report summary %+v", r.outputs, rep.Summary)
		}
		// one annotation per finding, at the file relative to the workspace
		anns := annotations(r.stdout)
		if len(anns) != len(rep.Findings) {
			t.Errorf("%d annotations for %d findings:\n%s", len(anns), len(rep.Findings), r.stdout)
		}
		var schemaAt, secretAt bool
		for _, a := range anns {
			schemaAt = schemaAt || strings.HasPrefix(a, "::error file=config/apps/web/deploy.yaml,line=") && strings.Contains(a, "title=schema/")
			secretAt = secretAt || strings.HasPrefix(a, "::error file=config/apps/web/secret.yaml,") && strings.Contains(a, "title=secret/")
			if strings.Contains(a, "hunter2") {
				t.Errorf("annotation leaks the secret value: %s", a)
			}
		}
		if !schemaAt || !secretAt {
			t.Errorf("want a schema error on config/apps/web/deploy.yaml and a secret error on config/apps/web/secret.yaml:\n%s", r.stdout)
		}
		if !strings.Contains(r.summary, "## render-check: ❌") || !strings.Contains(r.summary, "| dev | 1.34 | 1 |") || !strings.Contains(r.summary, "<details open><summary><b>dev</b>") {
			t.Errorf("job summary:\n%s", r.summary)
		}
		for _, out := range []string{r.stdout, r.summary, string(data)} {
			if strings.Contains(out, "hunter2") {
				t.Error("a secret value reached the output")
			}
		}
		sarif, err := os.ReadFile(filepath.Join(ws, r.outputs["sarif"]))
		if err != nil {
			t.Fatal(err)
		}
		validateSARIFFile(t, sarif)
		if !bytes.Contains(sarif, []byte(`"uri": "config/apps/web/deploy.yaml"`)) {
			t.Errorf("sarif lacks the repo-relative uri:\n%s", sarif)
		}
		for _, p := range []string{"out/junit.xml", "out/cq.json"} {
			if st, err := os.Stat(filepath.Join(ws, p)); err != nil || st.Size() == 0 {
				t.Errorf("extra output %s: %v", p, err)
			}
		}
	})

	t.Run("action-check-clean", func(t *testing.T) {
		ws := t.TempDir()
		writeFiles(t, ws, shipRepo("registry.invalid/shop/web:1.0", false))
		r := runActionBin(t, bin, ws, map[string]string{"images": "off"})
		if r.code != exitOK || r.outputs["errors"] != "0" || len(annotations(r.stdout)) != 0 {
			t.Fatalf("exit %d, outputs %v\n%s\n%s", r.code, r.outputs, r.stdout, r.stderr)
		}
		if !strings.Contains(r.summary, "## render-check: ✅ no findings") || !strings.Contains(r.summary, "image: --images off") {
			t.Errorf("job summary:\n%s", r.summary)
		}
	})

	t.Run("action-validate", func(t *testing.T) {
		ws := t.TempDir()
		writeFiles(t, ws, map[string]string{"manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 1\n"})
		r := runActionBin(t, bin, ws, map[string]string{"command": "validate", "paths": "manifests", "kube-version": "1.34"})
		anns := annotations(r.stdout)
		if r.code != exitFindings || len(anns) == 0 || !strings.HasPrefix(anns[0], "::error file=manifests/cm.yaml,") {
			t.Fatalf("exit %d, annotations %q\n%s\n%s", r.code, anns, r.stdout, r.stderr)
		}
	})

	t.Run("action-secrets", func(t *testing.T) {
		ws := t.TempDir()
		files := shipRepo("registry.invalid/shop/web:1.0", true)
		writeFiles(t, filepath.Join(ws, "config"), files)
		r := runActionBin(t, bin, ws, map[string]string{"command": "secrets", "root": "config"})
		anns := annotations(r.stdout)
		if r.code != exitFindings || len(anns) != 1 || !strings.HasPrefix(anns[0], "::error file=config/apps/web/secret.yaml,line=") ||
			!strings.Contains(anns[0], "title=secret/") || r.outputs["errors"] != "1" {
			t.Fatalf("exit %d, annotations %q, outputs %v\n%s", r.code, anns, r.outputs, r.stderr)
		}
		if strings.Contains(r.stdout+r.summary, "hunter2") || strings.Contains(r.summary, "0 clusters") {
			t.Errorf("summary:\n%s", r.summary)
		}
	})

	t.Run("action-bump", func(t *testing.T) {
		ws := t.TempDir()
		writeFiles(t, filepath.Join(ws, "config"), shipRepo("registry.example/shop/web:1.0", false))
		r := runActionBin(t, bin, ws, map[string]string{
			"command": "bump", "root": "config", "image": "registry.example/shop/web", "tag": "1.1", "verify": "false",
		})
		if r.code != exitOK || r.outputs["changed"] != "true" || r.outputs["files"] != "config/apps/web/deploy.yaml" {
			t.Fatalf("exit %d, outputs %v\n%s\n%s", r.code, r.outputs, r.stdout, r.stderr)
		}
		data, err := os.ReadFile(filepath.Join(ws, "config", "apps", "web", "deploy.yaml"))
		if err != nil || !strings.Contains(string(data), "image: registry.example/shop/web:1.1\n") {
			t.Fatalf("deploy.yaml not bumped: %v\n%s", err, data)
		}
		// each output once, one path base (the workspace, as annotations)
		for _, name := range []string{"exit-code", "changed", "files", "image", "tag", "digest"} {
			if n := outputWrites(r.rawOutputs, name); n != 1 {
				t.Errorf("output %s written %d times, want once:\n%s", name, n, r.rawOutputs)
			}
		}
		if !strings.Contains(r.summary, "- `config/apps/web/deploy.yaml`") {
			t.Errorf("job summary:\n%s", r.summary)
		}
		if _, err := os.Stat(filepath.Join(ws, "render-check-reports")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("bump wrote report files into the workspace (a bump PR would commit them): %v", err)
		}
		// nothing references this image: refused, nothing changed
		r = runActionBin(t, bin, ws, map[string]string{
			"command": "bump", "root": "config", "image": "registry.example/shop/other", "tag": "1.1", "verify": "false",
		})
		if r.code != exitFindings || r.outputs["changed"] != "false" || r.outputs["files"] != "" || len(annotations(r.stdout)) == 0 {
			t.Fatalf("refused bump: exit %d, outputs %v\n%s\n%s", r.code, r.outputs, r.stdout, r.stderr)
		}
	})

	t.Run("action-render", func(t *testing.T) {
		ws := t.TempDir()
		writeFiles(t, ws, shipRepo("registry.example/shop/web:1.0", false))
		r := runActionBin(t, bin, ws, map[string]string{"command": "render", "output-dir": "out/rendered"})
		if r.code != exitOK || r.outputs["output-dir"] != "out/rendered" {
			t.Fatalf("exit %d, outputs %v\n%s\n%s", r.code, r.outputs, r.stdout, r.stderr)
		}
		var found bool
		err := filepath.WalkDir(filepath.Join(ws, "out", "rendered"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, rerr := os.ReadFile(p)
				found = found || rerr == nil && strings.Contains(string(data), "image: registry.example/shop/web:1.0")
			}
			return err
		})
		if err != nil || !found {
			t.Fatalf("rendered Deployment not under out/rendered: %v", err)
		}
	})

	t.Run("action-bad-input", func(t *testing.T) {
		ws := t.TempDir()
		r := runActionBin(t, bin, ws, map[string]string{"command": "deploy"})
		if r.code != exitError || !strings.Contains(r.stdout, "::error title=render-check::input command: want check") || r.outputs["exit-code"] != "2" {
			t.Fatalf("exit %d, outputs %v\n%s\n%s", r.code, r.outputs, r.stdout, r.stderr)
		}
		r = runActionBin(t, bin, ws, map[string]string{"root": "missing"})
		if r.code != exitError || !strings.Contains(r.stdout, "::error title=render-check check::") {
			t.Fatalf("missing root: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

type actionResult struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
	// rawOutputs is the GITHUB_OUTPUT file as written.
	rawOutputs string
}

// runActionBin runs `render-check action` in a simulated GitHub runner: the
// workspace as working directory, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
// files, and the inputs as INPUT_* variables (as the runner passes them to
// a container action: upper case, dashes kept).
func runActionBin(t *testing.T, bin, ws string, inputs map[string]string) actionResult {
	t.Helper()
	files := t.TempDir()
	outFile := filepath.Join(files, "github_output")
	sumFile := filepath.Join(files, "step_summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_WORKSPACE=" + ws,
		"GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + sumFile,
		"HOME=" + filepath.Join(files, "home"), "RUNNER_TEMP=" + files,
		"PATH=" + os.Getenv("PATH"), // runners have one; diff runs git
	}
	for k, v := range inputs {
		env = append(env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	var r actionResult
	r.code, r.stdout, r.stderr = runBin(t, bin, ws, env, "action")
	r.outputs = readGitHubOutputs(t, outFile)
	raw, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	r.rawOutputs = string(raw)
	sum, err := os.ReadFile(sumFile)
	if err != nil {
		t.Fatal(err)
	}
	r.summary = string(sum)
	return r
}

// outputWrites counts the values written for name in a GITHUB_OUTPUT file.
func outputWrites(raw, name string) int {
	n := 0
	for _, l := range strings.Split(raw, "\n") {
		if strings.HasPrefix(l, name+"<<") || strings.HasPrefix(l, name+"=") {
			n++
		}
	}
	return n
}

// validateSARIFFile validates against the SARIF 2.1.0 schema kept with the
// report package's tests.
func validateSARIFFile(t *testing.T, data []byte) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "internal", "report", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("sarif from the action does not validate: %v", err)
	}
}

// TestDockerfile checks the Dockerfile's stages and that .dockerignore keeps
// every file the build reads (Docker itself cannot run here).
func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	type stage struct{ from, name, body string }
	var stages []stage
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "FROM" {
			s := stage{from: f[1]}
			if len(f) == 4 && strings.EqualFold(f[2], "AS") {
				s.name = f[3]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].body += line + "\n"
		}
	}
	byName := map[string]stage{}
	for _, s := range stages {
		byName[s.name] = s
	}
	build, image := byName["build"], byName["image"]
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/render-check"} {
		if !strings.Contains(build.body, want) {
			t.Errorf("build stage lacks %s", want)
		}
	}
	if !strings.Contains(image.body, "ca-certificates") || !strings.Contains(image.body, `ENTRYPOINT ["/usr/local/bin/render-check"]`) {
		t.Errorf("image stage: want CA certificates and ENTRYPOINT render-check:\n%s", image.body)
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(image.body, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "0") || strings.HasPrefix(users[len(users)-1][1], "root") {
		t.Errorf("image stage must run as a non-root user: %v", users)
	}
	if last := stages[len(stages)-1]; last.name != "action" || last.from != "image" {
		t.Errorf("the last stage (what action.yml builds) is %+v, want action FROM image", last)
	}

	// .dockerignore keeps go.mod, go.sum and every Go and embedded file of
	// the binary's packages in this module
	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(ignore), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			if strings.HasPrefix(l, "!") {
				t.Fatalf(".dockerignore exception %q: extend this test", l)
			}
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	ignored := func(rel string) bool {
		for _, p := range patterns {
			// a pattern excludes a path or anything under it
			for d := rel; d != "."; d = filepath.ToSlash(filepath.Dir(d)) {
				if ok, _ := doublestar.Match(p, d); ok {
					return true
				}
			}
		}
		return false
	}
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module", "./cmd/render-check")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	needed := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			Dir        string
			GoFiles    []string
			EmbedFiles []string
			Module     *struct{ Path string }
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != "github.com/render-check/render-check" {
			continue
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			rel, err := filepath.Rel(root, filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			needed = append(needed, filepath.ToSlash(rel))
		}
	}
	if len(needed) < 20 {
		t.Fatalf("go list found only %d files", len(needed))
	}
	for _, f := range needed {
		if ignored(f) {
			t.Errorf(".dockerignore excludes %s, which the build needs", f)
		}
	}
	if !ignored(".git/config") || !ignored("bench/out/x.json") {
		t.Error(".dockerignore should keep .git and bench output out of the build context")
	}
}
