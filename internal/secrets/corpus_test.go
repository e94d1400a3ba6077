package secrets

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
)

// Secret values of the corpus. No output may ever contain any of them.
var (
	secretPassword = "Hunter2-Sup3r-S3cret!"
	secretDBPass   = "pg-pass-9f8e7d6c5b4a"
	secretToken    = "tok-4QpL9zXw2RtY7uVb"
	secretGHToken  = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"
	secretGLToken  = "glpat-" + "Zx8Yw7Vu6Ts5Rq4Po3Nm"
	secretSlack    = "xoxb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOp"
	secretStripe   = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
	secretGoogle   = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
	secretAWSID    = "AKIA" + "QWERTYUIOPASDFGH"
	secretAWSKey   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY1a2b3c4d5e"
	secretURLPass  = "dbS3cretPw77"
	secretPEMBody  = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
	secretLiteral  = "gen-literal-Xy9Wq"
	secretEnvValue = "env-value-Pq7Rs5Tu"
	secretParam    = "param-value-Lm3Nk1"
	secretHelm     = "helm-inline-Qa2Ws3"
	secretConfig   = "cm-pass-Zt6Yu8"
)

func corpusSecrets() []string {
	return []string{secretPassword, secretDBPass, secretToken, secretGHToken, secretGLToken, secretSlack,
		secretStripe, secretGoogle, secretAWSID, secretAWSKey, secretURLPass, secretPEMBody, secretLiteral,
		secretEnvValue, secretParam, secretHelm, secretConfig}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// writeTree writes files (slash paths) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
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

func scanTree(t *testing.T, files map[string]string, opts Options) *Result {
	t.Helper()
	opts.Root = writeTree(t, files)
	res, err := Scan(context.Background(), opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res
}

// brief renders findings as "rule file:line" for comparisons.
func brief(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Location())
	}
	slices.Sort(out)
	return out
}

func assertNoSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range corpusSecrets() {
		for _, form := range []string{s, b64(s)} {
			if strings.Contains(text, form) {
				t.Errorf("%s contains a secret value from the corpus", where)
			}
		}
	}
}

