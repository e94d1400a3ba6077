package imagebump

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Target is what a reference is bumped to: exactly one of Tag or Digest.
type Target struct {
	Tag    string
	Digest string
}

// token returns the tag or digest text.
func (t Target) token() string {
	if t.Digest != "" {
		return t.Digest
	}
	return t.Tag
}

// nodeEdit replaces node.Value[from:to] with text. host is set when node
// belongs to the YAML inside a block scalar.
//
// With insertKey set, the edit adds the pair "insertKey: text" to the
// mapping node (a kustomization images: entry without newTag or digest).
type nodeEdit struct {
	node      *yaml.Node
	from, to  int
	text      string
	host      *hostBlock
	insertKey string
}

// newValue is the node's value after the edit.
func (e nodeEdit) newValue() string {
	return e.node.Value[:e.from] + e.text + e.node.Value[e.to:]
}

// plan decides how a candidate becomes t. It returns no edit when the
// reference already is t, and an error message when it cannot be bumped.
func (c *candidate) plan(t Target) (*nodeEdit, string) {
	if c.problem != "" {
		return nil, c.problem
	}
	if templated(c.curTag) || templated(c.curDig) {
		return nil, fmt.Sprintf("ambiguous reference: the tag of %s is templated (%q), so a template decides it (e.g. an ApplicationSet generator): bump the template's input instead, or edit by hand", c.repo, c.curTag+c.curDig)
	}
	var e *nodeEdit
	var why string
	if t.Digest != "" {
		e, why = c.planDigest(t.Digest)
	} else {
		e, why = c.planTag(t.Tag)
	}
	if e != nil {
		e.host = c.host
	}
	return e, why
}

// line is the file line of a node of the candidate.
func (c *candidate) line(n *yaml.Node) int {
	if c.host != nil {
		return c.host.line(n.Line)
	}
	return n.Line
}

func (c *candidate) planTag(tag string) (*nodeEdit, string) {
	if c.curDig != "" {
		return nil, fmt.Sprintf("%s is pinned by digest %s, which wins over any tag: bump it with --digest, or remove the digest by hand first", c.image(), c.curDig)
	}
	if c.curTag == tag && (c.str && c.span.tagStart >= 0 || c.tagNode != nil) {
		return nil, ""
	}
	if c.str {
		n, sp := c.imageNode, c.span
		if sp.tagStart >= 0 {
			return &nodeEdit{node: n, from: sp.tagStart, to: sp.tagEnd, text: tag}, ""
		}
		return &nodeEdit{node: n, from: sp.repoEnd, to: sp.repoEnd, text: ":" + tag}, ""
	}
	if c.tagNode == nil && c.entry != nil {
		return &nodeEdit{node: c.entry, insertKey: "newTag", text: tag}, ""
	}
	if c.tagNode == nil {
		return nil, fmt.Sprintf("%s has no tag field next to the repository (the tag comes from elsewhere, e.g. the chart's appVersion): add %s: <tag> by hand once, then bumps can edit it", c.repo, c.field)
	}
	if c.tagNode.Kind != yaml.ScalarNode || c.tagNode.Tag == "!!null" {
		return nil, fmt.Sprintf("%s is empty (null): write a tag there by hand once (e.g. %s: \"%s\"), then bumps can edit it", c.field, c.field, tag)
	}
	return &nodeEdit{node: c.tagNode, from: 0, to: len(c.tagNode.Value), text: tag}, ""
}

func (c *candidate) planDigest(dig string) (*nodeEdit, string) {
	if c.curDig == dig && (c.str && c.span.digStart >= 0 || c.digNode != nil) {
		return nil, ""
	}
	if c.str {
		n, sp := c.imageNode, c.span
		switch {
		case sp.digStart >= 0:
			return &nodeEdit{node: n, from: sp.digStart, to: sp.digEnd, text: dig}, ""
		case sp.tagStart >= 0:
			return &nodeEdit{node: n, from: sp.tagStart - 1, to: sp.tagEnd, text: "@" + dig}, ""
		default:
			return &nodeEdit{node: n, from: sp.repoEnd, to: sp.repoEnd, text: "@" + dig}, ""
		}
	}
	if c.digNode == nil && c.entry != nil {
		return &nodeEdit{node: c.entry, insertKey: "digest", text: dig}, ""
	}
	if c.digNode == nil {
		return nil, fmt.Sprintf("%s has no digest field next to the repository: add one by hand (e.g. digest: \"\") if the chart or kustomization supports digests, or bump with --tag", c.repo)
	}
	if c.digNode.Kind != yaml.ScalarNode || c.digNode.Tag == "!!null" {
		return nil, fmt.Sprintf("the digest field of %s is empty (null): write digest: \"\" by hand once, then bumps can edit it", c.repo)
	}
	return &nodeEdit{node: c.digNode, from: 0, to: len(c.digNode.Value), text: dig}, ""
}

