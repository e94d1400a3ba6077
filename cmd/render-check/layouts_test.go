package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// TestLayoutsCorpus runs `check` on reconstructed shapes of public Argo CD
// config repos (testdata/layouts/<shape>/) and compares every error and
// warning with testdata/layouts/<shape>.want: a finding not listed there is
// a wrong finding, a listed one that is missing is a miss. Lines of a want
// file:
//
//	<severity> <rule> <file>:<line> | <message substring>
//	note: <substring of a report note>
//	production: <cluster> <reason>
//	clusters: <name> <name>...
//
// Info findings are not compared.
func TestLayoutsCorpus(t *testing.T) {
	shapes, err := filepath.Glob(filepath.Join("..", "..", "testdata", "layouts", "*.want"))
	if err != nil || len(shapes) == 0 {
		t.Fatalf("no shapes: %v", err)
	}
	total, wrong := 0, 0
	for _, wantFile := range shapes {
		name := strings.TrimSuffix(filepath.Base(wantFile), ".want")
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.CopyFS(root, os.DirFS(strings.TrimSuffix(wantFile, ".want"))); err != nil {
				t.Fatal(err)
			}
			code, rep, stderr := checkJSON(t, root)
			if rep == nil {
				t.Fatalf("check could not run (exit %d): %s", code, stderr)
			}
			var wantFindings []string
			var notes, prods []string
			var clusters string
			f, err := os.Open(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				l := strings.TrimSpace(sc.Text())
				switch {
				case l == "" || strings.HasPrefix(l, "#"):
				case strings.HasPrefix(l, "note: "):
					notes = append(notes, strings.TrimPrefix(l, "note: "))
				case strings.HasPrefix(l, "production: "):
					prods = append(prods, strings.TrimPrefix(l, "production: "))
				case strings.HasPrefix(l, "clusters: "):
					clusters = strings.TrimPrefix(l, "clusters: ")
				default:
					wantFindings = append(wantFindings, l)
				}
			}
			var names []string
			var gotProds []string
			for _, c := range rep.Clusters {
				names = append(names, c.Name)
				if c.Production {
					gotProds = append(gotProds, c.Name+" "+c.ProductionReason)
				}
			}
			if clusters != "" && strings.Join(names, " ") != clusters {
				t.Errorf("clusters = %v, want %s", names, clusters)
			}
			if !slices.Equal(gotProds, prods) {
				t.Errorf("production clusters = %q, want %q", gotProds, prods)
			}
			for _, n := range notes {
				if !slices.ContainsFunc(rep.Notes, func(s string) bool { return strings.Contains(s, n) }) {
					t.Errorf("no note containing %q in %q", n, rep.Notes)
				}
			}
			matched := make([]bool, len(wantFindings))
			for _, got := range rep.Findings {
				if got.Severity == report.SeverityInfo {
					continue
				}
				total++
				ok := false
				for i, w := range wantFindings {
					if !matched[i] && findingMatches(got, w) {
						matched[i], ok = true, true
						break
					}
				}
				if !ok {
					wrong++
					t.Errorf("wrong finding: %s %s %s:%d | %s", got.Severity, got.Rule, got.File, got.Line, got.Message)
				}
			}
			for i, w := range wantFindings {
				if !matched[i] {
					t.Errorf("missing finding: %s", w)
				}
			}
		})
	}
	t.Logf("layouts corpus: %d error and warning findings, %d wrong", total, wrong)
}

// findingMatches reports whether a finding matches a want line
// "<severity> <rule> <file>:<line> | <message substring>".
func findingMatches(f report.Finding, want string) bool {
	head, msg, _ := strings.Cut(want, " | ")
	return head == fmt.Sprintf("%s %s %s:%d", f.Severity, f.Rule, f.File, f.Line) && strings.Contains(f.Message, strings.TrimSpace(msg))
}

