package rendercache

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
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

// Value appends a decoded YAML/JSON value in the one canonical encoding
// (resource.AppendValue, which ContentSum hashes too); an unsupported type
// is an error (the entry is then not stored).
func (e *Encoder) Value(v any) error {
	var err error
	if e.buf, err = resource.AppendValue(e.buf, v); err != nil {
		return fmt.Errorf("render cache: %w", err)
	}
	return nil
}

// Decoder reads what an Encoder wrote, with the canonical encoding's
// reader (resource.Reader); the first error sticks.
type Decoder struct{ r *resource.Reader }

// NewDecoder reads b.
func NewDecoder(b []byte) *Decoder { return &Decoder{r: resource.NewReader(b)} }

// Err returns the first decoding error, and an error when bytes are left.
func (d *Decoder) Err() error {
	if d.r.Failed() || d.r.Remaining() > 0 {
		return ErrCorrupt
	}
	return nil
}

// Int reads an int.
func (d *Decoder) Int() int { return int(d.r.Varint()) }

// Bool reads a bool.
func (d *Decoder) Bool() bool { return d.r.Byte() == 1 }

// String reads a string.
func (d *Decoder) String() string { return string(d.r.Take(d.r.Uvarint())) }

// Raw reads a byte slice (sharing the decoder's buffer).
func (d *Decoder) Raw() []byte { return d.r.Take(d.r.Uvarint()) }

// Len reads a slice length written by Encoder.Len; isNil reports a nil slice.
func (d *Decoder) Len() (n int, isNil bool) {
	v := d.r.Uvarint()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(d.r.Remaining()) { // every element takes at least a byte
		d.r.Fail()
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
func (d *Decoder) Value() any { return d.r.Value() }

// Finding writes a report finding, every field: the one encoding of
// findings in render entries and verdicts.
func (e *Encoder) Finding(f report.Finding) {
	e.String(f.Rule)
	e.String(string(f.Severity))
	e.String(f.Cluster)
	e.String(f.App)
	e.String(f.File)
	e.Int(f.Line)
	e.Bool(f.Resource != nil)
	if f.Resource != nil {
		e.String(f.Resource.APIVersion)
		e.String(f.Resource.Kind)
		e.String(f.Resource.Namespace)
		e.String(f.Resource.Name)
	}
	e.String(f.Message)
	e.String(f.Fingerprint)
	e.String(f.Detail)
	e.Len(len(f.Affected), f.Affected == nil)
	for _, t := range f.Affected {
		e.String(t.Cluster)
		e.String(t.App)
	}
	e.String(f.Cause)
}

// Finding reads what Encoder.Finding wrote.
func (d *Decoder) Finding() report.Finding {
	f := report.Finding{Rule: d.String(), Severity: report.Severity(d.String()), Cluster: d.String(), App: d.String(), File: d.String(), Line: d.Int()}
	if d.Bool() {
		f.Resource = &report.ResourceRef{APIVersion: d.String(), Kind: d.String(), Namespace: d.String(), Name: d.String()}
	}
	f.Message, f.Fingerprint, f.Detail = d.String(), d.String(), d.String()
	if n, isNil := d.Len(); !isNil {
		f.Affected = make([]report.Target, n)
		for i := range f.Affected {
			f.Affected[i] = report.Target{Cluster: d.String(), App: d.String()}
		}
	}
	f.Cause = d.String()
	return f
}