// lineStarts returns the byte offset of every line start.
// A UTF-8 byte order mark is not part of the first line: YAML parsers skip
// it before counting columns.
func lineStarts(src []byte) []int {
	starts := []int{0}
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		starts[0] = 3
	}
	for i, b := range src {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// valueOffset finds the byte offset in src where n's value text starts,
// and the quote character around it (0 for plain). It fails when the value
// is not written verbatim (escapes, line folding, block scalars): such a
// value cannot be edited by replacing bytes.
func valueOffset(src []byte, starts []int, n *yaml.Node) (int, byte, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, 0, lineErrorf(n.Line, "not a scalar")
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return 0, 0, lineErrorf(n.Line, "block scalars (| or >) are not edited; write the value on one line")
	}
	if n.Line < 1 || n.Line > len(starts) {
		return 0, 0, lineErrorf(n.Line, "out of range")
	}
	off := starts[n.Line-1]
	for col := 1; col < n.Column; col++ { // columns count characters
		if off >= len(src) || src[off] == '\n' {
			return 0, 0, lineErrorf(n.Line, "column %d out of range", n.Column)
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	// Skip node properties: an anchor (&a) and a tag (!!str), in any order.
	for off < len(src) && (src[off] == '&' || src[off] == '!') {
		for off < len(src) && src[off] != ' ' && src[off] != '\t' && src[off] != '\n' && src[off] != '\r' {
			off++
		}
		for off < len(src) && (src[off] == ' ' || src[off] == '\t') {
			off++
		}
	}
	var quote byte
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		quote = '"'
	case n.Style&yaml.SingleQuotedStyle != 0:
		quote = '\''
	}
	if quote != 0 {
		if off >= len(src) || src[off] != quote {
			return 0, 0, lineErrorf(n.Line, "expected %c", quote)
		}
		off++
	}
	end := off + len(n.Value)
	if end > len(src) || !bytes.Equal(src[off:end], []byte(n.Value)) || (quote != 0 && (end >= len(src) || src[end] != quote)) {
		return 0, 0, lineErrorf(n.Line, "the value %q is not written verbatim (escapes or line folding); write it on one line without escapes", n.Value)
	}
	return off, quote, nil
}

// resolvesToString reports whether v, written as a plain scalar, is a string.
func resolvesToString(v string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("x: "+v+"\n"), &n); err != nil {
		return false
	}
	if len(n.Content) == 0 || len(n.Content[0].Content) < 2 {
		return false
	}
	val := n.Content[0].Content[1]
	return val.Kind == yaml.ScalarNode && val.Tag == "!!str" && val.Value == v
}

// byteEdit replaces src[off:end] with text.
type byteEdit struct {
	off, end int
	text     string
}