// TestSecretsRealRepoFalsePositives: what real config repos hold that is
// not a secret gives no finding, while real secrets next to it still do.
func TestSecretsRealRepoFalsePositives(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"values/platform.yaml": `ingress:
  tlsSecret: my-tls
longhorn:
  defaultSettings:
    backupTargetCredentialSecret: minio-credentials
traefik:
  basicAuth:
    secret: traefik-basic-auth
externalSecret:
  data:
    - secretKey: db-password
      remoteRef:
        key: prod/db
        property: password
argocd:
  webhookSecret: $argo-webhook-secret:secret
  dexSecret: $dex.github.clientSecret
grafana:
  adminPassword: $__env{GF_SECURITY_ADMIN_PASSWORD}
db:
  password: UPDATE_ME
  token: REPLACE_WITH_TOKEN
kafka:
  keyStorePath: /etc/kafka/keystore.jks
  keyStorePassword: /etc/kafka/keystore-password
`,
		"infra/stack.yaml":          "Resources:\n  DB:\n    Properties:\n      MasterUserPassword: !Find [Secrets, db, password]\n      Token: !Ref DbToken\n",
		"clusters/prod/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo\ndata:\n  password: Y2hhbmdlbWU=\nstringData:\n  keystore: /etc/ssl/keystore.jks\n",
		".vscode/settings.json":     "{\n  // editor settings\n  \"yaml.schemas\": {\"a\": \"b\"}, /* block */\n  \"x\": [1, 2,],\n}\n",
		// real secrets beside them
		"values/real.yaml":          "oauth:\n  clientSecret: 8fJ2kLq9xZ3mN7pR4tV1wY6bC0dE5gH\n  tlsSecret: " + e2eToken + "\n",
		"clusters/prod/real.yaml":   "apiVersion: v1\nkind: Secret\nmetadata:\n  name: real\nstringData:\n  password: " + e2ePassword + "\n",
		".vscode/bad-settings.json": "{\n  \"token\": \"" + e2eToken + "\", // leaked\n}\n",
	})
	r := runSecretsCmd(t, "--root", root, "--format", "json")
	var got []string
	for _, f := range findingsOf(t, r.stdout) {
		got = append(got, fmt.Sprintf("%s %s:%d", f.Rule, f.File, f.Line))
	}
	slices.Sort(got)
	want := []string{
		"secret/credential-value values/real.yaml:2",
		"secret/known-token .vscode/bad-settings.json:2",
		"secret/known-token values/real.yaml:3",
		"secret/plaintext-secret clusters/prod/real.yaml:6",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestSecretsNamesAreNotCredentials: values that name a credential rather
// than hold one (the key's own name, an environment variable or Secret key
// name, a key of the Secret named next to it, "no key needed" markers, an
// argocd-cm customization key, a workflow permission) give no finding,
// while literal credentials beside them still do.
func TestSecretsNamesAreNotCredentials(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"values/names.yaml": `instance:
  mas_storage_accesskey: "storage_accesskey"
  dro_api_token: "DRO_API_TOKEN"
  BASIC_AUTH_PASS: BASIC_AUTH_PASS
  s3AccessKey: S3_PASSWORD
  apiKey: "apiKey"
  client_secret: "client_secret"
tls:
  privateKey: private.key
mysql:
  secretKeys:
    password: "mysql-password"
    root_password: "mysql-root-password"
jwt:
  existingSecret: "gotrue-credentials"
  secretKey: "jwtSecret"
keep:
  databaseConnectionStringFromSecret:
    secretName: keep-db-secret
    secretKey: connection-string
llm:
  apiKey: sk-no-key-required
  LLM_API_KEY: not-needed
  OPENAI_API_KEY: sk-required
  OTHER_API_KEY: unused
matrix:
  trustedKeyServersSecretKey: "trustedKeyServers"
dashboard:
  overrides:
    download_token: "Downloaded Share Token"
argocd:
  configs:
    cm:
      resource.customizations.ignoreDifferences.external-secrets.io_ExternalSecret: |
        jqPathExpressions:
          - .spec.data[].remoteRef.conversionStrategy
`,
		".github/workflows/docs.yml": "on: push\npermissions:\n  id-token: write\n  contents: read\njobs: {}\n",
		// a Secret holding settings and configuration files without credentials
		"secrets/objstore.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: thanos-objstore
stringData:
  objstore.yml: |-
    type: s3
    config:
      bucket: thanos
      access_key: ""
      secret_key: ""
  s3.json: |
    {"identities": [{"name": "admin", "credentials": [{"accessKey": "workflows-root", "secretKey": "admin-key-goes-here"}]}]}
  restic: "restic-repo-password-goes-here"
data:
  SMTP_PORT: NTg3
  SMTP_SECURE: dHJ1ZQ==
`,
		"secrets/repo.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: repo-https
  labels:
    argocd.argoproj.io/secret-type: repository
stringData:
  name: repo-https
  project: cluster-config
  type: git
  url: https://github.com/example/config.git
---
apiVersion: v1
kind: Secret
metadata:
  name: misc
stringData:
  .dockerconfigjson: '{}'
  key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBzBkq9wXg0y0N3h6F4sFv0lK1f3jZ2mUe7pQ9rT5sYx user@host
  AWS_S3_ENDPOINT: http://minio.minio.svc.cluster.local:9000
  database-name: label-studio
  database-password: label-studio
`,
		// literal credentials beside them
		"secrets/real.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: loki
stringData:
  config.yaml: |
    storage:
      s3:
        secret_access_key: 8fJ2kLq9xZ3mN7pR4tV1wY6bC0dE5gH
  init.sql: |
    CREATE USER app;
    ALTER USER app PASSWORD 'x';
`,
		"values/real.yaml": `harbor:
  harborAdminPassword: "Harbor12345"
  secretKey: "not-a-secure-key"
minio:
  users:
    - accessKey: console
      secretKey: console123
pgadmin:
  password: WorkshopPassword
aws:
  awsSecretKey: wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY9
env:
  - name: DB_PASSWORD
    value: "prod_password"
  - name: MYSQL_ROOT_PASSWORD
    value: fake_password
`,
	})
	r := runSecretsCmd(t, "--root", root, "--format", "json")
	var got []string
	for _, f := range findingsOf(t, r.stdout) {
		got = append(got, fmt.Sprintf("%s %s:%d", f.Rule, f.File, f.Line))
	}
	slices.Sort(got)
	want := []string{
		"secret/credential-value secrets/real.yaml:9",
		"secret/credential-value values/real.yaml:11",
		"secret/credential-value values/real.yaml:14",
		"secret/credential-value values/real.yaml:16",
		"secret/credential-value values/real.yaml:2",
		"secret/credential-value values/real.yaml:3",
		"secret/credential-value values/real.yaml:6",
		"secret/credential-value values/real.yaml:7",
		"secret/credential-value values/real.yaml:9",
		"secret/plaintext-secret secrets/real.yaml:10",
		"secret/plaintext-secret secrets/repo.yaml:22",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestCheckPlacesKustomizeFindings: a failing remote resource is reported at
// its resources: entry (not at the local file read before it), and the
// app's own kustomization gets its deprecation notice like nested ones.
func TestCheckPlacesKustomizeFindings(t *testing.T) {
	app := func(name string) string {
		return checkApp(name, "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: apps/"+name+"\n")
	}
	root := checkRepo(t, map[string]string{
		".render-check.yaml":             checkConfig,
		"CODEOWNERS":                     checkOwners,
		"clusters/dev/apps.yaml":         app("remote") + "---\n" + app("old"),
		"apps/remote/kustomization.yaml": "resources:\n  - cm.yaml\n  - http://127.0.0.1:1/base/deployment.yaml\n",
		"apps/remote/cm.yaml":            okConfigMap,
		"apps/old/kustomization.yaml":    "commonLabels:\n  team: shop\nresources:\n  - cm.yaml\n",
		"apps/old/cm.yaml":               okConfigMap,
	})
	_, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatal(stderr)
	}
	f := findRule(rep, "render/failed", "remote")
	if f == nil || f.File != "apps/remote/kustomization.yaml" || f.Line != 3 {
		t.Errorf("remote resource failure: %+v, want apps/remote/kustomization.yaml:3", f)
	}
	d := findRule(rep, "render/deprecated", "old")
	if d == nil || d.File != "apps/old/kustomization.yaml" || !strings.Contains(d.Message, "commonLabels") {
		t.Errorf("own kustomization deprecation: %+v", d)
	}
}

// TestCheckRemoteChartFindingsPointAtTheApplication: a finding about an
// object of a remote chart (whose templates are not in the repo) points at
// the Application line that chose the chart and names chart, version and
// template; a template failure too.
func TestCheckRemoteChartFindingsPointAtTheApplication(t *testing.T) {
	good := chartArchive(t, "web", "2.0.1", map[string]string{
		"templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: \"many\"\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web:1\n",
	})
	broken := chartArchive(t, "broken", "0.1.0", map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.field }}\n",
	})
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  web:\n    - {apiVersion: v2, name: web, version: 2.0.1, urls: [%[1]s/web-2.0.1.tgz]}\n  broken:\n    - {apiVersion: v2, name: broken, version: 0.1.0, urls: [%[1]s/broken-0.1.0.tgz]}\n", srv.URL)
		case "/web-2.0.1.tgz":
			_, _ = w.Write(good)
		case "/broken-0.1.0.tgz":
			_, _ = w.Write(broken)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	chartApp := func(name, chart, version string) string {
		return checkApp(name, "  source:\n    repoURL: "+srv.URL+"\n    chart: "+chart+"\n    targetRevision: "+version+"\n")
	}
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS":            checkOwners,
		".render-check.yaml":            checkConfig + "render:\n  chartCacheDir: " + t.TempDir() + "\n",
		"clusters/lab/apps/web.yaml":    chartApp("web", "web", "2.0.1"),
		"clusters/lab/apps/broken.yaml": chartApp("broken", "broken", "0.1.0"),
	})
	_, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatal(stderr)
	}
	chartLine := 10 // "    chart: ..." in checkApp's layout
	s := findRule(rep, "schema/invalid", "web")
	if s == nil || s.File != "clusters/lab/apps/web.yaml" || s.Line != chartLine ||
		!strings.Contains(s.Message, "rendered from chart web 2.0.1 ("+srv.URL+"), template web/templates/deploy.yaml") {
		t.Errorf("schema finding of a remote chart: %+v", s)
	}
	b := findRule(rep, "render/failed", "broken")
	if b == nil || b.File != "clusters/lab/apps/broken.yaml" || b.Line != chartLine || !strings.Contains(b.Message, "chart broken 0.1.0") || !strings.Contains(b.Message, "broken/templates/cm.yaml") {
		t.Errorf("template failure of a remote chart: %+v", b)
	}
	for _, f := range rep.Findings {
		if strings.Contains(f.File, "templates/") {
			t.Errorf("finding points at a template that is not in the repo: %+v", f)
		}
	}
}

// TestInitWritesWhatItSees: init on a zero-configuration repo writes a
// config naming the detected clusters, production marks and argocd-cm's
// build options; check with it sees the same clusters; init keeps an
// existing file.
func TestInitWritesWhatItSees(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("..", "..", "testdata", "layouts", "openshift-bootstrap"))); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, root, map[string]string{"argocd/argocd-cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: openshift-gitops\ndata:\n  kustomize.buildOptions: --enable-helm --enable-alpha-plugins\n"})
	code, stdout, stderr := runCLI(t, "init", "--root", root)
	if code != exitOK || !strings.Contains(stdout, "wrote ") {
		t.Fatalf("init: exit %d, %s %s", code, stdout, stderr)
	}
	for _, s := range []string{"found: cluster prod (bootstrap): production (name segment \"prod\")", "found: kustomize.buildOptions from argocd/argocd-cm.yaml"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("init stderr lacks %q:\n%s", s, stderr)
		}
	}
	written := readFile(t, filepath.Join(root, ".render-check.yaml"))
	for _, s := range []string{`- "bootstrap/prod-root.yaml"  # cluster prod`, `- "bootstrap/staging-root.yaml"  # cluster staging`, `production: true  # name segment "prod"`, `kustomizeBuildOptions: "--enable-helm --enable-alpha-plugins"`} {
		if !strings.Contains(written, s) {
			t.Errorf("written config lacks %q:\n%s", s, written)
		}
	}
	_, rep, errOut := checkJSON(t, root)
	if rep == nil {
		t.Fatal(errOut)
	}
	var names []string
	for _, c := range rep.Clusters {
		names = append(names, c.Name)
	}
	if strings.Join(names, " ") != "prod staging" || len(rep.Notes) != 0 || rep.Summary.Errors != 0 {
		t.Errorf("check with the written config: clusters %v, notes %q, %d errors", names, rep.Notes, rep.Summary.Errors)
	}
	if code, _, stderr := runCLI(t, "init", "--root", root); code != exitError || !strings.Contains(stderr, "already exists") {
		t.Errorf("second init: exit %d, %s", code, stderr)
	}
}

