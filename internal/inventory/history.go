package inventory

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/render-check/render-check/internal/workspace"
)

// Change is the last commit that changed a line.
type Change struct {
	// Commit is the full SHA; "" for a change not committed yet (the
	// working tree differs from HEAD on that line).
	Commit  string `json:"commit,omitempty"`
	Author  string `json:"author,omitempty"`
	Date    string `json:"date,omitempty"`
	Subject string `json:"subject,omitempty"`
	// Uncommitted: the line differs from HEAD in the working tree.
	Uncommitted bool `json:"uncommitted,omitempty"`
	// Previous is the text the line had before that change ("" when the
	// change added the line, or replaced several lines so that its
	// predecessor is ambiguous); HasPrevious tells the two apart.
	Previous    string `json:"-"`
	HasPrevious bool   `json:"-"`
}

// LineRef is one line of one repo-relative file (forward slashes).
type LineRef struct {
	File string
	Line int
}

// commitMarker starts every commit header of the history walk; the fields
// are NUL-separated so a subject or an author name cannot forge one.
const commitMarker = "\x00commit\x00"

// Blame returns, for each requested line of the working tree under root,
// the last commit that changed it on the first-parent history of HEAD. It
// walks the history once for all files: one `git log -p -U0` limited to the
// files asked about (plus one `git diff HEAD` for uncommitted edits), and
// maps each line back through every hunk, as git blame does along a single
// line of history. A merge commit is charged with what it brought to the
// first parent (the pull request's merge). Lines of files git does not
// track are absent from the result. In a shallow clone the lines older than
// the fetched history are absent too and the error is a *ShallowError with
// the rest of the result; any other error means git could not run or root
// is not inside a work tree.
func Blame(ctx context.Context, root string, lines []LineRef) (map[LineRef]Change, error) {
	out := map[LineRef]Change{}
	if len(lines) == 0 {
		return out, nil
	}
	git := workspace.Git{Dir: root}
	// tracked: per file, current line (in the version being walked) ->
	// the line in the working tree it stands for.
	tracked := map[string]map[int]int{}
	for _, l := range lines {
		if l.File == "" || l.Line <= 0 {
			continue
		}
		if tracked[l.File] == nil {
			tracked[l.File] = map[int]int{}
		}
		tracked[l.File][l.Line] = l.Line
	}
	files := make([]string, 0, len(tracked))
	for f := range tracked {
		files = append(files, f)
	}
	sort.Strings(files)
	specs := make([]string, 0, len(files))
	size := 0
	for _, f := range files {
		// literal: a file name from the repo is never a glob or magic
		specs = append(specs, ":(literal)"+f)
		size += len(f) + 11
	}
	if size > maxPathspecBytes {
		// too long for a command line: walk every file's history and keep
		// the tracked ones (the parser ignores the others)
		specs = []string{"."}
	}
	if _, err := git.Run(ctx, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	diffArgs := []string{"-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "--no-textconv",
		"--no-renames", "--relative", "-U0", "HEAD", "--"}
	wt, err := git.Run(ctx, append(diffArgs, specs...)...)
	if err != nil {
		return nil, fmt.Errorf("reading uncommitted changes: %w", err)
	}
	w := &walk{tracked: tracked, out: out}
	if err := w.parse(strings.NewReader(wt), &Change{Uncommitted: true}); err != nil {
		return nil, err
	}
	logArgs := []string{"-c", "core.quotePath=false", "log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
		"--no-renames", "--relative", "--first-parent", "--diff-merges=first-parent",
		"--format=" + strings.ReplaceAll(commitMarker, "\x00", "%x00") + "%H%x00%an%x00%aI%x00%s", "HEAD", "--"}
	hist, err := git.Run(ctx, append(logArgs, specs...)...)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	if err := w.parse(strings.NewReader(hist), nil); err != nil {
		return nil, err
	}
	return out, shallowCheck(ctx, root, out)
}

// maxPathspecBytes bounds the file list passed on git's command line.
const maxPathspecBytes = 128 << 10

// ShallowError means the checkout is a shallow clone: the lines last
// changed before the fetched history are unknown (left out of the
// result), because its oldest commit shows every line as added.
type ShallowError struct {
	// Unknown is the number of lines left out.
	Unknown int
}

func (e *ShallowError) Error() string {
	return fmt.Sprintf("shallow clone: the last change of %d line(s) is older than the fetched history; fetch the whole history (actions/checkout fetch-depth: 0, or git fetch --unshallow)", e.Unknown)
}

// shallowCheck drops the lines charged to the boundary commits of a
// shallow clone (they look parentless, so everything in them looks added)
// and reports a *ShallowError when there were any.
func shallowCheck(ctx context.Context, root string, out map[LineRef]Change) error {
	git := workspace.Git{Dir: root}
	s, err := git.Run(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return fmt.Errorf("reading history: %w", err)
	}
	if strings.TrimSpace(s) != "true" {
		return nil
	}
	roots, err := git.Run(ctx, "rev-list", "--first-parent", "--max-parents=0", "HEAD")
	if err != nil {
		return fmt.Errorf("reading history: %w", err)
	}
	boundary := map[string]bool{}
	for _, r := range strings.Fields(roots) {
		boundary[r] = true
	}
	n := 0
	for l, c := range out {
		if boundary[c.Commit] {
			delete(out, l)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &ShallowError{Unknown: n}
}

// walk maps lines back through the patches of the history, newest first.
type walk struct {
	tracked map[string]map[int]int
	out     map[LineRef]Change
}

// hunk is one -U0 hunk: old lines [oldStart, oldStart+oldCount) became new
// lines [newStart, newStart+newCount).
type hunk struct {
	oldStart, oldCount, newStart, newCount int
	removed                                []string
}

// parse reads a patch stream. fixed is the change every patch in it is
// charged with (the working tree); nil when the stream carries commit
// headers.
func (w *walk) parse(r *strings.Reader, fixed *Change) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	cur := fixed
	var file string // the file of the current patch ("" when not tracked)
	var hunks []hunk
	flush := func() {
		if file != "" && cur != nil && len(hunks) > 0 {
			w.apply(file, hunks, *cur)
		}
		file, hunks = "", nil
	}
	var minus string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case fixed == nil && strings.HasPrefix(line, commitMarker):
			flush()
			f := strings.Split(strings.TrimPrefix(line, commitMarker), "\x00")
			if len(f) != 4 {
				return fmt.Errorf("reading history: unexpected commit header %q", line)
			}
			cur = &Change{Commit: f[0], Author: f[1], Date: f[2], Subject: f[3]}
		case strings.HasPrefix(line, "diff --git "):
			flush()
			minus = ""
		case len(hunks) == 0 && strings.HasPrefix(line, "--- "):
			minus = patchPath(strings.TrimPrefix(line, "--- "))
		case len(hunks) == 0 && strings.HasPrefix(line, "+++ "):
			p := patchPath(strings.TrimPrefix(line, "+++ "))
			if p == "" {
				p = minus // deleted: nothing of it is in the newer version
			}
			if w.tracked[p] != nil {
				file = p
			}
		case strings.HasPrefix(line, "@@ "):
			h, err := parseHunk(line)
			if err != nil {
				return err
			}
			hunks = append(hunks, h)
		case len(hunks) > 0 && strings.HasPrefix(line, "-"):
			hunks[len(hunks)-1].removed = append(hunks[len(hunks)-1].removed, line[1:])
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading history: %w", err)
	}
	return nil
}

// patchPath strips the a/ or b/ prefix of a patch header path ("" for
// /dev/null), unquoting git's C-style quoting.
func patchPath(s string) string {
	s = strings.TrimSuffix(s, "\t")
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
	}
	if s == "/dev/null" {
		return ""
	}
	if len(s) > 2 && (s[:2] == "a/" || s[:2] == "b/") {
		return s[2:]
	}
	return s
}

