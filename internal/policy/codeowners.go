package policy

import (
	"regexp"
	"strings"
)

// Flavor is the code hosting platform whose CODEOWNERS semantics apply.
type Flavor int

// CODEOWNERS flavors.
const (
	// GitHub: gitignore-like patterns, one section, last match wins.
	GitHub Flavor = iota
	// GitLab: fnmatch patterns, [Section]s each with their own last match,
	// ^[Optional] sections, section default owners, !exclusions.
	GitLab
)

// String names the flavor.
func (f Flavor) String() string {
	if f == GitLab {
		return "GitLab"
	}
	return "GitHub"
}

// CodeOwners is a parsed CODEOWNERS file.
type CodeOwners struct {
	// File is the repo-relative path of the file.
	File   string
	Flavor Flavor
	Rules  []*OwnerRule
	// Problems are lines that could not be parsed (line -> message).
	Problems []LineProblem
}

// LineProblem is a syntax problem on one line of a CODEOWNERS file.
type LineProblem struct {
	Line    int
	Message string
}

// OwnerRule is one pattern line of a CODEOWNERS file.
type OwnerRule struct {
	Line    int
	Pattern string
	// Owners are the owners of matching paths; empty means "owned by nobody"
	// (GitHub) unless the section has default owners (GitLab, already applied).
	Owners []string
	// Section is the GitLab section name ("" for the unnamed section).
	Section string
	// Optional is true in a GitLab ^[Optional] section.
	Optional bool
	// Exclude is a GitLab !pattern: matching paths need no approval in the section.
	Exclude bool

	alts []matcher
}

// matcher is one compiled pattern (brace alternatives compile to several).
type matcher struct {
	segs []string
	// cascade: the pattern also matches everything below a matching directory.
	cascade bool
	// dirOnly: the pattern matches directories only (trailing slash).
	dirOnly bool
	// brackets enables [...] character classes (GitLab's fnmatch).
	brackets bool
}

// ParseCodeOwners parses a CODEOWNERS file's contents.
func ParseCodeOwners(file string, flavor Flavor, data []byte) *CodeOwners {
	co := &CodeOwners{File: file, Flavor: flavor}
	section, optional := "", false
	var defaults []string
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if flavor == GitLab {
			if name, opt, defs, ok := parseSection(line); ok {
				section, optional, defaults = name, opt, defs
				for _, o := range defs {
					if !validOwner(o, flavor) {
						co.Problems = append(co.Problems, LineProblem{n, "invalid owner " + quote(o)})
					}
				}
				continue
			}
		}
		pattern, rest := splitPattern(line)
		fields := strings.Fields(stripComment(rest))
		r := &OwnerRule{Line: n, Pattern: pattern, Section: section, Optional: optional}
		if flavor == GitLab && strings.HasPrefix(pattern, "!") {
			r.Exclude = true
			pattern = pattern[1:]
		}
		invalid := false
		for _, o := range fields {
			if !validOwner(o, flavor) {
				invalid = true
				msg := "invalid owner " + quote(o)
				if flavor == GitHub {
					msg += ": GitHub skips the whole line"
				}
				co.Problems = append(co.Problems, LineProblem{n, msg})
				continue
			}
			r.Owners = append(r.Owners, o)
		}
		if invalid && flavor == GitHub {
			continue // GitHub ignores a line with invalid syntax
		}
		if len(r.Owners) == 0 && !r.Exclude {
			r.Owners = defaults
		}
		if pattern == "" {
			co.Problems = append(co.Problems, LineProblem{n, "empty pattern"})
			continue
		}
		if flavor == GitHub && (strings.HasPrefix(pattern, "!") || strings.Contains(pattern, "[")) {
			co.Problems = append(co.Problems, LineProblem{n, "GitHub CODEOWNERS does not support " + quote(pattern) + " (no ! negation, no [] ranges)"})
			continue
		}
		r.alts = compile(pattern, flavor)
		co.Rules = append(co.Rules, r)
	}
	return co
}

func quote(s string) string { return "\"" + s + "\"" }

