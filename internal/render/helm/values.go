package helm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/rootfs"
)

// ErrOutsideRoot is returned when a values file or file parameter resolves
// outside the repository root (or the referenced source's root).
var ErrOutsideRoot = errors.New("resolved to outside repository root")

// ErrUnknownRef is returned for a "$name/..." path naming no source.
var ErrUnknownRef = errors.New("unknown source reference")

// ErrValuesFileNotFound is returned (inside an *Error naming the file) for a
// missing values file without ignoreMissingValueFiles.
var ErrValuesFileNotFound = errors.New("values file not found")

// pathEnv resolves value-file and file-parameter paths as Argo CD does.
type pathEnv struct {
	root    string            // repo root ("/" paths, escape check)
	appPath string            // chart directory (relative paths)
	env     map[string]string // build environment
	refs    map[string]string // "$name" -> root
	multi   bool              // "$name/..." is a reference only in multi-source apps
	display func(abs string) string
	// inRepo reports whether a local file belongs to the checkout (an
	// input), as opposed to a pulled chart.
	inRepo func(abs string) bool
	// rec records lookups a cached render depends on (nil: none).
	rec *rendercache.Recorder
}

// resolved is a values file or file-parameter location.
type resolved struct {
	path    string // absolute path or URL
	remote  bool
	effRoot string
}

var refNameRE = regexp.MustCompile(`^\$[A-Za-z0-9_-]+$`)

// envsubst expands $X and ${X} from env (unknown: empty; $$: $), as Argo CD's Env.Envsubst.
func envsubst(s string, env map[string]string) string {
	return os.Expand(s, func(k string) string {
		if k == "$" {
			return "$"
		}
		return env[k]
	})
}

func normalizeRefs(refs map[string]string) map[string]string {
	out := make(map[string]string, len(refs))
	for k, v := range refs {
		if !strings.HasPrefix(k, "$") {
			k = "$" + k
		}
		out[k] = v
	}
	return out
}

// resolveRaw resolves one entry without glob expansion or existence check.
func (p *pathEnv) resolveRaw(raw string) (resolved, error) {
	if p.multi && strings.HasPrefix(raw, "$") {
		name, rest, hasSlash := strings.Cut(raw, "/")
		if root, ok := p.refs[name]; ok {
			if strings.Trim(rest, "/") == "" {
				return resolved{}, fmt.Errorf("invalid value file path %q: no file path after the ref name", raw)
			}
			abs, err := resolveFile(root, root, envsubst("/"+rest, p.env), raw)
			if err != nil {
				return resolved{}, err
			}
			return resolved{path: abs, effRoot: root}, nil
		}
		if hasSlash && refNameRE.MatchString(name) {
			if _, isEnv := p.env[name[1:]]; !isEnv {
				return resolved{}, fmt.Errorf("%q: %w %s", raw, ErrUnknownRef, name)
			}
		}
	}
	v := envsubst(raw, p.env)
	if u, err := url.Parse(v); err == nil && u.Scheme != "" {
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			return resolved{path: v, remote: true}, nil
		}
		return resolved{}, fmt.Errorf("values file %q: the URL scheme %q is not allowed", raw, u.Scheme)
	}
	abs, err := resolveFile(p.appPath, p.root, v, raw)
	if err != nil {
		return resolved{}, err
	}
	return resolved{path: abs, effRoot: p.root}, nil
}

// globInside expands pattern (an absolute path inside root) over root's
// rooted filesystem, with doublestar's matching (as Argo CD expands value
// file globs): a directory link out of the root is never listed, so a glob
// cannot walk or name anything outside. Matches are absolute paths.
func globInside(root, pattern string) ([]string, error) {
	if !strictlyInside(root, pattern) {
		return nil, ErrOutsideRoot
	}
	rel, err := filepath.Rel(root, pattern)
	if err != nil {
		return nil, err
	}
	fsys, err := rootfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	ms, err := doublestar.Glob(fsys.IOFS(), filepath.ToSlash(rel))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = filepath.Join(root, filepath.FromSlash(m))
	}
	return out, nil
}

