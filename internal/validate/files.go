package validate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/rootfs"
)

// FilesResult is the outcome of ValidateFiles.
type FilesResult struct {
	// Findings are sorted.
	Findings []report.Finding
	// Files and Resources count what was read and validated.
	Files, Resources int
}

// Input is one manifest stream: a file, or stdin under a display name.
type Input struct {
	// Name is reported as the findings' file.
	Name string
	// Open opens the stream; it may be called more than once (CRDs are
	// collected in a first pass).
	Open func() (io.ReadCloser, error)
}

// BytesInput returns an Input reading data.
func BytesInput(name string, data []byte) Input {
	return Input{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// FileInput returns an Input reading the file at path, reported as name.
func FileInput(name, path string) Input {
	return Input{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// ValidateFiles validates every object of the inputs (multi-document YAML,
// JSON, Lists) in parallel, and reports duplicates across all of them.
// Findings are sorted; memory holds one input at a time plus one key per
// object for duplicate detection.
func ValidateFiles(ctx context.Context, v *Validator, inputs []Input) (*FilesResult, error) {
	type job struct {
		file  string
		index int
		chunk Chunk
	}
	// objKey is what duplicate detection keeps per object.
	type objKey struct {
		key, apiVersion string
		file, line      int32
	}
	workers := max(runtime.GOMAXPROCS(0), 1)
	jobs := make(chan job, workers*4)
	var (
		mu       sync.Mutex
		findings []report.Finding
		keys     []objKey
		count    int
	)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []report.Finding
			var localKeys []objKey
			n := 0
			for j := range jobs {
				for _, d := range ParseChunk(j.chunk, v.strict) {
					if d.Err != nil {
						local = append(local, report.Finding{Rule: report.RuleSchemaMalformed, Severity: report.SeverityError,
							File: j.file, Line: d.ErrLine, Message: d.Err.Error()})
						continue
					}
					n++
					ref := objectRef(d.Object)
					for _, p := range v.Validate(d.Object) {
						line := d.Line
						if len(p.Path) > 0 {
							line = d.FieldLine(p.Path)
						}
						local = append(local, report.Finding{Rule: p.Rule, Severity: p.Severity, File: j.file, Line: line,
							Resource: ref, Message: problemMessage(p)})
					}
					if k := v.duplicateKey(d.Object); k != "" {
						localKeys = append(localKeys, objKey{key: k, apiVersion: ref.APIVersion, file: int32(j.index), line: int32(d.Line)})
					}
				}
			}
			mu.Lock()
			findings = append(findings, local...)
			keys = append(keys, localKeys...)
			count += n
			mu.Unlock()
		}()
	}
	var err error
	for i, in := range inputs {
		err = streamInput(ctx, in, func(c Chunk) error {
			select {
			case jobs <- job{file: in.Name, index: i, chunk: c}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	// Duplicates: the first occurrence in input order is the original.
	slices.SortFunc(keys, func(a, b objKey) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := int(a.file) - int(b.file); c != 0 {
			return c
		}
		return int(a.line) - int(b.line)
	})
	for i := 1; i < len(keys); i++ {
		if keys[i].key == keys[i-1].key {
			first := i - 1
			for first > 0 && keys[first-1].key == keys[i].key {
				first--
			}
			ref := refFromKey(keys[i].apiVersion, keys[i].key)
			findings = append(findings, report.Finding{Rule: report.RuleSchemaDuplicateResource, Severity: report.SeverityError,
				File: inputs[keys[i].file].Name, Line: int(keys[i].line), Resource: ref,
				Message: fmt.Sprintf("%s is already defined at %s:%d", ref, inputs[keys[first].file].Name, keys[first].line)})
		}
	}
	return &FilesResult{Findings: report.Sort(GroupMissing(findings)), Files: len(inputs), Resources: count}, nil
}

func streamInput(ctx context.Context, in Input, fn func(Chunk) error) error {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := StreamDocuments(rc, fn); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("reading %s: %w", in.Name, err)
	}
	return nil
}

// refFromKey rebuilds a reference from a duplicate key (group/kind/ns/name).
func refFromKey(apiVersion, key string) *report.ResourceRef {
	parts := strings.SplitN(key, "/", 4)
	if len(parts) != 4 {
		return nil
	}
	return &report.ResourceRef{APIVersion: apiVersion, Kind: parts[1], Namespace: parts[2], Name: parts[3]}
}

// problemMessage prefixes the message with the field path.
func problemMessage(p Problem) string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

func objectRef(obj map[string]any) *report.ResourceRef {
	md, _ := obj["metadata"].(map[string]any)
	ref := &report.ResourceRef{}
	ref.APIVersion, _ = obj["apiVersion"].(string)
	ref.Kind, _ = obj["kind"].(string)
	ref.Namespace, _ = md["namespace"].(string)
	ref.Name, _ = md["name"].(string)
	if ref.Name == "" {
		if g, ok := md["generateName"].(string); ok {
			ref.Name = g + "*"
		}
	}
	if ref.Kind == "" && ref.Name == "" {
		return nil
	}
	return ref
}

// duplicateKey identifies obj in a cluster as Argo CD does
// (group/kind/namespace/name, no namespace for cluster-scoped kinds); "" for
// objects without a name (generateName) or kind.
func (v *Validator) duplicateKey(obj map[string]any) string {
	apiVersion, _ := obj["apiVersion"].(string)
	kindName, _ := obj["kind"].(string)
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if kindName == "" || name == "" || v.Skipped(apiVersion, kindName) {
		return ""
	}
	ns, _ := md["namespace"].(string)
	if namespaced, known := v.Namespaced(apiVersion, kindName); known && !namespaced {
		ns = ""
	}
	return groupOf(apiVersion) + "/" + kindName + "/" + ns + "/" + name
}

// CRDsFromPaths reads CustomResourceDefinitions from files and directories
// (recursively: .yaml, .yml, .json; hidden directories skipped). Relative
// paths are resolved against root and read through it (rootfs: never
// through a symlink out of it); sources are reported relative to root
// when inside it. Documents that are not valid YAML (templates) are ignored;
// a CRD that cannot be converted is a schema/crd-invalid finding.
func CRDsFromPaths(root string, paths []string) ([]CRDSchema, []report.Finding, error) {
	var crds []CRDSchema
	var findings []report.Finding
	var rfs *rootfs.FS
	for _, p := range paths {
		fsys, dir, name := hostPath(p)
		switch {
		case root != "" && !filepath.IsAbs(p):
			if rfs == nil {
				var err error
				if rfs, err = rootfs.Open(root); err != nil {
					return nil, nil, fmt.Errorf("reading CRDs: %w", err)
				}
				defer rfs.Close()
			}
			fsys, dir, name = rfs.IOFS(), path.Clean(filepath.ToSlash(p)), func(f string) string { return f }
		case root != "":
			spelled := name
			name = func(f string) string {
				s := spelled(f)
				if rel, err := filepath.Rel(root, filepath.FromSlash(s)); err == nil && !strings.HasPrefix(rel, "..") {
					return filepath.ToSlash(rel)
				}
				return s
			}
		}
		// the whole repo (".") is scanned leniently: one unreadable file or
		// dangling link must not stop the schema check; configured paths must read
		lenient := p == "."
		st, err := fs.Stat(fsys, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("reading CRDs: %w", err)
		}
		files := []string{dir} // a file named is read whatever its extension
		if st.IsDir() {
			if files, err = ManifestFiles(fsys, dir, lenient); err != nil {
				return nil, nil, fmt.Errorf("reading CRDs: %w", err)
			}
		}
		for _, f := range files {
			data, err := fs.ReadFile(fsys, f)
			if err != nil {
				if lenient {
					continue
				}
				return nil, nil, fmt.Errorf("reading CRDs: %w", err)
			}
			if !bytes.Contains(data, []byte("CustomResourceDefinition")) {
				continue
			}
			c, f := crdsInData(name(f), data)
			crds = append(crds, c...)
			findings = append(findings, f...)
		}
	}
	return crds, findings, nil
}

// hostPath maps a path the user names (absolute, or relative to the
// working directory) to the host filesystem, a slash name in it and the
// inverse for reporting.
func hostPath(p string) (fs.FS, string, func(string) string) {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	vol := filepath.VolumeName(abs)
	fsys := os.DirFS(vol + string(filepath.Separator))
	rel := strings.TrimPrefix(filepath.ToSlash(abs[len(vol):]), "/")
	if rel == "" {
		rel = "."
	}
	clean := filepath.ToSlash(filepath.Clean(p))
	return fsys, rel, func(f string) string {
		// report under the spelling the user gave
		if f == rel {
			return clean
		}
		if rest, ok := strings.CutPrefix(f, rel+"/"); ok {
			return path.Join(clean, rest)
		}
		return f
	}
}

// ManifestFiles walks dir of fsys (a slash path, "." for its top) and
// returns the .yaml, .yml and .json files under it in lexical walk order,
// hidden directories below dir skipped: the one walk of a manifest tree
// (validate's and diff's arguments, CRD paths). With lenient, entries
// below dir that cannot be read are skipped instead of failing the walk.
func ManifestFiles(fsys fs.FS, dir string, lenient bool) ([]string, error) {
	var out []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if lenient && p != dir {
				return nil
			}
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		switch strings.ToLower(path.Ext(p)) {
		case ".yaml", ".yml", ".json":
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// CRDsFromFiles reads the CustomResourceDefinitions of a checkout's file
// list (the workspace's: slash paths relative to the root, read with read),
// leniently as CRDsFromPaths scans ".": .yaml, .yml and .json files outside
// hidden directories; unreadable files are skipped.
func CRDsFromFiles(files []string, read func(rel string) ([]byte, error)) ([]CRDSchema, []report.Finding) {
	var crds []CRDSchema
	var findings []report.Finding
	for _, f := range files {
		switch strings.ToLower(path.Ext(f)) {
		case ".yaml", ".yml", ".json":
		default:
			continue
		}
		if dir := path.Dir(f); dir != "." && slices.ContainsFunc(strings.Split(dir, "/"), func(d string) bool { return strings.HasPrefix(d, ".") }) {
			continue
		}
		data, err := read(f)
		if err != nil || !bytes.Contains(data, []byte("CustomResourceDefinition")) {
			continue
		}
		c, fs := crdsInData(f, data)
		crds = append(crds, c...)
		findings = append(findings, fs...)
	}
	return crds, findings
}

func crdsInData(name string, data []byte) ([]CRDSchema, []report.Finding) {
	return crdsInChunks(name, SplitDocuments(data))
}

func crdsInChunks(name string, chunks []Chunk) ([]CRDSchema, []report.Finding) {
	var crds []CRDSchema
	var findings []report.Finding
	for _, c := range chunks {
		for _, d := range ParseChunk(c, false) {
			if d.Err != nil || !IsCRD(d.Object) {
				continue
			}
			cs, err := ConvertCRD(d.Object)
			if err != nil {
				findings = append(findings, report.Finding{Rule: report.RuleSchemaCRDInvalid, Severity: report.SeverityError, File: name, Line: d.Line,
					Resource: objectRef(d.Object), Message: err.Error()})
				continue
			}
			for i := range cs {
				cs[i].Source = fmt.Sprintf("%s:%d", name, d.Line)
			}
			crds = append(crds, cs...)
		}
	}
	return crds, findings
}

// CRDsFromInputs returns the CRDs defined in the inputs themselves.
func CRDsFromInputs(ctx context.Context, inputs []Input) ([]CRDSchema, []report.Finding, error) {
	var crds []CRDSchema
	var findings []report.Finding
	for _, in := range inputs {
		err := streamInput(ctx, in, func(c Chunk) error {
			if !bytes.Contains(c.Data, []byte("CustomResourceDefinition")) {
				return nil
			}
			cs, f := crdsInChunks(in.Name, []Chunk{c})
			crds = append(crds, cs...)
			findings = append(findings, f...)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return crds, findings, nil
}
