package rendercache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

func testKey(s string) Key {
	k := NewKey()
	k.String("test", s)
	return k.Sum()
}

// TestValueRoundTrip: every distinction the report can see survives.
func TestValueRoundTrip(t *testing.T) {
	v := map[string]any{
		"s": "x", "b": true, "i": 3, "i64": int64(-4), "u": uint64(5), "f": 1.5, "nil": nil,
		"emptyMap": map[string]any{}, "nilMap": map[string]any(nil),
		"emptyList": []any{}, "nilList": []any(nil),
		"nested": []any{map[string]any{"a": []any{"b", 2.0, int64(2)}}},
		"labels": map[string]string{"k": "v"},
	}
	var e Encoder
	if err := e.Value(v); err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(e.Bytes())
	got := d.Value()
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, v)
	}
	if err := (&Encoder{}).Value(struct{}{}); err == nil {
		t.Error("an unsupported type encoded")
	}
}

// TestDecoderHostile: truncated or lying input is an error, never a panic
// or a huge allocation.
func TestDecoderHostile(t *testing.T) {
	var e Encoder
	_ = e.Value(map[string]any{"a": []any{"b", "c"}})
	b := e.Bytes()
	for i := 0; i < len(b); i++ {
		d := NewDecoder(b[:i])
		d.Value()
		if d.Err() == nil {
			t.Errorf("truncated at %d: no error", i)
		}
	}
	var list Encoder
	_ = list.Value([]any{})
	d := NewDecoder([]byte{list.Bytes()[0], 0xff, 0xff, 0xff, 0xff, 0x0f})
	d.Value()
	if d.Err() == nil {
		t.Error("a slice longer than its input decoded")
	}
}

// packs lists the pack files of a namespace of the render cache.
func packs(t *testing.T, dir, ns string) []string {
	t.Helper()
	out, err := filepath.Glob(filepath.Join(dir, "render", ns, "pack-*.rcp"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// onePack closes c and returns its only pack and that pack's index.
func onePack(t *testing.T, c *Cache, dir string) (string, []PackEntry) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ps := packs(t, dir, Trusted)
	if len(ps) != 1 {
		t.Fatalf("packs %v, want one", ps)
	}
	idx, err := PackIndex(ps[0])
	if err != nil {
		t.Fatal(err)
	}
	return ps[0], idx
}

func TestStoreRoundTripAndBadEntries(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := &Entry{Files: []Sum{{"a.yaml", "h1"}}, Dirs: []Sum{{".", "h2"}}, Flags: []string{"f"}, Result: []byte("result")}
	keys := []Key{testKey("a"), testKey("b"), testKey("c"), testKey("d")}
	for _, k := range keys {
		if err := c.Put(k, want); err != nil {
			t.Fatal(err)
		}
	}
	// read back in the same run, before the pack is written
	got, ok := c.Get(keys[0])
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := c.Get(testKey("missing")); ok || c.Stats().Ignored != 0 {
		t.Errorf("a missing entry: found or counted as ignored (%+v)", c.Stats())
	}
	p, idx := onePack(t, c, dir)
	if len(idx) != len(keys) {
		t.Fatalf("index %+v, want %d records", idx, len(keys))
	}
	// read back by another run
	c2, _ := Open(Options{Dir: dir})
	for _, k := range keys {
		if got, ok := c2.Get(k); !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("next run: Get = %+v, %v", got, ok)
		}
	}
	c2.Close()

	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	at := func(k Key) PackEntry {
		for _, e := range idx {
			if e.Key == k {
				return e
			}
		}
		t.Fatalf("no record of %v", k)
		return PackEntry{}
	}
	bad := append([]byte{}, data...)
	e := at(keys[0]) // corrupt payload
	bad[e.Offset+RecordHeaderSize] ^= 1
	e = at(keys[1]) // foreign: another key's record under this key
	copy(bad[e.Offset:], keys[3][:])
	e = at(keys[2]) // truncated: the record says it is shorter
	bad[e.Offset+64]--
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	c3, _ := Open(Options{Dir: dir})
	for i, k := range keys[:3] {
		if _, ok := c3.Get(k); ok {
			t.Errorf("bad record %d used", i)
		}
	}
	if _, ok := c3.Get(keys[3]); !ok {
		t.Error("the intact record of the pack not used")
	}
	if n := c3.Stats().Ignored; n != 3 {
		t.Errorf("ignored = %d, want 3", n)
	}
	if len(c3.Notes()) != 1 {
		t.Errorf("notes = %q, want one", c3.Notes())
	}
	c3.Close()

	// a truncated pack, one of another format version, one that is not a
	// pack: each ignored whole (counted once), and removed by Close
	for name, b := range map[string][]byte{
		"truncated": data[:len(data)-1],
		"version":   append(append(append([]byte{}, data[:8]...), 9, 9, 9, 9), data[12:]...),
		"short":     data[:10],
	} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, _ := Open(Options{Dir: dir})
		if _, ok := c.Get(keys[3]); ok {
			t.Errorf("%s pack used", name)
		}
		if n := c.Stats().Ignored; n != 1 {
			t.Errorf("%s pack: ignored = %d, want 1", name, n)
		}
		c.Close()
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s pack not removed", name)
		}
	}
}