// resolveFile joins f to appPath (relative) or root (absolute) and checks
// that the result, symlinks followed, stays strictly inside root.
func resolveFile(appPath, root, f, raw string) (string, error) {
	var p string
	if filepath.IsAbs(f) {
		p = filepath.Join(root, f)
	} else {
		p = filepath.Join(appPath, f)
	}
	if err := within(root, p); err != nil {
		return "", fmt.Errorf("file %q %w", raw, err)
	}
	return p, nil
}

// within checks that p is strictly inside root, lexically and (when p
// exists) after following symlinks.
func within(root, p string) error {
	if !strictlyInside(root, p) {
		return ErrOutsideRoot
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil // missing: lexical check only
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		realRoot = root
	}
	if !strictlyInside(realRoot, real) {
		return ErrOutsideRoot
	}
	return nil
}

func strictlyInside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return false
	}
	return true
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// globBase is the directory of a glob before its first wildcard segment.
func globBase(p string) string {
	dir := p
	for isGlob(dir) {
		dir = filepath.Dir(dir)
	}
	return dir
}

// resolveValueFiles applies Argo CD's valueFiles rules: explicit entries,
// doublestar globs in lexical order, deduplication (an explicit entry keeps
// its own position), missing files dropped with ignoreMissing.
func (p *pathEnv) resolveValueFiles(raws []string, ignoreMissing bool) ([]resolved, error) {
	explicit := map[string]bool{}
	for _, raw := range raws {
		if r, err := p.resolveRaw(raw); err == nil && !isGlob(r.path) {
			explicit[r.path] = true
		}
	}
	var out []resolved
	seen := map[string]bool{}
	add := func(r resolved) {
		if !seen[r.path] {
			seen[r.path] = true
			out = append(out, r)
		}
	}
	for _, raw := range raws {
		r, err := p.resolveRaw(raw)
		if err != nil {
			return nil, fmt.Errorf("resolving value file: %w", err)
		}
		if !r.remote && isGlob(r.path) {
			p.rec.Tree(globBase(r.path))
			matches, err := globInside(r.effRoot, r.path)
			if err != nil {
				return nil, fmt.Errorf("expanding glob pattern %q: %w", raw, err)
			}
			if len(matches) == 0 {
				if ignoreMissing {
					continue
				}
				return nil, fmt.Errorf("values file glob %q matched no files: %w", raw, ErrValuesFileNotFound)
			}
			for _, m := range matches {
				if err := within(r.effRoot, m); err != nil {
					return nil, fmt.Errorf("glob pattern %q: match %s %w", raw, p.display(m), err)
				}
				if !explicit[m] {
					add(resolved{path: m, effRoot: r.effRoot})
				}
			}
			continue
		}
		if !r.remote {
			p.rec.Probe(r.path)
			if _, err := os.Stat(r.path); errors.Is(err, fs.ErrNotExist) {
				if ignoreMissing {
					continue
				}
				return nil, &Error{File: p.display(r.path), Err: fmt.Errorf("%w (valueFiles entry %q)", ErrValuesFileNotFound, raw)}
			}
		}
		add(r)
	}
	return out, nil
}

// read returns the contents of a local file or URL.
func (r *Renderer) read(ctx context.Context, loc resolved) ([]byte, error) {
	if !loc.remote {
		return r.readLocal(loc.path)
	}
	if err := r.network.Check("remote value file", loc.path); err != nil {
		return nil, err
	}
	rendercache.FromContext(ctx).Uncacheable("remote value file")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.path, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", redactURL(loc.path), err)
	}
	resp, err := r.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", redactURL(loc.path), withoutURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %w", redactURL(loc.path), &HTTPError{StatusCode: resp.StatusCode})
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", redactURL(loc.path), err)
	}
	return b, nil
}

// HTTPError is a non-200 answer from a chart repository or values URL.
type HTTPError struct{ StatusCode int }