var ruleCases = []struct {
	name  string
	files map[string]string
	want  []string
	cfg   config.Secrets
}{
	{
		name: "plaintext Secret, any doc, any key order",
		files: map[string]string{"apps/db.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n---\n" +
			"data:\n  password: " + b64(secretPassword) + "\nkind: Secret\nmetadata:\n  name: db\napiVersion: v1\n" +
			"stringData:\n  token: " + secretToken + "\n"},
		want: []string{"secret/plaintext-secret apps/db.yaml:9", "secret/plaintext-secret apps/db.yaml:15"},
	},
	{
		name: "Secret look-alikes are not leaks",
		files: map[string]string{
			"sealed.yaml":   "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK+PiTySYZZA==\n",
			"external.yaml": "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: e\nspec:\n  data:\n  - secretKey: password\n    remoteRef:\n      key: db/password\n",
			"sopssecret.yaml": "apiVersion: isindir.github.com/v1alpha3\nkind: SopsSecret\nmetadata:\n  name: s\nspec:\n  secretTemplates:\n  - name: x\n" +
				"    stringData:\n      password: ENC[AES256_GCM,data:abcd,iv:abcd,tag:abcd,type:str]\n" +
				"sops:\n  encrypted_regex: ^(data|stringData|password)$\n  mac: ENC[AES256_GCM,data:abcd,iv:abcd,tag:abcd,type:str]\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  age:\n  - recipient: age1x\n    enc: x\n",
			"sa.yaml":    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sa-token\n  annotations:\n    kubernetes.io/service-account.name: app\ntype: kubernetes.io/service-account-token\n",
			"empty.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: e\ndata:\n  password: \"\"\nstringData: {}\n",
			"tls.yaml":   "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ca\ndata:\n  ca.crt: " + b64("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n") + "\n",
		},
		want: nil,
	},
	{
		name: "credential values in Helm values, with false-positive corpus",
		files: map[string]string{"clusters/a/values/app.yaml": `
db:
  password: ` + secretDBPass + `
  existingSecret: db-credentials
  passwordSecretRef: db-pw
  password_file: /etc/secrets/db
  tokenEndpoint: https://auth.example.com/token
  secretName: app-secret
auth:
  clientSecret: ""
  apiKey: ${API_KEY}
  token: "{{ .Values.global.token }}"
  privateKey: <your-private-key>
  accessKey: changeme
  TOKEN_TTL: 3600
  tokenTimeout: 30s
  session_secret: ` + secretToken + `
  secretKey: REPLACE_ME
  password: $(DB_PASSWORD)
  webhookPassword: "12345"
  encryptionKey: true
  signingKey: vault:secret/data/app#key
  apiToken: https://api.example.com/v1
  keyName: my-key
  tokenPath: ./token
  monkey: banana
`},
		want: []string{"secret/credential-value clusters/a/values/app.yaml:3", "secret/credential-value clusters/a/values/app.yaml:17"},
	},
	{
		name: "env values, ConfigMaps and Application valuesObject/values/parameters",
		files: map[string]string{
			"deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n" +
				"        - name: DB_PASSWORD\n          value: " + secretEnvValue + "\n" +
				"        - name: DB_HOST\n          value: db.internal\n" +
				"        - name: API_TOKEN\n          valueFrom:\n            secretKeyRef:\n              name: api\n              key: token\n" +
				"        - name: TOKEN_TTL\n          value: \"3600\"\n",
			"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  SMTP_PASSWORD: " + secretConfig + "\n  LOG_LEVEL: debug\n  password_file: /run/secrets/pw\n",
			"app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  source:\n    repoURL: https://git.example.com/repo.git\n    helm:\n" +
				"      parameters:\n      - name: db.password\n        value: " + secretParam + "\n      - name: image.tag\n        value: 1.2.3\n" +
				"      valuesObject:\n        redis:\n          auth:\n            password: " + secretPassword + "\n" +
				"      values: |\n        smtp:\n          password: " + secretHelm + "\n          user: me\n",
		},
		want: []string{"secret/credential-value app.yaml:11", "secret/credential-value app.yaml:17", "secret/credential-value app.yaml:20",
			"secret/credential-value cm.yaml:6", "secret/credential-value deploy.yaml:12"},
	},
	{
		name: "known tokens anywhere; public material and lookalikes are not",
		files: map[string]string{
			"tokens.yaml": "a: " + secretGHToken + "\nb: " + secretGLToken + "\nc: " + secretSlack + "\nd: " + secretStripe + "\ne: " + secretGoogle +
				"\nf: postgres://app:" + secretURLPass + "@db:5432/app\n" +
				"g: |\n  -----BEGIN RSA PRIVATE KEY-----\n  " + secretPEMBody + "\n  " + secretPEMBody + "\n  -----END RSA PRIVATE KEY-----\n" +
				"aws:\n  id: " + secretAWSID + "\n  key: " + secretAWSKey + "\n",
			"public.yaml": "cert: |\n  -----BEGIN CERTIFICATE-----\n  MIIBszCCAVmgAwIBAgIUQ" + "\n  -----END CERTIFICATE-----\n" +
				"pk: pk_live_" + "4eC39HqLyjWDarjtT1zdp7dc\nurl: https://user@example.com/x\nurl2: postgres://app:${DB_PASSWORD}@db/app\n" +
				"example: AKIAIOSFODNN7EXAMPLE\nlone_id: " + secretAWSID + "\nsha: 0123456789abcdef0123456789abcdef01234567\n" +
				"doc: \"-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\"\n",
		},
		want: []string{"secret/known-token tokens.yaml:1", "secret/known-token tokens.yaml:2", "secret/known-token tokens.yaml:3",
			"secret/known-token tokens.yaml:4", "secret/known-token tokens.yaml:5", "secret/known-token tokens.yaml:6",
			"secret/known-token tokens.yaml:7", "secret/known-token tokens.yaml:13", "secret/known-token tokens.yaml:14"},
	},
	{
		name: "secretGenerator literals and unencrypted env files",
		files: map[string]string{
			"k/kustomization.yaml": "resources: []\nsecretGenerator:\n- name: app\n  literals:\n  - PASSWORD=" + secretLiteral + "\n  - EMPTY=\n  envs:\n  - plain.env\n  - enc.env\n  files:\n  - key=missing.txt\nconfigMapGenerator:\n- name: cfg\n  literals:\n  - LOG=debug\n  - DB_PASSWORD=" + secretDBPass + "\n",
			"k/plain.env":          "PASSWORD=" + secretPassword + "\n",
			"k/enc.env":            "PASSWORD=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops_mac=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops_lastmodified=2026-01-01T00:00:00Z\n",
		},
		want: []string{"secret/credential-value k/kustomization.yaml:16", "secret/generator-literal k/kustomization.yaml:5", "secret/generator-literal k/kustomization.yaml:8"},
	},
	{
		name: ".sops.yaml creation rules require encryption",
		files: map[string]string{
			".sops.yaml":                        "creation_rules:\n- path_regex: .*/secrets/.*\\.yaml$\n  age: age1xyz\n- age: age1xyz\n",
			"clusters/a/secrets/db.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n",
			"clusters/a/values/app.yaml":        "replicas: 1\n",
			"clusters/b/secrets/ok.yaml":        "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  age:\n  - recipient: age1x\n    enc: x\n",
			"clusters/a/secrets/sub/.sops.yaml": "creation_rules:\n- age: age1xyz\n",
			"clusters/a/secrets/sub/x.yaml":     "a: b\n",
		},
		want: []string{"secret/unencrypted-file clusters/a/secrets/db.yaml:1"},
	},
	{
		name:  "malformed YAML is a finding, never a panic",
		files: map[string]string{"bad.yaml": "a: b\nc: [\n", "bad2.json": "{\"a\": [}", "_base/chart/Chart.yaml": "name: c\n", "_base/chart/templates/s.yaml": "{{ if x }}\npassword: {{ .Values.p }}\n"},
		want:  []string{"secret/unparsable bad.yaml:2", "secret/unparsable bad2.json:1"},
	},
	{
		name: "inline and config allowlists",
		files: map[string]string{
			"a.yaml": "password: " + secretPassword + " # render-check:ignore secret/credential-value\n" +
				"# render-check:ignore secret/credential-value\ntoken: " + secretToken + "\nsecret: " + secretDBPass + " # render-check:ignore secret/known-token\n",
			"b.yaml":          "# render-check:ignore secret/plaintext-secret\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  p: " + secretPassword + "\n",
			"fixtures/c.yaml": "password: " + secretPassword + "\n",
			"d.yaml":          "password: " + secretPassword + "\n",
		},
		cfg:  config.Secrets{Allow: []config.SecretAllow{{Paths: []string{"fixtures/**"}, Rules: []string{report.RuleSecretCredentialValue}}}, Exclude: []string{"d.yaml"}},
		want: []string{"secret/credential-value a.yaml:4"},
	},
}