var sectionRE = regexp.MustCompile(`^(\^)?\[([^\]]+)\](?:\[(\d+)\])?(.*)$`)

// parseSection recognises a GitLab section header: [Name], ^[Name], [Name][2], with default owners.
func parseSection(line string) (name string, optional bool, defaults []string, ok bool) {
	m := sectionRE.FindStringSubmatch(line)
	if m == nil {
		return "", false, nil, false
	}
	fields := strings.Fields(stripComment(m[4]))
	// "[abc]*.md @x" is a pattern with a character class, not a section:
	// what follows a header can only be owners.
	if len(fields) > 0 && !strings.Contains(fields[0], "@") {
		return "", false, nil, false
	}
	return strings.TrimSpace(m[2]), m[1] == "^", fields, true
}

// splitPattern splits the pattern (with \# and "\ " escapes) from the owners.
func splitPattern(line string) (pattern, rest string) {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			next := line[i+1]
			if next == '#' || next == ' ' || next == '\t' {
				b.WriteByte(next)
				i++
				continue
			}
		}
		if c == ' ' || c == '\t' {
			return b.String(), line[i:]
		}
		b.WriteByte(c)
	}
	return b.String(), ""
}

// stripComment drops an inline " # comment".
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

var (
	githubOwnerRE = regexp.MustCompile(`^@[A-Za-z0-9](?:[A-Za-z0-9-]*)(?:/[A-Za-z0-9._-]+)?$`)
	gitlabOwnerRE = regexp.MustCompile(`^@@?[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$`)
	emailRE       = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func validOwner(o string, flavor Flavor) bool {
	if emailRE.MatchString(o) {
		return true
	}
	if flavor == GitLab {
		return gitlabOwnerRE.MatchString(o)
	}
	return githubOwnerRE.MatchString(o)
}

// compile turns a pattern into matchers with the flavor's semantics.
func compile(pattern string, flavor Flavor) []matcher {
	if flavor == GitLab {
		var out []matcher
		for _, p := range expandBraces(pattern) {
			out = append(out, compileGitLab(p))
		}
		return out
	}
	return []matcher{compileGitHub(pattern)}
}

// compileGitHub: gitignore rules. A slash at the start or in the middle
// anchors the pattern at the root; otherwise it matches at any depth. A
// trailing slash matches directories only. A match on a directory covers
// everything below it, except when the last segment has a wildcard
// ("docs/*" owns docs/a.md but not docs/sub/b.md, as GitHub documents).
func compileGitHub(p string) matcher {
	m := matcher{}
	if strings.HasSuffix(p, "/") {
		m.dirOnly = true
		p = strings.TrimRight(p, "/")
	}
	anchored := strings.Contains(p, "/")
	p = strings.TrimPrefix(p, "/")
	m.segs = splitSegs(p)
	if !anchored && (len(m.segs) == 0 || m.segs[0] != "**") {
		m.segs = append([]string{"**"}, m.segs...)
	}
	last := ""
	if len(m.segs) > 0 {
		last = m.segs[len(m.segs)-1]
	}
	m.cascade = m.dirOnly || last == "**" || !strings.ContainsAny(last, "*?")
	return m
}

// compileGitLab: File.fnmatch with FNM_PATHNAME|FNM_DOTMATCH against
// "/path", after GitLab's normalisation: "*" is every file, a pattern without
// a leading slash gets a "/**/" prefix, a trailing slash gets "**/*".
func compileGitLab(p string) matcher {
	m := matcher{brackets: true}
	if p == "*" {
		m.segs = []string{"**", "*"}
		return m
	}
	if !strings.HasPrefix(p, "/") {
		p = "/**/" + p
	}
	if strings.HasSuffix(p, "/") {
		p += "**/*"
	}
	m.segs = splitSegs(strings.TrimPrefix(p, "/"))
	return m
}

func splitSegs(p string) []string {
	var out []string
	for s := range strings.SplitSeq(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// expandBraces expands {a,b} alternatives (one level per group, left to right).
func expandBraces(p string) []string {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		return []string{p}
	}
	closeIdx := strings.IndexByte(p[open:], '}')
	if closeIdx < 0 {
		return []string{p}
	}
	closeIdx += open
	var out []string
	for alt := range strings.SplitSeq(p[open+1:closeIdx], ",") {
		out = append(out, expandBraces(p[:open]+alt+p[closeIdx+1:])...)
	}
	return out
}

// match reports whether the rule's pattern matches the repo-relative file path.
func (r *OwnerRule) match(path string) bool {
	return r.matchSplit(splitSegs(path))
}

// matchSplit is match for a path already split into segments.
func (r *OwnerRule) matchSplit(segs []string) bool {
	for _, m := range r.alts {
		if m.match(segs) {
			return true
		}
	}
	return false
}

func (m matcher) match(path []string) bool {
	for k := len(path); k >= 1; k-- {
		full := k == len(path)
		if full && m.dirOnly {
			continue
		}
		if !full && !m.cascade {
			break
		}
		if matchSegs(m.segs, path[:k], m.brackets) {
			return true
		}
	}
	return false
}

// matchSegs matches pattern segments against path segments; a "**" segment
// matches zero or more path segments (one or more when it is last).
func matchSegs(pat, path []string, brackets bool) bool {
	if len(pat) == 0 {
		return len(path) == 0
	}
	if pat[0] == "**" {
		if len(pat) == 1 {
			return len(path) >= 1
		}
		for i := 0; i <= len(path); i++ {
			if matchSegs(pat[1:], path[i:], brackets) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 || !matchSeg(pat[0], path[0], brackets) {
		return false
	}
	return matchSegs(pat[1:], path[1:], brackets)
}

// matchSeg matches one segment: * any run, ? one character, [...] a class
// when brackets is set; "**" inside a segment acts as *.
func matchSeg(p, s string, brackets bool) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchSeg(p, s[i:], brackets) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		case '[':
			if brackets {
				if end := strings.IndexByte(p[1:], ']'); end >= 0 {
					if s == "" || !matchClass(p[1:end+1], s[0]) {
						return false
					}
					p, s = p[end+2:], s[1:]
					continue
				}
			}
			fallthrough
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

func matchClass(class string, c byte) bool {
	neg := false
	if class != "" && (class[0] == '!' || class[0] == '^') {
		neg, class = true, class[1:]
	}
	in := false
	for i := 0; i < len(class); i++ {
		if i+2 < len(class) && class[i+1] == '-' {
			if class[i] <= c && c <= class[i+2] {
				in = true
			}
			i += 2
			continue
		}
		if class[i] == c {
			in = true
		}
	}
	return in != neg
}

// Ownership is who owns a path: the deciding rule of each section.
type Ownership struct {
	// Rules holds, per section in file order, the last matching rule.
	Rules []*OwnerRule
}

// Owned reports whether a required (non-optional) section gives the path at
// least one owner.
func (o Ownership) Owned() bool {
	for _, r := range o.Rules {
		if !r.Optional && !r.Exclude && len(r.Owners) > 0 {
			return true
		}
	}
	return false
}

// Exempt reports whether a GitLab !exclusion deliberately exempts the path
// from code owner approval in a required section.
func (o Ownership) Exempt() bool {
	for _, r := range o.Rules {
		if !r.Optional && r.Exclude {
			return true
		}
	}
	return false
}

// Owners returns the owners of path: for GitHub the last matching rule, for
// GitLab the last matching rule of every section (an exclusion ends the
// section's search, as GitLab documents).
func (co *CodeOwners) Owners(path string) Ownership {
	return co.ownersSplit(splitSegs(path))
}

func (co *CodeOwners) ownersSplit(segs []string) Ownership {
	var out Ownership
	seen := map[string]int{}
	for _, r := range co.Rules {
		if !r.matchSplit(segs) {
			continue
		}
		key := strings.ToLower(r.Section)
		if i, ok := seen[key]; ok {
			if out.Rules[i].Exclude {
				continue // excluded paths cannot be included again in the section
			}
			out.Rules[i] = r
			continue
		}
		seen[key] = len(out.Rules)
		out.Rules = append(out.Rules, r)
	}
	return out
}
