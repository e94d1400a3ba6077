package resource

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// This file is the one canonical encoding of decoded YAML/JSON values:
// ContentSum hashes it and the render cache stores it. It is exact: every
// distinction a Go program can see survives a round trip (nil and empty
// maps and slices; int, int64, uint64, float64 and json.Number numbers;
// time.Time; map[string]any, map[string]string and map[any]any), map keys
// are sorted, and a length prefixes every variable-size part, so two values
// encode alike exactly when they are equal in content and in Go types.

// type tags of the encoding
const (
	tagNil byte = iota + 1
	tagFalse
	tagTrue
	tagString
	tagInt
	tagInt64
	tagUint64
	tagFloat64
	tagNumber
	tagTime
	tagMap
	tagNilMap
	tagStringMap
	tagNilStringMap
	tagAnyMap
	tagNilAnyMap
	tagList
	tagNilList
)

// ErrMalformedValue is returned by ReadValue for bytes AppendValue did not
// write (truncated, corrupt or hostile input).
var ErrMalformedValue = errors.New("malformed encoded value")

// maxValueDepth bounds the nesting ReadValue decodes (a hostile input cannot
// exhaust the stack).
const maxValueDepth = 10000

func appendLen(b []byte, n int) []byte { return binary.AppendUvarint(b, uint64(n)) }

func appendStr(b []byte, s string) []byte {
	b = appendLen(b, len(s))
	return append(b, s...)
}

// AppendValue appends the canonical encoding of a decoded value to b: nil,
// bool, string, int, int64, uint64, float64, json.Number, time.Time,
// map[string]any, map[string]string, map[any]any with string keys and []any,
// nested. A value holding any other type is an error (b is then returned as
// far as it got).
func AppendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, tagNil), nil
	case bool:
		if t {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case string:
		return appendStr(append(b, tagString), t), nil
	case int:
		return binary.AppendVarint(append(b, tagInt), int64(t)), nil
	case int64:
		return binary.AppendVarint(append(b, tagInt64), t), nil
	case uint64:
		return binary.AppendUvarint(append(b, tagUint64), t), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat64), math.Float64bits(t)), nil
	case json.Number:
		return appendStr(append(b, tagNumber), string(t)), nil
	case time.Time:
		return appendStr(append(b, tagTime), t.Format(time.RFC3339Nano)), nil
	case map[string]any:
		if t == nil {
			return append(b, tagNilMap), nil
		}
		b = appendLen(append(b, tagMap), len(t))
		var err error
		for _, k := range sortedKeys(t) {
			b = appendStr(b, k)
			if b, err = AppendValue(b, t[k]); err != nil {
				return b, err
			}
		}
		return b, nil
	case map[string]string:
		if t == nil {
			return append(b, tagNilStringMap), nil
		}
		b = appendLen(append(b, tagStringMap), len(t))
		for _, k := range sortedKeys(t) {
			b = appendStr(appendStr(b, k), t[k])
		}
		return b, nil
	case map[any]any:
		if t == nil {
			return append(b, tagNilAnyMap), nil
		}
		// keys of any type: only string keys have an order to rely on
		keys := make([]string, 0, len(t))
		for k := range t {
			s, ok := k.(string)
			if !ok {
				return b, fmt.Errorf("cannot encode a map key of type %T", k)
			}
			keys = append(keys, s)
		}
		slices.Sort(keys)
		b = appendLen(append(b, tagAnyMap), len(t))
		var err error
		for _, k := range keys {
			b = appendStr(b, k)
			if b, err = AppendValue(b, t[k]); err != nil {
				return b, err
			}
		}
		return b, nil
	case []any:
		if t == nil {
			return append(b, tagNilList), nil
		}
		b = appendLen(append(b, tagList), len(t))
		var err error
		for _, e := range t {
			if b, err = AppendValue(b, e); err != nil {
				return b, err
			}
		}
		return b, nil
	}
	return b, fmt.Errorf("cannot encode a %T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ReadValue decodes the value AppendValue wrote at the start of b and
// returns it with the bytes after it. Input it did not write is
// ErrMalformedValue, never a panic or an allocation larger than the input.
func ReadValue(b []byte) (v any, rest []byte, err error) {
	r := NewReader(b)
	v = r.Value()
	if r.Failed() {
		return nil, nil, ErrMalformedValue
	}
	return v, r.buf, nil
}

// Reader reads the primitives of the canonical encoding (bytes, varints,
// values as AppendValue writes them) from the start of a buffer, for
// encodings built on it (the render cache's entries). The first failure
// sticks and empties the buffer; input it did not expect fails, never
// panics or allocates more than its length.
type Reader struct {
	buf []byte
	bad bool
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Failed reports whether a read failed.
func (r *Reader) Failed() bool { return r.bad }

// Remaining is the number of bytes not read yet.
func (r *Reader) Remaining() int { return len(r.buf) }

// Fail makes the reader fail (a caller's own check of what it read).
func (r *Reader) Fail() { r.bad, r.buf = true, nil }

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.bad || len(r.buf) == 0 {
		r.Fail()
		return 0
	}
	c := r.buf[0]
	r.buf = r.buf[1:]
	return c
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.bad {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	if r.bad {
		return 0
	}
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Take reads n bytes (sharing the reader's buffer).
func (r *Reader) Take(n uint64) []byte {
	if r.bad || n > uint64(len(r.buf)) {
		r.Fail()
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

// Value reads a value AppendValue wrote.
func (r *Reader) Value() any { return r.value(0) }

func (r *Reader) str() string { return string(r.Take(r.Uvarint())) }

// count reads a number of elements, each of which takes at least a byte.
func (r *Reader) count() int {
	n := r.Uvarint()
	if n > uint64(len(r.buf)) {
		r.Fail()
		return 0
	}
	return int(n)
}

func (r *Reader) value(depth int) any {
	if depth > maxValueDepth {
		r.Fail()
		return nil
	}
	switch r.Byte() {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagString:
		return r.str()
	case tagInt:
		return int(r.Varint())
	case tagInt64:
		return r.Varint()
	case tagUint64:
		return r.Uvarint()
	case tagFloat64:
		b := r.Take(8)
		if b == nil {
			return nil
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case tagNumber:
		return json.Number(r.str())
	case tagTime:
		t, err := time.Parse(time.RFC3339Nano, r.str())
		if err != nil {
			r.Fail()
			return nil
		}
		return t
	case tagNilMap:
		return map[string]any(nil)
	case tagMap:
		n := r.count()
		m := make(map[string]any, n)
		for i := 0; i < n && !r.bad; i++ {
			k := r.str()
			m[k] = r.value(depth + 1)
		}
		return m
	case tagNilStringMap:
		return map[string]string(nil)
	case tagStringMap:
		n := r.count()
		m := make(map[string]string, n)
		for i := 0; i < n && !r.bad; i++ {
			k := r.str()
			m[k] = r.str()
		}
		return m
	case tagNilAnyMap:
		return map[any]any(nil)
	case tagAnyMap:
		n := r.count()
		m := make(map[any]any, n)
		for i := 0; i < n && !r.bad; i++ {
			k := r.str()
			m[k] = r.value(depth + 1)
		}
		return m
	case tagNilList:
		return []any(nil)
	case tagList:
		n := r.count()
		s := make([]any, n)
		for i := 0; i < n && !r.bad; i++ {
			s[i] = r.value(depth + 1)
		}
		return s
	}
	r.Fail()
	return nil
}
