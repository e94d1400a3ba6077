package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/workspace"
)

// Source types, as in resource.App.SourceType.
const (
	TypeHelm      = "helm"
	TypeKustomize = "kustomize"
	TypeDirectory = "directory"
	TypePlugin    = "plugin"
	TypeMulti     = "multi"
	// TypeUnknown is an app none of whose sources could be read (external
	// repositories, or a failure before the type was known).
	TypeUnknown = "unknown"
)

// FileError is a render failure a repo file is at fault for.
type FileError struct {
	// File is repo-relative with forward slashes.
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	Err  error
}

// Error formats the error with its location.
func (e *FileError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	case e.File != "":
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// cleanSourcePath checks source.path as the repo-server does: relative to
// the repo root, "" is the root, absolute or escaping paths are errors. It
// returns the repo-relative slash path ("." for the root).
func cleanSourcePath(p string) (string, error) {
	if p == "" {
		return ".", nil
	}
	if path.IsAbs(p) || filepath.IsAbs(p) {
		return "", fmt.Errorf("source path %q is absolute", p)
	}
	c := path.Clean(filepath.ToSlash(p))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("source path %q escapes the repository", p)
	}
	return c, nil
}

// applyOverrides merges .argocd-source.yaml and then
// .argocd-source-<app>.yaml from the app path onto the source, as JSON merge
// patches (lists replaced); chart, path, repoURL and targetRevision are
// restored afterwards. It returns the override files read.
func applyOverrides(r *workspace.Workspace, src argo.Source, appPath, appName string) (argo.Source, []string, error) {
	var read []string
	for _, name := range []string{".argocd-source.yaml", ".argocd-source-" + appName + ".yaml"} {
		rel := path.Join(appPath, name)
		data, err := r.ReadFile(rel) // through the workspace (and a bump's overlay)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return src, read, &FileError{File: rel, Err: err}
		}
		read = append(read, rel)
		patch, err := overridePatch(data)
		if err != nil {
			// locate the syntax error when yaml.v3 can
			if _, perr := workspace.ParseDocuments(rel, data); perr != nil {
				var ye *workspace.YAMLError
				if errors.As(perr, &ye) {
					return src, read, &FileError{File: rel, Line: ye.Line, Err: &relError{msg: "malformed YAML: " + ye.Message(), err: ye}}
				}
			}
			return src, read, &FileError{File: rel, Err: fmt.Errorf("malformed override: %w", err)}
		}
		if patch == nil {
			continue
		}
		merged, err := mergePatchSource(src, patch)
		if err != nil {
			return src, read, &FileError{File: rel, Line: 1, Err: err}
		}
		src = merged
	}
	return src, read, nil
}

// overridePatch decodes an override file as Argo CD does (sigs.k8s.io/yaml
// YAMLToJSON: the first document, YAML 1.1 scalars, duplicate keys keep the
// last value); nil for an empty file.
func overridePatch(data []byte) (map[string]any, error) {
	j, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var patch map[string]any
	if err := dec.Decode(&patch); err != nil {
		return nil, fmt.Errorf("an override file must hold one mapping: %w", err)
	}
	return patch, nil
}

func mergePatchSource(src argo.Source, patch map[string]any) (argo.Source, error) {
	b, err := json.Marshal(src)
	if err != nil {
		return src, fmt.Errorf("encoding source: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return src, fmt.Errorf("encoding source: %w", err)
	}
	out, _ := mergePatch(m, patch).(map[string]any)
	b, err = json.Marshal(out)
	if err != nil {
		return src, fmt.Errorf("applying override: %w", err)
	}
	var merged argo.Source
	if err := json.Unmarshal(b, &merged); err != nil {
		return src, fmt.Errorf("applying override: %w", err)
	}
	merged.Chart, merged.Path, merged.RepoURL, merged.TargetRevision = src.Chart, src.Path, src.RepoURL, src.TargetRevision
	return merged, nil
}

// mergePatch applies an RFC 7386 JSON merge patch.
func mergePatch(target any, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergePatch(tm[k], v)
	}
	return tm
}

// sourceType decides how a source renders (ARGOCD.md step 2): an explicit
// block wins, else detection from the files directly in the app path dir
// of fsys (the checkout; nil: explicit blocks only).
func sourceType(src argo.Source, fsys fs.FS, dir string) (string, error) {
	var explicit []string
	if src.Helm != nil {
		explicit = append(explicit, TypeHelm)
	}
	if src.Kustomize != nil {
		explicit = append(explicit, TypeKustomize)
	}
	if src.Directory != nil {
		explicit = append(explicit, TypeDirectory)
	}
	if src.Plugin != nil {
		explicit = append(explicit, TypePlugin)
	}
	if len(explicit) > 1 {
		return "", fmt.Errorf("multiple application sources defined: %s", strings.Join(explicit, ", "))
	}
	if len(explicit) == 1 {
		return explicit[0], nil
	}
	if src.Chart != "" {
		return TypeHelm, nil
	}
	if fsys == nil {
		return "", errors.New("no directory to detect the source type in")
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", err
	}
	helm, kust := false, false
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		n := e.Name()
		if strings.HasSuffix(n, "Chart.yaml") {
			helm = true
		}
		if isKustomizationFile(n) {
			kust = true
		}
	}
	switch {
	case kust:
		return TypeKustomize, nil
	case helm:
		return TypeHelm, nil
	}
	return TypeDirectory, nil
}

// explicitType is the type an explicit block names ("" when none or several).
func explicitType(src argo.Source) string {
	t, err := sourceType(src, nil, "")
	if err != nil || src.Helm == nil && src.Kustomize == nil && src.Directory == nil && src.Plugin == nil {
		return ""
	}
	return t
}

// KustomizeVersionError is a kustomize.version that is not registered in
// render.kustomizeVersions (argocd-cm kustomize.version.*): Argo CD fails
// the app.
type KustomizeVersionError struct {
	Version string
}

// Error says what Argo CD says, and where to register the version.
func (e *KustomizeVersionError) Error() string {
	return fmt.Sprintf("kustomize version %s is not registered (Argo CD: kustomize.version.%s in argocd-cm; here: render.kustomizeVersions in %s)", e.Version, e.Version, config.FileName)
}

// buildEnv is Argo CD's build environment for one source; instance is the
// app's instance name (ARGOCD_APP_NAME).
func buildEnv(app *argo.Application, instance string, src argo.Source, revision string) map[string]string {
	short := func(n int) string {
		if len(revision) > n {
			return revision[:n]
		}
		return revision
	}
	project := app.Spec.Project
	if project == "" {
		project = "default" // NormalizeApplicationSpec
	}
	return map[string]string{
		"ARGOCD_APP_NAME":                   instance,
		"ARGOCD_APP_NAMESPACE":              app.Spec.Destination.Namespace,
		"ARGOCD_APP_REVISION":               revision,
		"ARGOCD_APP_REVISION_SHORT":         short(7),
		"ARGOCD_APP_REVISION_SHORT_8":       short(8),
		"ARGOCD_APP_PROJECT_NAME":           project,
		"ARGOCD_APP_SOURCE_REPO_URL":        src.RepoURL,
		"ARGOCD_APP_SOURCE_PATH":            src.Path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": src.TargetRevision,
	}
}

// envsubst substitutes $X and ${X} from env; unknown names become empty and
// "$$" is a literal "$".
func envsubst(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return os.Expand(s, func(k string) string {
		if k == "$" {
			return "$"
		}
		return env[k]
	})
}
