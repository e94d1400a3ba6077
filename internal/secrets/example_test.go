package secrets

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/render-check/render-check/internal/secrets/sopstest"
)

var updateExample = flag.Bool("update-example", false, "rewrite the SOPS-encrypted example Secret in testdata/clusters")

const (
	exampleRoot   = "../../testdata/clusters"
	exampleSecret = "clusters/erp-saas-prod/secrets/billing-db.enc.yaml"
	// exampleKey is the TEST-ONLY age identity of the example repo's SOPS
	// files. It protects nothing but demo data.
	exampleKey = "testdata/example-age-key.txt"
)

const examplePlain = `# Billing database credentials, SOPS-encrypted (age). Decrypted in the
# cluster; render-check verifies the MAC when SOPS_AGE_KEY_FILE is set.
apiVersion: v1
kind: Secret
metadata:
    name: billing-db
    namespace: billing
type: Opaque
stringData:
    username: billing
    password: demo-only-not-a-real-password
`

// TestExampleRepo scans the example config repo with its test key: the
// SOPS file verifies and nothing else is flagged.
func TestExampleRepo(t *testing.T) {
	keyText, err := os.ReadFile(exampleKey)
	if err != nil {
		t.Fatal(err)
	}
	if *updateExample {
		ids, err := age.ParseIdentities(strings.NewReader(string(keyText)))
		if err != nil {
			t.Fatal(err)
		}
		x := ids[0].(*age.X25519Identity)
		out, err := sopstest.Encrypt([]byte(examplePlain), sopstest.Options{
			Recipients: []*age.X25519Recipient{x.Recipient()}, EncryptedRegex: "^(data|stringData)$"})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(exampleRoot, filepath.FromSlash(exampleSecret))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := ParseKeys(string(keyText), exampleKey)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(exampleRoot)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), Options{Root: root, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || len(res.Skipped) != 0 || res.SopsFiles < 1 {
		t.Fatalf("example repo: findings %v skipped %q sops files %d", res.Findings, res.Skipped, res.SopsFiles)
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(exampleSecret)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "demo-only-not-a-real-password") {
		t.Fatal("example Secret is not encrypted")
	}
	// without the key the MAC check is reported as skipped, never passed
	res, err = Scan(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || len(res.Skipped) != 1 {
		t.Fatalf("without key: findings %v skipped %q", res.Findings, res.Skipped)
	}
}
