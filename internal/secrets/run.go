package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/render-check/render-check/internal/check"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
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
	opts := Options{Root: in.Root, Config: cfg.Secrets, Clusters: in.Clusters, Keys: keys, Verdicts: in.Verdicts}
	if ws := in.Workspace; ws != nil {
		if opts.Files, err = ws.Files(ctx); err != nil {
			return check.Result{}, err
		}
		opts.Hash = func(rel string) (string, bool) {
			h, err := ws.Hash(ctx, rel)
			return h, err == nil && h != ""
		}
	}
	var trustFindings []report.Finding
	if cfg.Trust.Untrusted && (cfg.Trust.RepoFile || !filepath.IsAbs(cfg.Secrets.Baseline)) {
		// a baseline in the checkout is the pull request's to edit: on an
		// untrusted run only a trusted config naming one outside it counts
		opts.NoBaseline = true
		bp := BaselinePath(in.Root, cfg.Secrets)
		if st, err := os.Stat(bp); err == nil && st.Mode().IsRegular() {
			rel, _ := filepath.Rel(in.Root, bp)
			trustFindings = append(trustFindings, report.Finding{
				Rule: report.RuleRepoUntrusted, Severity: report.SeverityWarning, File: filepath.ToSlash(rel),
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
	return check.Result{Findings: append(trustFindings, res.Findings...), Skipped: strings.Join(res.Skipped, "; ")}, nil
}
