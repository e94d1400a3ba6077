package pipeline

import (
	"context"
	"errors"
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
	opts := secrets.Options{Root: in.Root, Config: cfg.Secrets, Clusters: in.Clusters, Keys: keys}
	if in.Workspace != nil {
		if opts.Files, err = in.Workspace.Files(ctx); err != nil {
			return nil, "", err
		}
	}
	if in.ChangedFiles != nil {
		// changed-only run: scan the changed files and the selected apps'
		// output. Apps are only selected through changed files, so no
		// changed file means nothing to scan.
		if len(in.ChangedFiles) == 0 {
			return nil, "", nil
		}
		opts.Paths = in.ChangedFiles
	}
	res, err := secrets.Scan(ctx, opts)
	var cfgErr *secrets.ConfigError
	if errors.As(err, &cfgErr) {
		return nil, "", &ConfigError{Stage: "secret", Err: err}
	}
	if err != nil {
		return nil, "", err
	}
	return res.Findings, strings.Join(res.Skipped, "; "), nil
}
