package rootfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Create opens path for writing (created, truncated) without following a
// symlink: not at path itself, and not in any directory on the way that is
// inside guard (the checkout, whose symlinks a pull request chose; "" for
// none). Missing directories are created.
func Create(path, guard string) (*os.File, error) {
	return openNoFollow(path, guard, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
}

// Append is Create for appending (a job summary, a Markdown report).
func Append(path, guard string) (*os.File, error) {
	return openNoFollow(path, guard, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
}

func openNoFollow(path, guard string, flag int) (*os.File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if guard != "" {
		g, err := filepath.Abs(guard)
		if err != nil {
			return nil, err
		}
		if rel, err := filepath.Rel(g, abs); err == nil && filepath.IsLocal(rel) {
			p := g
			for _, part := range splitPath(filepath.Dir(rel)) {
				p = filepath.Join(p, part)
				st, err := os.Lstat(p)
				if err != nil {
					break // created below
				}
				if st.Mode()&fs.ModeSymlink != 0 {
					return nil, fmt.Errorf("refusing to write %s: %s is a symlink in the checkout", path, p)
				}
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, err
	}
	if st, err := os.Lstat(abs); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("refusing to write %s: it is a symlink", path)
	}
	return os.OpenFile(abs, flag|oNoFollow, 0o644)
}

func splitPath(rel string) []string {
	if rel == "." || rel == "" {
		return nil
	}
	var parts []string
	for rel != "." && rel != string(filepath.Separator) && rel != "" {
		parts = append([]string{filepath.Base(rel)}, parts...)
		rel = filepath.Dir(rel)
	}
	return parts
}

// WriteIn writes data to rel inside dir through an os.Root: nothing is
// written outside dir, also not through a symlink in it, and rel itself is
// never a symlink.
func WriteIn(dir, rel string, data []byte) error {
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("refusing to write %q: not a path inside %s", rel, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	if d := filepath.Dir(rel); d != "." {
		if err := r.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if st, err := r.Lstat(rel); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("refusing to write %s: it is a symlink", filepath.Join(dir, rel))
	}
	f, err := r.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|oNoFollow, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
