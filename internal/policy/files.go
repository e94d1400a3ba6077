package policy

import (
	"context"

	"github.com/render-check/render-check/internal/repo"
)

// ListFiles returns the repo's files (see repo.Files).
func ListFiles(ctx context.Context, root string) ([]string, error) {
	return repo.Files(ctx, root)
}
