package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/registry/registrytest"
)

// bumpRepo writes a config repo and returns its root.
func bumpRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const valuesTmpl = `# app values
image:
  repository: REPO   # pushed by CI
  tag: "1.8.2"
`

func TestBumpVerifiesTagInRegistry(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Ref("org/app", "")
	reg.Push(t, repo+":1.8.3", registrytest.RandomImage(t, "linux/amd64"))
	root := bumpRepo(t, map[string]string{"clusters/prod/values/app.yaml": strings.ReplaceAll(valuesTmpl, "REPO", repo)})
	file := filepath.Join(root, "clusters/prod/values/app.yaml")
	before := readFile(t, file)

	// A tag that was never pushed: refused, nothing written.
	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", repo, "--tag", "9.9.9")
	if code != exitFindings {
		t.Fatalf("missing tag: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "does not exist in the registry") || !strings.Contains(stderr, "--no-verify") {
		t.Errorf("missing tag: stderr does not say what to do:\n%s", stderr)
	}
	if got := readFile(t, file); got != before {
		t.Fatalf("refused bump changed the file:\n%s", got)
	}

	// The pushed tag: exactly the token changes.
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", repo, "--tag", "1.8.3")
	if code != exitOK {
		t.Fatalf("bump: exit %d; stderr:\n%s", code, stderr)
	}
	want := strings.Replace(before, `tag: "1.8.2"`, `tag: "1.8.3"`, 1)
	if got := readFile(t, file); got != want {
		t.Fatalf("file after bump:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(stdout, "verified: 1.8.3 exists in the registry") || !strings.Contains(stdout, "clusters/prod/values/app.yaml:4") {
		t.Errorf("stdout:\n%s", stdout)
	}

	// Again: a clean no-op.
	code, stdout, stderr = runCLI(t, "bump", "--root", root, "--image", repo, "--tag", "1.8.3")
	if code != exitOK || !strings.Contains(stdout, "nothing to do") {
		t.Fatalf("second bump: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got := readFile(t, file); got != want {
		t.Fatalf("no-op bump changed the file:\n%s", got)
	}
}

func TestBumpSemverPicksHighestMatchingTag(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Ref("org/app", "")
	img := registrytest.RandomImage(t, "")
	for _, tag := range []string{"1.8.1", "1.8.4", "1.8.10", "1.9.0", "1.8.11-rc.1", "latest", "v2.0.0"} {
		reg.Push(t, repo+":"+tag, img)
	}
	root := bumpRepo(t, map[string]string{"clusters/prod/values/app.yaml": strings.ReplaceAll(valuesTmpl, "REPO", repo)})
	file := filepath.Join(root, "clusters/prod/values/app.yaml")
	tests := []struct {
		rng, want string
	}{
		{"~1.8", "1.8.10"},           // numeric, not lexical; the pre-release is ignored
		{"~1.8.11-0", "1.8.11-rc.1"}, // the range asks for pre-releases
		{">=1.0.0", "v2.0.0"},
		{"1.9.x", "1.9.0"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", repo, "--semver", tt.rng, "--format", "json")
		if code != exitOK {
			t.Fatalf("--semver %s: exit %d; stderr:\n%s", tt.rng, code, stderr)
		}
		var out struct {
			Tag      string `json:"tag"`
			Verified bool   `json:"verified"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("json: %v\n%s", err, stdout)
		}
		if out.Tag != tt.want || !out.Verified {
			t.Errorf("--semver %s picked %q (verified %v), want %q", tt.rng, out.Tag, out.Verified, tt.want)
		}
		if got := readFile(t, file); !strings.Contains(got, `tag: "`+tt.want+`"`) {
			t.Errorf("--semver %s: file:\n%s", tt.rng, got)
		}
	}
	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", repo, "--semver", "~3.1")
	if code != exitFindings || !strings.Contains(stderr, "no tag matches") {
		t.Errorf("unmatched range: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestBumpDigest(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Ref("org/app", "")
	dig := reg.Push(t, repo+":1.8.3", registrytest.RandomImage(t, "linux/amd64"))
	root := bumpRepo(t, map[string]string{
		"clusters/prod/apps/web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: " + repo + ":1.8.2 # app\n",
	})
	file := filepath.Join(root, "clusters/prod/apps/web/deploy.yaml")
	before := readFile(t, file)

	missing := "sha256:" + strings.Repeat("0", 64)
	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", repo, "--digest", missing)
	if code != exitFindings || readFile(t, file) != before {
		t.Fatalf("unknown digest: exit %d (want 1), stderr:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "bump", "--root", root, "--image", repo, "--digest", dig)
	if code != exitOK {
		t.Fatalf("digest bump: exit %d; stderr:\n%s", code, stderr)
	}
	want := strings.Replace(before, repo+":1.8.2", repo+"@"+dig, 1)
	if got := readFile(t, file); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
}

func TestBumpDryRunPrintsDiffAndWritesNothing(t *testing.T) {
	root := bumpRepo(t, map[string]string{"clusters/prod/values/app.yaml": strings.ReplaceAll(valuesTmpl, "REPO", "registry.example/org/app")})
	file := filepath.Join(root, "clusters/prod/values/app.yaml")
	before := readFile(t, file)
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/app", "--tag", "1.8.3", "--no-verify", "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	wantDiff := `diff a/clusters/prod/values/app.yaml b/clusters/prod/values/app.yaml
--- a/clusters/prod/values/app.yaml
+++ b/clusters/prod/values/app.yaml
@@ -1,4 +1,4 @@
 # app values
 image:
   repository: registry.example/org/app   # pushed by CI
-  tag: "1.8.2"
+  tag: "1.8.3"
`
	if stdout != wantDiff {
		t.Errorf("diff:\n%s\nwant:\n%s", stdout, wantDiff)
	}
	if !strings.Contains(stderr, "would change 1 file(s)") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if readFile(t, file) != before {
		t.Fatal("dry run wrote the file")
	}
}

func TestBumpRefusals(t *testing.T) {
	root := bumpRepo(t, map[string]string{
		"clusters/prod/values/app.yaml":  strings.ReplaceAll(valuesTmpl, "REPO", "registry.example/org/app"),
		"clusters/prod/values/tmpl.yaml": "image:\n  repository: \"{{ .Values.registry }}/org/tmpl\"\n  tag: 1.0.0\n",
		"clusters/prod/values/bad.yaml":  "image:\n  repository: registry.example/org/bad\n   tag: 1\n",
	})
	tests := []struct {
		name, image, want string
	}{
		{"nowhere", "registry.example/org/nothing", "referenced nowhere"},
		{"templated", "registry.example/org/tmpl", "ambiguous reference"},
		{"invalid YAML", "registry.example/org/bad", "not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", tt.image, "--tag", "2.0.0", "--no-verify", "--format", "json")
			if code != exitFindings {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "nothing was written") {
				t.Errorf("stderr:\n%s", stderr)
			}
			var out struct {
				Refused  bool `json:"refused"`
				Problems []struct {
					Message string `json:"message"`
				} `json:"problems"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil || !out.Refused || len(out.Problems) == 0 || !strings.Contains(out.Problems[0].Message, tt.want) {
				t.Errorf("json (%v):\n%s", err, stdout)
			}
		})
	}
}

func TestBumpBadFlags(t *testing.T) {
	root := bumpRepo(t, map[string]string{"clusters/prod/values/app.yaml": strings.ReplaceAll(valuesTmpl, "REPO", "registry.example/org/app")})
	img := "registry.example/org/app"
	for _, args := range [][]string{
		{"bump", "--root", root, "--tag", "1"},
		{"bump", "--root", root, "--image", img},
		{"bump", "--root", root, "--image", img, "--tag", "1", "--digest", "sha256:" + strings.Repeat("a", 64)},
		{"bump", "--root", root, "--image", img + ":1.0", "--tag", "1"},
		{"bump", "--root", root, "--image", img, "--tag", "a:b"},
		{"bump", "--root", root, "--image", img, "--digest", "sha256:abc"},
		{"bump", "--root", root, "--image", img, "--semver", "~~1"},
		{"bump", "--root", root, "--image", img, "--tag", "1", "--format", "yaml"},
		{"bump", "--root", root, "--image", img, "--tag", "1", "--cluster", "nope", "--no-verify"},
		{"bump", "--root", filepath.Join(root, "missing"), "--image", img, "--tag", "1"},
		{"bump", "--root", root, "--image", img, "--tag", "1", "--bogus"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitError {
			t.Errorf("%v: exit %d, want 2; stderr:\n%s", args[3:], code, stderr)
		}
	}
}

func TestBumpDigestOfAnIndexAndUnauthorizedRegistry(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Ref("org/multi", "")
	dig := reg.PushIndex(t, repo+":2.0.0", registrytest.RandomIndex(t, "linux/amd64", "linux/arm64"))
	root := bumpRepo(t, map[string]string{
		"clusters/prod/values/app.yaml": "image:\n  repository: " + repo + "\n  tag: 1.0.0\n  digest: \"\"\n",
	})
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", repo, "--digest", dig)
	if code != exitOK {
		t.Fatalf("index digest: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := readFile(t, filepath.Join(root, "clusters/prod/values/app.yaml")); !strings.Contains(got, `digest: "`+dig+`"`) || !strings.Contains(got, "tag: 1.0.0") {
		t.Errorf("file:\n%s", got)
	}

	// A registry that wants credentials we do not have: refused, with advice.
	auth := registrytest.Start(t, registrytest.Options{Auth: true})
	arepo := auth.Ref("org/app", "")
	root = bumpRepo(t, map[string]string{"clusters/prod/values/app.yaml": strings.ReplaceAll(valuesTmpl, "REPO", arepo)})
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials
	code, _, stderr = runCLI(t, "bump", "--root", root, "--image", arepo, "--tag", "1.8.3")
	if code != exitFindings || !strings.Contains(stderr, "cannot verify") || !strings.Contains(stderr, "--no-verify") {
		t.Errorf("unauthorized: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestBumpSetsGitHubOutputs(t *testing.T) {
	root := bumpRepo(t, map[string]string{"clusters/prod/values/app.yaml": strings.ReplaceAll(valuesTmpl, "REPO", "registry.example/org/app")})
	outFile := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(outFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", outFile)
	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/app", "--tag", "1.8.3", "--no-verify")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readFile(t, outFile)
	for _, want := range []string{"changed<<", "\ntrue\n", "files<<", "clusters/prod/values/app.yaml", "tag<<", "1.8.3"} {
		if !strings.Contains(got, want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, got)
		}
	}
}