// toBytes turns a node edit into a byte edit of src. A plain scalar whose
// new value would not read back as a string (1.10 is a float) gets double
// quotes, so the value stays the tag it was meant to be.
func (e nodeEdit) toBytes(src []byte, starts []int) (byteEdit, error) {
	off, quote, err := valueOffset(src, starts, e.node)
	if err != nil {
		return byteEdit{}, err
	}
	nv := e.newValue()
	if quote == 0 && !resolvesToString(nv) {
		return byteEdit{off: off, end: off + len(e.node.Value), text: `"` + nv + `"`}, nil
	}
	if quote == '\'' && bytes.IndexByte([]byte(e.text), '\'') >= 0 || quote == '"' && bytes.ContainsAny([]byte(e.text), `"\`) {
		return byteEdit{}, lineErrorf(e.node.Line, "%q cannot be written inside %c quotes", e.text, quote)
	}
	return byteEdit{off: off + e.from, end: off + e.to, text: e.text}, nil
}

// insertion is a key/value pair added to a mapping, on a new line after
// the line afterLine of the original file.
type insertion struct {
	key, value string
	afterLine  int
}

// insertBytes adds "key: value" as the last pair of a block mapping, on
// its own line after the mapping's last pair, with the same indentation and
// line ending.
func (e nodeEdit) insertBytes(src []byte, starts []int) (byteEdit, insertion, error) {
	m := e.node
	if m.Kind != yaml.MappingNode || len(m.Content) < 2 || m.Style&yaml.FlowStyle != 0 {
		return byteEdit{}, insertion{}, lineErrorf(m.Line, "the images: entry is not a block mapping: add %s: %s by hand", e.insertKey, e.text)
	}
	lastKey, last := m.Content[len(m.Content)-2], m.Content[len(m.Content)-1]
	if _, _, err := valueOffset(src, starts, last); err != nil || last.Line != lastKey.Line {
		return byteEdit{}, insertion{}, lineErrorf(m.Line, "the images: entry's last value is not on one line: add %s: %s by hand", e.insertKey, e.text)
	}
	ls := starts[lastKey.Line-1]
	prefix := ls
	for col := 1; col < lastKey.Column; col++ {
		if prefix >= len(src) || (src[prefix] != ' ' && src[prefix] != '-') {
			return byteEdit{}, insertion{}, lineErrorf(lastKey.Line, "unusual indentation: add %s: %s by hand", e.insertKey, e.text)
		}
		prefix++
	}
	indent := strings.Repeat(" ", lastKey.Column-1)
	v := e.text
	if !resolvesToString(v) {
		v = `"` + v + `"`
	}
	eol := "\n"
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		eol = "\r\n"
	}
	pair := indent + e.insertKey + ": " + v
	ins := insertion{key: e.insertKey, value: e.text, afterLine: last.Line}
	if last.Line < len(starts) {
		pos := starts[last.Line]
		return byteEdit{off: pos, end: pos, text: pair + eol}, ins, nil
	}
	// The pair ends the file without a line break.
	return byteEdit{off: len(src), end: len(src), text: eol + pair}, ins, nil
}

// applyBytes applies non-overlapping edits to src.
func applyBytes(src []byte, edits []byteEdit) ([]byte, error) {
	sorted := append([]byteEdit(nil), edits...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].off < sorted[j-1].off; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	var out bytes.Buffer
	pos := 0
	for _, e := range sorted {
		if e.off < pos {
			return nil, fmt.Errorf("overlapping edits at byte %d", e.off)
		}
		out.Write(src[pos:e.off])
		out.WriteString(e.text)
		pos = e.end
	}
	out.Write(src[pos:])
	return out.Bytes(), nil
}

// flatten lists every node of the documents in depth-first order; aliases
// are leaves.
func flatten(docs []*yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		out = append(out, n)
		if n.Kind == yaml.AliasNode {
			return
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	for _, d := range docs {
		visit(d)
	}
	return out
}

// verifyPatched re-parses the patched file and checks that the edited
// scalars hold their new values (as strings), that inserted pairs are
// exactly where intended, and that every other node — kind, tag, style,
// value, anchor, comments, shape, line — is unchanged.
func verifyPatched(orig []*yaml.Node, patched []byte, want map[*yaml.Node]string, inserts map[*yaml.Node]insertion) error {
	docs, err := parseDocs(patched)
	if err != nil {
		return fmt.Errorf("the patched file is not valid YAML: %w", err)
	}
	if len(docs) != len(orig) {
		return fmt.Errorf("the patched file has %d documents, the original %d", len(docs), len(orig))
	}
	lineOf := func(l int) int {
		n := l
		for _, ins := range inserts {
			if l > ins.afterLine {
				n++
			}
		}
		return n
	}
	var cmp func(x, y *yaml.Node) error
	cmp = func(x, y *yaml.Node) error {
		if nv, edited := want[x]; edited {
			if y.Kind != yaml.ScalarNode || y.Value != nv || y.Tag != "!!str" {
				return lineErrorf(y.Line, "the patched value reads back as %s %q, want the string %q", y.Tag, y.Value, nv)
			}
			return nil
		}
		if x.Kind != y.Kind || x.Tag != y.Tag || x.Style != y.Style || x.Value != y.Value || x.Anchor != y.Anchor ||
			x.HeadComment != y.HeadComment || x.LineComment != y.LineComment || x.FootComment != y.FootComment ||
			lineOf(x.Line) != y.Line {
			return lineErrorf(x.Line, "the patch changed more than the edited value (%q became %q)", x.Value, y.Value)
		}
		if x.Kind == yaml.AliasNode {
			if x.Alias != nil && y.Alias != nil && x.Alias.Value != y.Alias.Value {
				if _, edited := want[x.Alias]; !edited {
					return lineErrorf(x.Line, "alias target changed")
				}
			}
			return nil
		}
		n := len(x.Content)
		if ins, ok := inserts[x]; ok {
			if len(y.Content) != n+2 {
				return lineErrorf(x.Line, "the inserted %s did not land in this mapping", ins.key)
			}
			k, v := y.Content[n], y.Content[n+1]
			if k.Value != ins.key || v.Kind != yaml.ScalarNode || v.Value != ins.value || v.Tag != "!!str" || k.HeadComment != "" || k.FootComment != "" || v.LineComment != "" {
				return lineErrorf(k.Line, "the inserted pair reads back as %s: %q", k.Value, v.Value)
			}
		} else if len(y.Content) != n {
			return lineErrorf(x.Line, "the patch changed the shape of this node")
		}
		for i := 0; i < n; i++ {
			if err := cmp(x.Content[i], y.Content[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range orig {
		if err := cmp(orig[i], docs[i]); err != nil {
			return err
		}
	}
	return nil
}

// lineError is an error at a line of the file being patched.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func lineErrorf(line int, format string, args ...any) error {
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}
