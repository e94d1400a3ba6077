package resource

import (
	"crypto/sha256"
	"sync"
)

// Sum is the content key of a decoded object: two values with the same Sum
// are equal in content and in Go types (a string "1" and a number 1 differ,
// so do an int and an int64, or an int64 and a float64), so a check whose
// verdict depends only on the value can reuse the verdict of an earlier,
// equal value.
type Sum [sha256.Size]byte

// ContentSum returns the Sum of a decoded YAML or JSON value: the sha256 of
// its canonical encoding (AppendValue). ok is false for a value holding a
// type AppendValue does not encode: such a value has no key and is checked
// afresh.
func ContentSum(v any) (sum Sum, ok bool) {
	b := sumBufs.Get().(*[]byte)
	buf, err := AppendValue((*b)[:0], v)
	ok = err == nil
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
