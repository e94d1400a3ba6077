package pipeline

import (
	"context"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/report"
)

// imageStage verifies that every image in the rendered output exists in its
// registry (internal/images). --images off skips it; warn reports registry
// failures as warnings.
var imageStage = Stage{Name: "image", Run: runImageStage}

func runImageStage(ctx context.Context, in *Input) ([]report.Finding, string, error) {
	cfg := in.Config
	if cfg == nil {
		cfg = config.Default()
	}
	mode := ""
	if in.Options != nil {
		mode = in.Options.Images
	}
	if mode == "" {
		mode = cfg.Images.Mode
	}
	if mode == images.ModeOff {
		return nil, "--images off", nil
	}
	icfg := cfg.Images
	if in.Options != nil && len(in.Options.Platforms) > 0 {
		icfg.Platforms = in.Options.Platforms
	}
	fs, err := images.Check(ctx, in.Clusters, images.Options{Root: in.Root, Config: icfg, Mode: mode})
	if err != nil {
		return nil, "", err
	}
	return fs, "", nil
}
