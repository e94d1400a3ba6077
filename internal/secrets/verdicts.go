package secrets

import (
	"context"
	"path"
	"slices"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/resource"
)

// Layouts of the verdicts kept in the verdict cache; change one when its
// layout or what its key holds changes.
const (
	filesFormat    = "secret-files/1"
	renderedFormat = "secret-rendered/1"
)

// What a stored verdict says about one file or object.
const (
	// verdictHits: the hits follow (possibly none).
	verdictHits = iota
	// verdictRescan: the verdict depends on more than the content (a SOPS
	// file, whose MAC check depends on the keys at hand; a kustomization
	// whose secretGenerator reads other files): scan it every run.
	verdictRescan
	// verdictSkip: a rendered object that does not encode as YAML.
	verdictSkip
)

// A stored verdict holds hits as they are reported: rule, place, key path,
// fingerprint and message. A hit never holds a secret's value (see hit), so
// neither does the verdict cache.
func encodeHit(e *rendercache.Encoder, h hit) {
	e.String(h.rule)
	e.String(h.file)
	e.Int(h.line)
	e.Int(h.doc)
	e.String(h.keyPath)
	e.Len(len(h.path), h.path == nil)
	for _, p := range h.path {
		e.Bool(p.isIdx)
		e.String(p.key)
		e.Int(p.index)
	}
	e.String(h.fp)
	e.String(h.msg)
}

func decodeHit(d *rendercache.Decoder) hit {
	h := hit{rule: d.String(), file: d.String(), line: d.Int(), doc: d.Int(), keyPath: d.String()}
	n, isNil := d.Len()
	if !isNil {
		h.path = make([]pathElem, 0, n)
	}
	for i := 0; i < n; i++ {
		h.path = append(h.path, pathElem{isIdx: d.Bool(), key: d.String(), index: d.Int()})
	}
	h.fp, h.msg = d.String(), d.String()
	return h
}

// verdict is what a scan decided about one file or object.
type verdict struct {
	kind int
	hits []hit
}

func encodeVerdicts(vs []verdict) []byte {
	var e rendercache.Encoder
	e.Len(len(vs), false)
	for _, v := range vs {
		e.Int(v.kind)
		if v.kind != verdictHits {
			e.Len(0, false) // a rescan's hits are this run's only
			continue
		}
		e.Len(len(v.hits), false)
		for _, h := range v.hits {
			encodeHit(&e, h)
		}
	}
	return e.Bytes()
}

// decodeVerdicts reads n verdicts; false when the entry does not hold
// exactly that.
func decodeVerdicts(b []byte, n int) ([]verdict, bool) {
	d := rendercache.NewDecoder(b)
	m, _ := d.Len()
	if m != n {
		return nil, false
	}
	vs := make([]verdict, 0, n)
	for i := 0; i < n; i++ {
		v := verdict{kind: d.Int()}
		k, _ := d.Len()
		for j := 0; j < k; j++ {
			v.hits = append(v.hits, decodeHit(d))
		}
		if v.kind < verdictHits || v.kind > verdictSkip {
			return nil, false
		}
		vs = append(vs, v)
	}
	if d.Err() != nil {
		return nil, false
	}
	return vs, true
}

func (s *scanner) getVerdicts(k rendercache.Key, n int) ([]verdict, bool) {
	b, ok := s.verdicts.Get(k)
	if !ok {
		return nil, false
	}
	vs, ok := decodeVerdicts(b, n)
	if !ok {
		s.verdicts.Corrupt()
	}
	return vs, ok
}

// scanFiles runs the source rules over files (in order). With the verdict
// cache, the files of a directory whose names and contents (git blob ids)
// are unchanged, under unchanged .sops.yaml rules, are not read again: the
// directory's stored hits are used.
func (s *scanner) scanFiles(ctx context.Context, all, files []string) error {
	if s.verdicts == nil || s.hash == nil {
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			s.scanPath(f)
		}
		return nil
	}
	// the .sops.yaml rules decide which files must be encrypted
	sops := rendercache.NewKey()
	sops.String("stage", filesFormat)
	for _, f := range all {
		if path.Base(f) != ".sops.yaml" {
			continue
		}
		h, ok := s.hash(f)
		if !ok {
			return s.scanFilesUncached(ctx, files)
		}
		sops.String("sops", f)
		sops.String("hash", h)
	}
	base := sops.Sum()
	type dir struct {
		files []string // hashed files, in order
		key   rendercache.Key
		got   map[string]verdict
		put   bool
	}
	dirs := map[string]*dir{}
	var order []string
	hashes := map[string]string{}
	for _, f := range files {
		h, ok := s.hash(f)
		if !ok {
			continue // scanned every run
		}
		hashes[f] = h
		dn := path.Dir(f)
		d := dirs[dn]
		if d == nil {
			d = &dir{}
			dirs[dn] = d
			order = append(order, dn)
		}
		d.files = append(d.files, f)
	}
	for _, dn := range order {
		d := dirs[dn]
		k := rendercache.NewKey()
		k.Bytes("sops", base[:])
		k.String("dir", dn)
		for _, f := range d.files {
			k.String("file", path.Base(f))
			k.String("hash", hashes[f])
		}
		d.key = k.Sum()
		d.got = map[string]verdict{}
		if vs, ok := s.getVerdicts(d.key, len(d.files)); ok {
			for i, f := range d.files {
				d.got[f] = vs[i]
			}
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := dirs[path.Dir(f)]
		_, hashed := hashes[f]
		var known bool
		if hashed {
			var v verdict
			if v, known = d.got[f]; known && v.kind == verdictHits {
				s.hits = append(s.hits, v.hits...)
				continue
			}
		}
		from := len(s.hits)
		s.current, s.foreign = f, false
		s.scanPath(f)
		s.current = ""
		if !hashed || known {
			continue // a rescan verdict, or a file not hashed
		}
		v := verdict{kind: verdictHits, hits: slices.Clone(s.hits[from:])}
		if lf, ok := s.files[f]; s.foreign || (ok && s.isSopsEncrypted(lf)) {
			v = verdict{kind: verdictRescan}
		}
		d.got[f] = v
		d.put = true
	}
	for _, dn := range order {
		d := dirs[dn]
		if !d.put {
			continue
		}
		vs := make([]verdict, len(d.files))
		for i, f := range d.files {
			vs[i] = d.got[f]
		}
		s.verdicts.Put(d.key, encodeVerdicts(vs))
	}
	return nil
}

func (s *scanner) scanFilesUncached(ctx context.Context, files []string) error {
	v := s.verdicts
	s.verdicts = nil
	defer func() { s.verdicts = v }()
	return s.scanFiles(ctx, nil, files)
}

// renderedKey keys the scan verdicts of one app's objects (in order) by
// their content; false when one cannot be keyed.
func renderedKey(objs []*resource.Resource, sums []resource.Sum) (rendercache.Key, bool) {
	k := rendercache.NewKey()
	k.String("stage", renderedFormat)
	for i, r := range objs {
		sum, ok := resource.ContentSum(r.Object)
		if !ok {
			return rendercache.Key{}, false
		}
		sums[i] = sum
		k.Bytes("object", sum[:])
	}
	return k.Sum(), true
}
