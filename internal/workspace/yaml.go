package workspace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/resource"
)

// Document is one decoded YAML document of a file.
type Document struct {
	// Line is the 1-based line where the document's content starts.
	Line int
	// Object is the document decoded into JSON-compatible values (integers
	// are int64, other numbers float64, maps have string keys); nil for an empty or null document.
	Object map[string]any
	// Value is the decoded document when it is not a mapping (a list or a
	// scalar); nil otherwise.
	Value any
}

// YAMLError is a document that could not be parsed, with the line it starts at
// (or the line the parser names, when it names one).
type YAMLError struct {
	File string
	Line int
	Err  error
}

// Error formats the error with its location.
func (e *YAMLError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message())
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message())
}

// Unwrap returns the parser error.
func (e *YAMLError) Unwrap() error { return e.Err }

// Message is the parser's message without its own "yaml: line N:" prefix
// (the location is Line).
func (e *YAMLError) Message() string {
	msg := e.Err.Error()
	rest, ok := strings.CutPrefix(msg, "yaml: ")
	if !ok {
		return msg
	}
	var n int
	if _, err := fmt.Sscanf(rest, "line %d:", &n); err == nil {
		if _, after, found := strings.Cut(rest, ": "); found {
			return after
		}
	}
	return rest
}

// syntaxError is an error of the YAML decoder itself (as opposed to one of
// the per-document callback of decodeStream).
type syntaxError struct{ err error }

func (e syntaxError) Error() string { return e.err.Error() }

// decodeStream is the one YAML stream decoder: it checks the bounds of data,
// decodes each document into a node and hands it to each, stopping at the
// end, at each's error (returned as is) or at a decoder error (returned as a
// syntaxError). A panic of the decoder on hostile input becomes an error:
// one bad file never stops a run.
func decodeStream(data []byte, each func(*yaml.Node) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("YAML decoder failed: %v", p)
		}
	}()
	if err := CheckYAMLBounds(data); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return syntaxError{err}
		}
		if err := each(&n); err != nil {
			return err
		}
	}
}

// DecodeNodes decodes every document of a YAML stream into nodes. Documents
// decoded before an error are returned with it.
func DecodeNodes(data []byte) (docs []*yaml.Node, err error) {
	err = decodeStream(data, func(n *yaml.Node) error {
		docs = append(docs, n)
		return nil
	})
	var se syntaxError
	if errors.As(err, &se) {
		err = se.err
	}
	return docs, err
}

// ParseDocuments decodes every document of a YAML stream. Documents decoded
// before a syntax error are returned along with a *YAMLError locating it.
func ParseDocuments(file string, data []byte) (docs []Document, err error) {
	docs, _, err = parseDocuments(file, data, false)
	return docs, err
}

// parseDocuments is ParseDocuments; with keepNodes it also returns each
// document's node (nodes[i] is docs[i]'s), so a caller that needs both
// parses the text once.
func parseDocuments(file string, data []byte, keepNodes bool) (docs []Document, nodes []*yaml.Node, err error) {
	lastLine := 1
	err = decodeStream(data, func(n *yaml.Node) error {
		line := n.Line
		if len(n.Content) > 0 {
			line = n.Content[0].Line
		}
		lastLine = line
		var v any
		if err := n.Decode(&v); err != nil {
			return &YAMLError{File: file, Line: line, Err: err}
		}
		jv, err := jsonCompatible(v)
		if err != nil {
			return &YAMLError{File: file, Line: line, Err: err}
		}
		d := Document{Line: line}
		switch t := jv.(type) {
		case nil:
		case map[string]any:
			d.Object = t
		default:
			d.Value = t
		}
		docs = append(docs, d)
		if keepNodes {
			nodes = append(nodes, n)
		}
		return nil
	})
	var ye *YAMLError
	var se syntaxError
	switch {
	case err == nil, errors.As(err, &ye):
	case errors.As(err, &se):
		err = &YAMLError{File: file, Line: syntaxErrorLine(data, se.err, lastLine), Err: se.err}
	default: // out of bounds, or the decoder panicked
		err = &YAMLError{File: file, Line: 1, Err: err}
	}
	return docs, nodes, err
}

// syntaxErrorLine locates a syntax error at the line where parsing broke.
// yaml.v3 gives no structured position and, for parser errors, names the
// line before the construct; so the text is also parsed with goccy/go-yaml,
// whose errors carry the offending token, and the later of the two lines is
// used (both parsers name a line at or before where the text went wrong).
func syntaxErrorLine(data []byte, err error, fallback int) int {
	line := errorLine(err, fallback)
	if _, gerr := goccyparser.ParseBytes(data, 0); gerr != nil {
		var ye goccy.Error
		if errors.As(gerr, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			line = max(line, ye.GetToken().Position.Line)
		}
	}
	return line
}

// errorLine extracts the line a yaml.v3 syntax error names ("yaml: line N:
// ..."); fallback is used when no line is named.
func errorLine(err error, fallback int) int {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fallback
	}
	msg := err.Error()
	i := strings.Index(msg, "line ")
	if i < 0 {
		return fallback
	}
	var n int
	if _, serr := fmt.Sscanf(msg[i:], "line %d", &n); serr != nil || n <= 0 {
		return fallback
	}
	return n
}

// jsonCompatible converts yaml.v3 decoded values into what encoding/json
// would produce for the same document, so every stage sees one value model.
func jsonCompatible(v any) (any, error) {
	norm, err := stringKeys(v)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(norm)
	if err != nil {
		return nil, fmt.Errorf("converting to JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("converting to JSON: %w", err)
	}
	return resource.NormalizeNumbers(out), nil
}

func stringKeys(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			c, err := stringKeys(e)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
		return t, nil
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			c, err := stringKeys(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []any:
		for i, e := range t {
			c, err := stringKeys(e)
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
		return t, nil
	}
	return v, nil
}
