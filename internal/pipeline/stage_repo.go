package pipeline

import (
	"context"

	"github.com/render-check/render-check/internal/report"
)

// repoStage is a placeholder until the repo check lands.
var repoStage = Stage{Name: "repo", Run: func(context.Context, *Input) (findings []report.Finding, skipped string, err error) {
	return nil, "not implemented yet", nil
}}
