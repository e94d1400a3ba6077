package workspace

import (
	"errors"
	"testing"
)

// TestSyntaxErrorLines: a syntax error is reported at the line where the
// text stops parsing.
func TestSyntaxErrorLines(t *testing.T) {
	cases := []struct {
		doc  string
		line int
	}{
		{"a: 1\nb: [1, 2\nc: 3\n", 3},
		{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  labels: [unclosed\n", 5},
		{"a: 1\n---\nx: 1\n  y: 2\n", 4},
		{"a: 1\n\tb: 2\n", 2},
		{"a: \"unterminated\nb: 2\n", 3},
	}
	for _, c := range cases {
		_, err := ParseDocuments("f.yaml", []byte(c.doc))
		var ye *YAMLError
		if !errors.As(err, &ye) {
			t.Errorf("%q: err = %v, want a YAMLError", c.doc, err)
			continue
		}
		if ye.Line != c.line {
			t.Errorf("%q: line %d, want %d (%v)", c.doc, ye.Line, c.line, ye.Err)
		}
	}
}
