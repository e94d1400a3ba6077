package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

func init() {
	register("junit", func(w io.Writer, o Options) Writer { return &junitWriter{w: w, o: o} })
}

// appChecks are the checks every rendered app goes through; each becomes a
// test case per app even when it found nothing, so a passing check shows as
// a passing test (and a skipped one as skipped).
var appChecks = []string{"render", "schema", "image", "secret"}

// repoChecks are the checks reported for the repository as a whole.
var repoChecks = []string{"repo", "secret"}

// repositorySuite names the test suite of findings outside any cluster.
const repositorySuite = "repository"

// junitWriter writes JUnit XML (the Jenkins junit-4 schema that GitLab and
// most CI systems read): one test suite per cluster, one test case per
// cluster/app/check without findings, one test case per finding.
type junitWriter struct {
	w io.Writer
	o Options
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties *junitProps     `xml:"properties,omitempty"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	File      string         `xml:"file,attr,omitempty"`
	Line      string         `xml:"line,attr,omitempty"`
	Skipped   *string        `xml:"skipped"`
	Failures  []junitFailure `xml:"failure"`
	SystemOut *string        `xml:"system-out"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// Write writes the report as JUnit XML.
func (j *junitWriter) Write(r *Report) error {
	// a check skipped as a whole marks its test cases skipped; a part of a
	// check that did not run (one rule, e.g. the SOPS MAC check without a
	// key) is one skipped test case of the repository suite
	skipped := map[string]string{}
	var partial []string
	for _, s := range r.Skipped {
		check, reason, _ := strings.Cut(s, ":")
		check, reason = strings.TrimSpace(check), strings.TrimSpace(reason)
		if strings.HasPrefix(reason, check+"/") {
			partial = append(partial, reason)
			continue
		}
		skipped[check] = reason
	}
	// findings by cluster, then app ("" = cluster level), then check
	type key struct{ cluster, app, check string }
	byKey := map[key][]Finding{}
	appsOf := map[string][]string{}
	for _, f := range r.Findings {
		k := key{f.Cluster, f.App, f.Check()}
		if len(byKey[k]) == 0 && !slices.Contains(appsOf[f.Cluster], f.App) {
			appsOf[f.Cluster] = append(appsOf[f.Cluster], f.App)
		}
		byKey[k] = append(byKey[k], f)
	}
	checksOf := func(cluster, app string, base []string) []string {
		checks := slices.Clone(base)
		var extra []string
		for k := range byKey {
			if k.cluster == cluster && k.app == app && !slices.Contains(checks, k.check) && !slices.Contains(extra, k.check) {
				extra = append(extra, k.check)
			}
		}
		slices.Sort(extra)
		return append(checks, extra...)
	}
	mkCase := func(suite *junitSuite, cluster, app, check string) {
		label := app
		if label == "" {
			label = "(" + suite.Name + ")"
		}
		classname := suite.Name
		if app != "" {
			classname = suite.Name + "." + app
		}
		fs := byKey[key{cluster, app, check}]
		if len(fs) == 0 {
			// the check passed for this app (or did not run at all)
			tc := junitTestCase{Name: label + ": " + check, Classname: classname}
			if reason, ok := skipped[check]; ok {
				s := check + " check skipped: " + reason
				tc.Skipped = &s
				suite.Skipped++
			}
			suite.Tests++
			suite.Cases = append(suite.Cases, tc)
			return
		}
		// one test case per finding, with its file: every failure is
		// listed by GitLab and Jenkins
		for _, f := range fs {
			name := label + ": " + f.Rule
			if loc := j.o.repoPath(f.File); loc != "" {
				if f.Line > 0 {
					loc += ":" + strconv.Itoa(f.Line)
				}
				name += " " + loc
			}
			tc := junitTestCase{Name: name, Classname: classname, File: j.o.repoPath(f.File)}
			if f.Line > 0 {
				tc.Line = strconv.Itoa(f.Line)
			}
			if f.Severity.Rank() >= j.o.failOn().Rank() {
				tc.Failures = append(tc.Failures, junitFailure{Message: f.Message, Type: f.Rule, Body: j.detail(f)})
				suite.Failures++
			} else {
				out := string(f.Severity) + ": " + f.Rule + ": " + j.detail(f)
				tc.SystemOut = &out
			}
			suite.Tests++
			suite.Cases = append(suite.Cases, tc)
		}
	}

	doc := junitSuites{Name: "render-check"}
	// repository-level findings first, as in the text report
	repo := junitSuite{Name: repositorySuite}
	for _, check := range checksOf("", "", repoChecks) {
		mkCase(&repo, "", "", check)
	}
	for _, app := range sortedApps(appsOf[""]) {
		if app != "" {
			for _, check := range checksOf("", app, nil) {
				mkCase(&repo, "", app, check)
			}
		}
	}
	for _, p := range partial {
		rule, reason, _ := strings.Cut(p, ":")
		msg := rule + " skipped: " + strings.TrimSpace(reason)
		repo.Cases = append(repo.Cases, junitTestCase{Name: "(" + repositorySuite + "): " + rule, Classname: repositorySuite, Skipped: &msg})
		repo.Tests++
		repo.Skipped++
	}
	doc.Suites = append(doc.Suites, repo)
	for _, c := range r.Clusters {
		suite := junitSuite{Name: c.Name}
		if c.KubernetesVersion != "" {
			suite.Properties = &junitProps{Props: []junitProp{{Name: "kubernetesVersion", Value: c.KubernetesVersion}}}
		}
		if slices.Contains(appsOf[c.Name], "") {
			for _, check := range checksOf(c.Name, "", nil) {
				mkCase(&suite, c.Name, "", check)
			}
		}
		apps := make([]string, 0, len(c.Apps))
		for _, a := range c.Apps {
			apps = append(apps, a.Name)
		}
		for _, a := range appsOf[c.Name] {
			if a != "" && !slices.Contains(apps, a) {
				apps = append(apps, a)
			}
		}
		for _, app := range sortedApps(apps) {
			for _, check := range checksOf(c.Name, app, appChecks) {
				mkCase(&suite, c.Name, app, check)
			}
		}
		doc.Suites = append(doc.Suites, suite)
	}
	// findings of clusters missing from the cluster list (e.g. a cluster
	// that failed before rendering)
	var orphans []string
	for cl := range appsOf {
		if cl != "" && !slices.ContainsFunc(r.Clusters, func(c Cluster) bool { return c.Name == cl }) {
			orphans = append(orphans, cl)
		}
	}
	slices.Sort(orphans)
	for _, cl := range orphans {
		suite := junitSuite{Name: cl}
		for _, app := range sortedApps(appsOf[cl]) {
			for _, check := range checksOf(cl, app, nil) {
				mkCase(&suite, cl, app, check)
			}
		}
		doc.Suites = append(doc.Suites, suite)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}

	if _, err := io.WriteString(j.w, xml.Header); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	enc := xml.NewEncoder(j.w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	if _, err := io.WriteString(j.w, "\n"); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	return nil
}

// detail is the failure text: where to edit, what, and why.
func (j *junitWriter) detail(f Finding) string {
	var lines []string
	if f.File != "" {
		loc := j.o.repoPath(f.File)
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		lines = append(lines, loc)
	}
	if f.Resource != nil {
		lines = append(lines, f.Resource.APIVersion+" "+f.Resource.String())
	}
	lines = append(lines, f.Message)
	return strings.Join(lines, "\n")
}

func sortedApps(apps []string) []string {
	out := slices.Clone(apps)
	slices.Sort(out)
	return slices.Compact(out)
}
