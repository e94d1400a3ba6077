// Package imagebump finds the references to a container image in the
// source files of a config repo (kustomizations, Helm values, manifests,
// Argo CD Applications) and sets a new tag or digest by editing only that
// token: every other byte of every file stays as it was.
package imagebump

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/diff"
	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// Options describe one bump.
type Options struct {
	// Root is the config repo checkout.
	Root string
	// ClusterGlobs are the cluster directory globs, relative to Root.
	// Default: clusters/*.
	ClusterGlobs []string
	// Image is the repository to bump, without tag or digest.
	Image string
	// Exactly one of Tag, Digest and Semver is set. Semver is a range; the
	// highest matching tag in the registry is used.
	Tag, Digest, Semver string
	// Clusters limits the bump to references that reach these clusters.
	Clusters []string
	// AllowShared also edits references that reach clusters outside
	// Clusters (e.g. in a shared base).
	AllowShared bool
	// Verify checks that the new tag or digest exists before writing.
	Verify bool
	// DryRun computes the edits and the diff and writes nothing.
	DryRun bool
	// Registry answers Verify and Semver; required for them.
	Registry Registry
	// Renderer, when set, gives exact reach (the files each app reads,
	// rendering only the apps that may read a file referencing the image)
	// and checks, with the edits applied in memory, that the apps deploy
	// the new reference before anything is written; a bump that does not
	// change what is deployed writes nothing.
	Renderer Renderer
	// Workspace, when set, is the opened checkout at Root (the one the
	// Renderer reads, so the checkout is listed once); nil: Root is opened.
	Workspace *workspace.Workspace
}

// Status is what a bump did (or would do) with one reference.
type Status string

// Reference statuses.
const (
	// StatusChanged: the token was (or, in a dry run, would be) replaced.
	StatusChanged Status = "changed"
	// StatusCurrent: the reference already is the target.
	StatusCurrent Status = "current"
	// StatusShared: it also reaches clusters outside --cluster; left alone
	// without --allow-shared.
	StatusShared Status = "skipped-shared"
	// StatusOtherCluster: it reaches none of the --cluster clusters.
	StatusOtherCluster Status = "skipped-other-cluster"
	// StatusUnused: no rendered app reads the file.
	StatusUnused Status = "skipped-unused"
	// StatusEmptyTag: the tag field is empty (""), so the chart's
	// appVersion or another file decides; left alone.
	StatusEmptyTag Status = "skipped-empty-tag"
)

// Reference is one reference to the image and what the bump did to it.
type Reference struct {
	// File, Line and Column are where the edit is: the edited token, or,
	// for a key added to a kustomization images: entry (newTag:, digest:),
	// the entry's line that the image check names (the new line does not
	// exist before the bump).
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	// ReferenceLine is the line of File the image check's findings name for
	// this reference: its tag (the digest when there is no tag), its image
	// string, or its images: entry. It differs from Line only when a
	// --digest bump edits a digest field beside a tag: the finding names
	// the tag that deploys now, the bump edits the digest that will win.
	ReferenceLine int  `json:"referenceLine"`
	Kind          Kind `json:"kind"`
	// Field is the YAML path of the edited value.
	Field string `json:"field"`
	// Old is the reference as it was (repository[:tag][@digest]); New as
	// it is (or would be) after the bump.
	Old      string   `json:"old"`
	New      string   `json:"new"`
	Clusters []string `json:"clusters,omitempty"`
	Status   Status   `json:"status"`
}

// Result is the outcome of a bump.
type Result struct {
	// Image is the normalised repository.
	Image string `json:"image"`
	// Tag or Digest is the new value.
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"`
	DryRun bool   `json:"dryRun"`
	// Changed reports whether any file changed (or would, in a dry run).
	Changed bool `json:"changed"`
	// Files are the changed files, repo-relative, sorted.
	Files      []string    `json:"files"`
	References []Reference `json:"references"`
	// Verified: the registry confirmed the new tag or digest exists.
	Verified bool `json:"verified"`
	// RenderChecked: the apps were rendered with the edits (before
	// writing them) and deploy the new reference.
	RenderChecked bool `json:"renderChecked"`
	// RenderedApps and SkippedApps count the Applications rendered to find
	// which apps read the files referencing the image, and those left out
	// because they cannot read one (0 and 0 without rendering).
	RenderedApps int `json:"renderedApps,omitempty"`
	SkippedApps  int `json:"skippedApps,omitempty"`
	// CheckedApps counts the apps rendered with the edits to confirm them.
	CheckedApps int `json:"checkedApps,omitempty"`
	// Diff is the unified diff of the change.
	Diff string `json:"diff,omitempty"`
}

