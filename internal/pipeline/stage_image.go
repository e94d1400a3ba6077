package pipeline

import (
	"context"

	"github.com/render-check/render-check/internal/report"
)

// imageStage is a placeholder until the image check lands.
var imageStage = Stage{Name: "image", Run: func(context.Context, *Input) (findings []report.Finding, skipped string, err error) {
	return nil, "not implemented yet", nil
}}
