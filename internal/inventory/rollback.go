package inventory

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/imagebump"
)

// RollbackOptions describe one rollback: an image in one cluster back to
// the value it had before its last change.
type RollbackOptions struct {
	// Root, Config and Cluster select what to roll back; Image is the
	// repository (without tag or digest).
	Root    string
	Cluster string
	Image   string
	// Bump carries the rest of a bump's options (Registry, Verify, DryRun,
	// Renderer, ClusterGlobs, Config-derived settings). Root, Image,
	// Clusters, Tag and Digest are set by Rollback.
	Bump imagebump.Options
	// Inventory gives the inventory options besides Root, Clusters, Image
	// and History (e.g. Config).
	Inventory Options
}

// Rollback is what a rollback did (or, in a dry run, would do).
type Rollback struct {
	Image   string `json:"image"`
	Cluster string `json:"cluster"`
	// From is the tag (or digest) deployed now; To the one before the
	// last change, which the rollback sets.
	From string `json:"from"`
	To   string `json:"to"`
	// Undone is the commit whose change is rolled back.
	Undone Change `json:"undone"`
	// Lines are the lines where the image is set in the cluster.
	Lines []string `json:"lines"`
	// Bump is the bump that sets To, with the same edit, registry
	// verification and re-render as any bump.
	Bump *imagebump.Result `json:"bump"`
}

// RollBack finds where opts.Image is set for opts.Cluster, reads from the
// history the value those lines had before their last change, and bumps
// the image back to it in that cluster only (references shared with other
// clusters are refused, as bump does without --allow-shared). A refusal
// is an *imagebump.RefusedError, an unknown cluster a
// *render.UnknownClusterError; other errors mean it could not run.
func RollBack(ctx context.Context, opts RollbackOptions) (*Rollback, error) {
	iopts := opts.Inventory
	iopts.Root, iopts.Clusters, iopts.Image, iopts.History = opts.Root, []string{opts.Cluster}, opts.Image, true
	inv, err := Build(ctx, iopts)
	if err != nil {
		return nil, err
	}
	rb, err := plan(opts.Root, inv, opts.Cluster)
	if err != nil {
		return nil, err
	}
	rb.Image = opts.Image
	b := opts.Bump
	b.Root, b.Image, b.Clusters = opts.Root, opts.Image, []string{opts.Cluster}
	b.Tag, b.Digest, b.Semver = "", "", ""
	if strings.HasPrefix(rb.To, "sha256:") || strings.Contains(rb.To, ":") {
		b.Digest = rb.To
	} else {
		b.Tag = rb.To
	}
	res, err := imagebump.Bump(ctx, b)
	if err != nil {
		return nil, err
	}
	rb.Bump = res
	return rb, nil
}

func refused(format string, args ...any) error {
	return &imagebump.RefusedError{Problems: []imagebump.Problem{{Message: fmt.Sprintf(format, args...)}}}
}

func refusedAt(file string, line int, format string, args ...any) error {
	return &imagebump.RefusedError{Problems: []imagebump.Problem{{File: file, Line: line, Message: fmt.Sprintf(format, args...)}}}
}