func TestRules(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			res := scanTree(t, tc.files, Options{Config: tc.cfg})
			got := brief(res.Findings)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
				for _, f := range res.Findings {
					t.Logf("  %s: %s %s", f.Location(), f.Rule, f.Message)
				}
			}
			for _, f := range res.Findings {
				assertNoSecrets(t, "finding message", f.Message+f.Fingerprint)
				if f.Fingerprint == "" || len(f.Fingerprint) != 16 {
					t.Errorf("finding %s %s has fingerprint %q", f.Rule, f.Location(), f.Fingerprint)
				}
			}
		})
	}
}

func TestListItems(t *testing.T) {
	res := scanTree(t, map[string]string{"list.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n" +
		"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n  stringData:\n    password: " + secretPassword + "\n"}, Options{})
	got := brief(res.Findings)
	if len(got) != 1 || got[0] != "secret/plaintext-secret list.yaml:13" || !strings.Contains(res.Findings[0].Message, "items[1].stringData.password") {
		t.Fatalf("findings %q %v", got, res.Findings)
	}
}

func TestSopsDotenv(t *testing.T) {
	enc := "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"
	res := scanTree(t, map[string]string{
		"a.env": "# comment\nDB_PASSWORD=" + enc + "\nNEW_TOKEN=" + secretToken + "\nHOST_unencrypted=db\nsops_unencrypted_suffix=_unencrypted\nsops_mac=" + enc + "\nsops_lastmodified=2026-01-01T00:00:00Z\n",
		"b.env": "A=" + secretPassword + "\n",
	}, Options{})
	if got := brief(res.Findings); len(got) != 1 || got[0] != "secret/sops-plaintext-value a.env:3" {
		t.Fatalf("findings %q", got)
	}
}

// TestSopsCommentRegex: with encrypted_comment_regex only the values right
// after a matching comment must be encrypted (sops.go shouldBeEncrypted).
func TestSopsCommentRegex(t *testing.T) {
	enc := "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"
	meta := "sops:\n  encrypted_comment_regex: sops:enc\n  mac: " + enc + "\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  age:\n  - recipient: age1x\n    enc: x\n"
	res := scanTree(t, map[string]string{
		"ok.yaml":  "# sops:enc\npassword: " + enc + "\nhost: db\n" + meta,
		"bad.yaml": "host: db\n# sops:enc\npassword: " + secretPassword + "\nport: 5432\n" + meta,
	}, Options{})
	if got := brief(res.Findings); len(got) != 1 || got[0] != "secret/sops-plaintext-value bad.yaml:3" {
		t.Fatalf("findings %q", got)
	}
}
