package resource

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestValueRoundTrip: every type and distinction of the encoding survives
// AppendValue then ReadValue, and the bytes after the value are left.
func TestValueRoundTrip(t *testing.T) {
	v := map[string]any{
		"s": "x", "f0": false, "t": true, "i": 3, "i64": int64(-4), "u": uint64(5), "f": 1.5, "nil": nil,
		"num": json.Number("1e3"), "time": time.Date(2026, 12, 3, 15, 0, 0, 5, time.UTC),
		"emptyMap": map[string]any{}, "nilMap": map[string]any(nil),
		"emptyList": []any{}, "nilList": []any(nil),
		"labels": map[string]string{"k": "v", "a": ""}, "nilLabels": map[string]string(nil),
		"anyMap": map[any]any{"b": int64(1), "a": []any{}}, "nilAnyMap": map[any]any(nil),
		"nested": []any{map[string]any{"a": []any{"b", 2.0, int64(2)}}},
	}
	b, err := AppendValue([]byte("prefix"), v)
	if err != nil {
		t.Fatal(err)
	}
	got, rest, err := ReadValue(append(b[len("prefix"):], "tail"...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) || string(rest) != "tail" {
		t.Errorf("round trip:\n got %#v rest %q\nwant %#v", got, rest, v)
	}
	// one encoding: ContentSum hashes exactly these bytes
	plain, _ := AppendValue(nil, v)
	if s, ok := ContentSum(v); !ok || s != Sum(sha256.Sum256(plain)) {
		t.Error("ContentSum is not the sha256 of AppendValue")
	}
	for _, bad := range []any{struct{}{}, map[any]any{1: "x"}, []any{int32(1)}} {
		if _, err := AppendValue(nil, bad); err == nil {
			t.Errorf("%#v encoded", bad)
		}
	}
}

// TestReadValueHostile: truncated, lying or too deep input is
// ErrMalformedValue, never a panic or a huge allocation.
func TestReadValueHostile(t *testing.T) {
	b, _ := AppendValue(nil, map[string]any{"a": []any{"b", int64(1), 2.5}, "c": map[string]string{"d": "e"}})
	for i := 0; i < len(b); i++ {
		if _, _, err := ReadValue(b[:i]); !errors.Is(err, ErrMalformedValue) {
			t.Errorf("truncated at %d: %v", i, err)
		}
	}
	for _, in := range [][]byte{
		{tagList, 0xff, 0xff, 0xff, 0xff, 0x0f}, // longer than its input
		{tagMap, 0xff, 0xff, 0xff, 0xff, 0x0f},
		{0xee},                               // unknown tag
		append([]byte{tagTime, 3}, "bad"...), // not a time
	} {
		if _, _, err := ReadValue(in); !errors.Is(err, ErrMalformedValue) {
			t.Errorf("%x: %v", in, err)
		}
	}
	deep := make([]byte, 0, 2*(maxValueDepth+2))
	for range maxValueDepth + 2 {
		deep = append(deep, tagList, 1)
	}
	deep = append(deep, tagNil)
	if _, _, err := ReadValue(deep); !errors.Is(err, ErrMalformedValue) {
		t.Errorf("nesting beyond %d: %v", maxValueDepth, err)
	}
}
