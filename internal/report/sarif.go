package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

func init() {
	register("sarif", func(w io.Writer, o Options) Writer { return &sarifWriter{w: w, o: o} })
}

// SARIFSchema is the schema URI written into sarif output.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// sarifFingerprintKey names render-check's fingerprint in partialFingerprints.
const sarifFingerprintKey = "renderCheck/v1"

// sarifWriter writes SARIF 2.1.0 for GitHub code scanning and other SARIF
// consumers: one rule per finding rule, one result per finding.
type sarifWriter struct {
	w io.Writer
	o Options
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	Results    []sarifResult `json:"results"`
	ColumnKind string        `json:"columnKind"`
	// Invocations records whether the run could check everything: a skipped
	// check is reported as a notification, never as silence.
	Invocations []sarifInvocation `json:"invocations"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifHelp       `json:"help"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           sarifRuleProps  `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          *sarifResultProps `json:"properties,omitempty"`
}

type sarifResultProps struct {
	Cluster  string       `json:"cluster,omitempty"`
	App      string       `json:"app,omitempty"`
	Resource *ResourceRef `json:"resource,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "note"
	}
	return "error"
}

// Write writes the report as one SARIF run.
func (s *sarifWriter) Write(r *Report) error {
	rules, index := sarifRules(r.Findings)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "render-check",
			Version:        s.o.ToolVersion,
			InformationURI: "https://github.com/render-check/render-check",
			Rules:          rules,
		}},
		Results:     make([]sarifResult, 0, len(r.Findings)),
		ColumnKind:  "unicodeCodePoints",
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
	}
	for _, sk := range r.Skipped {
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications,
			sarifNotification{Level: "warning", Message: sarifMessage{Text: "check skipped: " + sk}})
	}
	for _, f := range r.Findings {
		run.Results = append(run.Results, s.result(f, index[f.Rule]))
	}
	enc := json.NewEncoder(s.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
		return fmt.Errorf("writing sarif report: %w", err)
	}
	return nil
}

func (s *sarifWriter) result(f Finding, ruleIndex int) sarifResult {
	res := sarifResult{
		RuleID:              f.Rule,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifMessage{Text: longMessage(f)},
		PartialFingerprints: map[string]string{sarifFingerprintKey: FingerprintOf(f)},
	}
	if f.Cluster != "" || f.App != "" || f.Resource != nil {
		res.Properties = &sarifResultProps{Cluster: f.Cluster, App: f.App, Resource: f.Resource}
	}
	var loc sarifLocation
	if f.File != "" {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: s.o.repoPath(f.File)}}
		if f.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
		}
	}
	if f.Resource != nil {
		fq := f.Resource.APIVersion + "/" + f.Resource.String()
		if w := where(f); w != "" {
			fq = w + ":" + fq
		}
		loc.LogicalLocations = []sarifLogical{{Name: f.Resource.Name, FullyQualifiedName: fq, Kind: "resource"}}
	} else if w := where(f); w != "" {
		loc.LogicalLocations = []sarifLogical{{Name: w, FullyQualifiedName: w, Kind: "module"}}
	}
	if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
		res.Locations = []sarifLocation{loc}
	}
	return res
}

// sarifRules returns one rule per distinct finding rule, sorted by id, and
// the index of each rule in that list.
func sarifRules(fs []Finding) ([]sarifRule, map[string]int) {
	worst := map[string]Severity{}
	for _, f := range fs {
		if cur, ok := worst[f.Rule]; !ok || f.Severity.Rank() > cur.Rank() {
			worst[f.Rule] = f.Severity
		}
	}
	ids := make([]string, 0, len(worst))
	for id := range worst {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rules := make([]sarifRule, 0, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		d := DocFor(id)
		check := Finding{Rule: id}.Check()
		rules = append(rules, sarifRule{
			ID:                   id,
			Name:                 ruleName(id),
			ShortDescription:     sarifText{Text: d.Short},
			FullDescription:      sarifText{Text: d.Short + " " + d.Help},
			Help:                 sarifHelp{Text: d.Help, Markdown: "**" + id + "**: " + d.Help},
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(worst[id])},
			Properties:           sarifRuleProps{Tags: []string{"render-check", check}},
		})
		index[id] = i
	}
	return rules, index
}

// ruleName turns "image/tag-not-found" into "ImageTagNotFound", the
// PascalCase form SARIF viewers expect in reportingDescriptor.name.
func ruleName(id string) string {
	out := make([]byte, 0, len(id))
	upper := true
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c == '/' || c == '-' || c == '_' || c == '.':
			upper = true
		case upper && c >= 'a' && c <= 'z':
			out = append(out, c-'a'+'A')
			upper = false
		default:
			out = append(out, c)
			upper = false
		}
	}
	return string(out)
}
