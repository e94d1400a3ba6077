package pipeline

import (
	"context"
	"os"
	"strings"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/secrets"
)

// secretStage scans the repo's tracked YAML/JSON files and every rendered
// resource for plaintext secrets and checks SOPS files (internal/secrets).
// SOPS MACs are verified with the age keys in SOPS_AGE_KEY /
// SOPS_AGE_KEY_FILE; without them that part is reported as skipped.
var secretStage = Stage{Name: "secret", Run: runSecretStage}

func runSecretStage(ctx context.Context, in *Input) ([]report.Finding, string, error) {
	cfg := in.Config
	if cfg == nil {
		cfg = config.Default()
	}
	keys, err := secrets.KeysFromEnv(os.LookupEnv)
	if err != nil {
		return nil, "", err
	}
	res, err := secrets.Scan(ctx, secrets.Options{Root: in.Root, Config: cfg.Secrets, Clusters: in.Clusters, Keys: keys})
	if err != nil {
		return nil, "", err
	}
	return res.Findings, strings.Join(res.Skipped, "; "), nil
}
