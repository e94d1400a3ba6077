package report

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

type textWriter struct {
	w     io.Writer
	color bool
	// verbose lists every app (also those without findings) and the
	// details of findings.
	verbose bool
}

func (t *textWriter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (t *textWriter) sev(s Severity) string {
	switch s {
	case SeverityError:
		return t.paint("31;1", "error")
	case SeverityWarning:
		return t.paint("33;1", "warning")
	}
	return t.paint("36", string(s))
}

// Write prints findings grouped by cluster and app, then a one-line summary.
// Apps without findings are listed only when verbose.
func (t *textWriter) Write(r *Report) error {
	b := bufio.NewWriter(t.w)
	byCluster := map[string]map[string][]Finding{}
	for _, f := range r.Findings {
		if byCluster[f.Cluster] == nil {
			byCluster[f.Cluster] = map[string][]Finding{}
		}
		byCluster[f.Cluster][f.App] = append(byCluster[f.Cluster][f.App], f)
	}
	printFindings := func(fs []Finding, indent string) {
		for _, f := range fs {
			loc := f.Location()
			if loc != "" {
				loc += ": "
			}
			res := ""
			if f.Resource != nil {
				res = " [" + f.Resource.String() + "]"
			}
			also := alsoIn(f)
			fmt.Fprintf(b, "%s%s%s %s%s %s%s\n", indent, loc, t.sev(f.Severity), t.paint("2", f.Rule), res, continueLines(f.Message, indent+"  | "), also)
			if t.verbose && f.Detail != "" {
				fmt.Fprintf(b, "%s  | %s\n", indent, continueLines(f.Detail, indent+"  | "))
			}
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "%s %s\n", t.paint("36", "note:"), continueLines(n, "  "))
	}
	if fs := byCluster[""][""]; len(fs) > 0 {
		fmt.Fprintln(b, t.paint("1", "repository"))
		printFindings(fs, "  ")
	}
	for _, app := range slices.Sorted(maps.Keys(byCluster[""])) {
		if app != "" {
			fmt.Fprintf(b, "%s: %s\n", t.paint("1", app), plural(len(byCluster[""][app]), "finding"))
			printFindings(byCluster[""][app], "  ")
		}
	}
	listed := map[string]bool{"": true}
	for _, c := range r.Clusters {
		listed[c.Name] = true
	}
	// clusters with findings but no summary (e.g. failed before rendering)
	for _, name := range slices.Sorted(maps.Keys(byCluster)) {
		if listed[name] {
			continue
		}
		fmt.Fprintln(b, t.paint("1", name))
		for _, app := range slices.Sorted(maps.Keys(byCluster[name])) {
			indent := "  "
			if app != "" {
				fmt.Fprintf(b, "  %s: %s\n", app, plural(len(byCluster[name][app]), "finding"))
				indent = "    "
			}
			printFindings(byCluster[name][app], indent)
		}
	}
	for _, c := range r.Clusters {
		errs, warns := 0, 0
		for _, fs := range byCluster[c.Name] {
			for _, f := range fs {
				switch f.Severity {
				case SeverityError:
					errs++
				case SeverityWarning:
					warns++
				}
			}
		}
		prod := ""
		if c.Production {
			prod = ", production: " + c.ProductionReason
		}
		fmt.Fprintf(b, "%s (kubernetes %s%s): %s, %s, %s\n", t.paint("1", c.Name), c.KubernetesVersion, prod, plural(len(c.Apps), "app"), plural(errs, "error"), plural(warns, "warning"))
		if fs := byCluster[c.Name][""]; len(fs) > 0 {
			printFindings(fs, "    ")
		}
		for _, a := range c.Apps {
			fs := byCluster[c.Name][a.Name]
			if len(fs) == 0 && !t.verbose {
				continue // quiet when all is well: --verbose lists every app
			}
			mark := t.paint("32", "ok")
			if len(fs) > 0 {
				mark = plural(len(fs), "finding")
			}
			fmt.Fprintf(b, "  %s (%s, %d resources): %s\n", a.Name, a.Source, a.Resources, mark)
			printFindings(fs, "    ")
		}
		// findings for apps that did not make it into the cluster summary
		for _, app := range slices.Sorted(maps.Keys(byCluster[c.Name])) {
			fs := byCluster[c.Name][app]
			if app == "" || hasApp(c, app) {
				continue
			}
			fmt.Fprintf(b, "  %s: %s\n", app, plural(len(fs), "finding"))
			printFindings(fs, "    ")
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(b, "%s %s\n", t.paint("33", "skipped:"), s)
	}
	if c := r.Summary.Cache; c != nil && t.verbose {
		fmt.Fprintf(b, "render cache: %d hit, %d rendered\n", c.Hits, c.Misses)
		if c.VerdictHits+c.VerdictMisses > 0 {
			fmt.Fprintf(b, "verdict cache: %d hit, %d checked\n", c.VerdictHits, c.VerdictMisses)
		}
	}
	fmt.Fprintln(b, totalsLine(r.Summary))
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

// continueLines puts prefix before every line after the first, so that a
// multi-line message stays inside its finding and none of its lines can
// start with "::" (a workflow command, when the text format is printed in a
// GitHub Actions log).
func continueLines(msg, prefix string) string {
	msg = strings.TrimRight(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	return strings.ReplaceAll(strings.ReplaceAll(msg, "\r", "\n"), "\n", "\n"+prefix)
}

func hasApp(c Cluster, name string) bool {
	for _, a := range c.Apps {
		if a.Name == name {
			return true
		}
	}
	return false
}