// RefusedError means the bump was refused and nothing was written. Every
// problem says what to do.
type RefusedError struct {
	Problems []Problem
}

func (e *RefusedError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return "bump refused: " + strings.Join(msgs, "; ")
}

func refuse(ps ...Problem) error {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return &RefusedError{Problems: slices.Compact(ps)}
}

// Bump finds every reference to opts.Image under opts.Root and sets it to
// the new tag or digest. It returns a *RefusedError when the bump is
// refused (nothing written) and another error when it could not run.
func Bump(ctx context.Context, opts Options) (*Result, error) {
	return bump(ctx, opts, realFS())
}

func bump(ctx context.Context, opts Options, fsys fsOps) (*Result, error) {
	canonical, err := ParseRepository(opts.Image)
	if err != nil {
		return nil, err
	}
	if n := btoi(opts.Tag != "") + btoi(opts.Digest != "") + btoi(opts.Semver != ""); n != 1 {
		return nil, errors.New("give exactly one of a tag, a digest and a semver range")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	globs := opts.ClusterGlobs
	if len(globs) == 0 {
		globs = []string{"clusters/*"}
	}
	ws := opts.Workspace
	if ws == nil {
		if ws, err = workspace.Open(ctx, root, workspace.Settings{}); err != nil {
			return nil, err
		}
	}
	// the one cluster discovery (as check: "_" and "." directories are not clusters)
	clusters, err := workspace.FindClusters(ws.FS(), globs)
	if err != nil {
		return nil, err
	}
	for _, want := range opts.Clusters {
		if !slices.ContainsFunc(clusters, func(c Cluster) bool { return c.Name == want }) {
			return nil, &UnknownClusterError{Name: want, Known: clusterNames(clusters)}
		}
	}

	rfs, err := rootfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer rfs.Close()
	sc := newScanner(ws, rfs, canonical)
	if err := sc.scanRoot(ctx); err != nil {
		return nil, err
	}

	if len(sc.cands) == 0 && len(sc.problems) == 0 {
		return nil, refuse(Problem{Message: fmt.Sprintf("%s is referenced nowhere in the %d YAML files under the root: check the --image spelling against the files (kustomization images:, Helm values image.repository, image: fields)", canonical, sc.scanned)})
	}
	// The registry first: it is cheaper than rendering every cluster.
	res := &Result{Image: canonical, DryRun: opts.DryRun, References: []Reference{}}
	target, verified, err := resolveTarget(ctx, opts, canonical)
	if err != nil {
		return nil, err
	}
	res.Tag, res.Digest, res.Verified = target.Tag, target.Digest, verified

	var reach reacher
	var failed []string // apps that did not render
	renderer := opts.Renderer
	if renderer != nil {
		// only the apps that may read a file referencing the image
		var interest []string
		for _, c := range sc.cands {
			interest = appendUnique(interest, c.file)
		}
		for _, p := range sc.problems {
			if p.File != "" {
				interest = appendUnique(interest, p.File)
			}
		}
		sort.Strings(interest)
		out, err := renderer.Render(ctx, RenderRequest{Files: interest})
		if err != nil {
			return nil, fmt.Errorf("rendering to find which clusters each file reaches: %w", err)
		}
		for _, a := range out.Apps {
			if a.Failed != "" {
				failed = append(failed, fmt.Sprintf("%s/%s: %s", a.Cluster, a.Name, a.Failed))
			}
		}
		res.RenderedApps, res.SkippedApps = len(out.Apps), out.Skipped
		if len(out.Apps)+out.Skipped > 0 {
			reach = newRenderReach(out.Apps)
		} else {
			renderer = nil // no Argo CD apps: nothing to render, reach by path
		}
	}
	if reach == nil {
		reach = newPathReach(ctx, ws, clusters)
	}
	rendered := renderer != nil
	// selected tells whether a file reaching clusters cs is in scope
	// (some) and whether all of cs are selected clusters (all).
	selected := func(cs []string) (some, all bool) {
		if len(opts.Clusters) == 0 {
			return len(cs) > 0 || !rendered, true
		}
		all = true
		for _, c := range cs {
			if slices.Contains(opts.Clusters, c) {
				some = true
			} else {
				all = false
			}
		}
		return some, all
	}

	// Problems found while scanning count when their file is in scope
	// (a file no rendered app reads cannot matter).
	var problems []Problem
	for _, p := range sc.problems {
		if some, _ := selected(reach.clustersOf(p.File)); some {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, refuse(problems...)
	}

	// Decide per reference.
	type planned struct {
		cand *candidate
		edit *nodeEdit
	}
	var plans []planned
	inScope, empty := 0, 0
	var skippedShared []string
	for _, c := range sc.cands {
		cs := reach.clustersOf(c.file)
		ref := Reference{File: c.file, Line: c.line(c.anchor), Column: c.anchor.Column, Kind: c.kind, Field: c.field,
			Old: c.image(), New: c.image(), Clusters: cs}
		ref.ReferenceLine = ref.Line
		some, all := selected(cs)
		switch {
		case rendered && len(cs) == 0:
			ref.Status = StatusUnused
		case !some:
			ref.Status = StatusOtherCluster
		case !all && !opts.AllowShared:
			ref.Status = StatusShared
			skippedShared = append(skippedShared, fmt.Sprintf("%s:%d", c.file, ref.Line))
		case c.emptyTag() && target.Tag != "":
			ref.Status = StatusEmptyTag
			empty++
		}
		if ref.Status != "" {
			res.References = append(res.References, ref)
			continue
		}
		inScope++
		edit, why := c.plan(target)
		if why != "" {
			problems = append(problems, Problem{File: c.file, Line: ref.Line, Message: why})
			continue
		}
		if edit == nil {
			ref.Status = StatusCurrent
		} else {
			ref.Status = StatusChanged
			ref.New = newImage(c, target)
			if (edit.node == c.digNode || edit.insertKey == "digest") && c.digField != "" {
				ref.Field = c.digField
			}
			if edit.insertKey == "" {
				ref.Line, ref.Column = c.line(edit.node), edit.node.Column
			} // an added pair: the entry's line (ref.Line), as the image check names it
		}
		res.References = append(res.References, ref)
		plans = append(plans, planned{cand: c, edit: edit})
	}
	if len(problems) > 0 {
		return nil, refuse(problems...)
	}
	if inScope == 0 {
		msg := fmt.Sprintf("%s is referenced (%d times) but not in a file that reaches cluster(s) %s", canonical, len(sc.cands), strings.Join(opts.Clusters, ", "))
		if len(skippedShared) > 0 {
			msg = fmt.Sprintf("every reference to %s reaching cluster(s) %s is shared with other clusters (%s): rerun with --allow-shared to change them for all of those clusters, or override the tag in the cluster's own files", canonical, strings.Join(opts.Clusters, ", "), strings.Join(skippedShared, ", "))
		} else if empty > 0 {
			msg = fmt.Sprintf("every reference to %s in scope has an empty tag (the chart's appVersion or another file decides): set the tag by hand once (e.g. tag: \"%s\"), then bumps can edit it", canonical, target.token())
		} else if rendered && len(opts.Clusters) == 0 {
			msg = fmt.Sprintf("%s is referenced only in files that no rendered app reads", canonical)
			if len(failed) > 0 {
				msg += fmt.Sprintf("; %d app(s) failed to render, so their files are unknown (first: %s): fix them with render-check check", len(failed), failed[0])
			}
		}
		return nil, refuse(Problem{Message: msg})
	}

	// Patch each file once, with all its edits.
	byFile := map[string][]*nodeEdit{}
	viaAlias := map[*yaml.Node]int{}
	for _, p := range plans {
		if p.edit != nil {
			byFile[p.cand.file] = append(byFile[p.cand.file], p.edit)
			if p.cand.viaAlias {
				viaAlias[p.edit.node]++
			}
		}
	}
	var writes []fileWrite
	var diffs []string
	overlay := map[string][]byte{} // the edits, for the render before writing
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, rel := range files {
		sf := sc.files[rel]
		newSrc, err := patchFile(sf, byFile[rel], viaAlias)
		if err != nil {
			p := Problem{File: rel, Message: err.Error()}
			var le *lineError
			if errors.As(err, &le) {
				p.Line, p.Message = le.line, le.msg
			}
			problems = append(problems, p)
			continue
		}
		if string(newSrc) == string(sf.src) {
			continue
		}
		if err := sc.target(sf); err != nil {
			return nil, err
		}
		abs, err := filepath.EvalSymlinks(sf.abs)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(writes, func(w fileWrite) bool { return w.path == abs }) {
			// one write per real file, however many links lead to it
			writes = append(writes, fileWrite{path: abs, old: sf.src, new: newSrc, mode: sf.mode})
		}
		overlay[rel] = newSrc
		if realRoot, err := filepath.EvalSymlinks(root); err == nil {
			if r, err := filepath.Rel(realRoot, abs); err == nil && filepath.IsLocal(r) {
				overlay[filepath.ToSlash(r)] = newSrc
			}
		}
		res.Files = append(res.Files, rel)
		diffs = append(diffs, string(diff.Diff("a/"+rel, sf.src, "b/"+rel, newSrc)))
	}
	if len(problems) > 0 {
		return nil, refuse(problems...)
	}
	res.Diff = strings.Join(diffs, "")
	res.Changed = len(writes) > 0
	if res.Files == nil {
		res.Files = []string{}
	}
	if opts.DryRun || !res.Changed {
		return res, nil
	}
	if renderer != nil {
		// confirm first, with the edits in memory: nothing is written
		// unless every app reading an edited file deploys the new reference
		ps, checked, err := checkRendered(ctx, renderer, canonical, target, res.References, overlay)
		res.CheckedApps = checked
		if err != nil {
			return nil, fmt.Errorf("rendering with the edit (nothing was written): %w", err)
		}
		if len(ps) > 0 {
			return nil, refuse(ps...)
		}
		res.RenderChecked = true
	}
	if err := fsys.writeAll(writes); err != nil {
		return nil, err
	}
	return res, nil
}

// UnknownClusterError is returned for a --cluster that is not a cluster directory.
type UnknownClusterError struct {
	Name  string
	Known []string
}

func (e *UnknownClusterError) Error() string {
	return fmt.Sprintf("unknown cluster %q (clusters: %s)", e.Name, strings.Join(e.Known, ", "))
}

func clusterNames(cs []Cluster) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newImage is the reference as it reads after the bump.
func newImage(c *candidate, t Target) string {
	s := c.repo
	switch {
	case t.Digest != "" && c.str:
		if c.curTag != "" && c.curDig != "" {
			s += ":" + c.curTag
		}
		s += "@" + t.Digest
	case t.Digest != "":
		if c.curTag != "" {
			s += ":" + c.curTag
		}
		s += "@" + t.Digest
	default:
		s += ":" + t.Tag
	}
	return s
}

// resolveTarget turns --tag/--digest/--semver into a tag or digest and
// checks it exists in the registry (when asked).
func resolveTarget(ctx context.Context, opts Options, canonical string) (Target, bool, error) {
	t := Target{Tag: opts.Tag, Digest: opts.Digest}
	repo := opts.Image
	if opts.Semver != "" {
		if opts.Registry == nil {
			return t, false, errors.New("--semver needs the registry to list tags")
		}
		tags, err := opts.Registry.Tags(ctx, repo)
		if err != nil {
			return t, false, refuse(Problem{Message: fmt.Sprintf("listing the tags of %s: %v; check the registry address and credentials", repo, err)})
		}
		tag, err := pickSemver(tags, opts.Semver)
		if err != nil {
			return t, false, refuse(Problem{Message: fmt.Sprintf("%s: %v; push a matching tag first or widen the range", repo, err)})
		}
		t.Tag = tag
	}
	if !opts.Verify {
		return t, false, nil
	}
	if opts.Registry == nil {
		return t, false, errors.New("verifying needs a registry client")
	}
	ref := repo + ":" + t.Tag
	if t.Digest != "" {
		ref = repo + "@" + t.Digest
	}
	if err := opts.Registry.Exists(ctx, ref); err != nil {
		if errors.Is(err, ErrNotFound) {
			return t, false, refuse(Problem{Message: fmt.Sprintf("%s does not exist in the registry: push it first (or check the spelling); --no-verify skips this check", ref)})
		}
		return t, false, refuse(Problem{Message: fmt.Sprintf("cannot verify %s: %v; fix registry access or pass --no-verify", ref, err)})
	}
	return t, true, nil
}
