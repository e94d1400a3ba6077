package workspace

import "fmt"

// Input bounds applied before any YAML is parsed: a hostile file must not
// exhaust the runner (goccy/go-yaml's error-line code grows memory
// quadratically with flow nesting; a 40k-deep flow sequence exhausts
// gigabytes).
const (
	// MaxFileBytes is the largest YAML file parsed (Argo CD's repo-server
	// refuses a directory app's manifests above 10 MiB combined by
	// default; a single file above this is not a config file).
	MaxFileBytes = 16 << 20
	// MaxYAMLDepth is the deepest flow ([ or {) nesting parsed.
	MaxYAMLDepth = 256
	// MaxIndent is the widest indentation parsed (block nesting).
	MaxIndent = 4096
)

// LimitError is a bound that stopped work on hostile or runaway input.
type LimitError struct {
	// Limit names the bound, e.g. "file size" or "render deadline".
	Limit string
	// Detail says what was found against the bound.
	Detail string
}

// Error names the limit.
func (e *LimitError) Error() string { return fmt.Sprintf("limit %s exceeded: %s", e.Limit, e.Detail) }

// CheckYAMLBounds refuses YAML text above the size, flow-depth or
// indentation bounds, before any parser sees it.
func CheckYAMLBounds(data []byte) error {
	if len(data) > MaxFileBytes {
		return &LimitError{Limit: "file size", Detail: fmt.Sprintf("%d bytes, the limit is %d", len(data), MaxFileBytes)}
	}
	depth, indent := 0, 0
	lineStart := true
	var quote, prev byte
	comment := false
	for _, c := range data {
		if c == '\n' {
			// quoted scalars rarely span lines; resetting can only
			// over-count, never hide, nesting on the next line
			lineStart, indent, comment, quote, prev = true, 0, false, 0, 0
			continue
		}
		if comment {
			continue
		}
		if lineStart {
			if c == ' ' {
				indent++
				if indent > MaxIndent {
					return &LimitError{Limit: "YAML depth", Detail: fmt.Sprintf("indentation above %d columns", MaxIndent)}
				}
				continue
			}
			lineStart = false
		}
		p := prev
		if c != ' ' && c != '\t' {
			prev = c
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case (c == '"' || c == '\'') && (p == 0 || p == ':' || p == '-' || p == '[' || p == '{' || p == ','):
			// a quote opens only where a scalar starts (not "it's")
			quote = c
		case c == '#':
			comment = true
		case c == '[' || c == '{':
			depth++
			if depth > MaxYAMLDepth {
				return &LimitError{Limit: "YAML depth", Detail: fmt.Sprintf("flow nesting above %d levels", MaxYAMLDepth)}
			}
		case (c == ']' || c == '}') && depth > 0:
			depth--
		}
	}
	return nil
}
