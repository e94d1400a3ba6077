package validate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// TestCatalogKinds checks that the kinds real Argo CD repos use most are in
// the embedded catalog with their provenance, and that every schema of the
// catalog converts and compiles.
func TestCatalogKinds(t *testing.T) {
	entries, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]CatalogEntry{}
	for _, e := range entries {
		have[e.APIVersion+"/"+e.Kind] = e
		if e.Module == "" || e.Version == "" || e.File == "" {
			t.Errorf("%s %s: no provenance: %+v", e.APIVersion, e.Kind, e)
		}
	}
	for _, k := range []string{
		"operators.coreos.com/v1alpha1/Subscription", "operators.coreos.com/v1/OperatorGroup",
		"argoproj.io/v1alpha1/Rollout", "argoproj.io/v1alpha1/AnalysisTemplate", "argoproj.io/v1alpha1/Application",
		"argoproj.io/v1alpha1/AppProject", "argoproj.io/v1alpha1/ApplicationSet",
		"monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor", "monitoring.coreos.com/v1/PrometheusRule",
		"external-secrets.io/v1/ExternalSecret", "external-secrets.io/v1beta1/ExternalSecret",
		"external-secrets.io/v1/SecretStore", "external-secrets.io/v1/ClusterSecretStore",
		"cert-manager.io/v1/Certificate", "cert-manager.io/v1/Issuer", "cert-manager.io/v1/ClusterIssuer",
		"gateway.networking.k8s.io/v1/Gateway", "gateway.networking.k8s.io/v1/HTTPRoute",
		"networking.istio.io/v1/VirtualService", "networking.istio.io/v1beta1/DestinationRule", "networking.istio.io/v1alpha3/Gateway",
		"bitnami.com/v1alpha1/SealedSecret", "keda.sh/v1alpha1/ScaledObject", "kyverno.io/v1/ClusterPolicy",
	} {
		if _, ok := have[k]; !ok {
			t.Errorf("catalog lacks %s", k)
		}
	}
	if e := have["external-secrets.io/v1beta1/ExternalSecret"]; e.Version != "v0.16.2" {
		t.Errorf("v1beta1 ExternalSecret comes from %s@%s, want the older release that still serves it", e.Module, e.Version)
	}
	if e := have["cert-manager.io/v1/ClusterIssuer"]; e.Namespaced {
		t.Error("ClusterIssuer is cluster-scoped")
	}
	v, err := New(Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if l := v.lookup(e.APIVersion, e.Kind); l.err != nil || l.schema == nil || !strings.HasPrefix(l.source, "embedded catalog: ") {
			t.Errorf("%s %s: schema %v, source %q, err %v", e.APIVersion, e.Kind, l.schema != nil, l.source, l.err)
		}
	}
}

