package resource

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"time"
)

// Sum is the content key of a decoded object: two values with the same Sum
// are equal in content and in Go types (a string "1" and a number 1 differ,
// so do an int64 and a float64), so a check whose verdict depends only on
// the value can reuse the verdict of an earlier, equal value.
type Sum [sha256.Size]byte

// ContentSum returns the Sum of a decoded YAML or JSON value (maps with
// string or any keys, slices, scalars, time.Time). ok is false for a value
// holding any other type: such a value has no key and is checked afresh.
func ContentSum(v any) (sum Sum, ok bool) {
	b := sumBufs.Get().(*[]byte)
	buf, ok := appendCanonical((*b)[:0], v)
	if ok {
		sum = sha256.Sum256(buf)
	}
	if cap(buf) <= 1<<20 { // do not keep a huge buffer alive
		*b = buf
		sumBufs.Put(b)
	}
	return sum, ok
}

var sumBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// type tags of the canonical encoding; lengths prefix every variable-size
// part, so no two different values encode alike.
const (
	tagNil byte = iota + 1
	tagFalse
	tagTrue
	tagString
	tagInt
	tagUint
	tagFloat
	tagNumber
	tagTime
	tagMap
	tagAnyMap
	tagList
)

func appendLen(b []byte, n int) []byte { return binary.AppendUvarint(b, uint64(n)) }

func appendString(b []byte, tag byte, s string) []byte {
	b = append(b, tag)
	b = appendLen(b, len(s))
	return append(b, s...)
}

func appendCanonical(b []byte, v any) ([]byte, bool) {
	switch t := v.(type) {
	case nil:
		return append(b, tagNil), true
	case bool:
		if t {
			return append(b, tagTrue), true
		}
		return append(b, tagFalse), true
	case string:
		return appendString(b, tagString, t), true
	case int:
		return binary.AppendVarint(append(b, tagInt), int64(t)), true
	case int64:
		return binary.AppendVarint(append(b, tagInt), t), true
	case int32:
		return binary.AppendVarint(append(b, tagInt), int64(t)), true
	case uint64:
		return binary.AppendUvarint(append(b, tagUint), t), true
	case uint:
		return binary.AppendUvarint(append(b, tagUint), uint64(t)), true
	case float64:
		return binary.BigEndian.AppendUint64(append(b, tagFloat), math.Float64bits(t)), true
	case json.Number:
		return appendString(b, tagNumber, string(t)), true
	case time.Time:
		return appendString(b, tagTime, t.Format(time.RFC3339Nano)), true
	case map[string]any:
		b = appendLen(append(b, tagMap), len(t))
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var ok bool
		for _, k := range keys {
			b = appendString(b, tagString, k)
			if b, ok = appendCanonical(b, t[k]); !ok {
				return b, false
			}
		}
		return b, true
	case []any:
		b = appendLen(append(b, tagList), len(t))
		var ok bool
		for _, e := range t {
			if b, ok = appendCanonical(b, e); !ok {
				return b, false
			}
		}
		return b, true
	case map[any]any:
		// keys of any type: only string keys have an order we can rely on
		b = appendLen(append(b, tagAnyMap), len(t))
		keys := make([]string, 0, len(t))
		for k := range t {
			s, ok := k.(string)
			if !ok {
				return b, false
			}
			keys = append(keys, s)
		}
		slices.Sort(keys)
		var ok bool
		for _, k := range keys {
			b = appendString(b, tagString, k)
			if b, ok = appendCanonical(b, t[k]); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}
