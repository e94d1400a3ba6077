package report

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func init() {
	register("summary", func(w io.Writer, o Options) Writer { return &summaryWriter{w: w, o: o} })
}

// summaryMaxRows caps the findings listed per cluster: GitHub limits a job
// summary to 1 MiB, and the SARIF/JSON reports carry everything.
const summaryMaxRows = 100

// summaryWriter writes a GitHub job summary in Markdown: a table with one
// row per cluster, then the findings, collapsible per cluster.
type summaryWriter struct {
	w io.Writer
	o Options
}

type clusterCount struct{ errors, warnings, infos int }

func (c *clusterCount) add(s Severity) {
	switch s {
	case SeverityError:
		c.errors++
	case SeverityWarning:
		c.warnings++
	default:
		c.infos++
	}
}

// Write writes the Markdown summary.
func (s *summaryWriter) Write(r *Report) error {
	b := bufio.NewWriter(s.w)
	counts := map[string]*clusterCount{}
	byCluster := map[string][]Finding{}
	for _, f := range r.Findings {
		if counts[f.Cluster] == nil {
			counts[f.Cluster] = &clusterCount{}
		}
		counts[f.Cluster].add(f.Severity)
		byCluster[f.Cluster] = append(byCluster[f.Cluster], f)
	}

	status := "✅ no findings"
	if r.Summary.Errors+r.Summary.Warnings > 0 {
		status = fmt.Sprintf("%s %s, %s", statusIcon(r.Summary), plural(r.Summary.Errors, "error"), plural(r.Summary.Warnings, "warning"))
	} else if len(r.Findings) > 0 {
		status = "ℹ️ " + plural(len(r.Findings), "note")
	}
	fmt.Fprintf(b, "## render-check: %s\n\n", status)
	if line := countsLine(r.Summary); line != "" {
		fmt.Fprintf(b, "%s.\n\n", line)
	}

	if len(r.Clusters) > 0 {
		fmt.Fprintln(b, "| Cluster | Kubernetes | Apps | Resources | Errors | Warnings |")
		fmt.Fprintln(b, "| --- | --- | ---: | ---: | ---: | ---: |")
		for _, c := range r.Clusters {
			res := 0
			for _, a := range c.Apps {
				res += a.Resources
			}
			cc := counts[c.Name]
			if cc == nil {
				cc = &clusterCount{}
			}
			fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d |\n", mdCell(c.Name), mdCell(c.KubernetesVersion), len(c.Apps), res, cc.errors, cc.warnings)
		}
		// findings outside the listed clusters (repository-wide, or a
		// cluster that failed before rendering) get rows, so the totals
		// add up
		listed := map[string]bool{}
		for _, c := range r.Clusters {
			listed[c.Name] = true
		}
		var others []string
		for name := range counts {
			if !listed[name] {
				others = append(others, name)
			}
		}
		slices.Sort(others)
		for _, name := range others {
			label := mdCell(name)
			if name == "" {
				label = "_" + repositorySuite + "_"
			}
			fmt.Fprintf(b, "| %s | | | | %d | %d |\n", label, counts[name].errors, counts[name].warnings)
		}
		fmt.Fprintf(b, "| **total** | | %d | %d | %d | %d |\n\n", r.Summary.Apps, r.Summary.Resources, r.Summary.Errors, r.Summary.Warnings)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintln(b, "**Skipped checks** (not counted as passed):")
		fmt.Fprintln(b)
		for _, sk := range r.Skipped {
			fmt.Fprintf(b, "- %s\n", mdCell(sk))
		}
		fmt.Fprintln(b)
	}
	if len(r.Findings) == 0 {
		return s.flush(b)
	}

	fmt.Fprintln(b, "### Findings")
	fmt.Fprintln(b)
	groups := make([]string, 0, len(r.Clusters)+1)
	if len(byCluster[""]) > 0 {
		groups = append(groups, "")
	}
	seen := map[string]bool{"": true}
	for _, c := range r.Clusters {
		seen[c.Name] = true
		if len(byCluster[c.Name]) > 0 {
			groups = append(groups, c.Name)
		}
	}
	for _, f := range r.Findings { // clusters that did not make the list
		if !seen[f.Cluster] {
			seen[f.Cluster] = true
			groups = append(groups, f.Cluster)
		}
	}
	for _, g := range groups {
		fs := byCluster[g]
		name := g
		if name == "" {
			name = repositorySuite
		}
		cc := counts[g]
		open := ""
		if cc.errors > 0 {
			open = " open"
		}
		fmt.Fprintf(b, "<details%s><summary><b>%s</b>: %s, %s</summary>\n\n", open, htmlEscape(name), plural(cc.errors, "error"), plural(cc.warnings, "warning"))
		fmt.Fprintln(b, "| | Rule | App | Location | Resource | Message |")
		fmt.Fprintln(b, "| --- | --- | --- | --- | --- | --- |")
		for i, f := range fs {
			if i == summaryMaxRows {
				fmt.Fprintf(b, "\n… and %d more: see the JSON or SARIF report.\n", len(fs)-summaryMaxRows)
				break
			}
			loc := s.o.repoPath(f.File)
			if loc != "" && f.Line > 0 {
				loc += ":" + strconv.Itoa(f.Line)
			}
			if loc != "" {
				text := "`" + strings.ReplaceAll(loc, "`", "'") + "`"
				if link := s.o.fileLink(f); link != "" {
					text = "[" + text + "](" + link + ")"
				}
				loc = text
			}
			res := ""
			if f.Resource != nil {
				res = mdCell(f.Resource.String())
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", severityIcon(f.Severity), mdCell(f.Rule), mdCell(f.App+alsoIn(f)), strings.ReplaceAll(loc, "|", "\\|"), res, mdCell(f.Message))
		}
		fmt.Fprint(b, "\n</details>\n\n")
	}
	return s.flush(b)
}

// fileLink is the URL of the finding's file and line on the code host, or
// "" when Options.LinkBase is unset.
func (o Options) fileLink(f Finding) string {
	if o.LinkBase == "" || f.File == "" {
		return ""
	}
	var segs []string
	for _, seg := range strings.Split(o.repoPath(f.File), "/") {
		segs = append(segs, url.PathEscape(seg))
	}
	link := strings.TrimRight(o.LinkBase, "/") + "/" + strings.Join(segs, "/")
	if f.Line > 0 {
		link += "#L" + strconv.Itoa(f.Line)
	}
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(link)
}

func (s *summaryWriter) flush(b *bufio.Writer) error {
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing job summary: %w", err)
	}
	return nil
}