const certificate = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: shop}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
`

// TestCatalogValidatesCustomResources: a correct catalogued resource passes,
// a wrong field is reported with the catalog source, and without the
// catalog the kind has no schema.
func TestCatalogValidatesCustomResources(t *testing.T) {
	v, err := New(Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if ps := v.Validate(mustYAML(t, certificate)); len(ps) != 0 {
		t.Fatalf("valid Certificate: %+v", ps)
	}
	ps := v.Validate(mustYAML(t, strings.Replace(certificate, "secretName:", "secretNam:", 1)))
	msgs := problemMessages(ps)
	if len(ps) != 2 || !strings.Contains(msgs, `spec.secretNam: unknown field "secretNam"`) ||
		!strings.Contains(msgs, `spec.secretName: missing required field "secretName"`) ||
		!strings.Contains(msgs, "(schema: embedded catalog: github.com/cert-manager/cert-manager@v1.21.2 deploy/crds/cert-manager.io_certificates.yaml)") {
		t.Errorf("problems = %s", msgs)
	}
	if ns, known := v.Namespaced("cert-manager.io/v1", "ClusterIssuer"); !known || ns {
		t.Errorf("ClusterIssuer scope from the catalog: namespaced=%v known=%v", ns, known)
	}
	off, err := New(Options{Strict: true, NoCatalog: true})
	if err != nil {
		t.Fatal(err)
	}
	if ps := off.Validate(mustYAML(t, certificate)); len(ps) != 1 || ps[0].Rule != report.RuleSchemaMissing {
		t.Errorf("without the catalog: %+v", ps)
	}
}

func problemMessages(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(string(p.Severity) + " " + p.Rule + " " + problemMessage(p) + "\n")
	}
	return b.String()
}

// TestResolutionOrder: repo CRDs, then schema locations, then the catalog.
func TestResolutionOrder(t *testing.T) {
	bad := strings.Replace(certificate, "dnsNames:", "extra: 1\n  dnsNames:", 1)
	// 1. a CRD from the repo wins over the catalog (here an older, looser one)
	repoCRD, err := ConvertCRD(mustYAML(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  scope: Namespaced
  names: {kind: Certificate, plural: certificates}
  versions:
    - name: v1
      served: true
      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(Options{Strict: true, CRDs: repoCRD})
	if err != nil {
		t.Fatal(err)
	}
	if ps := v.Validate(mustYAML(t, bad)); len(ps) != 0 {
		t.Errorf("repo CRD should win over the catalog: %s", problemMessages(ps))
	}
	// 2. a schema location (kubeconform layout) wins over the catalog
	dir := t.TempDir()
	loose := map[string]any{"type": "object"}
	data, _ := json.Marshal(loose)
	if err := os.WriteFile(filepath.Join(dir, "certificate-cert-manager-v1.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err = New(Options{Strict: true, SchemaLocations: []string{dir + "/{{ .ResourceKind }}{{ .KindSuffix }}.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if ps := v.Validate(mustYAML(t, bad)); len(ps) != 0 {
		t.Errorf("schema location should win over the catalog: %s", problemMessages(ps))
	}
	// 3. then the embedded catalog
	v, err = New(Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if ps := v.Validate(mustYAML(t, bad)); len(ps) != 1 || ps[0].Field != "spec.extra" {
		t.Errorf("catalog: %s", problemMessages(ps))
	}
}

// TestStatusSubresourceIgnored: with the status subresource, the API server
// ignores status on writes; without it, status is validated.
func TestStatusSubresourceIgnored(t *testing.T) {
	crd := func(sub string) []CRDSchema {
		cs, err := ConvertCRD(mustYAML(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.test.io}
spec:
  group: test.io
  scope: Namespaced
  names: {kind: Thing, plural: things}
  versions:
    - name: v1
      served: true`+sub+`
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
            status: {type: object, properties: {ready: {type: boolean}}}
`))
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	obj := "apiVersion: test.io/v1\nkind: Thing\nmetadata: {name: a}\nspec: {size: 1}\nstatus: {ready: maybe, phase: x}\n"
	with := crd("\n      subresources: {status: {}}")
	if !with[0].StatusSubresource {
		t.Fatal("StatusSubresource not set")
	}
	v, _ := New(Options{Strict: true, CRDs: with})
	if ps := v.Validate(mustYAML(t, obj)); len(ps) != 0 {
		t.Errorf("status with the status subresource: %s", problemMessages(ps))
	}
	v, _ = New(Options{Strict: true, CRDs: crd("")})
	if ps := v.Validate(mustYAML(t, obj)); len(ps) != 2 {
		t.Errorf("status without the subresource should be validated: %s", problemMessages(ps))
	}
}

