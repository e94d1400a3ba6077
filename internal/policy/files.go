package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// ListFiles returns the repo's files, relative to root with forward slashes,
// sorted: `git ls-files` (tracked and untracked-but-not-ignored files that
// exist) when root is in a git work tree and git is installed, else a walk of
// root skipping .git directories.
func ListFiles(ctx context.Context, root string) ([]string, error) {
	if files, ok := gitFiles(ctx, root); ok {
		return files, nil
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

func gitFiles(ctx context.Context, root string) ([]string, bool) {
	git, err := exec.LookPath("git")
	if err != nil {
		return nil, false
	}
	cmd := exec.CommandContext(ctx, git, "-C", root, "rev-parse", "--is-inside-work-tree")
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		return nil, false
	}
	cmd = exec.CommandContext(ctx, git, "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	out, err = cmd.Output()
	if err != nil {
		return nil, false
	}
	var files []string
	for b := range bytes.SplitSeq(out, []byte{0}) {
		if len(b) == 0 {
			continue
		}
		rel := string(b)
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel))); errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree
		}
		files = append(files, rel)
	}
	slices.Sort(files)
	files = slices.Compact(files)
	return files, true
}
