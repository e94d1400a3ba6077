package rendercache

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// A store keeps its entries in pack files, <store dir>/<namespace>/pack-<random>.rcp:
// creating a file costs far more than writing its bytes (a cold check of
// 600 apps writes about 2,000 entries, and one file each took a third of
// its CPU), so a run appends everything it stores to one temporary file
// and renames it into place when it closes. A pack is never changed after
// that; Close merges small packs and evicts the least recently used
// entries when the namespace holds too many packs or too many bytes.
//
// Layout (integers little endian):
//
//	header   magic "RCPACK\x00\x01" (8), FormatVersion (4), reserved (4),
//	         creation time (8, Unix nanoseconds; of a merged pack, that of
//	         the newest pack merged)
//	records  key (32), sha256 of the payload (32), payload length (8), payload
//	index    per record: key (32), record offset (8), payload length (8)
//	trailer  index offset (8), record count (8), sha256 of the index (32), magic (8)
//
// Every read checks the trailer and the index's hash when the pack is
// opened, and the record's key, length and payload hash when an entry is
// read: a corrupt, truncated, foreign or outdated pack or record is ignored
// (and counted), never used.
var packMagic = [8]byte{'R', 'C', 'P', 'A', 'C', 'K', 0, 1}

const (
	packHeaderSize  = 24
	recordHeadSize  = 32 + 32 + 8
	indexEntrySize  = 32 + 8 + 8
	packTrailerSize = 8 + 8 + 32 + 8
	// maxPacks is the number of packs of a namespace above which Close
	// merges them.
	maxPacks = 8
	// maxIndexBytes bounds an index read (a hostile cache file cannot
	// exhaust memory).
	maxIndexBytes = 64 << 20
)

// RecordHeaderSize is the size of a record's header in a pack, before its
// payload: key (32 bytes), sha256 of the payload (32), payload length (8,
// little endian).
const RecordHeaderSize = recordHeadSize

// PackEntry is one record of a pack file, as its index lists it.
type PackEntry struct {
	// Key is the entry's key.
	Key Key
	// Offset is where the record (its header, then the payload) starts.
	Offset int64
	// Size is the payload's length.
	Size int64
}

// pack is an opened pack file.
type pack struct {
	path    string
	ns      string
	f       *os.File
	size    int64
	mod     time.Time // last used (Close marks the packs a run used)
	created int64     // when written: of two records of a key, the newer pack's wins
	entries []PackEntry
}

// loc is where a record is.
type loc struct {
	p   *pack
	off int64
	n   int64
}

// packWriter is the pack a run is writing.
type packWriter struct {
	f     *os.File
	off   int64
	index []PackEntry
	at    map[Key]int // index position of each key's latest record
	err   error
}

func (s *store) nsDir(ns string) string { return filepath.Join(s.dir, ns) }

// load opens the packs of the namespaces the run reads, once; a pack that
// is not one, or of another format version, counts as one ignored entry.
func (s *store) load() {
	s.loadOnce.Do(func() {
		s.index = map[Key][]loc{}
		for _, ns := range s.read {
			packs, bad := openPacks(s.nsDir(ns), ns)
			s.ignored.Add(int64(bad))
			s.packs = append(s.packs, packs...)
			for _, p := range packs { // newest first: the first good record of a key wins
				for _, e := range p.entries {
					s.index[e.Key] = append(s.index[e.Key], loc{p, e.Offset, e.Size})
				}
			}
		}
	})
}

// isPackName reports whether name is a pack's file name.
func isPackName(name string) bool {
	return strings.HasPrefix(name, "pack-") && strings.HasSuffix(name, ".rcp")
}

// openPacks opens the packs of dir, newest first; bad counts the files
// that are not valid packs of this format version.
func openPacks(dir, ns string) (packs []*pack, bad int) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0
	}
	for _, de := range des {
		if !de.Type().IsRegular() || !isPackName(de.Name()) {
			continue
		}
		p, err := openPack(filepath.Join(dir, de.Name()), ns)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// merged and removed by a concurrent run
		case err != nil:
			bad++
		default:
			packs = append(packs, p)
		}
	}
	sortNewestFirst(packs)
	return packs, bad
}

