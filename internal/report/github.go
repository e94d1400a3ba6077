package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/sethvargo/go-githubactions"
)

func init() {
	register("github", func(w io.Writer, o Options) Writer { return &githubWriter{w: w, o: o} })
}

// githubWriter writes GitHub Actions workflow commands: one annotation per
// finding at its source file and line, a notice per skipped check, then the
// one-line summary.
type githubWriter struct {
	w io.Writer
	o Options
}

// githubCommand maps a severity to its annotation command.
func githubCommand(s Severity) string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "notice"
	}
	return "error"
}

// Write prints the annotations. Values are escaped by go-githubactions'
// command encoder, so a message cannot end the command early or inject
// another one.
func (g *githubWriter) Write(r *Report) error {
	b := bufio.NewWriter(g.w)
	for _, f := range r.Findings {
		props := githubactions.CommandProperties{"title": annotationTitle(f)}
		if f.File != "" {
			props["file"] = g.o.repoPath(f.File)
			if f.Line > 0 {
				props["line"] = strconv.Itoa(f.Line)
			}
		}
		msg := f.Message
		if f.Resource != nil {
			msg = f.Resource.String() + ": " + msg
		}
		cmd := githubactions.Command{Name: githubCommand(f.Severity), Properties: props, Message: msg}
		fmt.Fprintln(b, cmd.String())
	}
	for _, s := range r.Skipped {
		cmd := githubactions.Command{
			Name:       "notice",
			Properties: githubactions.CommandProperties{"title": "render-check: check skipped"},
			Message:    s,
		}
		fmt.Fprintln(b, cmd.String())
	}
	fmt.Fprintf(b, "render-check: %s\n", totalsLine(r.Summary))
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing github annotations: %w", err)
	}
	return nil
}

// annotationTitle is "rule (cluster/app)", shown as the annotation heading.
func annotationTitle(f Finding) string {
	if w := where(f); w != "" {
		return f.Rule + " (" + w + ")"
	}
	return f.Rule
}
