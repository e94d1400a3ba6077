package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/secrets/sopstest"
)

const (
	e2ePassword = "e2e-Pa55w0rd-Zq9"
	e2eToken    = "ghp_" + "Zz3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"
)

type secretsRun struct {
	code           int
	stdout, stderr string
}

func runSecretsCmd(t *testing.T, args ...string) secretsRun {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"secrets"}, args...), strings.NewReader(""), &out, &errb)
	r := secretsRun{code: code, stdout: out.String(), stderr: errb.String()}
	for _, s := range []string{e2ePassword, e2eToken} {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Fatalf("output of %v contains a secret value", args)
		}
	}
	return r
}

func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func findingsOf(t *testing.T, out string) []report.Finding {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	return rep.Findings
}

func TestSecretsCommand(t *testing.T) {
	t.Setenv("SOPS_AGE_KEY", "")
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("GITHUB_ACTIONS", "")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sopstest.Encrypt([]byte("apiVersion: v1\nkind: Secret\nmetadata:\n    name: s\nstringData:\n    password: "+e2ePassword+"\n"),
		sopstest.Options{Recipients: []*age.X25519Recipient{id.Recipient()}, EncryptedRegex: "^(data|stringData)$"})
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(enc), "name: s", "name: t", 1)
	root := writeRepo(t, map[string]string{
		"clean/values.yaml":        "replicas: 2\nexistingSecret: db\n",
		"clean/secret.enc.yaml":    string(enc),
		"leaky/values.yaml":        "db:\n  password: " + e2ePassword + "\n",
		"leaky/token.yaml":         "token: " + e2eToken + "\n",
		"tampered/secret.enc.yaml": tampered,
		"notes.txt":                "nothing here\n",
	})

	t.Run("clean paths exit 0", func(t *testing.T) {
		r := runSecretsCmd(t, "--root", root, filepath.Join(root, "clean"), filepath.Join(root, "notes.txt"))
		if r.code != exitOK {
			t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "skipped:") || !strings.Contains(r.stdout, "SOPS_AGE_KEY") {
			t.Errorf("MAC check without a key is not reported as skipped:\n%s", r.stdout)
		}
	})
	t.Run("leaks exit 1 with file, line, fingerprint", func(t *testing.T) {
		r := runSecretsCmd(t, "--root", root, "--format", "json", filepath.Join(root, "leaky"))
		if r.code != exitFindings {
			t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
		}
		fs := findingsOf(t, r.stdout)
		if len(fs) != 2 || fs[0].File != "leaky/token.yaml" || fs[0].Rule != "secret/known-token" || fs[0].Line != 1 ||
			fs[1].File != "leaky/values.yaml" || fs[1].Line != 2 || fs[1].Fingerprint == "" {
			t.Fatalf("findings: %+v", fs)
		}
	})
	t.Run("fail-on error ignores warnings", func(t *testing.T) {
		r := runSecretsCmd(t, "--root", root, "--fail-on", "error", filepath.Join(root, "leaky", "values.yaml"))
		if r.code != exitOK || !strings.Contains(r.stdout, "secret/credential-value") {
			t.Fatalf("exit %d:\n%s", r.code, r.stdout)
		}
	})
	t.Run("MAC mismatch with SOPS_AGE_KEY_FILE", func(t *testing.T) {
		kf := filepath.Join(t.TempDir(), "keys.txt")
		if err := os.WriteFile(kf, []byte(id.String()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SOPS_AGE_KEY_FILE", kf)
		r := runSecretsCmd(t, "--root", root, "--format", "json", filepath.Join(root, "tampered"), filepath.Join(root, "clean"))
		fs := findingsOf(t, r.stdout)
		if r.code != exitFindings || len(fs) != 1 || fs[0].Rule != "secret/sops-mac-mismatch" || fs[0].File != "tampered/secret.enc.yaml" {
			t.Fatalf("exit %d findings %+v", r.code, fs)
		}
		if strings.Contains(r.stdout, "skipped") {
			t.Errorf("MAC check skipped although a key is set")
		}
	})
	t.Run("every format", func(t *testing.T) {
		for _, f := range report.Formats() {
			r := runSecretsCmd(t, "--root", root, "--format", f)
			if r.code != exitFindings {
				t.Errorf("format %s: exit %d %s", f, r.code, r.stderr)
			}
		}
	})
	t.Run("bad input exits 2", func(t *testing.T) {
		for _, args := range [][]string{
			{"--root", root, "--format", "yaml"},
			{"--root", root, filepath.Join(root, "missing.yaml")},
			{"--root", filepath.Join(root, "clean"), filepath.Join(root, "leaky")},
			{"--root", filepath.Join(root, "nope")},
			{"--root", root, "--write-baseline", "leaky"},
		} {
			if r := runSecretsCmd(t, args...); r.code != exitError {
				t.Errorf("%v: exit %d, want 2", args, r.code)
			}
		}
		bad := writeRepo(t, map[string]string{".render-check.yaml": "secrets:\n  allow:\n  - paths: [x]\n    rules: [secret/nope]\n"})
		if r := runSecretsCmd(t, "--root", bad); r.code != exitError || !strings.Contains(r.stderr, "secret/nope") {
			t.Errorf("unknown allow rule: exit %d %s", r.code, r.stderr)
		}
		t.Setenv("SOPS_AGE_KEY", "not-a-key")
		if r := runSecretsCmd(t, "--root", root); r.code != exitError {
			t.Errorf("bad SOPS_AGE_KEY: exit %d", r.code)
		}
	})
}

func TestSecretsBaseline(t *testing.T) {
	t.Setenv("SOPS_AGE_KEY", "")
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	root := writeRepo(t, map[string]string{
		"values.yaml": "db:\n  password: " + e2ePassword + "\n",
		"tokens.yaml": "token: " + e2eToken + "\n",
	})
	if r := runSecretsCmd(t, "--root", root); r.code != exitFindings {
		t.Fatalf("before baseline: exit %d", r.code)
	}
	r := runSecretsCmd(t, "--root", root, "--write-baseline")
	if r.code != exitOK || !strings.Contains(r.stdout, "wrote 2 accepted findings") {
		t.Fatalf("write-baseline: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(root, ".render-check-baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(e2ePassword)) || bytes.Contains(data, []byte(e2eToken)) {
		t.Fatal("baseline contains a secret value")
	}
	if r := runSecretsCmd(t, "--root", root); r.code != exitOK {
		t.Fatalf("after baseline: exit %d\n%s", r.code, r.stdout)
	}
	// moving the value keeps it accepted; a new value is reported
	if err := os.WriteFile(filepath.Join(root, "values.yaml"), []byte("# moved\ndb:\n  user: app\n  password: "+e2ePassword+"\n  apiToken: another-S3cret-v4lue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runSecretsCmd(t, "--root", root, "--format", "json")
	fs := findingsOf(t, r.stdout)
	if r.code != exitFindings || len(fs) != 1 || fs[0].Line != 5 {
		t.Fatalf("after edit: exit %d findings %+v", r.code, fs)
	}
}

func TestSecretsGitFileList(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required: apt-get install git")
	}
	t.Setenv("SOPS_AGE_KEY", "")
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	root := writeRepo(t, map[string]string{
		".gitignore":     "ignored/\n",
		"tracked.yaml":   "password: " + e2ePassword + "\n",
		"ignored/x.yaml": "token: " + e2eToken + "\n",
	})
	for _, args := range [][]string{{"init", "-q"}, {"add", "tracked.yaml", ".gitignore"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	r := runSecretsCmd(t, "--root", root, "--format", "json")
	fs := findingsOf(t, r.stdout)
	if len(fs) != 1 || fs[0].File != "tracked.yaml" {
		t.Fatalf("git-ignored files must not be scanned: %+v", fs)
	}
}

// TestCheckRenderedSecretLeak runs `render-check check` on a small repo in
// which a Helm chart renders a Secret from a plaintext values key with a
// neutral name: only the rendered output reveals the leak, and the finding
// points at the values file and key that supplied the value.
func TestCheckRenderedSecretLeak(t *testing.T) {
	t.Setenv("SOPS_AGE_KEY", "")
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("GITHUB_ACTIONS", "")
	root := writeRepo(t, map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\nkubernetesVersion: \"1.34\"\n",
		"clusters/a/apps/root.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/config.git
    targetRevision: main
    path: clusters/a/apps
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
`,
		"clusters/a/apps/db.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: db
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/config.git
    targetRevision: main
    path: _base/charts/db
    helm:
      valueFiles:
        - ../../../clusters/a/values/db.yaml
  destination:
    server: https://kubernetes.default.svc
    namespace: db
`,
		"clusters/a/values/db.yaml":   "replicas: 1\ndatabase:\n  conn: " + e2ePassword + "\n",
		"_base/charts/db/Chart.yaml":  "apiVersion: v2\nname: db\nversion: 1.0.0\n",
		"_base/charts/db/values.yaml": "database:\n  conn: \"\"\n",
		"_base/charts/db/templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-conn\n" +
			"data:\n  conn: {{ .Values.database.conn | b64enc | quote }}\n",
	})
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"check", "--root", root, "--images", "off", "--format", "json"}, strings.NewReader(""), &out, &errb)
	if strings.Contains(out.String(), e2ePassword) || strings.Contains(errb.String(), e2ePassword) {
		t.Fatal("check output contains the secret value")
	}
	var secretFs []report.Finding
	for _, f := range findingsOf(t, out.String()) {
		if f.Check() == "secret" {
			secretFs = append(secretFs, f)
		}
	}
	if code != exitFindings || len(secretFs) != 1 {
		t.Fatalf("exit %d, secret findings %+v\nstdout:\n%s\nstderr:\n%s", code, secretFs, out.String(), errb.String())
	}
	f := secretFs[0]
	if f.Rule != "secret/plaintext-secret" || f.File != "clusters/a/values/db.yaml" || f.Line != 3 ||
		f.App != "db" || f.Resource == nil || f.Resource.Kind != "Secret" || !strings.Contains(f.Message, "database.conn") {
		t.Fatalf("finding %+v", f)
	}
}

// TestSecretsPlaceholderValuesInASecret: a Secret whose values are obvious
// placeholders (a catalog's "__REPLACE_ME__", "UPDATE_AWS_ACCESS_KEY_ID", "changeit", a path, base64 of
// "change me") holds no secret; only the real value is a finding.
func TestSecretsPlaceholderValuesInASecret(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"base/secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: broker
stringData:
  trustStorePassword: '__REPLACE_ME__'
  keyStorePassword: changeit
  trustStorePath: /amq/extra/volumes/truststore.jks
  brokerPassword: ` + e2ePassword + `
  AWS_ACCESS_KEY_ID: UPDATE_AWS_ACCESS_KEY_ID
data:
  session_secret: Y2hhbmdlIG1lCg==
`,
	})
	r := runSecretsCmd(t, "--root", root, "--format", "json")
	var got []string
	for _, f := range findingsOf(t, r.stdout) {
		got = append(got, f.Rule+" "+f.File+":"+itoa(f.Line))
	}
	if r.code != 1 || len(got) != 1 || got[0] != "secret/plaintext-secret base/secret.yaml:9" {
		t.Fatalf("exit %d, want only the real value at line 9, got %v\n%s", r.code, got, r.stderr)
	}
}
