package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
	var trustFindings []report.Finding
	if cfg.Trust.Untrusted && (cfg.Trust.RepoFile || !filepath.IsAbs(cfg.Secrets.Baseline)) {
		// a baseline in the checkout is the pull request's to edit: on an
		// untrusted run only a trusted config naming one outside it counts
		opts.NoBaseline = true
		bp := secrets.BaselinePath(in.Root, cfg.Secrets)
		if st, err := os.Stat(bp); err == nil && st.Mode().IsRegular() {
			rel, _ := filepath.Rel(in.Root, bp)
			trustFindings = append(trustFindings, report.Finding{
				Rule: "repo/untrusted-setting", Severity: report.SeverityWarning, File: filepath.ToSlash(rel),
				Message: "the secrets baseline in the checkout is not applied: this is an untrusted run (" + cfg.Trust.Reason +
					"); name a baseline outside the checkout with secrets.baseline in --config FILE from a trusted checkout (docs/security.md)",
			})
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
	return append(trustFindings, res.Findings...), strings.Join(res.Skipped, "; "), nil
}
