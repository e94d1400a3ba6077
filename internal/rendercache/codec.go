package rendercache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrCorrupt is returned when an entry's payload does not decode.
var ErrCorrupt = errors.New("render cache: corrupt entry")

// Encoder appends values to a compact binary form that keeps every
// distinction the report can see: nil and empty slices and maps, int,
// int64 and float64 numbers.
type Encoder struct{ buf []byte }

// Bytes returns the encoded form.
func (e *Encoder) Bytes() []byte { return e.buf }

func (e *Encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

// Int appends an int.
func (e *Encoder) Int(v int) { e.buf = binary.AppendVarint(e.buf, int64(v)) }

// Bool appends a bool.
func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// String appends a string.
func (e *Encoder) String(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Raw appends a byte slice (nil and empty alike).
func (e *Encoder) Raw(b []byte) {
	e.uvarint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// Strings appends a string slice, nil kept apart from empty.
func (e *Encoder) Strings(s []string) {
	if s == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(s)) + 1)
	for _, v := range s {
		e.String(v)
	}
}

// Len appends a slice length, nil kept apart from empty; decode with
// Decoder.Len.
func (e *Encoder) Len(n int, isNil bool) {
	if isNil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(n) + 1)
}

// value tags
const (
	tagNil byte = iota
	tagString
	tagBool
	tagInt
	tagInt64
	tagFloat64
	tagMap
	tagNilMap
	tagSlice
	tagNilSlice
	tagUint64
	tagStringMap
	tagNilStringMap
)

// Value appends a decoded YAML/JSON value (maps, slices, scalars); an
// unsupported type is an error (the entry is then not stored).
func (e *Encoder) Value(v any) error {
	switch t := v.(type) {
	case nil:
		e.buf = append(e.buf, tagNil)
	case string:
		e.buf = append(e.buf, tagString)
		e.String(t)
	case bool:
		e.buf = append(e.buf, tagBool)
		e.Bool(t)
	case int:
		e.buf = append(e.buf, tagInt)
		e.buf = binary.AppendVarint(e.buf, int64(t))
	case int64:
		e.buf = append(e.buf, tagInt64)
		e.buf = binary.AppendVarint(e.buf, t)
	case uint64:
		e.buf = append(e.buf, tagUint64)
		e.uvarint(t)
	case float64:
		e.buf = append(e.buf, tagFloat64)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(t))
	case map[string]any:
		if t == nil {
			e.buf = append(e.buf, tagNilMap)
			return nil
		}
		e.buf = append(e.buf, tagMap)
		e.uvarint(uint64(len(t)))
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e.String(k)
			if err := e.Value(t[k]); err != nil {
				return err
			}
		}
	case map[string]string:
		if t == nil {
			e.buf = append(e.buf, tagNilStringMap)
			return nil
		}
		e.buf = append(e.buf, tagStringMap)
		e.uvarint(uint64(len(t)))
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e.String(k)
			e.String(t[k])
		}
	case []any:
		if t == nil {
			e.buf = append(e.buf, tagNilSlice)
			return nil
		}
		e.buf = append(e.buf, tagSlice)
		e.uvarint(uint64(len(t)))
		for _, x := range t {
			if err := e.Value(x); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("render cache: cannot encode a %T", v)
	}
	return nil
}

// Decoder reads what an Encoder wrote; the first error sticks.
type Decoder struct {
	buf []byte
	err error
}

// NewDecoder reads b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err returns the first decoding error, and an error when bytes are left.
func (d *Decoder) Err() error {
	if d.err == nil && len(d.buf) > 0 {
		return ErrCorrupt
	}
	return d.err
}

func (d *Decoder) fail() { d.err, d.buf = ErrCorrupt, nil }

func (d *Decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// Int reads an int.
func (d *Decoder) Int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return int(v)
}

func (d *Decoder) byte1() byte {
	if d.err != nil || len(d.buf) == 0 {
		d.fail()
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

// Bool reads a bool.
func (d *Decoder) Bool() bool { return d.byte1() == 1 }

func (d *Decoder) take(n uint64) []byte {
	if d.err != nil || n > uint64(len(d.buf)) {
		d.fail()
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

// String reads a string.
func (d *Decoder) String() string { return string(d.take(d.uvarint())) }

// Raw reads a byte slice (sharing the decoder's buffer).
func (d *Decoder) Raw() []byte { return d.take(d.uvarint()) }

// Len reads a slice length written by Encoder.Len; isNil reports a nil slice.
func (d *Decoder) Len() (n int, isNil bool) {
	v := d.uvarint()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(d.buf)) { // every element takes at least a byte
		d.fail()
		return 0, true
	}
	return int(v - 1), false
}

// Strings reads a string slice.
func (d *Decoder) Strings() []string {
	n, isNil := d.Len()
	if isNil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.String()
	}
	return out
}

// Value reads a value written by Encoder.Value.
func (d *Decoder) Value() any {
	return d.value(0)
}

// maxDepth bounds the nesting of a decoded value (a hostile entry cannot
// exhaust the stack).
const maxDepth = 10000

func (d *Decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *Decoder) value(depth int) any {
	if depth > maxDepth {
		d.fail()
		return nil
	}
	switch d.byte1() {
	case tagNil:
		return nil
	case tagString:
		return d.String()
	case tagBool:
		return d.Bool()
	case tagInt:
		return d.Int()
	case tagInt64:
		if d.err != nil {
			return nil
		}
		v, n := binary.Varint(d.buf)
		if n <= 0 {
			d.fail()
			return nil
		}
		d.buf = d.buf[n:]
		return v
	case tagUint64:
		return d.uvarint()
	case tagFloat64:
		b := d.take(8)
		if b == nil {
			return nil
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case tagNilMap:
		return map[string]any(nil)
	case tagMap:
		n := d.count()
		m := make(map[string]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.String()
			m[k] = d.value(depth + 1)
		}
		return m
	case tagNilStringMap:
		return map[string]string(nil)
	case tagStringMap:
		n := d.count()
		m := make(map[string]string, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.String()
			m[k] = d.String()
		}
		return m
	case tagNilSlice:
		return []any(nil)
	case tagSlice:
		n := d.count()
		s := make([]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			s[i] = d.value(depth + 1)
		}
		return s
	default:
		d.fail()
		return nil
	}
}