// sortNewestFirst orders packs by creation, the newest first.
func sortNewestFirst(packs []*pack) {
	sort.SliceStable(packs, func(i, j int) bool {
		if packs[i].created != packs[j].created {
			return packs[i].created > packs[j].created
		}
		return packs[i].path > packs[j].path
	})
}

// sortRecentlyUsedFirst orders packs by last use, the most recent first.
func sortRecentlyUsedFirst(packs []*pack) {
	sort.SliceStable(packs, func(i, j int) bool {
		if !packs[i].mod.Equal(packs[j].mod) {
			return packs[i].mod.After(packs[j].mod)
		}
		return packs[i].created > packs[j].created
	})
}

// openPack opens a pack and reads its index.
func openPack(path, ns string) (*pack, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	p, err := readPack(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.path, p.ns = path, ns
	return p, nil
}

func readPack(f *os.File) (*pack, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if !st.Mode().IsRegular() || size < packHeaderSize+packTrailerSize {
		return nil, ErrCorrupt
	}
	var head [packHeaderSize]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, ErrCorrupt
	}
	if !bytes.Equal(head[:8], packMagic[:]) || binary.LittleEndian.Uint32(head[8:12]) != FormatVersion {
		return nil, ErrCorrupt // not a pack, or an outdated one
	}
	var tr [packTrailerSize]byte
	if _, err := f.ReadAt(tr[:], size-packTrailerSize); err != nil {
		return nil, ErrCorrupt
	}
	idxOff := binary.LittleEndian.Uint64(tr[0:8])
	count := binary.LittleEndian.Uint64(tr[8:16])
	if !bytes.Equal(tr[48:56], packMagic[:]) || count > maxIndexBytes/indexEntrySize ||
		idxOff < packHeaderSize || idxOff > uint64(size) || idxOff+count*indexEntrySize != uint64(size-packTrailerSize) {
		return nil, ErrCorrupt // truncated, or not written to the end
	}
	idx := make([]byte, count*indexEntrySize)
	if _, err := f.ReadAt(idx, int64(idxOff)); err != nil {
		return nil, ErrCorrupt
	}
	if sum := sha256.Sum256(idx); !bytes.Equal(sum[:], tr[16:48]) {
		return nil, ErrCorrupt
	}
	p := &pack{f: f, size: size, mod: st.ModTime(), created: int64(binary.LittleEndian.Uint64(head[16:24])), entries: make([]PackEntry, count)}
	for i := range p.entries {
		b := idx[i*indexEntrySize:]
		e := &p.entries[i]
		copy(e.Key[:], b[:32])
		off, n := binary.LittleEndian.Uint64(b[32:40]), binary.LittleEndian.Uint64(b[40:48])
		if off < packHeaderSize || n > maxEntrySize || off+recordHeadSize+n > idxOff {
			return nil, ErrCorrupt
		}
		e.Offset, e.Size = int64(off), int64(n)
	}
	return p, nil
}

// readRecord reads and checks the record of k at off (payload length n).
func readRecord(r io.ReaderAt, k Key, off, n int64) ([]byte, error) {
	buf := make([]byte, recordHeadSize+n)
	if _, err := r.ReadAt(buf, off); err != nil {
		return nil, ErrCorrupt
	}
	payload := buf[recordHeadSize:]
	switch {
	case !bytes.Equal(buf[:32], k[:]):
		return nil, ErrCorrupt // foreign: another key's record
	case binary.LittleEndian.Uint64(buf[64:72]) != uint64(n):
		return nil, ErrCorrupt // truncated or overlong
	}
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], buf[32:64]) {
		return nil, ErrCorrupt
	}
	return payload, nil
}

// PackIndex lists the records of the pack file at path, for tools and
// tests that look into a cache directory. Records are laid out as
// RecordHeaderSize bytes of header, then the payload.
func PackIndex(path string) ([]PackEntry, error) {
	p, err := openPack(path, "")
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", path, err)
	}
	p.f.Close()
	return p.entries, nil
}