// countsLine says what the run covered: clusters, apps and resources
// rendered by check, resources validated by validate, nothing for a file
// scan (secrets).
func countsLine(s Summary) string {
	switch {
	case s.Clusters > 0:
		return fmt.Sprintf("%s, %s, %s rendered", plural(s.Clusters, "cluster"), plural(s.Apps, "app"), plural(s.Resources, "resource"))
	case s.Resources > 0:
		return plural(s.Resources, "resource") + " checked"
	}
	return ""
}

// totalsLine is the one-line summary ending the text and github formats.
func totalsLine(s Summary) string {
	totals := plural(s.Errors, "error") + ", " + plural(s.Warnings, "warning")
	switch {
	case s.Clusters > 0:
		return fmt.Sprintf("%s, %s, %s: %s", plural(s.Clusters, "cluster"), plural(s.Apps, "app"), plural(s.Resources, "resource"), totals)
	case s.Resources > 0:
		return plural(s.Resources, "resource") + ": " + totals
	}
	return totals
}

func statusIcon(s Summary) string {
	if s.Errors > 0 {
		return "❌"
	}
	return "⚠️"
}

func severityIcon(s Severity) string {
	switch s {
	case SeverityError:
		return "❌ error"
	case SeverityWarning:
		return "⚠️ warning"
	}
	return "ℹ️ " + string(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// htmlEscape escapes text placed inside HTML tags of the summary.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// mdCell makes text safe inside a Markdown table cell: no HTML, no table
// breaks, no emphasis or links from the message's own characters.
var mdCellReplacer = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\\", "\\\\", "|", "\\|", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "~", "\\~",
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
)

func mdCell(s string) string { return mdCellReplacer.Replace(s) }

// MarkdownCell escapes s for a Markdown table cell (also used by diff).
func MarkdownCell(s string) string { return mdCell(s) }

// alsoIn names the other clusters/apps of a folded finding: " (also c/a, ...)".
func alsoIn(f Finding) string {
	if len(f.Affected) < 2 {
		return ""
	}
	var others []string
	for _, t := range f.Affected[1:] {
		others = append(others, t.String())
	}
	return " (also " + strings.Join(others, ", ") + ")"
}
