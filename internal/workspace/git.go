package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Git is the one way render-check reaches git: every git fact (top level,
// prefix, origin, HEAD, revisions, the file list, changed files, archives of
// revisions) is asked through Run.
type Git struct {
	// Dir is the directory git runs in (-C).
	Dir string
}

// ErrNoGit is returned by Run when no git binary is installed.
var ErrNoGit = errors.New("git is not installed")

// Run runs git with args in g.Dir and returns its standard output; the
// error carries git's own message. Optional locks are off (render-check only
// reads), and so is core.fsmonitor, the one setting of a repository's own
// config through which reading commands would run a program.
func (g Git) Run(ctx context.Context, args ...string) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", ErrNoGit
	}
	full := append([]string{"-C", g.Dir, "-c", "core.fsmonitor=false"}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// VerifyCommit reports an error unless rev names a commit of the repository.
func (g Git) VerifyCommit(ctx context.Context, rev string) error {
	if _, err := g.Run(ctx, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return fmt.Errorf("%q is not a commit in %s: %w", rev, g.Dir, err)
	}
	return nil
}

// GitFacts are what git says about the checkout. All are empty when the root
// is not inside a git work tree (or git is not installed).
type GitFacts struct {
	// TopLevel is the absolute path of the work tree's top.
	TopLevel string
	// Prefix is the root relative to TopLevel, with a trailing slash ("" at the top).
	Prefix string
	// Origin is the URL of the "origin" remote, only when the root is the
	// top of its work tree: a checkout in a subdirectory of another
	// repository is not that repository (its Application paths would be
	// relative to a different root).
	Origin string
	// Head is the checked-out commit ("" in a repository without commits).
	Head string
}

// InWorkTree reports whether the root is inside a git work tree.
func (f GitFacts) InWorkTree() bool { return f.TopLevel != "" }

// facts asks git for the facts of the work tree holding g.Dir.
func (g Git) facts(ctx context.Context) GitFacts {
	out, err := g.Run(ctx, "rev-parse", "--show-toplevel", "--show-prefix")
	if err != nil {
		return GitFacts{}
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 1 || lines[0] == "" {
		return GitFacts{}
	}
	f := GitFacts{TopLevel: lines[0]}
	if len(lines) > 1 {
		f.Prefix = lines[1]
	}
	if h, err := g.Run(ctx, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err == nil {
		f.Head = strings.TrimSpace(h)
	}
	if f.Prefix == "" {
		if o, err := g.Run(ctx, "config", "--get", "remote.origin.url"); err == nil {
			f.Origin = strings.TrimSpace(o)
		}
	}
	return f
}

// Origin returns the URL of the "origin" remote of the checkout at root when
// root is the top of a git work tree ("" otherwise, or without git).
func Origin(ctx context.Context, root string) string {
	return Git{Dir: root}.facts(ctx).Origin
}
