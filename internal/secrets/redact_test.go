package secrets

import (
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	tok := "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
	for _, msg := range []string{
		"kustomize build: trouble configuring builtin PatchTransformer with config: `\npatch: |-\n  apiVersion: v1\n  kind: Secret\n  stringData:\n    password: hunter2-plaintext\n    token: " + tok + "\n`: yaml: line 7",
		`template: x/templates/cm.yaml:5:11: executing "x" at <tpl .Values.token .>: error calling tpl: "` + tok + ` {{ .Values.nope.deeper }}"`,
		"fetching https://user:s3cr3t-pw@charts.example.com/index.yaml failed",
		`map[string]interface {}{"DB_PASSWORD":"hunter2-plaintext"}`,
	} {
		got := RedactText(msg)
		for _, s := range []string{tok, "hunter2-plaintext", "s3cr3t-pw"} {
			if strings.Contains(got, s) {
				t.Errorf("%q survives in %q", s, got)
			}
		}
	}
	keep := "resource Deployment/web: field spec.replicas: password policy passwordSecretName: db-creds image: nginx:1.27"
	if got := RedactText(keep); got != keep {
		t.Errorf("over-redacted: %q", got)
	}
}
