package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// skipMarker excludes a file from a directory source (Argo CD v3.1+).
const skipMarker = "+argocd:skip-file-rendering"

var manifestFile = regexp.MustCompile(`\.(yaml|yml|json|jsonnet)$`)

// directoryOut is the output of a directory source.
type directoryOut struct {
	resources []*resource.Resource
	inputs    []string
	// jsonnet lists .jsonnet files that were not evaluated (unsupported).
	jsonnet []string
}

// renderDirectory reads the manifests of a directory source as the
// repo-server's findManifests does.
func (r *renderer) renderDirectory(dir string, opts *argo.DirectorySource) (*directoryOut, error) {
	if opts == nil {
		opts = &argo.DirectorySource{}
	}
	var include, exclude *regexp.Regexp
	var err error
	if opts.Include != "" {
		if include, err = globRegexp(opts.Include); err != nil {
			return nil, fmt.Errorf("directory include %q: %w", opts.Include, err)
		}
	}
	if opts.Exclude != "" {
		if exclude, err = globRegexp(opts.Exclude); err != nil {
			return nil, fmt.Errorf("directory exclude %q: %w", opts.Exclude, err)
		}
	}
	absDir := r.repo.Abs(dir)
	rootReal, err := filepath.EvalSymlinks(r.repo.Root)
	if err != nil {
		return nil, fmt.Errorf("resolving root: %w", err)
	}
	var files []string
	err = filepath.WalkDir(absDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != absDir && !opts.Recurse {
				return filepath.SkipDir
			}
			return nil
		}
		if !manifestFile.MatchString(d.Name()) {
			return nil
		}
		relToApp, err := filepath.Rel(absDir, p)
		if err != nil {
			return err
		}
		relToApp = filepath.ToSlash(relToApp)
		if exclude != nil && exclude.MatchString(relToApp) {
			return nil
		}
		if include != nil && !include.MatchString(relToApp) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return &FileError{File: r.repo.Rel(p), Err: fmt.Errorf("broken symlink: %w", err)}
			}
			if rr, err := filepath.Rel(rootReal, real); err != nil || rr == ".." || strings.HasPrefix(rr, "../") {
				return &FileError{File: r.repo.Rel(p), Err: errors.New("symlink points outside the repository")}
			}
			if st, err := os.Stat(real); err != nil || st.IsDir() {
				return nil
			}
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := &directoryOut{}
	for _, p := range files {
		rel := r.repo.Rel(p)
		if strings.HasSuffix(p, ".jsonnet") {
			out.jsonnet = append(out.jsonnet, rel)
			continue
		}
		data, err := r.fs.ReadFile(p)
		if err != nil {
			return nil, &FileError{File: rel, Err: err}
		}
		if bytes.Contains(data, []byte(skipMarker)) {
			continue
		}
		out.inputs = append(out.inputs, rel)
		if err := workspace.CheckYAMLBounds(data); err != nil {
			return nil, &FileError{File: rel, Err: err}
		}
		objs, err := decodeManifestFile(rel, data)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			out.resources = append(out.resources, &resource.Resource{Object: o.Object, Origin: resource.Origin{File: rel, Line: o.Line}})
		}
	}
	return out, nil
}

// decodeManifestFile decodes one file of a directory source. A YAML file
// whose first document is not an object with kind is ignored unless it looks
// like a manifest; a later bad document is an error. JSON files hold one
// object.
func decodeManifestFile(rel string, data []byte) ([]workspace.Document, error) {
	if strings.HasSuffix(rel, ".json") {
		docs, err := workspace.ParseDocuments(rel, data)
		if err != nil || len(docs) != 1 || docs[0].Object == nil {
			if err == nil {
				err = errors.New("a JSON manifest must hold one object")
			}
			return nil, locate(rel, err)
		}
		if _, ok := docs[0].Object["kind"].(string); !ok {
			return nil, &FileError{File: rel, Line: 1, Err: errors.New("object has no kind")}
		}
		return docs, nil
	}
	docs, perr := workspace.ParseDocuments(rel, data)
	var out []workspace.Document
	for i, d := range docs {
		if d.Object == nil && d.Value == nil {
			continue
		}
		_, hasKind := d.Object["kind"].(string)
		if d.Object == nil || !hasKind {
			if i == 0 && len(out) == 0 && !looksLikeManifest(data) {
				return nil, nil
			}
			return nil, &FileError{File: rel, Line: d.Line, Err: errors.New("document is not a Kubernetes object (no kind)")}
		}
		out = append(out, d)
	}
	if perr != nil {
		if len(out) == 0 && !looksLikeManifest(data) {
			return nil, nil
		}
		return nil, locate(rel, perr)
	}
	return out, nil
}

func looksLikeManifest(data []byte) bool {
	return bytes.Contains(data, []byte("apiVersion:")) && bytes.Contains(data, []byte("kind:")) && bytes.Contains(data, []byte("metadata:"))
}

// locate turns a YAML error into a FileError.
func locate(rel string, err error) error {
	var ye *workspace.YAMLError
	if errors.As(err, &ye) {
		return &FileError{File: rel, Line: ye.Line, Err: &relError{msg: "malformed YAML: " + ye.Message(), err: ye}}
	}
	return &FileError{File: rel, Err: err}
}

// globRegexp compiles an Argo CD directory include/exclude glob: `*` matches
// any run of characters including '/', `?` one character, `[...]` a class,
// `{a,b}` alternatives.
func globRegexp(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				return nil, errors.New("unterminated [")
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth == 0 {
				b.WriteString(regexp.QuoteMeta("}"))
				continue
			}
			depth--
			b.WriteString(")")
		case ',':
			if depth > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '\\':
			if i+1 < len(g) {
				i++
				b.WriteString(regexp.QuoteMeta(string(g[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if depth != 0 {
		return nil, errors.New("unterminated {")
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// relUnder reports whether rel (slash path) is dir or inside it.
func relUnder(rel, dir string) bool {
	return dir == "." || rel == dir || strings.HasPrefix(rel, dir+"/") || path.Clean(rel) == dir
}
