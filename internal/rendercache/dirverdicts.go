package rendercache

import (
	"context"
	"path"
)

// DirStage is a check of repo files whose per-file results are kept in the
// verdict store, one entry per directory: the key holds Key's parts, the
// directory, and the name and content hash of each of its files, so a
// directory whose files are unchanged is neither read nor checked again.
type DirStage[T any] struct {
	// Key adds what besides the files decides their results (the stage's
	// format name, its settings).
	Key func(*KeyBuilder)
	// Hash is a file's content hash (git's blob id); false: the file is
	// checked on every run.
	Hash func(file string) (string, bool)
	// Check checks one file; false: its result may not be kept, nor those
	// of its directory.
	Check func(file string) (T, bool)
	// Encode writes the results of one directory's files, in order; false:
	// they are not kept.
	Encode func([]T) ([]byte, bool)
	// Decode reads what Encode wrote for files; false: the entry is
	// corrupt (counted, and the files checked again).
	Decode func(b []byte, files []string) ([]T, bool)
}

// Run sets results[f] for every file of files, from the store or from
// Check; it stops with ctx's error when ctx is done.
func (s DirStage[T]) Run(ctx context.Context, v *Verdicts, files []string, results map[string]T) error {
	type dir struct {
		files, hashes []string
	}
	dirs := map[string]*dir{}
	var order []string
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, ok := s.Hash(f)
		if !ok {
			results[f], _ = s.Check(f)
			continue
		}
		dn := path.Dir(f)
		d := dirs[dn]
		if d == nil {
			d = &dir{}
			dirs[dn] = d
			order = append(order, dn)
		}
		d.files = append(d.files, f)
		d.hashes = append(d.hashes, h)
	}
	for _, dn := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := dirs[dn]
		k := NewKey()
		s.Key(k)
		k.String("dir", dn)
		for i, f := range d.files {
			k.String("file", path.Base(f))
			k.String("hash", d.hashes[i])
		}
		key := k.Sum()
		if b, ok := v.Get(key); ok {
			if rs, ok := s.Decode(b, d.files); ok {
				for i, f := range d.files {
					results[f] = rs[i]
				}
				continue
			}
			v.Corrupt()
		}
		rs := make([]T, len(d.files))
		keep := true
		for i, f := range d.files {
			var ok bool
			rs[i], ok = s.Check(f)
			keep = keep && ok
			results[f] = rs[i]
		}
		if keep {
			if b, ok := s.Encode(rs); ok {
				v.Put(key, b)
			}
		}
	}
	return nil
}