func TestTrustNamespaces(t *testing.T) {
	dir := t.TempDir()
	trusted, _ := Open(Options{Dir: dir})
	kt, ku := testKey("t"), testKey("u")
	e := &Entry{Result: []byte("x")}
	if err := trusted.Put(kt, e); err != nil {
		t.Fatal(err)
	}
	trusted.Close()
	untrusted, _ := Open(Options{Dir: dir, Untrusted: true})
	if err := untrusted.Put(ku, e); err != nil {
		t.Fatal(err)
	}
	if _, ok := untrusted.Get(kt); !ok {
		t.Error("an untrusted run does not read trusted/")
	}
	untrusted.Close()
	if n := len(packs(t, dir, Untrusted)); n != 1 {
		t.Errorf("%d packs in untrusted/, want 1", n)
	}
	if n := len(packs(t, dir, Trusted)); n != 1 {
		t.Errorf("%d packs in trusted/ after an untrusted run, want the trusted run's 1", n)
	}
	trusted, _ = Open(Options{Dir: dir})
	if _, ok := trusted.Get(ku); ok {
		t.Error("a trusted run read untrusted/")
	}
	if _, ok := trusted.Get(kt); !ok {
		t.Error("a trusted run does not read its own entry")
	}
}

// TestConcurrentRuns: runs sharing the directory each write their own pack
// and read each other's once written; none sees a half-written one.
func TestConcurrentRuns(t *testing.T) {
	dir := t.TempDir()
	const runs, per = 6, 50
	done := make(chan error, runs)
	for r := 0; r < runs; r++ {
		go func(r int) {
			c, err := Open(Options{Dir: dir})
			if err != nil {
				done <- err
				return
			}
			for i := 0; i < per; i++ {
				k := testKey(string(rune('A'+r)) + string(rune('a'+i%26)) + string(rune('0'+i/26)))
				if err := c.Put(k, &Entry{Result: []byte{byte(r), byte(i)}}); err != nil {
					done <- err
					return
				}
				c.Get(testKey("other")) // reads the packs present while others write
			}
			if c.Stats().Ignored != 0 {
				done <- errors.New("a run met a bad entry")
				return
			}
			done <- c.Close()
		}(r)
	}
	for r := 0; r < runs; r++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	c, _ := Open(Options{Dir: dir})
	for r := 0; r < runs; r++ {
		for i := 0; i < per; i++ {
			k := testKey(string(rune('A'+r)) + string(rune('a'+i%26)) + string(rune('0'+i/26)))
			got, ok := c.Get(k)
			if !ok || !bytes.Equal(got.Result, []byte{byte(r), byte(i)}) {
				t.Fatalf("run %d entry %d: %+v, %v", r, i, got, ok)
			}
		}
	}
	if c.Stats().Ignored != 0 {
		t.Errorf("ignored %d", c.Stats().Ignored)
	}
}

