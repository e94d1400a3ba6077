package secrets

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// maxFileSize bounds what is read of one file.
const maxFileSize = 8 << 20

// srcFile is one parsed source file.
type srcFile struct {
	path  string // repo-relative, slash-separated
	data  []byte
	lines []string
	docs  []*yaml.Node // DocumentNodes
	// parseErr is set when the file does not parse; parseLine locates it.
	parseErr  error
	parseLine int
}

type scanner struct {
	fs    *rootfs.FS // the checkout: every read goes through it
	keys  *Keys
	hits  []hit
	files map[string]*srcFile
	// sopsConfigs maps a repo-relative directory to its .sops.yaml rules.
	sopsConfigs map[string]*sopsConfig

	sopsFiles, macNoKey, macNoMatch int

	// verdicts keeps scan verdicts across runs (nil: none); hash returns a
	// repo file's content hash (git blob id) for their keys.
	verdicts *rendercache.Verdicts
	hash     func(rel string) (string, bool)
	// current is the file being scanned; foreign is set when a scan reads
	// any other file (its verdict then depends on more than the content).
	current string
	foreign bool
}

func newScanner(fsys *rootfs.FS, keys *Keys) *scanner {
	return &scanner{fs: fsys, keys: keys, files: map[string]*srcFile{}, sopsConfigs: map[string]*sopsConfig{}}
}

func (s *scanner) add(h hit) { s.hits = append(s.hits, h) }

var reYAMLErrLine = regexp.MustCompile(`line (\d+)`)

// parseDocs parses every document of data with the workspace's one
// guarded decoder (bounds checked, a decoder panic is a parse error) and
// locates a parse error.
func parseDocs(data []byte) (docs []*yaml.Node, perr error, line int) {
	docs, perr = workspace.DecodeNodes(data)
	if perr != nil {
		// yaml.v3 reports positions only in its message.
		if m := reYAMLErrLine.FindStringSubmatch(perr.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
	}
	return docs, perr, line
}

// load reads and parses a repo-relative file (cached).
func (s *scanner) load(rel string) (*srcFile, error) {
	if rel != s.current {
		s.foreign = true
	}
	if f, ok := s.files[rel]; ok {
		return f, nil
	}
	data, err := s.readLimited(rel)
	if err != nil {
		return nil, err
	}
	f := &srcFile{path: rel, data: data, lines: strings.Split(string(data), "\n")}
	if isYAMLOrJSON(rel) {
		f.docs, f.parseErr, f.parseLine = parseDocs(data)
		if f.parseErr != nil && strings.EqualFold(path.Ext(rel), ".json") {
			// JSONC (.vscode/settings.json, tsconfig.json): comments and
			// trailing commas, same lines; scanned when that is all it was
			if docs, err, _ := parseDocs(stripJSONC(data)); err == nil {
				f.docs, f.parseErr, f.parseLine = docs, nil, 0
			}
		}
	}
	s.files[rel] = f
	return f, nil
}

// readLimited reads up to maxFileSize bytes of a repo-relative file,
// never through a symlink out of the checkout.
func (s *scanner) readLimited(rel string) ([]byte, error) {
	fh, err := s.fs.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, maxFileSize))
}

func isYAMLOrJSON(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return path.Base(p) == "Kustomization"
}

// isKustomization reports whether the file name is one kustomize reads.
func isKustomization(p string) bool {
	switch path.Base(p) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// scanPath runs every source rule on one file.
func (s *scanner) scanPath(rel string) {
	base := path.Base(rel)
	if base == ".sops.yaml" || base == DefaultBaseline {
		return
	}
	f, err := s.load(rel)
	if err != nil {
		return // vanished or unreadable: nothing to scan
	}
	sopsEncrypted := s.isSopsEncrypted(f)
	if s.mustBeEncrypted(rel) && !sopsEncrypted {
		s.add(hit{rule: report.RuleSecretUnencryptedFile, file: rel, line: 1,
			fp:  fingerprintOfPlace(report.RuleSecretUnencryptedFile, rel, ""),
			msg: "a .sops.yaml creation rule (path_regex) says this file must be SOPS-encrypted, but it is not"})
	}
	if !isYAMLOrJSON(rel) {
		if sopsEncrypted {
			s.scanSopsDotenv(f)
		}
		return
	}
	if f.parseErr != nil {
		s.add(hit{rule: report.RuleSecretUnparsable, file: rel, line: max(f.parseLine, 1),
			fp:  fingerprintOfPlace(report.RuleSecretUnparsable, rel, ""),
			msg: "file does not parse as YAML/JSON; it was not fully scanned for secrets"})
	}
	if len(f.docs) == 0 {
		return
	}
	if sopsEncrypted {
		s.scanSopsFile(f)
		return
	}
	for i, d := range f.docs {
		dc := &docScan{s: s, file: rel, doc: i + 1, root: docRoot(d)}
		dc.scan(isKustomization(rel))
	}
}

// docRoot returns the content node of a document (nil when empty).
func docRoot(d *yaml.Node) *yaml.Node {
	if d == nil || d.Kind != yaml.DocumentNode || len(d.Content) == 0 {
		return nil
	}
	return d.Content[0]
}

// mapGet returns the value node of key in a mapping node.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i].Kind == yaml.ScalarNode {
			return n.Content[i+1]
		}
	}
	return nil
}

