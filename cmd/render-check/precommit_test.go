package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPreCommitHooks runs the real pre-commit (`pre-commit try-repo`)
// against this repository's committed .pre-commit-hooks.yaml: pre-commit
// clones the repository at HEAD, builds render-check with `go install`
// (language: golang) and runs the hooks on the files staged in a scratch
// git repository.
func TestPreCommitHooks(t *testing.T) {
	precommit, err := exec.LookPath("pre-commit")
	if err != nil {
		t.Fatal("pre-commit is not installed: run `make deps`, or `apt-get install -y pre-commit` (Debian/Ubuntu), or `pipx install pre-commit`")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not installed: apt-get install -y git")
	}
	root := repoRoot(t)
	head := strings.TrimSpace(gitOut(t, root, "rev-parse", "HEAD"))
	if gitOut(t, root, "ls-files", ".pre-commit-hooks.yaml") == "" {
		t.Fatal(".pre-commit-hooks.yaml is not committed: try-repo clones HEAD")
	}

	work := t.TempDir()
	gitOut(t, work, "init", "-q")
	gitOut(t, work, "config", "user.email", "test@example.invalid")
	gitOut(t, work, "config", "user.name", "test")
	gitOut(t, work, "config", "commit.gpgsign", "false")

	// Reuse this machine's Go caches: pre-commit points GOPATH at its own
	// environment directory, which would otherwise download every module.
	// Build as the Dockerfile and TestShipBinary do (static, -trimpath), so
	// the clone's build hits the same build cache entries.
	env := append(os.Environ(),
		"PRE_COMMIT_HOME="+filepath.Join(t.TempDir(), "pre-commit"),
		"GOMODCACHE="+goEnv(t, "GOMODCACHE"),
		"GOCACHE="+goEnv(t, "GOCACHE"),
		"CGO_ENABLED=0",
		"GOFLAGS=-trimpath -buildvcs=false",
		"GOTOOLCHAIN=local",
		"NO_COLOR=1",
	)
	tryRepo := func(hook string) (int, string) {
		t.Helper()
		start := time.Now()
		args := []string{"try-repo", root}
		if hook != "" { // "" runs every hook of .pre-commit-hooks.yaml
			args = append(args, hook)
		}
		cmd := exec.Command(precommit, append(args, "--ref", head, "--color", "never")...)
		cmd.Dir = work
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		code := 0
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
		case err != nil:
			t.Fatal(err)
		}
		t.Logf("pre-commit try-repo %q: exit %d in %s", hook, code, time.Since(start).Round(time.Second))
		return code, string(out)
	}
	stage := func(files map[string]string) {
		t.Helper()
		writeFiles(t, work, files)
		for name := range files {
			gitOut(t, work, "add", name)
		}
	}

	hookResult := func(out, hook string) string {
		m := regexp.MustCompile(regexp.QuoteMeta(hook) + `\.+(Passed|Failed)`).FindStringSubmatch(out)
		if m == nil {
			return ""
		}
		return m[1]
	}

	// a clean config repo and a clean manifest: both hooks pass (the
	// unreachable registry is a warning under the hook's --images=warn)
	stage(shipRepo("127.0.0.1:1/shop/web:1.0", false))
	stage(map[string]string{"clean.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  LOG_LEVEL: info\n"})
	code, out := tryRepo("")
	if code != 0 || hookResult(out, "render-check secrets") != "Passed" || hookResult(out, "render-check check") != "Passed" {
		t.Fatalf("clean files: exit %d\n%s", code, out)
	}

	// a staged plaintext Secret is blocked by the secrets hook, and its
	// value is not printed
	const value = "correct-horse-battery-staple-42"
	stage(map[string]string{"db-secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: " + value + "\n"})
	code, out = tryRepo("render-check-secrets")
	if code != 1 || hookResult(out, "render-check secrets") != "Failed" || !strings.Contains(out, "db-secret.yaml") {
		t.Fatalf("plaintext Secret: exit %d, want 1 naming db-secret.yaml\n%s", code, out)
	}
	if strings.Contains(out, value) {
		t.Fatalf("the hook printed the secret value:\n%s", out)
	}
	gitOut(t, work, "rm", "-q", "--cached", "db-secret.yaml")
	if err := os.Remove(filepath.Join(work, "db-secret.yaml")); err != nil {
		t.Fatal(err)
	}

	// a schema error fails the full check; the secrets hook still passes
	broken := shipRepo("127.0.0.1:1/shop/web:1.0", true)
	delete(broken, "apps/web/secret.yaml")
	stage(broken)
	code, out = tryRepo("")
	if code != 1 || hookResult(out, "render-check check") != "Failed" || hookResult(out, "render-check secrets") != "Passed" ||
		!strings.Contains(out, "apps/web/deploy.yaml") {
		t.Fatalf("schema error: exit %d, want 1 from the check hook naming apps/web/deploy.yaml\n%s", code, out)
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", key, err)
	}
	return strings.TrimSpace(string(out))
}
