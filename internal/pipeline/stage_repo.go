package pipeline

import (
	"context"

	"github.com/render-check/render-check/internal/policy"
	"github.com/render-check/render-check/internal/report"
)

// repoStage runs the repo/... policy rules (internal/policy).
var repoStage = Stage{Name: "repo", Run: func(ctx context.Context, in *Input) (findings []report.Finding, skipped string, err error) {
	fs, err := policy.Check(ctx, policy.Input{Root: in.Root, Config: in.Config, Workspace: in.Workspace, Clusters: in.Clusters})
	return fs, "", err
}}