// get returns the payload stored under k: what this run stored first, then
// the trusted namespace, then (an untrusted run) the untrusted one, the
// newest pack first. A bad record is counted as ignored, a missing one is
// not.
func (s *store) get(k Key) ([]byte, bool) {
	s.mu.Lock()
	if w := s.out; w != nil && w.err == nil {
		if i, ok := w.at[k]; ok {
			e := w.index[i]
			s.mu.Unlock()
			if payload, err := readRecord(w.f, k, e.Offset, e.Size); err == nil {
				return payload, true
			}
			s.ignored.Add(1)
			return nil, false
		}
	}
	s.mu.Unlock()
	s.load()
	for _, l := range s.index[k] {
		payload, err := readRecord(l.p.f, k, l.off, l.n)
		if err != nil {
			s.ignored.Add(1)
			continue // an older record of the key may be good
		}
		s.mu.Lock()
		if s.used == nil {
			s.used = map[Key]*pack{}
		}
		s.used[k] = l.p
		s.mu.Unlock()
		return payload, true
	}
	return nil, false
}

// put appends payload under k to the pack this run writes; a payload over
// the entry bound is not stored.
func (s *store) put(k Key, payload []byte) error {
	if len(payload) > maxEntrySize {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("cache closed")
	}
	if s.out == nil {
		s.out = newPackWriter(s.nsDir(s.write), time.Now().UnixNano())
	}
	return s.out.add(k, payload)
}

// newPackWriter starts a pack created at created (Unix nanoseconds) in a
// temporary file of dir.
func newPackWriter(dir string, created int64) *packWriter {
	w := &packWriter{at: map[Key]int{}}
	w.f, w.err = os.CreateTemp(dir, ".tmp-pack-*")
	if w.err == nil {
		var head [packHeaderSize]byte
		copy(head[:], packMagic[:])
		binary.LittleEndian.PutUint32(head[8:12], FormatVersion)
		binary.LittleEndian.PutUint64(head[16:24], uint64(created))
		w.write(head[:])
	}
	return w
}

// add appends the record of payload under k.
func (w *packWriter) add(k Key, payload []byte) error {
	if w.err != nil {
		return w.err
	}
	rec := make([]byte, 0, recordHeadSize+len(payload))
	rec = append(rec, k[:]...)
	sum := sha256.Sum256(payload)
	rec = append(rec, sum[:]...)
	rec = binary.LittleEndian.AppendUint64(rec, uint64(len(payload)))
	rec = append(rec, payload...)
	off := w.off
	if w.write(rec); w.err != nil {
		return w.err
	}
	w.at[k] = len(w.index)
	w.index = append(w.index, PackEntry{Key: k, Offset: off, Size: int64(len(payload))})
	return nil
}

func (w *packWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.f.Write(b)
	w.off += int64(n)
	w.err = err
}

// finish writes the index and trailer of the latest record of each key and
// renames the pack into place in dir; a pack that failed is removed.
func (w *packWriter) finish(dir string) (string, error) {
	tmp := w.f.Name()
	var index []PackEntry
	for i, e := range w.index {
		if w.at[e.Key] == i {
			index = append(index, e)
		}
	}
	w.write(encodeIndex(w.off, index))
	err := w.err
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	final := filepath.Join(dir, newPackName())
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	return final, nil
}

// encodeIndex is the index and trailer of a pack whose records end at off.
func encodeIndex(off int64, index []PackEntry) []byte {
	b := make([]byte, 0, len(index)*indexEntrySize+packTrailerSize)
	for _, e := range index {
		b = append(b, e.Key[:]...)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Offset))
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Size))
	}
	sum := sha256.Sum256(b)
	b = binary.LittleEndian.AppendUint64(b, uint64(off))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(index)))
	b = append(b, sum[:]...)
	return append(b, packMagic[:]...)
}

func newPackName() string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	return "pack-" + hex.EncodeToString(r[:]) + ".rcp"
}

// close writes this run's pack, marks the packs it used as recently used,
// closes the packs it read and trims the written namespace.
func (s *store) close() error {
	s.mu.Lock()
	s.closed = true
	w := s.out
	used := s.used
	s.mu.Unlock()
	var errs []error
	written := ""
	if w != nil {
		if w.err == nil && len(w.index) > 0 {
			p, err := w.finish(s.nsDir(s.write))
			errs = append(errs, err)
			written = p
		} else if w.f != nil {
			w.f.Close()
			_ = os.Remove(w.f.Name())
		}
	}
	now := time.Now()
	touched := map[*pack]bool{}
	for _, p := range used {
		if p.ns == s.write && !touched[p] {
			touched[p] = true
			_ = os.Chtimes(p.path, now, now) // recently used
		}
	}
	for _, p := range s.packs {
		p.f.Close()
	}
	errs = append(errs, s.trim(written, used))
	return errors.Join(errs...)
}

