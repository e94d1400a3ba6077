package rendercache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// Sum is a named content hash.
type Sum struct{ Name, Hash string }

// Entry is what is stored under a key: the inputs the render actually read
// with their hashes, and the serialized result.
type Entry struct {
	// Files are repo-relative files read and their git blob ids.
	Files []Sum
	// Dirs are repo-relative directories whose listing the result depends
	// on, and the hash of that listing (Absent when the directory was not
	// there).
	Dirs []Sum
	// Remotes are chart archives in the chart cache (absolute paths) and
	// their sha256.
	Remotes []Sum
	// Flags are facts of the render its user replays on a hit.
	Flags []string
	// Result is the render result, encoded by its user.
	Result []byte
}

// Absent is the hash of a path that does not exist.
const Absent = "absent"

func encodeSums(e *Encoder, s []Sum) {
	e.Len(len(s), false)
	for _, x := range s {
		e.String(x.Name)
		e.String(x.Hash)
	}
}

func decodeSums(d *Decoder) []Sum {
	n, _ := d.Len()
	if n == 0 {
		return nil
	}
	out := make([]Sum, 0, n)
	for i := 0; i < n && !d.r.Failed(); i++ {
		out = append(out, Sum{Name: d.String(), Hash: d.String()})
	}
	return out
}

// encode returns the payload of the entry.
func (e *Entry) encode() []byte {
	var enc Encoder
	encodeSums(&enc, e.Files)
	encodeSums(&enc, e.Dirs)
	encodeSums(&enc, e.Remotes)
	enc.Strings(e.Flags)
	enc.Raw(e.Result)
	return enc.Bytes()
}

func decodeEntry(b []byte) (*Entry, error) {
	d := NewDecoder(b)
	e := &Entry{Files: decodeSums(d), Dirs: decodeSums(d), Remotes: decodeSums(d), Flags: d.Strings(), Result: d.Raw()}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// Checker hashes the current state of the checkout and the chart cache,
// once per path and run: what an Entry is verified against, and what a new
// one records.
type Checker struct {
	fs *rootfs.FS
	ws *workspace.Workspace
	// overlaid are paths whose content the render sees from memory: never
	// git's blob id of the file on disk
	overlaid map[string]bool
	mu       sync.Mutex
	files    map[string]string
	dirs     map[string]string
	arch     map[string]string
}

// NewChecker hashes through the rooted filesystem of the checkout (which
// serves overlay, the repo-relative files a render sees from memory); file
// hashes are the workspace's git blob ids where git knows them and the file
// is not overlaid.
func NewChecker(rfs *rootfs.FS, ws *workspace.Workspace, overlay map[string][]byte) *Checker {
	c := &Checker{fs: rfs, ws: ws, overlaid: map[string]bool{}, files: map[string]string{}, dirs: map[string]string{}, arch: map[string]string{}}
	for p := range overlay {
		c.overlaid[p] = true
	}
	return c
}

// maxHashedFile bounds a file hashed outside git's list (larger: never
// equal, the app is rendered).
const maxHashedFile = 256 << 20

// validRel reports whether rel is a clean repo-relative slash path (entries
// are read from disk: their names are not trusted).
func validRel(rel string) bool {
	return rel == "." || (rel != "" && filepath.IsLocal(rel) && path.Clean(rel) == rel && !strings.Contains(rel, "\\"))
}

// FileHash is the content hash of a repo-relative file ("" when it cannot
// be read: no entry matches it).
func (c *Checker) FileHash(rel string) string {
	if !validRel(rel) {
		return ""
	}
	if h, ok := c.ws.TrackedHash(rel); ok && !c.overlaid[rel] {
		return h
	}
	c.mu.Lock()
	h, ok := c.files[rel]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = ""
	if st, err := c.fs.Stat(rel); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			h = Absent
		}
	} else if st.Mode().IsRegular() && st.Size() <= maxHashedFile {
		if data, err := c.fs.ReadFile(rel); err == nil {
			h = workspace.BlobID(data)
		}
	}
	c.mu.Lock()
	c.files[rel] = h
	c.mu.Unlock()
	return h
}

// DirHash is the hash of a repo-relative directory's listing (names and
// kinds), Absent when it does not exist, "" when it cannot be read.
func (c *Checker) DirHash(rel string) string {
	if !validRel(rel) {
		return ""
	}
	c.mu.Lock()
	h, ok := c.dirs[rel]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = ""
	ents, err := c.fs.ReadDir(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		h = Absent
	case err == nil:
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			names = append(names, e.Name()+"\x00"+e.Type().Type().String())
		}
		sort.Strings(names)
		sum := sha256.Sum256([]byte(strings.Join(names, "\n")))
		h = hex.EncodeToString(sum[:])
	}
	c.mu.Lock()
	c.dirs[rel] = h
	c.mu.Unlock()
	return h
}