// TestPacksMerged: more than maxPacks packs are merged into one by Close,
// every entry kept; the newest record of a key wins.
func TestPacksMerged(t *testing.T) {
	dir := t.TempDir()
	k := func(i int) Key { return testKey(string(rune('a' + i))) }
	for i := 0; i <= maxPacks; i++ {
		c, _ := Open(Options{Dir: dir})
		if err := c.Put(k(i), &Entry{Result: append([]byte{byte(i)}, make([]byte, 1<<10)...)}); err != nil {
			t.Fatal(err)
		}
		if err := c.Put(k(100), &Entry{Result: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		want := i + 1
		if i == maxPacks {
			want = 1
		}
		if n := len(packs(t, dir, Trusted)); n != want {
			t.Fatalf("after run %d: %d packs, want %d", i, n, want)
		}
	}
	c, _ := Open(Options{Dir: dir})
	for i := 0; i <= maxPacks; i++ {
		if got, ok := c.Get(k(i)); !ok || got.Result[0] != byte(i) {
			t.Errorf("entry %d after merging: %+v, %v", i, got, ok)
		}
	}
	if got, ok := c.Get(k(100)); !ok || got.Result[0] != byte(maxPacks) {
		t.Errorf("the key stored by every run: %+v, %v, want the last run's", got, ok)
	}
	c.Close()

	// a pack as large as the others together is not rewritten
	big := packs(t, dir, Trusted)[0]
	for i := 0; i < maxPacks; i++ {
		c, _ := Open(Options{Dir: dir})
		if err := c.Put(k(200+i), &Entry{Result: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	ps := packs(t, dir, Trusted)
	if len(ps) != 2 || (ps[0] != big && ps[1] != big) {
		t.Errorf("packs %v, want the large one (%s) and one merged", ps, big)
	}
	c, _ = Open(Options{Dir: dir})
	for _, i := range []int{0, 100, 200, 200 + maxPacks - 1} {
		if _, ok := c.Get(k(i)); !ok {
			t.Errorf("entry %d lost", i)
		}
	}
}

// TestTrimEvictsLeastRecentlyUsed: the namespace ends at most MaxSize; the
// entries this run wrote or used are kept first, then those of the most
// recently used packs.
func TestTrimEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	const max = 10 << 10
	payload := make([]byte, 3<<10)
	var keys []Key
	for i := 0; i < 6; i++ {
		c, _ := Open(Options{Dir: dir, MaxSize: 1 << 30})
		k := testKey(string(rune('a' + i)))
		keys = append(keys, k)
		if err := c.Put(k, &Entry{Result: payload}); err != nil {
			t.Fatal(err)
		}
		c.Close()
		for _, p := range packs(t, dir, Trusted) {
			if idx, _ := PackIndex(p); len(idx) == 1 && idx[0].Key == k {
				old := time.Now().Add(time.Duration(i-20) * time.Minute)
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// a run that uses the oldest and writes a new one, with a small bound
	c, _ := Open(Options{Dir: dir, MaxSize: max})
	if _, ok := c.Get(keys[0]); !ok {
		t.Fatal("entry 0 missing")
	}
	kn := testKey("new")
	if err := c.Put(kn, &Entry{Result: payload}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ps := packs(t, dir, Trusted)
	if len(ps) != 1 {
		t.Fatalf("packs after the trim: %v, want one", ps)
	}
	st, _ := os.Stat(ps[0])
	if st.Size() > max {
		t.Errorf("after the trim: %d bytes, want <= %d", st.Size(), max)
	}
	idx, _ := PackIndex(ps[0])
	var kept []string
	for _, e := range idx {
		for i, k := range append(keys, kn) {
			if e.Key == k {
				kept = append(kept, string(rune('a'+i)))
			}
		}
	}
	if got := strings.Join(kept, ""); got != "gaf" {
		t.Errorf("kept entries %q, want \"gaf\" (the new one, the used one, then the most recent pack)", got)
	}
}

// TestOldLayoutRemoved: one file per entry (render-check before packs) is
// removed by the next run's Close; temp files only when over an hour old.
func TestOldLayoutRemoved(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(Options{Dir: dir})
	old := filepath.Join(dir, "render", Trusted, "ab", "ab12")
	tmp := filepath.Join(dir, "render", Trusted, ".tmp-pack-1")
	for _, p := range []string{old, tmp} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	if _, err := os.Stat(filepath.Dir(old)); err == nil {
		t.Error("the old layout's directory is still there")
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Error("a fresh temp file (another run's pack being written) was removed")
	}
}

func TestEntryTooLargeNotRead(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(Options{Dir: dir})
	k := testKey("big")
	if err := c.Put(k, &Entry{Result: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	p, idx := onePack(t, c, dir)
	data, _ := os.ReadFile(p)
	// an index that claims a record larger than the bound
	off := int64(len(data)) - packTrailerSize - indexEntrySize + 40
	binary.LittleEndian.PutUint64(data[off:], maxEntrySize+1)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = idx
	// with a valid index hash, so only the bound refuses it
	ioff := binary.LittleEndian.Uint64(data[len(data)-packTrailerSize:])
	sum := sha256.Sum256(data[ioff : len(data)-packTrailerSize])
	copy(data[len(data)-packTrailerSize+16:], sum[:])
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c2, _ := Open(Options{Dir: dir})
	if _, ok := c2.Get(k); ok || c2.Stats().Ignored != 1 {
		t.Errorf("an oversized entry was read (%+v)", c2.Stats())
	}
}

// TestValueIsTheCanonicalEncoding: the cache stores values in the one
// canonical encoding ContentSum hashes (resource.AppendValue), not its own.
func TestValueIsTheCanonicalEncoding(t *testing.T) {
	v := map[string]any{"kind": "Deployment", "spec": map[string]any{"replicas": int64(3), "x": []any{1.5, nil}}}
	var e Encoder
	if err := e.Value(v); err != nil {
		t.Fatal(err)
	}
	want, err := resource.AppendValue(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Bytes(), want) {
		t.Errorf("Encoder.Value = %x, resource.AppendValue = %x", e.Bytes(), want)
	}
}

// TestExeHashRemembered: the executable's hash is written beside the packs
// and read back by the next run instead of hashing the file again; a
// remembered value that is not a sha256 is not believed.
func TestExeHashRemembered(t *testing.T) {
	dir := t.TempDir()
	exeMemoDir.Store(&dir)
	t.Cleanup(func() { exeMemoDir.Store(nil) })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	if got := exeHash(); got != want {
		t.Fatalf("exeHash = %s, want %s", got, want)
	}
	memos, _ := filepath.Glob(filepath.Join(dir, exeMemoPrefix+"*"))
	if len(memos) != 1 {
		t.Fatalf("memos %v, want one", memos)
	}
	if b, _ := os.ReadFile(memos[0]); string(b) != want {
		t.Fatalf("memo holds %q, want %s", b, want)
	}
	planted := strings.Repeat("ab", 32)
	if err := os.WriteFile(memos[0], []byte(planted), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := exeHash(); got != planted {
		t.Errorf("exeHash = %s, want the remembered %s (the file was hashed again)", got, planted)
	}
	if err := os.WriteFile(memos[0], []byte("not a hash"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := exeHash(); got != want {
		t.Errorf("exeHash with a bad memo = %s, want %s", got, want)
	}
}

// TestFindingRoundTrip: every field of a finding survives, nil and empty
// lists of affected apps apart.
func TestFindingRoundTrip(t *testing.T) {
	all := report.Finding{Rule: "schema/invalid", Severity: report.SeverityError, Cluster: "c", App: "a", File: "f.yaml", Line: 7,
		Resource: &report.ResourceRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "n"}, Message: "m",
		Fingerprint: "fp", Detail: "d", Affected: []report.Target{{Cluster: "c2", App: "a2"}}, Cause: "x"}
	for _, f := range []report.Finding{all, {Rule: "r", Affected: []report.Target{}}, {Rule: "r"}} {
		var e Encoder
		e.Finding(f)
		d := NewDecoder(e.Bytes())
		if got := d.Finding(); d.Err() != nil || !reflect.DeepEqual(got, f) {
			t.Errorf("Finding round trip: %+v (%v), want %+v", got, d.Err(), f)
		}
	}
}