// trim removes what is not a pack of this format in the written namespace
// (a crashed writer's temp file after an hour, an outdated or corrupt pack,
// entries of the per-file layout of earlier versions, an executable's
// remembered hash after 30 days) and, when the
// namespace holds more than maxPacks packs or more than maxSize bytes,
// merges its packs into one, keeping the entries this run wrote or used
// first and then those of the most recently used packs, within maxSize.
// Recency is that of packs (a pack is marked when a run uses one of its
// entries), not of single entries.
func (s *store) trim(written string, used map[Key]*pack) error {
	dir := s.nsDir(s.write)
	des, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	var packs []*pack
	defer func() {
		for _, p := range packs {
			p.f.Close()
		}
	}()
	var total int64
	for _, de := range des {
		p := filepath.Join(dir, de.Name())
		switch {
		case strings.HasPrefix(de.Name(), ".tmp-"):
			if info, err := de.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
				_ = os.Remove(p) // a crashed writer's
			}
		case de.Type().IsRegular() && isPackName(de.Name()):
			pk, err := openPack(p, s.write)
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				_ = os.Remove(p) // corrupt or outdated: never read again
			default:
				packs = append(packs, pk)
				total += pk.size
			}
		case strings.HasPrefix(de.Name(), exeMemoPrefix):
			if info, err := de.Info(); err == nil && time.Since(info.ModTime()) > 30*24*time.Hour {
				_ = os.Remove(p) // most likely of a build no longer run
			}
		case de.IsDir() && len(de.Name()) == 2:
			_ = os.RemoveAll(p) // one file per entry: render-check before packs
		}
	}
	if len(packs) <= maxPacks && total <= s.maxSize {
		return nil
	}
	if total <= s.maxSize {
		// too many packs: a pack as large as all others together stays
		// as it is (each merge rewrites at most half of the bytes)
		sort.Slice(packs, func(i, j int) bool { return packs[i].size > packs[j].size })
		if big := packs[0]; 2*big.size >= total {
			big.f.Close()
			packs = packs[1:]
		}
	}
	// the newest record of each key, kept in this order: this run's
	// records, the others it used, then by the last use of their pack
	sortNewestFirst(packs)
	type rec struct {
		p *pack
		e PackEntry
	}
	newest := map[Key]rec{}
	var created int64
	for _, p := range packs {
		created = max(created, p.created)
		for _, e := range p.entries {
			if _, ok := newest[e.Key]; !ok {
				newest[e.Key] = rec{p, e}
			}
		}
	}
	sortRecentlyUsedFirst(packs)
	var mine, keep, rest []rec
	for _, p := range packs {
		for _, e := range p.entries {
			r, ok := newest[e.Key]
			if !ok || r.p != p {
				continue
			}
			delete(newest, e.Key)
			switch {
			case p.path == written:
				mine = append(mine, r)
			case used[e.Key] != nil:
				keep = append(keep, r)
			default:
				rest = append(rest, r)
			}
		}
	}
	w := newPackWriter(dir, created)
	size := int64(packHeaderSize + packTrailerSize)
	for _, r := range slices.Concat(mine, keep, rest) {
		n := recordHeadSize + r.e.Size + indexEntrySize
		if size+n > s.maxSize {
			continue // evicted: least recently used
		}
		payload, err := readRecord(r.p.f, r.e.Key, r.e.Offset, r.e.Size)
		if err != nil {
			continue
		}
		if err := w.add(r.e.Key, payload); err != nil {
			break
		}
		size += n
	}
	if w.err != nil || len(w.index) == 0 {
		if w.f != nil {
			w.f.Close()
			_ = os.Remove(w.f.Name())
		}
		if w.err != nil {
			return w.err // the packs stay as they are
		}
	} else if _, err := w.finish(dir); err != nil {
		return err
	}
	for _, p := range packs {
		_ = os.Remove(p.path)
	}
	return nil
}