// ArchiveHash is the sha256 of a chart archive in the chart cache ("" when
// it cannot be read).
func (c *Checker) ArchiveHash(abs string) string {
	if !filepath.IsAbs(abs) || filepath.Clean(abs) != abs {
		return ""
	}
	c.mu.Lock()
	h, ok := c.arch[abs]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = ""
	if st, err := os.Lstat(abs); err == nil && st.Mode().IsRegular() && st.Size() <= maxHashedFile {
		if f, err := os.Open(abs); err == nil {
			s := sha256.New()
			if _, err := io.Copy(s, io.LimitReader(f, maxHashedFile)); err == nil {
				h = hex.EncodeToString(s.Sum(nil))
			}
			f.Close()
		}
	}
	c.mu.Lock()
	c.arch[abs] = h
	c.mu.Unlock()
	return h
}

// Valid reports whether every input of the entry is unchanged.
func (c *Checker) Valid(e *Entry) bool {
	for _, f := range e.Files {
		if h := c.FileHash(f.Name); h == "" || h != f.Hash {
			return false
		}
	}
	for _, d := range e.Dirs {
		if h := c.DirHash(d.Name); h == "" || h != d.Hash {
			return false
		}
	}
	for _, r := range e.Remotes {
		if h := c.ArchiveHash(r.Name); h == "" || h != r.Hash {
			return false
		}
	}
	return true
}

// Build makes the entry of a render from what it read: files (repo-relative,
// the renderer's inputs plus the recorder's), the directory of every file
// and probe, every directory of a recorded tree, and the remote archives.
// plain are inputs whose directory listing does not matter (the
// Application's own manifest: adding a sibling app must not invalidate it).
// ok is false when an input cannot be hashed (the result is then not
// stored).
func (c *Checker) Build(root string, inputs, plain []string, rec Recorded, result []byte) (*Entry, bool) {
	rel := func(abs string) (string, bool) {
		r, err := filepath.Rel(root, abs)
		if err != nil || !filepath.IsLocal(r) && r != "." {
			return "", false
		}
		return filepath.ToSlash(r), true
	}
	files := map[string]bool{}
	dirs := map[string]bool{}
	for _, f := range inputs {
		files[f] = true
	}
	skipDir := map[string]bool{}
	for _, f := range plain {
		skipDir[f] = true
	}
	for _, f := range rec.Files {
		r, ok := rel(f)
		if !ok {
			return nil, false
		}
		files[r] = true
	}
	for _, d := range rec.Dirs {
		r, ok := rel(d)
		if !ok {
			return nil, false
		}
		dirs[r] = true
	}
	for _, p := range rec.Probes {
		r, ok := rel(p)
		if !ok {
			return nil, false
		}
		dirs[path.Dir(r)] = true
		switch st, err := c.fs.Stat(r); {
		case err == nil && st.IsDir():
			dirs[r] = true
		case err == nil || errors.Is(err, fs.ErrNotExist):
			files[r] = true // its content, or its absence
		default:
			return nil, false
		}
	}
	for _, t := range rec.Trees {
		r, ok := rel(t)
		if !ok {
			return nil, false
		}
		if err := c.walk(r, files, dirs); err != nil {
			return nil, false
		}
	}
	for f := range files {
		if !skipDir[f] {
			dirs[path.Dir(f)] = true
		}
	}
	e := &Entry{Flags: rec.Flags, Result: result}
	for _, f := range sortedKeys(files) {
		h := c.FileHash(f)
		if h == "" {
			return nil, false
		}
		e.Files = append(e.Files, Sum{Name: f, Hash: h})
	}
	for _, d := range sortedKeys(dirs) {
		h := c.DirHash(d)
		if h == "" {
			return nil, false
		}
		e.Dirs = append(e.Dirs, Sum{Name: d, Hash: h})
	}
	for _, a := range rec.Remotes {
		h := c.ArchiveHash(a)
		if h == "" {
			return nil, false
		}
		e.Remotes = append(e.Remotes, Sum{Name: a, Hash: h})
	}
	return e, true
}

// walk adds every file and directory under the repo-relative dir.
func (c *Checker) walk(dir string, files, dirs map[string]bool) error {
	dirs[dir] = true
	ents, err := c.fs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name() == ".git" {
			continue // git's own store: it changes with every commit
		}
		p := path.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if err := c.walk(p, files, dirs); err != nil {
				return err
			}
		case e.Type().IsRegular():
			files[p] = true
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
