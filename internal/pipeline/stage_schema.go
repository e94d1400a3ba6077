package pipeline

import (
	"context"

	"github.com/render-check/render-check/internal/report"
)

// schemaStage is a placeholder until the schema check lands.
var schemaStage = Stage{Name: "schema", Run: func(context.Context, *Input) (findings []report.Finding, skipped string, err error) {
	return nil, "not implemented yet", nil
}}