// Error returns the status line.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// redactURL drops user info, query and fragment (where tokens travel) from
// a URL for messages and file names.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable URL>"
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return s
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// parseValues decodes a values document as helm does (sigs.k8s.io/yaml).
func parseValues(b []byte, file string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		e := &Error{File: file, Err: fmt.Errorf("failed to parse values: %w", err)}
		if sm := yamlLineRE.FindStringSubmatch(err.Error()); sm != nil {
			e.Line, _ = strconv.Atoi(sm[1])
		}
		return nil, e
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// mergeMaps merges b over a as helm's values.Options does for -f files.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]any); ok {
			if bv, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(bv, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// cleanSetParameter escapes unescaped commas unless the value is a {list},
// as Argo CD does before passing --set.
func cleanSetParameter(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	var prev rune
	for _, c := range v {
		if c == ',' && prev != '\\' {
			b.WriteString(`\,`)
		} else {
			b.WriteRune(c)
		}
		prev = c
	}
	return b.String()
}

// argoValues computes the values Argo CD's `helm template` call would get.
// It returns the values, the value files (display form, precedence order)
// and the local files read.
func (r *Renderer) argoValues(ctx context.Context, pe *pathEnv, h *argo.HelmSource) (map[string]any, []string, []string, error) {
	base := map[string]any{}
	if h == nil {
		return base, nil, nil, nil
	}
	var files, inputs []string
	locs, err := pe.resolveValueFiles(h.ValueFiles, h.IgnoreMissingValueFiles)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, loc := range locs {
		name := loc.path
		if !loc.remote {
			name = pe.display(loc.path)
		} else {
			name = redactURL(name)
		}
		b, err := r.read(ctx, loc)
		if err != nil {
			return nil, nil, nil, &Error{File: name, Err: err}
		}
		m, err := parseValues(b, name)
		if err != nil {
			return nil, nil, nil, err
		}
		base = mergeMaps(base, m)
		files = append(files, name)
		if !loc.remote && pe.inRepo(loc.path) {
			inputs = append(inputs, name)
		}
	}

	// values / valuesObject: one more values file, valuesObject replacing values.
	var extra []byte
	if h.ValuesObject != nil {
		if extra, err = yaml.Marshal(h.ValuesObject); err != nil {
			return nil, nil, nil, fmt.Errorf("encoding helm.valuesObject: %w", err)
		}
	} else {
		extra = []byte(h.Values)
	}
	if len(extra) > 0 {
		m := map[string]any{}
		if err := yaml.Unmarshal(extra, &m); err != nil {
			return nil, nil, nil, fmt.Errorf("parsing helm.values: %w", err)
		}
		base = mergeMaps(base, m)
	}

	set, setString := map[string]string{}, map[string]string{}
	for _, p := range h.Parameters {
		if p.ForceString {
			setString[p.Name] = p.Value
		} else {
			set[p.Name] = p.Value
		}
	}
	for _, k := range sortedKeys(set) {
		if err := strvals.ParseInto(k+"="+cleanSetParameter(envsubst(set[k], pe.env)), base); err != nil {
			return nil, nil, nil, fmt.Errorf("helm parameter %q: failed parsing --set data: %w", k, err)
		}
	}
	for _, k := range sortedKeys(setString) {
		if err := strvals.ParseIntoString(k+"="+cleanSetParameter(envsubst(setString[k], pe.env)), base); err != nil {
			return nil, nil, nil, fmt.Errorf("helm parameter %q: failed parsing --set-string data: %w", k, err)
		}
	}

	setFile := map[string]string{}
	for _, p := range h.FileParameters {
		setFile[p.Name] = p.Path
	}
	for _, k := range sortedKeys(setFile) {
		loc, err := pe.resolveRaw(setFile[k])
		if err != nil {
			return nil, nil, nil, fmt.Errorf("helm file parameter %q: %w", k, err)
		}
		var readErr error
		reader := func(rs []rune) (any, error) {
			l := loc
			l.path = string(rs)
			b, err := r.read(ctx, l)
			if err != nil {
				readErr = err
				return nil, err
			}
			return string(b), nil
		}
		if err := strvals.ParseIntoFile(k+"="+cleanSetParameter(loc.path), base, reader); err != nil {
			name := redactURL(loc.path)
			if !loc.remote {
				name = pe.display(loc.path)
			}
			if readErr != nil {
				return nil, nil, nil, &Error{File: name, Err: fmt.Errorf("helm file parameter %q: %w", k, readErr)}
			}
			return nil, nil, nil, fmt.Errorf("helm file parameter %q: failed parsing --set-file data: %w", k, err)
		}
		if !loc.remote && pe.inRepo(loc.path) {
			inputs = append(inputs, pe.display(loc.path))
		}
	}
	return base, files, inputs, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
