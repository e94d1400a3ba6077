package policy

import (
	"context"

	checkapi "github.com/render-check/render-check/internal/check"
)

// Run is the repo check of `render-check check`: the repo/... rules.
func Run(ctx context.Context, in *checkapi.Input) (checkapi.Result, error) {
	fs, err := Check(ctx, Input{Root: in.Root, Config: in.Config, Workspace: in.Workspace, Clusters: in.Clusters, Verdicts: in.Verdicts})
	return checkapi.Result{Findings: fs}, err
}