// TestListSaysWhyNothing: list on a repo without clusters says why, and
// names what it detected otherwise.
func TestListSaysWhyNothing(t *testing.T) {
	root := checkRepo(t, map[string]string{"README.md": "# nothing here\n"})
	code, stdout, stderr := runCLI(t, "list", "--root", root)
	if code != exitOK || stdout != "" || !strings.Contains(stderr, "no clusters: clusters/* matches nothing") {
		t.Errorf("list on an empty repo: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	_, rep, _ := checkJSON(t, root)
	if f := findRule(rep, "render/no-clusters", ""); f == nil || f.Severity != report.SeverityError || !strings.Contains(f.Message, "render-check init") {
		t.Errorf("check on an empty repo: %+v", rep.Findings)
	}
	root = checkRepo(t, map[string]string{"envs/dev/kustomization.yaml": "resources: [cm.yaml]\n", "envs/dev/cm.yaml": okConfigMap, "envs/prod/README.md": "empty\n"})
	code, stdout, stderr = runCLI(t, "list", "--root", root)
	if code != exitOK || !strings.Contains(stdout, "dev\tenvs/dev\t") || !strings.Contains(stderr, "detected 2 clusters: dev (envs/dev), prod (envs/prod) (envs/* directories)") {
		t.Errorf("list of envs/*: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	_, rep, _ = checkJSON(t, root)
	if f := findRule(rep, "render/no-apps", ""); f == nil || f.Cluster != "prod" || f.Severity != report.SeverityWarning {
		t.Errorf("a cluster that renders nothing: %+v", rep.Findings)
	}
}

// TestCheckCloneOfLocalMirror: a checkout cloned from a local path (a
// mirror, a CI cache) has an origin no Application names; its sources are
// read from the checkout by path as when there is no origin, instead of
// every in-repo source being another repository.
func TestCheckCloneOfLocalMirror(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("..", "..", "testdata", "layouts", "homelab-kustomize"))); err != nil {
		t.Fatal(err)
	}
	gitInit(t, root)
	if out, err := exec.Command("git", "-C", root, "remote", "add", "origin", "/srv/mirrors/homelab.git").CombinedOutput(); err != nil {
		t.Fatalf("git remote add: %v\n%s", err, out)
	}
	_, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatal(stderr)
	}
	if f := findRule(rep, "render/external-source", ""); f != nil {
		t.Errorf("an in-repo source is called another repository: %s:%d %s", f.File, f.Line, f.Message)
	}
	if got := checkedApps(rep); !slices.Contains(got, "argocd/web") {
		t.Errorf("apps = %v, want argocd/web rendered from the checkout", got)
	}
	if f := findRule(rep, "render/repo-url", ""); f == nil || !strings.Contains(f.Message, "local path") {
		t.Errorf("no note that the origin is a local path: %+v", f)
	}
}
