package repo

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Files lists the regular files of the checkout, relative to root with
// forward slashes, sorted: git's list (tracked plus untracked, not ignored)
// when root is inside a git work tree and not itself ignored, else a walk
// that skips .git directories. Files deleted in the work tree, symlinks and
// submodules are left out.
func Files(ctx context.Context, root string) ([]string, error) {
	if files, ok := gitFiles(ctx, root); ok {
		return files, nil
	}
	var out []string
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
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// gitFiles asks git for the file list; ok is false when git cannot answer
// for root (no git, not a work tree, or root is ignored by its repository,
// e.g. a generated tree under an ignored build directory).
func gitFiles(ctx context.Context, root string) ([]string, bool) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, false
	}
	run := func(args ...string) (string, error) { return Git(ctx, root, args...) }
	if out, err := run("rev-parse", "--is-inside-work-tree"); err != nil || strings.TrimSpace(out) != "true" {
		return nil, false
	}
	if _, err := run("check-ignore", "-q", "."); err == nil {
		return nil, false // root is ignored: git lists nothing in it
	}
	out, err := run("ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, false
	}
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f == "" {
			continue
		}
		if st, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f))); err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, symlink or submodule
		}
		files = append(files, f)
	}
	slices.Sort(files)
	return slices.Compact(files), true
}
