package workspace

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/render-check/render-check/internal/rootfs"
)

// Files lists the regular files of the checkout, relative to root with
// forward slashes, sorted: git's list (tracked plus untracked, not ignored)
// when root is inside a git work tree and not itself ignored, else a walk
// that skips .git directories. Files deleted in the work tree, symlinks and
// submodules are left out. Use a Workspace's Files to list once per run.
func Files(ctx context.Context, root string) ([]string, error) {
	rfs, err := rootfs.Open(root)
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	defer rfs.Close()
	list, err := listFiles(ctx, Git{Dir: root}, rfs.IOFS())
	if err != nil {
		return nil, err
	}
	return list.paths, nil
}

// fileList is the one file list of a checkout, with git's blob ids for the
// files whose content git already knows.
type fileList struct {
	paths []string
	// blobs maps a path to its git blob id when the file is tracked and
	// unmodified in the work tree.
	blobs map[string]string
	// sizes maps a listed path to its size when the listing stat-ed it
	// (git's untracked and modified files, every file of a walk).
	sizes map[string]int64
	// links are the symlinks the listing met where it would have listed a
	// file (git's tracked and untracked paths, the walk's entries), sorted:
	// not in paths, never followed by the listing.
	links []string
}

// listFiles lists the files of fsys, the checkout's root (g runs git there).
func listFiles(ctx context.Context, g Git, fsys fs.FS) (*fileList, error) {
	if l, ok := gitFiles(ctx, g, fsys); ok {
		return l, nil
	}
	l := &fileList{blobs: map[string]string{}, sizes: map[string]int64{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			l.links = append(l.links, p)
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		l.paths = append(l.paths, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	slices.Sort(l.paths)
	slices.Sort(l.links)
	return l, nil
}

// gitFiles asks git for the file list; ok is false when git cannot answer
// for root (no git, not a work tree, or root is ignored by its repository,
// e.g. a generated tree under an ignored build directory).
func gitFiles(ctx context.Context, g Git, fsys fs.FS) (*fileList, bool) {
	if out, err := g.Run(ctx, "rev-parse", "--is-inside-work-tree"); err != nil || strings.TrimSpace(out) != "true" {
		return nil, false
	}
	if _, err := g.Run(ctx, "check-ignore", "-q", "."); err == nil {
		return nil, false // root is ignored: git lists nothing in it
	}
	staged, err := g.Run(ctx, "ls-files", "-z", "--cached", "--stage", "-v")
	if err != nil {
		return nil, false
	}
	others, err := g.Run(ctx, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return nil, false
	}
	modified, err := g.Run(ctx, "ls-files", "-z", "--modified")
	if err != nil {
		return nil, false
	}
	changed := map[string]bool{}
	for _, f := range strings.Split(modified, "\x00") {
		changed[f] = true
	}
	l := &fileList{blobs: map[string]string{}, sizes: map[string]int64{}}
	// A path git tracks unmodified in the work tree (tag H: not
	// skip-worktree, not assume-unchanged, whose changes git would not
	// see; stage 0; not in --modified: not deleted, not a type change) is
	// what its index mode says: a regular file, a symlink or a submodule,
	// without a stat. Anything else is asked of the disk.
	var ask []string
	for _, e := range strings.Split(staged, "\x00") {
		// "<tag> <mode> <blob> <stage>\t<path>"
		meta, p, ok := strings.Cut(e, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) != 4 || f[0] != "H" || f[3] != "0" || changed[p] {
			ask = append(ask, p)
			continue
		}
		switch f[1] {
		case "100644", "100755":
			l.paths = append(l.paths, p)
			l.blobs[p] = f[2]
		case "120000":
			l.links = append(l.links, p)
		default:
			// a submodule (160000): not a file of this checkout
		}
	}
	for _, p := range strings.Split(others, "\x00") {
		if p != "" {
			ask = append(ask, p)
		}
	}
	slices.Sort(ask)
	for _, p := range slices.Compact(ask) {
		st, err := fs.Lstat(fsys, p)
		switch {
		case err != nil:
			// deleted in the work tree
		case st.Mode()&fs.ModeSymlink != 0:
			l.links = append(l.links, p)
		case st.Mode().IsRegular():
			l.paths = append(l.paths, p)
			l.sizes[p] = st.Size()
		}
	}
	slices.Sort(l.paths)
	l.paths = slices.Compact(l.paths)
	slices.Sort(l.links)
	l.links = slices.Compact(l.links)
	return l, true
}

// BlobID returns the git blob id of content: the SHA-1 of "blob <size>\0"
// and the bytes, as `git hash-object` computes it, so a file git tracks
// and a file it does not are hashed alike.
func BlobID(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// diskTree is the checkout as one walk of the disk sees it (not git's
// view): every directory's entries, ignored files and symlinks included.
// The walk never follows a symlink and does not descend into .git.
type diskTree struct {
	once sync.Once
	// dirs maps a directory (slash path, "." for the root) to its entries:
	// name -> type bits | 1 (never 0).
	dirs map[string]map[string]fs.FileMode
	// links are the symlinks met, in walk order.
	links []string
	err   error
}

// walkDisk walks fsys once (see diskTree).
func walkDisk(fsys fs.FS) (map[string]map[string]fs.FileMode, []string, error) {
	dirs := map[string]map[string]fs.FileMode{}
	var links []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return nil // an unreadable entry is reported by whoever reads it
		}
		if p != "." {
			parent := path.Dir(p)
			if dirs[parent] == nil {
				dirs[parent] = map[string]fs.FileMode{}
			}
			dirs[parent][d.Name()] = d.Type() | 1
		}
		switch {
		case d.IsDir() && d.Name() == ".git":
			return fs.SkipDir
		case d.IsDir():
			if dirs[p] == nil {
				dirs[p] = map[string]fs.FileMode{}
			}
		case d.Type()&fs.ModeSymlink != 0:
			links = append(links, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("walking the checkout: %w", err)
	}
	return dirs, links, nil
}
