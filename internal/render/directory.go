package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// skipMarker excludes a file from a directory source (Argo CD v3.1+).
const skipMarker = "+argocd:skip-file-rendering"

var manifestFile = regexp.MustCompile(`\.(yaml|yml|json|jsonnet)$`)

// directoryOut is the output of a directory source.
type directoryOut struct {
	resources []*resource.Resource
	inputs    []string
}

// renderDirectory reads the manifests of a directory source as the
// repo-server's findManifests does: files in walk order (lexical per
// directory), the extension filter unless disableExtensionFilter, symlinks
// checked before include/exclude, the skip marker, then YAML/JSON decoding
// or jsonnet evaluation.
func (r *renderer) renderDirectory(ctx context.Context, dir string, opts *argo.DirectorySource, env map[string]string) (*directoryOut, error) {
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
	dir = path.Clean(dir)
	// every file of the directory matters, those skipped included
	rendercache.FromContext(ctx).Tree(r.repo.Abs(dir))
	var files []string
	// the walk goes through the rooted filesystem: a directory reached
	// through a symlink out of the root is never listed
	err = fs.WalkDir(r.fs.IOFS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && !opts.Recurse {
				return fs.SkipDir
			}
			return nil
		}
		if !opts.DisableExtensionFilter && !manifestFile.MatchString(d.Name()) {
			return nil
		}
		relToApp := p
		if dir != "." {
			relToApp = strings.TrimPrefix(p, dir+"/")
		}
		if d.Type()&fs.ModeSymlink != 0 {
			st, err := r.fs.Stat(p)
			var oob *rootfs.OutOfBoundsError
			if errors.As(err, &oob) {
				return &FileError{File: p, Err: errors.New("symlink points outside the repository")}
			}
			if err != nil || !st.Mode().IsRegular() {
				return nil // a dangling symlink is skipped with a warning in Argo CD
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		if exclude != nil && exclude.MatchString(relToApp) {
			return nil
		}
		if include != nil && !include.MatchString(relToApp) {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &directoryOut{}
	var jsonnet *jsonnetEvaluator
	for _, rel := range files {
		data, err := r.fs.ReadFile(rel)
		if err != nil {
			return nil, &FileError{File: rel, Err: err}
		}
		if bytes.Contains(data, []byte(skipMarker)) {
			continue
		}
		out.inputs = append(out.inputs, rel)
		var objs []workspace.Document
		if strings.HasSuffix(rel, ".jsonnet") {
			if jsonnet == nil {
				if jsonnet, err = r.newJsonnetEvaluator(dir, opts.Jsonnet, env); err != nil {
					return nil, err
				}
				defer jsonnet.close()
			}
			objs, err = jsonnet.evaluate(ctx, rel)
			out.inputs = append(out.inputs, jsonnet.imported()...)
			for _, p := range jsonnet.importer.probed() {
				rendercache.FromContext(ctx).Probe(r.repo.Abs(p))
			}
		} else {
			if err := workspace.CheckYAMLBounds(data); err != nil {
				return nil, &FileError{File: rel, Err: err}
			}
			objs, err = decodeManifestFile(rel, data)
		}
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			out.resources = append(out.resources, &resource.Resource{Object: o.Object, Origin: resource.Origin{File: rel, Line: o.Line}})
		}
	}
	return out, nil
}

// decodeManifestFile decodes one non-jsonnet file of a directory source
// with Kubernetes' YAML-or-JSON decoder, as Argo CD does (YAML 1.1 scalars,
// duplicate keys keep the last value, every document must be an object
// with kind). A .json file holds one object. Otherwise, when the first
// document fails the file is ignored unless it looks like a manifest; a
// failure after good documents is an error.
func decodeManifestFile(rel string, data []byte) ([]workspace.Document, error) {
	if strings.HasSuffix(rel, ".json") {
		obj, err := decodeJSONManifest(data)
		if err != nil {
			return nil, &FileError{File: rel, Line: 1, Err: err}
		}
		return []workspace.Document{{Line: 1, Object: obj}}, nil
	}
	docs, line, err := decodeYAMLOrJSON(data)
	if err != nil {
		if len(docs) == 0 && !looksLikeManifest(data) {
			return nil, nil
		}
		return nil, &FileError{File: rel, Line: line, Err: err}
	}
	return docs, nil
}

func looksLikeManifest(data []byte) bool {
	return bytes.Contains(data, []byte("apiVersion:")) && bytes.Contains(data, []byte("kind:")) && bytes.Contains(data, []byte("metadata:"))
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
