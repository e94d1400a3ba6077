package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Go has no XSD validator. xsdSubset reads an XSD and validates documents
// against the subset of XML Schema that the junit-4 XSD uses: global element
// declarations of type xs:string or of an anonymous complexType (optionally
// mixed) holding one xs:sequence of element refs with minOccurs/maxOccurs,
// and xs:attribute declarations with use="required|optional". Any other
// construct in the XSD fails the test rather than being ignored.
type xsdSubset struct {
	elements map[string]*xsdElement
}

type xsdElement struct {
	name     string
	simple   bool // xs:string content, no attributes, no children
	mixed    bool
	sequence []xsdParticle
	attrs    map[string]bool // name -> required
}

type xsdParticle struct {
	ref      string
	min, max int // max -1 = unbounded
}

type xsdNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xsdNode  `xml:",any"`
}

func loadXSD(t *testing.T, path string) *xsdSubset {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root xsdNode
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	attr := func(n xsdNode, name string) (string, bool) {
		for _, a := range n.Attrs {
			if a.Name.Local == name {
				return a.Value, true
			}
		}
		return "", false
	}
	occurs := func(n xsdNode, name string) int {
		v, ok := attr(n, name)
		switch {
		case !ok:
			return 1
		case v == "unbounded":
			return -1
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("xsd: bad %s=%q", name, v)
		}
		return i
	}
	x := &xsdSubset{elements: map[string]*xsdElement{}}
	if root.XMLName.Local != "schema" {
		t.Fatalf("xsd: root is %s", root.XMLName.Local)
	}
	for _, el := range root.Children {
		if el.XMLName.Local != "element" {
			t.Fatalf("xsd: unsupported top-level %s", el.XMLName.Local)
		}
		name, _ := attr(el, "name")
		d := &xsdElement{name: name, attrs: map[string]bool{}}
		if typ, ok := attr(el, "type"); ok {
			if typ != "xs:string" || len(el.Children) > 0 {
				t.Fatalf("xsd: unsupported element type %s", typ)
			}
			d.simple = true
			x.elements[name] = d
			continue
		}
		if len(el.Children) != 1 || el.Children[0].XMLName.Local != "complexType" {
			t.Fatalf("xsd: element %s: unsupported content", name)
		}
		ct := el.Children[0]
		if m, _ := attr(ct, "mixed"); m == "true" {
			d.mixed = true
		}
		for _, c := range ct.Children {
			switch c.XMLName.Local {
			case "sequence":
				for _, p := range c.Children {
					ref, ok := attr(p, "ref")
					if p.XMLName.Local != "element" || !ok {
						t.Fatalf("xsd: element %s: unsupported particle %s", name, p.XMLName.Local)
					}
					d.sequence = append(d.sequence, xsdParticle{ref: ref, min: occurs(p, "minOccurs"), max: occurs(p, "maxOccurs")})
				}
			case "attribute":
				an, _ := attr(c, "name")
				use, _ := attr(c, "use")
				if typ, _ := attr(c, "type"); typ != "xs:string" {
					t.Fatalf("xsd: attribute %s: unsupported type %s", an, typ)
				}
				d.attrs[an] = use == "required"
			default:
				t.Fatalf("xsd: element %s: unsupported %s", name, c.XMLName.Local)
			}
		}
		x.elements[name] = d
	}
	return x
}

// validate checks doc against the schema; the root may be any global element.
func (x *xsdSubset) validate(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return fmt.Errorf("no root element")
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if err := x.element(dec, se, "/"); err != nil {
				return err
			}
			break
		}
	}
	for { // nothing but whitespace, comments and PIs after the root
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("second root element %s", v.Name.Local)
		case xml.CharData:
			if strings.TrimSpace(string(v)) != "" {
				return fmt.Errorf("text after the root element")
			}
		}
	}
}

func (x *xsdSubset) element(dec *xml.Decoder, se xml.StartElement, parent string) error {
	path := parent + se.Name.Local
	d, ok := x.elements[se.Name.Local]
	if !ok {
		return fmt.Errorf("%s: element not declared", path)
	}
	seen := map[string]bool{}
	for _, a := range se.Attr {
		if _, ok := d.attrs[a.Name.Local]; !ok || a.Name.Space != "" {
			return fmt.Errorf("%s: attribute %s not declared", path, a.Name.Local)
		}
		seen[a.Name.Local] = true
	}
	for a, required := range d.attrs {
		if required && !seen[a] {
			return fmt.Errorf("%s: required attribute %s missing", path, a)
		}
	}
	var children []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if d.simple {
				return fmt.Errorf("%s: child element %s in a string element", path, v.Name.Local)
			}
			children = append(children, v.Name.Local)
			if err := x.element(dec, v, path+"/"); err != nil {
				return err
			}
		case xml.CharData:
			if !d.simple && !d.mixed && strings.TrimSpace(string(v)) != "" {
				return fmt.Errorf("%s: text in element-only content", path)
			}
		case xml.EndElement:
			return d.matchSequence(path, children)
		}
	}
}

// matchSequence checks children against the sequence, greedily: each
// particle takes as many consecutive children of its name as it may.
func (d *xsdElement) matchSequence(path string, children []string) error {
	i := 0
	for _, p := range d.sequence {
		n := 0
		for i < len(children) && children[i] == p.ref && (p.max < 0 || n < p.max) {
			i++
			n++
		}
		if n < p.min {
			return fmt.Errorf("%s: want at least %d %s, got %d", path, p.min, p.ref, n)
		}
	}
	if i < len(children) {
		return fmt.Errorf("%s: unexpected %s at position %d", path, children[i], i+1)
	}
	return nil
}

