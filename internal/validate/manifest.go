package validate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/yamlpos"
)

// Document is one object read from a manifest: a YAML document, or an item
// of a List.
type Document struct {
	// Object is the decoded object with JSON types; nil when Err is set or
	// the document is empty.
	Object map[string]any
	// Line is the 1-based line where the object starts in its file.
	Line int
	// Err is a syntax problem of the document (reported as schema/malformed).
	Err error
	// ErrLine is the line of Err when known.
	ErrLine int

	node   *yaml.Node
	offset int
}

// FieldLine returns the line of the deepest existing key of path in the
// document's text.
func (d *Document) FieldLine(path []string) int {
	if d.node == nil {
		return d.Line
	}
	return yamlpos.NodeLine(d.node, path) + d.offset
}

// Chunk is one YAML document of a stream, not parsed yet.
type Chunk struct {
	Data []byte
	// Line is the 1-based line of Data's first byte in the stream.
	Line int
}

// SplitDocuments splits a YAML stream on "---" lines, as kubeconform does,
// so that a syntax error only affects its own document and documents can be
// parsed in parallel. Deliberately not the workspace decoder: kubeconform's
// splitter, for fidelity of `validate` on arbitrary files.
func SplitDocuments(data []byte) []Chunk {
	var out []Chunk
	_ = StreamDocuments(bytes.NewReader(data), func(c Chunk) error {
		out = append(out, c)
		return nil
	})
	return out
}

// StreamDocuments reads a YAML stream and calls fn with each document (split
// on "---" lines), holding one document in memory at a time. Each Chunk owns
// its Data. It returns fn's first error or a read error.
func StreamDocuments(r io.Reader, fn func(Chunk) error) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var cur []byte
	startLine, line := 1, 0
	emit := func() error {
		if len(bytes.TrimSpace(cur)) == 0 {
			cur = cur[:0]
			return nil
		}
		c := Chunk{Data: bytes.Clone(cur), Line: startLine}
		cur = cur[:0]
		return fn(c)
	}
	for {
		lineStart := len(cur)
		l, err := br.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			cur = append(cur, l...)
			l, err = br.ReadSlice('\n')
		}
		cur = append(cur, l...)
		if err != nil && err != io.EOF {
			return err
		}
		if full := cur[lineStart:]; len(full) > 0 {
			line++
			t := bytes.TrimRight(full, " \t\r\n")
			switch {
			case bytes.Equal(t, []byte("---")):
				cur = cur[:lineStart]
				if e := emit(); e != nil {
					return e
				}
				startLine = line + 1
			case bytes.HasPrefix(full, []byte("--- ")):
				rest := bytes.Clone(full)
				cur = cur[:lineStart]
				if e := emit(); e != nil {
					return e
				}
				cur = append(cur, rest...)
				startLine = line
			}
		}
		if err == io.EOF {
			return emit()
		}
	}
}

// ParseChunk decodes one document. Lists (kind List or *List with items) are
// expanded into their items. strict reports duplicate keys. An empty
// document (only comments) yields nothing.
func ParseChunk(c Chunk, strict bool) []Document {
	var n yaml.Node
	if err := yaml.Unmarshal(c.Data, &n); err != nil {
		line := c.Line
		if l := yamlErrorLine(err); l > 0 {
			line = c.Line + l - 1
		}
		return []Document{{Line: c.Line, Err: fmt.Errorf("YAML: %w", err), ErrLine: line}}
	}
	if len(n.Content) == 0 {
		return nil
	}
	root := n.Content[0]
	off := c.Line - 1
	conv := &converter{strict: strict, budget: 10000 + 4*len(c.Data)}
	v := conv.value(root, 0)
	if conv.err != nil {
		return []Document{{Line: root.Line + off, Err: conv.err, ErrLine: conv.errLine + off}}
	}
	if v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return []Document{{Line: root.Line + off, Err: fmt.Errorf("document is a %s, not an object", yamlKind(root)), ErrLine: root.Line + off}}
	}
	if items, ok := obj["items"].([]any); ok && isListKind(obj) {
		itemsNode := mappingValue(root, "items")
		out := make([]Document, 0, len(items))
		for i, it := range items {
			var in *yaml.Node
			if itemsNode != nil && i < len(itemsNode.Content) {
				in = itemsNode.Content[i]
			}
			line := off + 1
			if in != nil {
				line = in.Line + off
			}
			m, ok := it.(map[string]any)
			if !ok {
				out = append(out, Document{Line: line, Err: fmt.Errorf("List item %d is not an object", i), ErrLine: line})
				continue
			}
			out = append(out, Document{Object: m, Line: line, node: in, offset: off})
		}
		return out
	}
	return []Document{{Object: obj, Line: root.Line + off, node: root, offset: off}}
}

func isListKind(obj map[string]any) bool {
	k, _ := obj["kind"].(string)
	return k == "List" || (strings.HasSuffix(k, "List") && obj["apiVersion"] != nil)
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "node"
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// yamlErrorLine extracts "line N" from a yaml.v3 syntax error (yaml.v3 has
// no typed position), 0 if absent.
func yamlErrorLine(err error) int {
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 0
	}
	j := i + 5
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(s[i+5 : j])
	return n
}

// converter turns yaml.v3 nodes into JSON-typed values: timestamps stay
// strings, integers are int64, floats float64.
type converter struct {
	strict  bool
	err     error
	errLine int
	// nodes counts converted nodes: alias fan-out ("billion laughs") must
	// not turn a small file into an endless conversion.
	nodes, budget int
}

const maxDepth = 200

func (c *converter) fail(n *yaml.Node, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
		c.errLine = n.Line
	}
}

func (c *converter) value(n *yaml.Node, depth int) any {
	if depth > maxDepth {
		c.fail(n, "document nests deeper than %d levels", maxDepth)
		return nil
	}
	if c.nodes++; c.budget > 0 && c.nodes > c.budget {
		c.fail(n, "document contains excessive aliasing")
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		return c.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, e := range n.Content {
			out[i] = c.value(e, depth+1)
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		var keyLines map[string]int
		if c.strict {
			keyLines = make(map[string]int, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
				merges = append(merges, val)
				continue
			}
			if c.strict {
				if first, dup := keyLines[k.Value]; dup {
					c.fail(k, "duplicate key %q (first at line %d)", k.Value, first)
				} else {
					keyLines[k.Value] = k.Line
				}
			}
			out[k.Value] = c.value(val, depth+1)
		}
		for _, m := range merges {
			mv := c.value(m, depth+1)
			var srcs []any
			if l, ok := mv.([]any); ok {
				srcs = l
			} else {
				srcs = []any{mv}
			}
			for _, s := range srcs {
				if sm, ok := s.(map[string]any); ok {
					for k, e := range sm {
						if _, set := out[k]; !set {
							out[k] = e
						}
					}
				}
			}
		}
		return out
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil
}

func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return true
		}
		return false
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return i
		}
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
		return n.Value
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
		return n.Value
	}
	return n.Value
}
