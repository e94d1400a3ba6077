package report

import (
	"encoding/json"
	"fmt"
	"io"
)

func init() {
	register("codequality", func(w io.Writer, o Options) Writer { return &codeQualityWriter{w: w, o: o} })
}

// codeQualityWriter writes a GitLab Code Quality report: a JSON array of
// issues in the Code Climate subset GitLab reads.
type codeQualityWriter struct {
	w io.Writer
	o Options
}

// codeQualityIssue is one entry of a GitLab Code Quality report.
type codeQualityIssue struct {
	Type        string              `json:"type"`
	Description string              `json:"description"`
	CheckName   string              `json:"check_name"`
	Fingerprint string              `json:"fingerprint"`
	Severity    string              `json:"severity"`
	Categories  []string            `json:"categories"`
	Location    codeQualityLocation `json:"location"`
}

type codeQualityLocation struct {
	Path  string           `json:"path"`
	Lines codeQualityLines `json:"lines"`
}

type codeQualityLines struct {
	Begin int `json:"begin"`
}

// codeQualitySeverity maps a severity to GitLab's scale (info, minor, major,
// critical, blocker).
func codeQualitySeverity(s Severity) string {
	switch s {
	case SeverityWarning:
		return "minor"
	case SeverityInfo:
		return "info"
	}
	return "critical"
}

// codeQualityCategory maps a check to a Code Climate category.
func codeQualityCategory(check string) string {
	switch check {
	case "secret":
		return "Security"
	case "schema", "render", "image":
		return "Bug Risk"
	}
	return "Style"
}

// Write writes every finding as an issue. A finding without a file points at
// the repository root (".", line 1): GitLab requires a path.
func (c *codeQualityWriter) Write(r *Report) error {
	issues := make([]codeQualityIssue, 0, len(r.Findings))
	for _, f := range r.Findings {
		p := c.o.repoPath(f.File)
		if p == "" {
			p = "."
			if c.o.PathPrefix != "" {
				p = c.o.PathPrefix
			}
		}
		line := f.Line
		if line < 1 {
			line = 1
		}
		issues = append(issues, codeQualityIssue{
			Type:        "issue",
			Description: longMessage(f),
			CheckName:   f.Rule,
			Fingerprint: FingerprintOf(f)[:32],
			Severity:    codeQualitySeverity(f.Severity),
			Categories:  []string{codeQualityCategory(f.Check())},
			Location:    codeQualityLocation{Path: p, Lines: codeQualityLines{Begin: line}},
		})
	}
	enc := json.NewEncoder(c.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(issues); err != nil {
		return fmt.Errorf("writing codequality report: %w", err)
	}
	return nil
}
