package inventory

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/render-check/render-check/internal/report"
)

// Formats are the output formats of Write.
var Formats = []string{"text", "json", "markdown"}

// Write prints inv in format (text, json or markdown); an unknown format
// is an error.
func Write(w io.Writer, inv *Inventory, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(inv)
	case "text":
		return writeText(w, inv)
	case "markdown":
		return writeMarkdown(w, inv)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// short is a commit's abbreviated SHA.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// maxSubject is how much of a commit subject the text and markdown views show.
const maxSubject = 60

// who is a one-line account of a change: "abc123 2026-03-01 Ann: subject".
func (c *Change) who() string {
	if c == nil {
		return ""
	}
	if c.Uncommitted {
		return "not committed yet"
	}
	date, _, _ := strings.Cut(c.Date, "T")
	subject := c.Subject
	if r := []rune(subject); len(r) > maxSubject {
		subject = string(r[:maxSubject-1]) + "…"
	}
	return fmt.Sprintf("%s %s %s: %s", short(c.Commit), date, c.Author, subject)
}

func at(file string, line int) string {
	if file == "" {
		return "-"
	}
	if line <= 0 {
		return file
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// writeText prints one tab-separated line per image and chart:
// cluster/app, kind, what, where, last change.
func writeText(w io.Writer, inv *Inventory) error {
	var b strings.Builder
	for _, c := range inv.Clusters {
		for _, a := range c.Apps {
			name := c.Name + "/" + a.Name
			if a.Failed != "" {
				fmt.Fprintf(&b, "%s\tfailed\t%s\n", oneLine(name), oneLine(a.Failed))
			}
			for _, i := range a.Images {
				fmt.Fprintf(&b, "%s\timage\t%s\t%s", oneLine(name), oneLine(i.Image), oneLine(at(i.File, i.Line)))
				if i.Changed != nil {
					fmt.Fprintf(&b, "\t%s", oneLine(i.Changed.who()))
				}
				b.WriteByte('\n')
			}
			for _, ch := range a.Charts {
				fmt.Fprintf(&b, "%s\tchart\t%s\t%s", oneLine(name), oneLine(ch.Name+" "+ch.Version+" ("+ch.Repo+")"), oneLine(at(ch.File, ch.Line)))
				if ch.Changed != nil {
					fmt.Fprintf(&b, "\t%s", oneLine(ch.Changed.who()))
				}
				b.WriteByte('\n')
			}
		}
	}
	if inv.HistoryError != "" {
		fmt.Fprintf(&b, "history: %s\n", oneLine(inv.HistoryError))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine makes s one line of printable text: whitespace runs become one
// space, other control characters "?" (names and subjects come from the
// repo and its history, and must not forge lines or terminal escapes).
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// writeMarkdown prints a section per cluster with an images table and a
// charts table, fit for a job summary or a status page.
func writeMarkdown(w io.Writer, inv *Inventory) error {
	cell := report.MarkdownCell
	var b strings.Builder
	b.WriteString("## What is deployed\n\n")
	if len(inv.Clusters) == 0 {
		b.WriteString("No clusters.\n")
	}
	for _, c := range inv.Clusters {
		fmt.Fprintf(&b, "### %s\n\n", cell(c.Name))
		var imgs, charts, failed int
		for _, a := range c.Apps {
			imgs += len(a.Images)
			charts += len(a.Charts)
			if a.Failed != "" {
				failed++
			}
		}
		if imgs > 0 {
			b.WriteString("| App | Image | Tag | Digest | Set at | Last change |\n|---|---|---|---|---|---|\n")
			for _, a := range c.Apps {
				for _, i := range a.Images {
					repo := i.Repository
					if repo == "" {
						repo = i.Image
					}
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(a.Name), cell(repo), cell(i.Tag), cell(i.Digest),
						cell(at(i.File, i.Line)), cell(i.Changed.who()))
				}
			}
			b.WriteByte('\n')
		}
		if charts > 0 {
			b.WriteString("| App | Chart | Version | Repository | Set at | Last change |\n|---|---|---|---|---|---|\n")
			for _, a := range c.Apps {
				for _, ch := range a.Charts {
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(a.Name), cell(ch.Name), cell(ch.Version), cell(ch.Repo),
						cell(at(ch.File, ch.Line)), cell(ch.Changed.who()))
				}
			}
			b.WriteByte('\n')
		}
		if imgs == 0 && charts == 0 && failed == 0 {
			b.WriteString("Nothing deployed.\n\n")
		}
		for _, a := range c.Apps {
			if a.Failed != "" {
				fmt.Fprintf(&b, "- **%s did not render**: %s\n", cell(a.Name), cell(oneLine(a.Failed)))
			}
		}
		if failed > 0 {
			b.WriteByte('\n')
		}
	}
	if inv.HistoryError != "" {
		fmt.Fprintf(&b, "History: %s\n", cell(oneLine(inv.HistoryError)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
