package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Writer writes a finished report in one format.
type Writer interface {
	Write(r *Report) error
}

// Options tune writers that care about the environment.
type Options struct {
	// Color enables ANSI colour in the text format.
	Color bool
	// PathPrefix is joined in front of every finding's file in the formats
	// that tools resolve from the repository root (sarif, github,
	// codequality, junit, summary): set it when --root is a subdirectory of
	// the repository, e.g. "config" for findings in config/clusters/...
	PathPrefix string
	// FailOn is the level from which a finding fails the run; junit reports
	// findings at or above it as failures and the rest as output. Empty
	// means error.
	FailOn Severity
	// ToolVersion is the render-check version recorded in sarif output.
	ToolVersion string
	// LinkBase, when set, makes the job summary link each location to the
	// file on the code host: LinkBase + "/" + path + "#L" + line, e.g.
	// "https://github.com/org/repo/blob/<sha>" (see GitHubLinkBase).
	LinkBase string
	// Verbose makes the text format list every app, also those without
	// findings, and the details (a renderer's raw error) of findings.
	Verbose bool
}

type factory func(w io.Writer, o Options) Writer

var formats = map[string]factory{
	"text": func(w io.Writer, o Options) Writer { return &textWriter{w: w, color: o.Color, verbose: o.Verbose} },
	"json": func(w io.Writer, _ Options) Writer { return &jsonWriter{w: w} },
}

// register adds a format; called from the init of each format's file.
func register(name string, f factory) { formats[name] = f }

// Formats lists the known output formats, sorted.
func Formats() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the writer for format, or an error naming the known formats.
func New(w io.Writer, format string, o Options) (Writer, error) {
	f, ok := formats[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (known: %v)", format, Formats())
	}
	return f(w, o), nil
}

// IsFormat reports whether name is a known format.
func IsFormat(name string) bool { return slices.Contains(Formats(), name) }

// GitHubLinkBase is the blob URL of a commit from the GitHub Actions
// environment (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA), or ""
// when any of them is unknown.
func GitHubLinkBase(getenv func(string) string) string {
	server, repo, sha := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_SHA")
	if server == "" || repo == "" || sha == "" {
		return ""
	}
	return strings.TrimRight(server, "/") + "/" + repo + "/blob/" + sha
}
