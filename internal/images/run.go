package images

import (
	"context"

	"github.com/render-check/render-check/internal/check"
	"github.com/render-check/render-check/internal/config"
)

// Run is the image check of `render-check check`: every image in the
// rendered output exists in its registry. Mode off skips it; warn reports
// registry failures as warnings.
func Run(ctx context.Context, in *check.Input) (check.Result, error) {
	cfg := in.Config
	if cfg == nil {
		cfg = config.Default()
	}
	mode := in.Images
	if mode == "" {
		mode = cfg.Images.Mode
	}
	if mode == ModeOff {
		return check.Result{Skipped: "--images off"}, nil
	}
	icfg := cfg.Images
	if len(in.Platforms) > 0 {
		icfg.Platforms = in.Platforms
	}
	fs, err := Check(ctx, in.Clusters, Options{Root: in.Root, Config: icfg, Mode: mode, Progress: in.Progress, Verdicts: in.Verdicts})
	if err != nil {
		return check.Result{}, err
	}
	return check.Result{Findings: fs}, nil
}
