package workspace

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckYAMLBounds(t *testing.T) {
	deep := "a: " + strings.Repeat("[", 40000) + strings.Repeat("]", 40000) + "\n"
	hidden := "a: it's " + strings.Repeat("[", 40000) + "\n"
	for name, in := range map[string]string{"deep flow": deep, "after an apostrophe": hidden, "too big": strings.Repeat("a: b\n", MaxFileBytes/5+1)} {
		var le *LimitError
		if _, err := ParseDocuments("x.yaml", []byte(in)); !errors.As(err, &le) {
			t.Errorf("%s: err = %v, want a LimitError", name, err)
		}
	}
	ok := "a: \"[[[[\"\nb: '{{{'\nc: [1, [2, {d: e}]] # [[[\n"
	if err := CheckYAMLBounds([]byte(ok)); err != nil {
		t.Error(err)
	}
}
