package policy

import (
	"context"

	"github.com/render-check/render-check/internal/workspace"
)

// ListFiles returns the repo's files (see workspace.Files).
func ListFiles(ctx context.Context, root string) ([]string, error) {
	return workspace.Files(ctx, root)
}
