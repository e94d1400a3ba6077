package rendercache

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

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

func TestStoreRoundTripAndBadEntries(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	k := testKey("a")
	want := &Entry{Files: []Sum{{"a.yaml", "h1"}}, Dirs: []Sum{{".", "h2"}}, Flags: []string{"f"}, Result: []byte("result")}
	if err := c.Put(k, want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(k)
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := c.Get(testKey("missing")); ok || c.Stats().Ignored != 0 {
		t.Errorf("a missing entry: found or counted as ignored (%+v)", c.Stats())
	}
	p := c.path(Trusted, k)
	data, _ := os.ReadFile(p)
	// a foreign entry: another key's file under this key
	k2 := testKey("b")
	if err := os.MkdirAll(filepath.Dir(c.path(Trusted, k2)), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"truncated": data[:len(data)-1],
		"corrupt":   append(append([]byte{}, data[:len(data)-1]...), data[len(data)-1]^1),
		"short":     data[:10],
		"version":   append(append(append([]byte{}, data[:8]...), 9, 9, 9, 9), data[12:]...),
	}
	for name, b := range bad {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Get(k); ok {
			t.Errorf("%s entry used", name)
		}
	}
	if err := os.WriteFile(c.path(Trusted, k2), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(k2); ok {
		t.Error("foreign entry used")
	}
	if n := c.Stats().Ignored; n != len(bad)+1 {
		t.Errorf("ignored = %d, want %d", n, len(bad)+1)
	}
	if len(c.Notes()) != 1 {
		t.Errorf("notes = %q, want one", c.Notes())
	}
}

func TestTrustNamespaces(t *testing.T) {
	dir := t.TempDir()
	trusted, _ := Open(Options{Dir: dir})
	untrusted, _ := Open(Options{Dir: dir, Untrusted: true})
	kt, ku := testKey("t"), testKey("u")
	e := &Entry{Result: []byte("x")}
	if err := trusted.Put(kt, e); err != nil {
		t.Fatal(err)
	}
	if err := untrusted.Put(ku, e); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(untrusted.path(Untrusted, ku)); err != nil {
		t.Errorf("untrusted entry not in untrusted/: %v", err)
	}
	if _, err := os.Stat(untrusted.path(Trusted, ku)); err == nil {
		t.Error("an untrusted run wrote trusted/")
	}
	if _, ok := untrusted.Get(kt); !ok {
		t.Error("an untrusted run does not read trusted/")
	}
	if _, ok := trusted.Get(ku); ok {
		t.Error("a trusted run read untrusted/")
	}
}

// TestTrimEvictsLeastRecentlyUsed: the namespace ends at most MaxSize, the
// oldest entries going first.
func TestTrimEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(Options{Dir: dir, MaxSize: 10 << 10})
	payload := make([]byte, 3<<10)
	var keys []Key
	for i := 0; i < 10; i++ {
		k := testKey(string(rune('a' + i)))
		keys = append(keys, k)
		if err := c.Put(k, &Entry{Result: payload}); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(time.Duration(i-20) * time.Minute)
		if err := os.Chtimes(c.path(Trusted, k), old, old); err != nil {
			t.Fatal(err)
		}
	}
	// a hit makes the oldest the most recently used
	if _, ok := c.Get(keys[0]); !ok {
		t.Fatal("entry 0 missing")
	}
	if err := c.Trim(); err != nil {
		t.Fatal(err)
	}
	var total int64
	var kept []int
	for i, k := range keys {
		if st, err := os.Stat(c.path(Trusted, k)); err == nil {
			total += st.Size()
			kept = append(kept, i)
		}
	}
	if total > 10<<10 {
		t.Errorf("after Trim: %d bytes, want <= %d", total, 10<<10)
	}
	if !reflect.DeepEqual(kept, []int{0, 8, 9}) {
		t.Errorf("kept entries %v, want [0 8 9] (the recently used)", kept)
	}
}

func TestEntryTooLargeNotRead(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(Options{Dir: dir})
	k := testKey("big")
	p := c.path(Trusted, k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxEntrySize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, ok := c.Get(k); ok || c.Stats().Ignored != 1 {
		t.Errorf("an oversized entry was read (%+v)", c.Stats())
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
