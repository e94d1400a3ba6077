package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestKeyWords(t *testing.T) {
	for in, want := range map[string]string{
		"clientSecret": "client secret", "DB_PASSWORD": "db password", "APIKey": "api key", "apiKey": "api key",
		"aws_secret_access_key": "aws secret access key", "tokenTTL": "token ttl", "x-api-token": "x api token",
		"secretKeyRef": "secret key ref", "OAuth2ClientSecret": "o auth2 client secret",
	} {
		if got := strings.Join(keyWords(in), " "); got != want {
			t.Errorf("keyWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsCredentialKey(t *testing.T) {
	yes := []string{"password", "DB_PASSWORD", "passwd", "clientSecret", "apiKey", "api_key", "privateKey", "accessKey",
		"secret_key", "token", "bearerToken", "webhookSecret", "credentials", "passphrase", "SMTP_PASS", "signingKey"}
	no := []string{"existingSecret", "secretName", "passwordSecretRef", "tokenEndpoint", "password_file", "keyName", "key",
		"monkey", "tokenTTL", "secretKeyRef", "valueFrom", "publicKey", "sshKeyPath", "passwordPolicy", "tokens_enabled"}
	for _, k := range yes {
		if !isCredentialKey(k) {
			t.Errorf("isCredentialKey(%q) = false", k)
		}
	}
	for _, k := range no {
		if isCredentialKey(k) {
			t.Errorf("isCredentialKey(%q) = true", k)
		}
	}
}

func TestIsPlaceholder(t *testing.T) {
	yes := []string{"", "  ", "${DB_PASSWORD}", "$DB_PASSWORD", "$(DB_PASSWORD)", "<password>", "{{ .Values.x }}",
		"changeme", "CHANGE_ME", "change-it", "replace-me", "REPLACE_ME", "xxxx", "****", "redacted", "TODO", "none",
		"3600", "30s", "1h30m", "true", "/etc/secret/pw", "./token", "~/.netrc", "https://auth.example.com/token",
		"vault:secret/data/x#y", "ref+awssm://x", "arn:aws:secretsmanager:eu-west-1:1:secret:x", "your-api-key-here"}
	no := []string{secretPassword, secretToken, "p4ssw0rd-Prod", "https://user:" + secretURLPass + "@host/x", "hunter2"}
	for _, v := range yes {
		if !isPlaceholder(v) {
			t.Errorf("isPlaceholder(%q) = false", v)
		}
	}
	for _, v := range no {
		if isPlaceholder(v) {
			t.Errorf("isPlaceholder(%q) = true", v)
		}
	}
}

func TestKnownToken(t *testing.T) {
	yes := map[string]string{
		secretGHToken: "GitHub token", secretGLToken: "GitLab token", secretSlack: "Slack token", secretStripe: "Stripe secret key",
		secretGoogle: "Google API key", "redis://:" + secretURLPass + "@redis:6379/0": "URL with a password",
		"AGE-SECRET-KEY-1" + strings.Repeat("Q", 58):                                                    "age secret key",
		"-----BEGIN OPENSSH PRIVATE KEY-----\n" + secretPEMBody + "\n-----END OPENSSH PRIVATE KEY-----": "PEM private key",
	}
	for v, want := range yes {
		if got := knownToken(v, "x", false); got != want {
			t.Errorf("knownToken(%.12q...) = %q, want %q", v, got, want)
		}
	}
	if got := knownToken(secretAWSKey, "aws_secret_access_key", false); got != "AWS secret access key" {
		t.Errorf("AWS secret by key name: %q", got)
	}
	if got := knownToken(secretAWSID, "id", true); !strings.HasPrefix(got, "AWS access key ID") {
		t.Errorf("paired AWS key ID: %q", got)
	}
	for _, v := range []string{secretAWSID, "pk_live_" + strings.Repeat("a1", 12), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
		"https://example.com/a:b@c", "postgres://app:${PW}@db/app", "ghp_short", strings.Repeat("a", 40)} {
		if got := knownToken(v, "value", false); got != "" {
			t.Errorf("knownToken(%.20q) = %q, want none", v, got)
		}
	}
}

func TestKeysFromEnv(t *testing.T) {
	_, k := newKey(t)
	if k.Len() != 1 {
		t.Fatalf("Len = %d", k.Len())
	}
	env := map[string]string{}
	lookup := func(n string) (string, bool) { v, ok := env[n]; return v, ok }
	if k, err := KeysFromEnv(lookup); err != nil || k.Len() != 0 {
		t.Fatalf("no env: %v %d", err, k.Len())
	}
	bad := "AGE-SECRET-KEY-1" + strings.Repeat("!", 58)
	env["SOPS_AGE_KEY"] = bad
	_, err := KeysFromEnv(lookup)
	if !errors.Is(err, ErrBadKey) || strings.Contains(err.Error(), "!!") {
		t.Fatalf("bad key: %v", err)
	}
	id, _ := newKey(t)
	file := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(file, []byte("# key\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id2, _ := newKey(t)
	env["SOPS_AGE_KEY"] = id2.String()
	env["SOPS_AGE_KEY_FILE"] = file
	k, err = KeysFromEnv(lookup)
	if err != nil || k.Len() != 2 || k.Source != "SOPS_AGE_KEY, SOPS_AGE_KEY_FILE" {
		t.Fatalf("both: %v %d %q", err, k.Len(), k.Source)
	}
	env["SOPS_AGE_KEY_FILE"] = filepath.Join(t.TempDir(), "missing")
	if _, err := KeysFromEnv(lookup); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing key file: %v", err)
	}
}

func TestRulesList(t *testing.T) {
	r := Rules()
	if !slices.IsSorted(r) || len(r) != 9 {
		t.Fatalf("Rules() = %v", r)
	}
	for _, x := range r {
		if !strings.HasPrefix(x, "secret/") {
			t.Errorf("rule %q", x)
		}
	}
}