// keyLineOf returns the line of key in a mapping node (0 if absent).
func keyLineOf(n *yaml.Node, key string) int {
	if n == nil || n.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return 0
}

func scalarString(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", false
	}
	return n.Value, true
}

// isSopsEncrypted reports whether a file carries SOPS metadata in any of
// the formats sops writes (YAML/JSON "sops" key, dotenv sops_mac, INI
// [sops] section).
func (s *scanner) isSopsEncrypted(f *srcFile) bool {
	if isYAMLOrJSON(f.path) {
		for _, d := range f.docs {
			if m := mapGet(docRoot(d), "sops"); m != nil && m.Kind == yaml.MappingNode {
				return true
			}
		}
		return false
	}
	for _, l := range f.lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "sops_mac=") || strings.HasPrefix(t, "sops_lastmodified=") || t == "[sops]" {
			return true
		}
	}
	// sops' binary format is JSON with a sops key, whatever the extension.
	if docs, err, _ := parseDocs(f.data); err == nil && len(docs) > 0 {
		if m := mapGet(docRoot(docs[0]), "sops"); m != nil && m.Kind == yaml.MappingNode {
			return true
		}
	}
	return false
}

// pathElem is one step of a key path: a mapping key or a sequence index.
type pathElem struct {
	key   string
	index int
	isIdx bool
}

func keyPathString(p []pathElem) string {
	var b strings.Builder
	for _, e := range p {
		if e.isIdx {
			fmt.Fprintf(&b, "[%d]", e.index)
			continue
		}
		if e.key == "" || strings.ContainsAny(e.key, ".[]\" \t") {
			fmt.Fprintf(&b, "[%q]", e.key)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.key)
	}
	return b.String()
}

func withKey(p []pathElem, k string) []pathElem {
	return append(p[:len(p):len(p)], pathElem{key: k})
}

func withIdx(p []pathElem, i int) []pathElem {
	return append(p[:len(p):len(p)], pathElem{index: i, isIdx: true})
}

// ignoreRe matches an inline allowlist comment.
var ignoreRe = regexp.MustCompile(`render-check:ignore\s+([A-Za-z0-9/_*,\s-]+)`)

func lineIgnores(line, rule string) bool {
	i := strings.Index(line, "#")
	if i < 0 {
		return false
	}
	m := ignoreRe.FindStringSubmatch(line[i:])
	if m == nil {
		return false
	}
	for _, r := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if r == rule || r == "secret/*" {
			return true
		}
	}
	return false
}

// inlineIgnored reports whether an inline comment accepts the finding: on
// its line, on the comment lines directly above it, or on a comment line
// at the top of its document.
func (s *scanner) inlineIgnored(h hit) bool {
	if h.file == "" || h.line <= 0 {
		return false
	}
	f, err := s.load(h.file)
	if err != nil || h.line > len(f.lines) {
		return false
	}
	if lineIgnores(f.lines[h.line-1], h.rule) {
		return true
	}
	for i := h.line - 2; i >= 0; i-- {
		t := strings.TrimSpace(f.lines[i])
		if !strings.HasPrefix(t, "#") {
			break
		}
		if lineIgnores(t, h.rule) {
			return true
		}
	}
	// document head: from the document start to its first content line
	start := 0
	for i := h.line - 1; i >= 0; i-- {
		if isDocSeparator(f.lines[i]) {
			start = i + 1
			break
		}
	}
	for i := start; i < len(f.lines) && i < h.line; i++ {
		t := strings.TrimSpace(f.lines[i])
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "#") {
			break
		}
		if lineIgnores(t, h.rule) {
			return true
		}
	}
	return false
}

func isDocSeparator(l string) bool {
	return l == "---" || strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "---\t") || strings.HasPrefix(l, "---\r")
}
