// Package check is the one signature every check of `render-check check`
// has: Run(ctx, *Input) (Result, error). Each check package (validate,
// images, secrets, policy) exports its Run; the pipeline runs them in order
// over the same Input and never adapts one check's options to another's.
package check

import (
	"context"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// Input is what every check receives.
type Input struct {
	// Root is the checkout; findings' files are relative to it.
	Root string
	// Config is the loaded configuration.
	Config *config.Config
	// Workspace is the checkout, opened once for the run (nil: a check
	// reads Root itself).
	Workspace *workspace.Workspace
	// Clusters are the rendered clusters selected for this run, each with
	// its decided Kubernetes version.
	Clusters []*resource.Cluster
	// Images is the image check mode (verify, warn or off; "" = config).
	Images string
	// Platforms every image must provide ("" = config).
	Platforms []string
	// ChangedFiles, when non-nil, are the only repo files that file-based
	// checks look at (changed-only runs), relative to Root.
	ChangedFiles []string
	// Verdicts, when set, is the verdict cache: a check keeps there what
	// it decided about content it may meet again (keyed by that content and
	// everything else the decision depends on) and skips that work on a
	// later run. nil: nothing is kept (--no-cache).
	Verdicts *rendercache.Verdicts
	// Progress, when set, is told by a check that counts its work how far
	// it is (the image check: distinct images checked of the total); it
	// may be called from several goroutines, one call at a time.
	Progress func(done, total int)
}

// Result is what a check found.
type Result struct {
	// Findings are the check's findings.
	Findings []report.Finding
	// Skipped, when set, says what the check did not do and why.
	Skipped string
}

// Func is a check. An error means it could not run at all (reported as a
// <check>/failed finding), or, as a *ConfigError, that the run must stop.
type Func func(ctx context.Context, in *Input) (Result, error)

// ConfigError is a check's verdict that its section of the configuration is
// unusable: the run stops (exit 2) instead of reporting a finding.
type ConfigError struct {
	// Check is the check's name.
	Check string
	// Err is the problem.
	Err error
}

// Error names the check's configuration.
func (e *ConfigError) Error() string { return e.Check + " configuration: " + e.Err.Error() }

// Unwrap returns the problem.
func (e *ConfigError) Unwrap() error { return e.Err }