// TestUnknownFieldPrunedOrRejected: strict rejects an undeclared field (as
// the server's Strict field validation), otherwise it is a warning (the
// server drops it and warns).
func TestUnknownFieldPrunedOrRejected(t *testing.T) {
	obj := strings.Replace(certificate, "secretName:", "duration2: 1h\n  secretName:", 1)
	for _, strict := range []bool{true, false} {
		v, err := New(Options{Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		ps := v.Validate(mustYAML(t, obj))
		want, sev := report.RuleSchemaInvalid, report.SeverityError
		if !strict {
			want, sev = report.RuleSchemaPrunedField, report.SeverityWarning
		}
		if len(ps) != 1 || ps[0].Rule != want || ps[0].Severity != sev || ps[0].Field != "spec.duration2" {
			t.Errorf("strict=%v: %s", strict, problemMessages(ps))
		}
	}
	// built-in kinds alike
	v, _ := New(Options{Strict: false})
	ps := v.Validate(mustYAML(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndatta: {}\n"))
	if len(ps) != 1 || ps[0].Rule != report.RuleSchemaPrunedField {
		t.Errorf("ConfigMap non-strict: %s", problemMessages(ps))
	}
}

func TestMissingSchemaPolicy(t *testing.T) {
	obj := "apiVersion: example.org/v1\nkind: Widget\nmetadata: {name: a}\n"
	other := "apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: a}\n"
	tests := []struct {
		policy       MissingSchemaPolicy
		widget, gadg report.Severity // "" = no finding
	}{
		{nil, report.SeverityError, report.SeverityError},
		{MissingSchemaPolicy{"*": "warning"}, report.SeverityWarning, report.SeverityWarning},
		{MissingSchemaPolicy{"example.org": "ignore"}, "", ""},
		{MissingSchemaPolicy{"example.org": "ignore", "Widget": "error"}, report.SeverityError, ""},
		{MissingSchemaPolicy{"Widget": "ignore", "Widget.example.org": "warning", "*": "ignore"}, report.SeverityWarning, ""},
	}
	for _, tt := range tests {
		v, err := New(Options{Strict: true, MissingSchema: tt.policy})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			obj  string
			want report.Severity
		}{{obj, tt.widget}, {other, tt.gadg}} {
			ps := v.Validate(mustYAML(t, c.obj))
			switch {
			case c.want == "" && len(ps) != 0:
				t.Errorf("%v: %s", tt.policy, problemMessages(ps))
			case c.want != "" && (len(ps) != 1 || ps[0].Rule != report.RuleSchemaMissing || ps[0].Severity != c.want):
				t.Errorf("%v: want %s, got %s", tt.policy, c.want, problemMessages(ps))
			}
		}
	}
	for _, bad := range []MissingSchemaPolicy{{"Widget": "fatal"}, {"example.org/v1": "ignore"}} {
		_, err := New(Options{MissingSchema: bad})
		var pe *PolicyError
		if !asPolicyError(err, &pe) {
			t.Errorf("%v: err = %v, want *PolicyError", bad, err)
		}
	}
}

func asPolicyError(err error, pe **PolicyError) bool {
	p, ok := err.(*PolicyError)
	*pe = p
	return ok
}

func TestGroupMissing(t *testing.T) {
	ref := func(name string) *report.ResourceRef {
		return &report.ResourceRef{APIVersion: "operators.coreos.com/v1alpha1", Kind: "Subscription", Name: name}
	}
	msg := "no schema for operators.coreos.com/v1alpha1 Subscription in Kubernetes 1.34: add it"
	var in []report.Finding
	for i, app := range []string{"a", "a", "b", "c"} {
		in = append(in, report.Finding{Rule: report.RuleSchemaMissing, Severity: report.SeverityError, Cluster: "prod", App: app,
			File: "apps/" + app + "/sub.yaml", Line: i + 1, Resource: ref(app), Message: msg})
	}
	in = append(in, report.Finding{Rule: report.RuleSchemaInvalid, Severity: report.SeverityError, File: "x.yaml", Line: 3, Message: "spec.a: bad"})
	out := GroupMissing(in)
	if len(out) != 2 || out[0].Rule != report.RuleSchemaInvalid {
		t.Fatalf("GroupMissing = %+v", out)
	}
	g := out[1]
	want := "Subscription (4 resources in 3 apps): " + msg + "; also at apps/a/sub.yaml:2, apps/b/sub.yaml:3, apps/c/sub.yaml:4"
	if g.File != "apps/a/sub.yaml" || g.Line != 1 || g.Message != want {
		t.Errorf("grouped finding = %s:%d %q\nwant %q", g.File, g.Line, g.Message, want)
	}
}

// TestRenderedCRDWinsOverCatalog: a CRD in the cluster's rendered output
// (e.g. a chart's crds/) judges its kind before the embedded catalog.
func TestRenderedCRDWinsOverCatalog(t *testing.T) {
	crd := mustYAML(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  scope: Namespaced
  names: {kind: Certificate, plural: certificates}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {secretName: {type: string}, extra: {type: integer}}}}}}
`)
	cert := mustYAML(t, "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: shop}\nspec: {secretName: s, extra: 1}\n")
	cluster := func(objs ...map[string]any) *resource.Cluster {
		app := &resource.App{Name: "certs"}
		for i, o := range objs {
			app.Resources = append(app.Resources, &resource.Resource{Cluster: "prod", App: "certs", Object: o,
				Origin: resource.Origin{File: "certs.yaml", Line: 1 + 10*i}})
		}
		return &resource.Cluster{Name: "prod", KubernetesVersion: "1.34", Apps: []*resource.App{app}}
	}
	fs, err := CheckCluster(context.Background(), cluster(crd, cert), ClusterOptions{Strict: true})
	if err != nil || len(fs) != 0 {
		t.Fatalf("with the rendered CRD: %+v %v", fs, err)
	}
	fs, err = CheckCluster(context.Background(), cluster(cert), ClusterOptions{Strict: true})
	if err != nil || len(fs) != 2 || !strings.Contains(fs[0].Message+fs[1].Message, "embedded catalog") {
		t.Fatalf("catalog only: %+v %v", fs, err)
	}
}