// parseHunk reads "@@ -a[,b] +c[,d] @@ ...".
func parseHunk(line string) (hunk, error) {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return hunk{}, fmt.Errorf("reading history: bad hunk header %q", line)
	}
	var h hunk
	var err1, err2 error
	h.oldStart, h.oldCount, err1 = hunkRange(f[1][1:])
	h.newStart, h.newCount, err2 = hunkRange(f[2][1:])
	if err := errors.Join(err1, err2); err != nil {
		return hunk{}, fmt.Errorf("reading history: bad hunk header %q: %w", line, err)
	}
	return h, nil
}

func hunkRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ",")
	start, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return start, 1, nil
	}
	n, err := strconv.Atoi(b)
	return start, n, err
}

// apply charges c with the tracked lines of file that its hunks added and
// moves the others to their line numbers before the change.
func (w *walk) apply(file string, hunks []hunk, c Change) {
	lines := w.tracked[file]
	next := map[int]int{}
	for cur, orig := range lines {
		shift := 0
		hit := -1
		for i, h := range hunks {
			if h.newCount > 0 && cur >= h.newStart && cur < h.newStart+h.newCount {
				hit = i
				break
			}
			// the hunk lies wholly before cur
			if (h.newCount > 0 && cur >= h.newStart+h.newCount) || (h.newCount == 0 && cur > h.newStart) {
				shift += h.oldCount - h.newCount
			}
		}
		if hit < 0 {
			next[cur+shift] = orig
			continue
		}
		ch := c
		h := hunks[hit]
		if h.oldCount == h.newCount && len(h.removed) == h.oldCount {
			ch.Previous, ch.HasPrevious = h.removed[cur-h.newStart], true
		}
		ch.removedCandidates(h.removed)
		w.out[LineRef{File: file, Line: orig}] = ch
	}
	if len(next) == 0 {
		delete(w.tracked, file)
		return
	}
	w.tracked[file] = next
}

// removedCandidates keeps a single removed line as the predecessor when
// the hunk replaced one line by several or several by one.
func (c *Change) removedCandidates(removed []string) {
	if !c.HasPrevious && len(removed) == 1 {
		c.Previous, c.HasPrevious = removed[0], true
	}
}
