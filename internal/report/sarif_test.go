package report

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema compiles the OASIS SARIF 2.1.0 schema from testdata, with
// format assertions (uri, uri-reference) turned on.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("sarif output is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("sarif output does not validate against SARIF 2.1.0:\n%v\n%s", err, out)
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := sarifSchema(t)
	empty := &Report{}
	empty.Finalize()
	for name, r := range map[string]*Report{"sample": sampleReport(), "empty": empty} {
		t.Run(name, func(t *testing.T) {
			validateSARIF(t, sch, render(t, "sarif", r, goldenOptions))
			validateSARIF(t, sch, render(t, "sarif", r, Options{}))
		})
	}
}

// TestSARIFSchemaRejects proves the schema check can fail: a result level
// outside the SARIF enum and a missing message must not validate.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := sarifSchema(t)
	out := render(t, "sarif", sampleReport(), goldenOptions)
	for _, bad := range [][2]string{
		{`"level": "warning"`, `"level": "severe"`},
		{`"version": "2.1.0"`, `"version": "2.0.0"`},
		{`"startLine": 19`, `"startLine": 0`},
	} {
		mutated := strings.Replace(string(out), bad[0], bad[1], 1)
		if mutated == string(out) {
			t.Fatalf("fixture lacks %s", bad[0])
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(mutated))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err == nil {
			t.Errorf("schema accepted %s", bad[1])
		}
	}
}

func TestSARIFContent(t *testing.T) {
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Version string
					Rules   []struct {
						ID   string
						Help struct{ Text string }
					}
				}
			}
			Results []struct {
				RuleID              string
				RuleIndex           int
				Level               string
				PartialFingerprints map[string]string
				Locations           []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine int }
					}
				}
			}
			Invocations []struct {
				ToolExecutionNotifications []struct{ Message struct{ Text string } }
			}
		}
	}
	r := sampleReport()
	if err := json.Unmarshal(render(t, "sarif", r, goldenOptions), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.Tool.Driver.Version != "v0.0.0-test" {
		t.Errorf("driver version %q", run.Tool.Driver.Version)
	}
	seen := map[string]bool{}
	for _, rule := range run.Tool.Driver.Rules {
		if seen[rule.ID] {
			t.Errorf("rule %s listed twice", rule.ID)
		}
		seen[rule.ID] = true
		if rule.Help.Text == "" {
			t.Errorf("rule %s has no help", rule.ID)
		}
	}
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	fps := map[string]bool{}
	for i, res := range run.Results {
		f := r.Findings[i]
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID || res.RuleID != f.Rule {
			t.Errorf("result %d: ruleIndex %d does not point at %s", i, res.RuleIndex, res.RuleID)
		}
		fp := res.PartialFingerprints[sarifFingerprintKey]
		if len(fp) != 64 || fps[fp] {
			t.Errorf("result %d: fingerprint %q missing or not unique", i, fp)
		}
		fps[fp] = true
		if f.File != "" {
			pl := res.Locations[0].PhysicalLocation
			if pl == nil || pl.ArtifactLocation.URI != "config/"+f.File {
				t.Errorf("result %d: location %+v, want config/%s", i, pl, f.File)
			}
			if f.Line > 0 && (pl.Region == nil || pl.Region.StartLine != f.Line) {
				t.Errorf("result %d: want startLine %d", i, f.Line)
			}
		}
	}
	if n := run.Invocations[0].ToolExecutionNotifications; len(n) != 1 || !strings.Contains(n[0].Message.Text, "--images off") {
		t.Errorf("skipped check not reported: %+v", n)
	}
	// a finding that moved down by 5 lines keeps its fingerprint
	moved := sampleReport()
	for i := range moved.Findings {
		moved.Findings[i].Line += 5
	}
	var log2 struct {
		Runs []struct {
			Results []struct{ PartialFingerprints map[string]string }
		}
	}
	if err := json.Unmarshal(render(t, "sarif", moved, goldenOptions), &log2); err != nil {
		t.Fatal(err)
	}
	for i := range run.Results {
		if run.Results[i].PartialFingerprints[sarifFingerprintKey] != log2.Runs[0].Results[i].PartialFingerprints[sarifFingerprintKey] {
			t.Errorf("result %d: fingerprint changed when lines moved", i)
		}
	}
}

func TestRuleName(t *testing.T) {
	for in, want := range map[string]string{
		"image/tag-not-found": "ImageTagNotFound",
		"secret/sops-mac":     "SecretSopsMac",
		"repo":                "Repo",
	} {
		if got := ruleName(in); got != want {
			t.Errorf("ruleName(%q) = %q, want %q", in, got, want)
		}
	}
}
