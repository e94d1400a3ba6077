package diff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/render-check/render-check/internal/report"
)

// Formats are the output formats of a diff.
var Formats = []string{"text", "markdown", "json"}

// DefaultMarkdownLimit bounds the markdown output (GitHub comments and job
// summaries are limited to about 64 KiB).
const DefaultMarkdownLimit = 60000

// Write writes the result in format ("text", "markdown" or "json").
func Write(w io.Writer, r *Result, format string) error {
	var err error
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(r)
	case "markdown":
		_, err = io.WriteString(w, Markdown(r, DefaultMarkdownLimit))
	case "text":
		err = writeText(w, r)
	default:
		return fmt.Errorf("unknown diff format %q (known: %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("writing diff: %w", err)
	}
	return nil
}

func appName(a AppDiff) string {
	if a.App == "" {
		return "(live only)"
	}
	return a.App
}

func verb(d ResourceDiff) string {
	switch d.Change {
	case Moved:
		return "moved from " + d.From
	}
	return string(d.Change)
}

func writeText(w io.Writer, r *Result) error {
	b := bufio.NewWriter(w)
	for _, a := range r.Apps {
		fmt.Fprintf(b, "%s/%s: +%d -%d ~%d\n", a.Cluster, appName(a), a.Added, a.Removed, a.Changed)
		for _, d := range a.Resources {
			fmt.Fprintf(b, "  %s %s %s\n", d.Resource.APIVersion, d.Resource.String(), verb(d))
			for _, f := range d.Fields {
				fmt.Fprintf(b, "    %s: desired %s, live %s\n", f.Path, f.Desired, f.Live)
			}
			if d.Change == Changed && d.Diff != "" && len(d.Fields) == 0 {
				for _, l := range strings.SplitAfter(strings.TrimRight(d.Diff, "\n"), "\n") {
					fmt.Fprintf(b, "    %s", l)
				}
				fmt.Fprintln(b)
			}
		}
	}
	fmt.Fprintln(b, summaryLine(r))
	return b.Flush()
}

// plural is "1 app" or "2 apps".
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// resourceCounts is "3 resources added, 1 changed, 0 removed", with
// ", 1 moved" when something moved between apps.
func resourceCounts(added, changed, removed, moved int) string {
	s := fmt.Sprintf("%s added, %d changed, %d removed", plural(added, "resource"), changed, removed)
	if moved > 0 {
		s += fmt.Sprintf(", %d moved", moved)
	}
	return s
}

// summaryLine counts apps and resources separately:
// "2 apps changed: 3 resources added, 1 changed, 0 removed".
func summaryLine(r *Result) string {
	ad, rm, ch, mv := r.Totals()
	return plural(len(r.Apps), "app") + " changed: " + resourceCounts(ad, ch, rm, mv)
}

// Markdown renders a PR-comment / job-summary view: a table of clusters x
// apps with +/-/~ counts, then a collapsible diff per app. Output beyond
// limit bytes is cut at an app boundary with a note.
func Markdown(r *Result, limit int) string {
	var head strings.Builder
	_, _, _, mv := r.Totals()
	head.WriteString("## render-check diff\n\n")
	if r.Empty() {
		head.WriteString("No rendered resource changes.\n")
		return head.String()
	}
	fmt.Fprintf(&head, "%s.\n\n", summaryLine(r))
	if mv > 0 {
		head.WriteString("| Cluster | App | Added | Changed | Removed | Moved |\n|---|---|---:|---:|---:|---:|\n")
	} else {
		head.WriteString("| Cluster | App | Added | Changed | Removed |\n|---|---|---:|---:|---:|\n")
	}
	for _, a := range r.Apps {
		fmt.Fprintf(&head, "| %s | %s | %d | %d | %d |", report.MarkdownCell(a.Cluster), report.MarkdownCell(appName(a)), a.Added, a.Changed, a.Removed)
		if mv > 0 {
			fmt.Fprintf(&head, " %d |", a.Moved)
		}
		head.WriteString("\n")
	}
	head.WriteString("\n")
	out := head.String()
	for i, a := range r.Apps {
		var s strings.Builder
		fmt.Fprintf(&s, "<details><summary>%s / %s: %s</summary>\n\n", a.Cluster, appName(a), resourceCounts(a.Added, a.Changed, a.Removed, a.Moved))
		for _, d := range a.Resources {
			fmt.Fprintf(&s, "**%s `%s`** %s\n\n", d.Resource.Kind, d.Resource.String(), verb(d))
			if len(d.Fields) > 0 {
				s.WriteString("| Field | Desired | Live |\n|---|---|---|\n")
				for _, f := range d.Fields {
					fmt.Fprintf(&s, "| %s | %s | %s |\n", report.MarkdownCell(f.Path), mdCell(f.Desired), mdCell(f.Live))
				}
				s.WriteString("\n")
			} else if d.Diff != "" {
				fmt.Fprintf(&s, "```diff\n%s```\n\n", d.Diff)
			}
		}
		s.WriteString("</details>\n\n")
		if limit > 0 && len(out)+s.Len() > limit {
			out += fmt.Sprintf("_Output truncated: %s more changed; run `render-check diff` locally for the full diff._\n", plural(len(r.Apps)-i, "app"))
			break
		}
		out += s.String()
	}
	return out
}

// mdCell shortens a value for a table cell (by runes, never mid-character)
// and escapes it.
func mdCell(s string) string {
	if r := []rune(s); len(r) > 120 {
		s = string(r[:117]) + "..."
	}
	return report.MarkdownCell(s)
}