// plan computes the previous value of the image of an inventory that
// holds one cluster and one image repository.
func plan(root string, inv *Inventory, cluster string) (*Rollback, error) {
	rb := &Rollback{Cluster: cluster, Lines: []string{}}
	if inv.HistoryError != "" {
		return nil, refused("the history is needed to find the previous value: %s", inv.HistoryError)
	}
	type site struct {
		file string
		line int
		img  Image
	}
	var sites []site
	for _, c := range inv.Clusters {
		for _, a := range c.Apps {
			for _, i := range a.Images {
				if !slices.ContainsFunc(sites, func(s site) bool { return s.file == i.File && s.line == i.Line }) {
					sites = append(sites, site{i.File, i.Line, i})
				}
			}
		}
	}
	if len(sites) == 0 {
		return nil, refused("cluster %s deploys no image of that repository: `render-check inventory --cluster %s` lists what it deploys", cluster, cluster)
	}
	var to string
	for _, s := range sites {
		rb.Lines = append(rb.Lines, at(s.file, s.line))
		from := s.img.Tag
		if s.img.Digest != "" {
			from = s.img.Digest
		}
		if from == "" {
			return nil, refusedAt(s.file, s.line, "%s has no tag or digest to roll back", s.img.Image)
		}
		ch := s.img.Changed
		switch {
		case s.line <= 0:
			return nil, refused("cannot tell which line sets %s", s.img.Image)
		case ch == nil:
			return nil, refusedAt(s.file, s.line, "the line is not in the git history (an untracked file?); commit it first")
		case ch.Uncommitted:
			return nil, refusedAt(s.file, s.line, "the line has an uncommitted edit; commit or discard it, then roll back")
		case !ch.HasPrevious:
			return nil, refusedAt(s.file, s.line, "commit %s (%s) added this line rather than changing a value, so there is nothing earlier to roll back to; set the tag with render-check bump", short(ch.Commit), ch.Subject)
		}
		cur, err := lineText(root, s.file, s.line)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", at(s.file, s.line), err)
		}
		prev, ok := previousToken(cur, ch.Previous, from)
		if !ok {
			return nil, refusedAt(s.file, s.line, "commit %s (%s) changed more on this line than %s, so the previous value is not a single token; roll back by hand or with render-check bump", short(ch.Commit), ch.Subject, from)
		}
		if err := validToken(prev); err != nil {
			return nil, refusedAt(s.file, s.line, "the value before commit %s is %q, which is not a tag or digest: %v", short(ch.Commit), prev, err)
		}
		switch {
		case to == "":
			to, rb.From, rb.Undone = prev, from, *ch
		case to != prev || rb.From != from:
			return nil, refused("the lines setting the image in %s had different values before their last change (%s): roll back each with render-check bump", cluster, strings.Join(rb.Lines, ", "))
		}
	}
	rb.To = to
	return rb, nil
}

func validToken(s string) error {
	if strings.Contains(s, ":") {
		return imagebump.ValidateDigest(s)
	}
	return imagebump.ValidateTag(s)
}

// lineText returns line n (1-based) of a repo-relative file, without its
// line ending.
func lineText(root, rel string, n int) (string, error) {
	data, err := readInRoot(root, rel)
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), maxFileSize)
	for i := 1; sc.Scan(); i++ {
		if i == n {
			return strings.TrimSuffix(sc.Text(), "\r"), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no line %d", n)
}

// tokenSpan finds token (a tag or digest) in the YAML value of one line
// ("key: value", "- value", "- key: value"), as its byte range: the whole
// value, or the tag or digest part of an image reference.
func tokenSpan(line, token string) (int, int, bool) {
	body := strings.TrimLeft(line, " ")
	off := len(line) - len(body)
	for strings.HasPrefix(body, "- ") {
		trimmed := strings.TrimLeft(body[2:], " ")
		off += len(body) - len(trimmed)
		body = trimmed
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil || len(doc.Content) != 1 {
		return 0, 0, false
	}
	v := doc.Content[0]
	if v.Kind == yaml.MappingNode {
		if len(v.Content) != 2 {
			return 0, 0, false
		}
		v = v.Content[1]
	}
	if v.Kind != yaml.ScalarNode || v.Line != 1 || v.Column < 1 {
		return 0, 0, false
	}
	start := off + v.Column - 1
	switch v.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		start++
	case 0:
	default:
		return 0, 0, false
	}
	end := start + len(v.Value)
	if end > len(line) || line[start:end] != v.Value {
		return 0, 0, false // escapes or non-ASCII before the value
	}
	val := v.Value
	var i int
	switch {
	case val == token:
		i = 0
	case strings.HasSuffix(val, ":"+token) || strings.HasSuffix(val, "@"+token):
		i = len(val) - len(token)
	case strings.Contains(val, ":"+token+"@"):
		i = strings.LastIndex(val, ":"+token+"@") + 1
	default:
		return 0, 0, false
	}
	return start + i, start + i + len(token), true
}

// previousToken returns what token (a tag or digest, as it is in cur) read
// in prev: the two lines must differ only inside the token.
func previousToken(cur, prev, token string) (string, bool) {
	prev = strings.TrimSuffix(prev, "\r")
	start, end, ok := tokenSpan(cur, token)
	if !ok || cur == prev {
		return "", false
	}
	p := 0
	for p < len(cur) && p < len(prev) && cur[p] == prev[p] {
		p++
	}
	s := 0
	for s < len(cur)-p && s < len(prev)-p && cur[len(cur)-1-s] == prev[len(prev)-1-s] {
		s++
	}
	// the differing middle of cur lies within the token
	if p < start {
		// a common prefix may stop inside the token only
		return "", false
	}
	if len(cur)-s > end {
		return "", false
	}
	out := cur[start:p] + prev[p:len(prev)-s] + cur[len(cur)-s:end]
	if out == "" || strings.ContainsAny(out, " \t\"'#") {
		return "", false
	}
	return out, true
}
