package secrets

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/render-check/render-check/internal/check"
	"github.com/render-check/render-check/internal/config"
)

// Run is the secret check of `render-check check`: the repo's YAML/JSON
// files and every rendered resource are scanned for plaintext secrets and
// SOPS files are checked. SOPS MACs are verified with the age keys in
// SOPS_AGE_KEY / SOPS_AGE_KEY_FILE; without them that part is reported as
// skipped.
func Run(ctx context.Context, in *check.Input) (check.Result, error) {
	cfg := in.Config
	if cfg == nil {
		cfg = config.Default()
	}
	keys, err := KeysFromEnv(os.LookupEnv)
	if err != nil {
		return check.Result{}, err
	}
	opts := Options{Root: in.Root, Config: cfg.Secrets, Clusters: in.Clusters, Keys: keys}
	if in.Workspace != nil {
		if opts.Files, err = in.Workspace.Files(ctx); err != nil {
			return check.Result{}, err
		}
	}
	if in.ChangedFiles != nil {
		// changed-only run: scan the changed files and the selected apps'
		// output. Apps are only selected through changed files, so no
		// changed file means nothing to scan.
		if len(in.ChangedFiles) == 0 {
			return check.Result{}, nil
		}
		opts.Paths = in.ChangedFiles
	}
	res, err := Scan(ctx, opts)
	var cfgErr *ConfigError
	if errors.As(err, &cfgErr) {
		return check.Result{}, &check.ConfigError{Check: "secret", Err: err}
	}
	if err != nil {
		return check.Result{}, err
	}
	return check.Result{Findings: res.Findings, Skipped: strings.Join(res.Skipped, "; ")}, nil
}