var fileLineAttrs = regexp.MustCompile(` (?:file|line)="[^"]*"`)

func TestJUnitValidatesAgainstXSD(t *testing.T) {
	x := loadXSD(t, "testdata/junit.xsd")
	empty := &Report{}
	empty.Finalize()
	for name, r := range map[string]*Report{"sample": sampleReport(), "empty": empty} {
		for _, failOn := range []Severity{SeverityError, SeverityWarning, SeverityInfo} {
			out := render(t, "junit", r, Options{FailOn: failOn})
			// file and line of a test case are read by GitLab and Jenkins but
			// not declared by the junit-4 XSD: the only additions to it
			out = fileLineAttrs.ReplaceAll(out, nil)
			if err := x.validate(out); err != nil {
				t.Errorf("%s (fail-on %s): %v\n%s", name, failOn, err, out)
			}
		}
	}
}

// TestXSDSubsetRejects proves the validator can fail on each rule it checks.
func TestXSDSubsetRejects(t *testing.T) {
	x := loadXSD(t, "testdata/junit.xsd")
	for _, doc := range []string{
		`<testsuites><testsuite tests="1"/></testsuites>`,                                              // missing name
		`<testsuites><testsuite name="a" tests="1" bogus="x"/></testsuites>`,                           // undeclared attr
		`<testsuite name="a" tests="1"><testcase name="t"><failure/><skipped/></testcase></testsuite>`, // order
		`<testsuite name="a" tests="1"><testcase name="t"><skipped/><skipped/></testcase></testsuite>`, // maxOccurs
		`<testsuite name="a" tests="1"><properties></properties></testsuite>`,                          // minOccurs
		`<testsuite name="a" tests="1"><unknown/></testsuite>`,                                         // undeclared element
		`<testsuite name="a" tests="1">text</testsuite>`,                                               // text in element-only
		`<testsuite name="a" tests="1"><system-out><b/></system-out></testsuite>`,                      // child in string
	} {
		if err := x.validate([]byte(doc)); err == nil {
			t.Errorf("accepted invalid document %s", doc)
		}
	}
	ok := `<testsuites><testsuite name="a" tests="1"><testcase name="t" classname="c"><skipped>why</skipped><failure message="m" type="r">body</failure><system-out>x</system-out></testcase></testsuite></testsuites>`
	if err := x.validate([]byte(ok)); err != nil {
		t.Errorf("rejected a valid document: %v", err)
	}
}

func TestJUnitContent(t *testing.T) {
	var doc junitSuites
	r := sampleReport()
	if err := xml.Unmarshal(render(t, "junit", r, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	cases := map[string]junitTestCase{}
	total := 0
	for _, s := range doc.Suites {
		total += s.Tests
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d for %d cases", s.Name, s.Tests, len(s.Cases))
		}
		for _, c := range s.Cases {
			cases[s.Name+" "+c.Name] = c
		}
	}
	if doc.Tests != total {
		t.Errorf("testsuites tests=%d, sum %d", doc.Tests, total)
	}
	// one case per cluster/app/check without findings, one per finding
	byPrefix := func(prefix string) []junitTestCase {
		var out []junitTestCase
		for k, c := range cases {
			if strings.HasPrefix(k, prefix) {
				out = append(out, c)
			}
		}
		return out
	}
	for _, want := range []string{
		"distrib-prod warehouse: render", "distrib-prod warehouse: schema", "distrib-prod warehouse: image/tag-not-found ",
		"distrib-prod warehouse: secret", "distrib-prod edge: schema/", "agritech-prod telemetry-ingest: image",
		"agritech-prod broken: render/failed ", "agritech-prod (agritech-prod): repo/", "repository (repository): secret",
	} {
		if len(byPrefix(want)) == 0 {
			t.Errorf("missing test case %q", want)
		}
	}
	if cs := byPrefix("distrib-prod warehouse: image/tag-not-found "); len(cs) != 1 || len(cs[0].Failures) != 1 ||
		cs[0].File != "clusters/distrib-prod/apps/warehouse.yaml" || cs[0].Line != "19" ||
		!strings.Contains(cs[0].Failures[0].Body, "clusters/distrib-prod/apps/warehouse.yaml:19") {
		t.Errorf("image failure: %+v", cs)
	}
	if c := cases["distrib-prod warehouse: render"]; len(c.Failures) != 0 || c.Skipped != nil {
		t.Errorf("passing check: %+v", c)
	}
	// the warning is output, not a failure, at the default fail level
	warned := 0
	for _, c := range byPrefix("distrib-prod edge: schema/deprecated-api") {
		if len(c.Failures) == 0 && c.SystemOut != nil && strings.Contains(*c.SystemOut, "deprecated-api") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("edge deprecated-api warning: %+v", byPrefix("distrib-prod edge: schema/"))
	}
	// skipped check: skipped, not passed
	if c := cases["agritech-prod telemetry-ingest: image"]; c.Skipped == nil || !strings.Contains(*c.Skipped, "--images off") {
		t.Errorf("skipped image check not marked skipped: %+v", c)
	}
	var warnDoc junitSuites
	if err := xml.Unmarshal(render(t, "junit", r, Options{FailOn: SeverityWarning}), &warnDoc); err != nil {
		t.Fatal(err)
	}
	countFailures := func(d junitSuites) (n int) {
		for _, s := range d.Suites {
			for _, c := range s.Cases {
				n += len(c.Failures)
			}
		}
		return n
	}
	if got, want := countFailures(warnDoc), countFailures(doc)+1; got != want {
		t.Errorf("fail-on warning: %d failures, want %d (the warning becomes one)", got, want)
	}
}
