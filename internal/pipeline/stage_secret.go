package pipeline

import (
	"context"

	"github.com/render-check/render-check/internal/report"
)

// secretStage is a placeholder until the secret check lands.
var secretStage = Stage{Name: "secret", Run: func(context.Context, *Input) (findings []report.Finding, skipped string, err error) {
	return nil, "not implemented yet", nil
}}
