package config

import (
	"strings"
	"testing"
)

func TestPolicyConfig(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
clusterSettings:
  shop-prod: {production: false, severity: {repo/notifications: info}}
  edge: {production: true}
policy:
  severity: {repo/codeowners: warning, repo/notifications: off}
  adoption: {adopted: [shop-prod/web]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidatePolicy(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"shop-prod": false, "edge": true, "erp-saas-prod": true, "prod": true, "eu.production.1": true, "product-x": false, "dev": false, "non-prod-east": false, "pre-prod": false, "nonprod": false, "eu_not_prod": false, "prod-eu-1": true, "us-prod-non": true} {
		if got := c.IsProduction(name); got != want {
			t.Errorf("IsProduction(%q) = %v, want %v", name, got, want)
		}
	}
	if ok, why := c.ProductionReason("non-prod-east"); ok || !strings.Contains(why, "no name segment") {
		t.Errorf("non-prod-east: %v %q", ok, why)
	}
	if ok, why := c.ProductionReason("edge"); !ok || why != "clusterSettings.edge.production: true" {
		t.Errorf("edge: %v %q", ok, why)
	}
	c.Policy.Production = []string{"*-live"}
	if c.IsProduction("erp-saas-prod") || !c.IsProduction("erp-live") || !c.IsProduction("edge") {
		t.Error("policy.production globs must replace the name heuristic, clusterSettings still win")
	}
	for _, tt := range []struct{ cluster, rule, want string }{
		{"shop-prod", "repo/notifications", "info"},
		{"edge", "repo/notifications", "off"},
		{"", "repo/codeowners", "warning"},
		{"edge", "repo/sync-window", "error"},
	} {
		if got := c.RuleSeverity(tt.cluster, tt.rule, "error"); got != tt.want {
			t.Errorf("RuleSeverity(%q, %q) = %q, want %q", tt.cluster, tt.rule, got, tt.want)
		}
	}
	if c.Policy.Adoption == nil || c.Policy.Adoption.Adopted[0] != "shop-prod/web" {
		t.Errorf("adoption: %+v", c.Policy.Adoption)
	}
}

func TestValidatePolicy(t *testing.T) {
	for _, tt := range []struct{ yaml, err string }{
		{"policy: {severity: {repo/codeowners: fatal}}", `policy.severity: rule repo/codeowners: severity "fatal"`},
		{"clusterSettings: {a: {severity: {repo/adoption: never}}}", `clusterSettings.a.severity: rule repo/adoption`},
		{"policy: {production: ['[']}", `bad glob "["`},
	} {
		// Parse validates, so a bad policy never reaches the checks (exit 2).
		if _, err := Parse("c.yaml", []byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.yaml, err, tt.err)
		}
	}
	if _, err := Parse("c.yaml", []byte("policy: {severities: {}}")); err == nil {
		t.Error("unknown policy key accepted")
	}
}
