package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes: the contract users script against.
const (
	// exitOK: nothing at or above the fail level.
	exitOK = 0
	// exitFindings: findings at or above the fail level (bump: refused).
	exitFindings = 1
	// exitError: the run could not happen (bad flags, bad config, unreadable root).
	exitError = 2
)

// exitCodeError carries an exit code through cobra without printing.
type exitCodeError struct{ code int }

func (e *exitCodeError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// errFindings is returned by a command whose findings reached the fail level.
var errFindings = &exitCodeError{code: exitFindings}

// usageError marks an error caused by bad flags or arguments (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// run executes the command line and returns the exit code. It never calls os.Exit.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	fmt.Fprintf(stderr, "render-check: %v\n", err)
	return exitError
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "render-check",
		Short: "Render every cluster of an Argo CD config repo as Argo CD would, and check it",
		Long: `render-check renders every cluster and Application of an Argo CD config repo as
Argo CD would and checks the result; each command's --help gives its exit codes.

Exit codes:
  0  success (for check: nothing at or above the --fail-on level)
  1  findings (check, validate, secrets, merge), a failed render (render, appset
     generate), a refused edit (bump, rollback) or a change (diff --fail-on-change)
  2  the run could not happen (bad flags, bad config, unreadable root)`,
		Example: `  render-check check
  render-check diff --base origin/main --format markdown
  render-check bump --image ghcr.io/acme/web --tag 1.8.3`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	for _, add := range commands {
		root.AddCommand(add())
	}
	return root
}

// commands builds every subcommand; each file registers its own in init so
// that commands stay one per file.
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }

// defaultRoot is --root's default: GITHUB_WORKSPACE under GitHub Actions, else ".".
func defaultRoot() string {
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		if ws := os.Getenv("GITHUB_WORKSPACE"); ws != "" {
			return ws
		}
	}
	return "."
}
