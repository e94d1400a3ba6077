package helm

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/render-check/render-check/internal/yamlpos"
)

// schemaErrRE finds one values.schema.json violation in helm's error text:
// "- at '/image/tag': got number, want string".
var schemaErrRE = regexp.MustCompile(`(?m)^- at '(/[^']*)': (.+)$`)

// SchemaError is a values.schema.json violation located at the values-file
// key that holds the offending value.
type SchemaError struct {
	// Key is the dotted values key; Problem what is wrong with its value.
	Key, Problem string
	// More counts the other violations of the same render.
	More int
	err  error
}

func (e *SchemaError) Error() string {
	msg := fmt.Sprintf("%s: %s (the chart's values.schema.json)", e.Key, e.Problem)
	if e.More > 0 {
		msg += fmt.Sprintf(", and %d more", e.More)
	}
	return msg
}

// Detail is helm's own text.
func (e *SchemaError) Detail() string { return e.err.Error() }

func (e *SchemaError) Unwrap() error { return e.err }

// locateSchemaError turns helm's values.schema.json failure into an *Error
// at the key of the values file that set the first offending value (the
// last values file that sets it). Other errors are returned unchanged.
func locateSchemaError(root string, valueFiles []string, err error) error {
	ms := schemaErrRE.FindAllStringSubmatch(err.Error(), -1)
	if len(ms) == 0 || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
		return err
	}
	ix := yamlpos.NewIndex()
	for _, m := range ms {
		var path []string
		for _, p := range strings.Split(strings.TrimPrefix(m[1], "/"), "/") {
			path = append(path, strings.NewReplacer("~1", "/", "~0", "~").Replace(p))
		}
		k, ok := ix.ValuesKeyLine(root, valueFiles, path)
		if !ok {
			continue
		}
		return &Error{File: k.File, Line: k.Line, Err: &SchemaError{Key: k.Key, Problem: m[2], More: len(ms) - 1, err: err}}
	}
	return err
}
