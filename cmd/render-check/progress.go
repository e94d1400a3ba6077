package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/render-check/render-check/internal/pipeline"
)

// newProgress returns the progress display for mode (auto, tty, plain or
// off) on w, or nil for none. auto: a single updating line on a terminal,
// plain log lines under GitHub Actions or GitLab CI, nothing otherwise.
func newProgress(mode string, w io.Writer) (func(pipeline.Progress), error) {
	switch mode {
	case "auto":
		switch {
		case isTerminal(w):
			mode = "tty"
		case os.Getenv("GITHUB_ACTIONS") == "true" || os.Getenv("GITLAB_CI") == "true":
			mode = "plain"
		default:
			return nil, nil
		}
	case "tty", "plain":
	case "off":
		return nil, nil
	default:
		return nil, usageErrorf("--progress: want auto, tty, plain or off, got %q", mode)
	}
	var mu sync.Mutex
	return func(p pipeline.Progress) {
		mu.Lock()
		defer mu.Unlock()
		line := p.Stage + ": " + p.Message
		if p.Done {
			line += fmt.Sprintf(" (%s)", p.Elapsed.Round(10*time.Millisecond))
		}
		if mode == "tty" {
			// one line, rewritten; cleared when the run ends
			fmt.Fprintf(w, "\r\x1b[K%s", line)
			if p.Done && p.Stage == lastStage() {
				fmt.Fprint(w, "\r\x1b[K")
			}
			return
		}
		fmt.Fprintf(w, "render-check: %s\n", line)
	}, nil
}

// lastStage is the stage after which the terminal line is cleared.
func lastStage() string {
	st := pipeline.Stages()
	return st[len(st)-1].Name
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && isattyTerminal(f)
}
