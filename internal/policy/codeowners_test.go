package policy

import (
	"slices"
	"testing"
)

func TestGitHubPatterns(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"*", "clusters/a/apps/x.yaml", true},
		{"*", "README.md", true},
		{"*.yaml", "clusters/a/apps/x.yaml", true},
		{"*.yaml", "clusters/a/apps/x.yml", false},
		{"/clusters/a/", "clusters/a/apps/x.yaml", true},
		{"/clusters/a/", "clusters/ab/apps/x.yaml", false},
		{"/clusters/a/", "other/clusters/a/x.yaml", false},
		{"clusters/a/", "clusters/a/x.yaml", true},
		// A middle slash anchors the pattern at the root.
		{"clusters/a/", "other/clusters/a/x.yaml", false},
		// No slash but the trailing one: any depth.
		{"apps/", "clusters/a/apps/x.yaml", true},
		{"apps/", "apps/x.yaml", true},
		// Trailing slash: directories only, not a file named apps.
		{"apps/", "clusters/a/apps", false},
		// Literal directory without slash covers its contents.
		{"/clusters/a", "clusters/a/values/v.yaml", true},
		{"values", "clusters/a/values/v.yaml", true},
		// docs/* owns direct children only (GitHub's documented example).
		{"docs/*", "docs/getting-started.md", true},
		{"docs/*", "docs/build-app/troubleshooting.md", false},
		{"/clusters/*/apps/", "clusters/b/apps/x.yaml", true},
		{"/clusters/*/apps/", "clusters/b/values/x.yaml", false},
		{"**/values", "clusters/b/values/x.yaml", true},
		{"/clusters/**/x.yaml", "clusters/b/apps/x.yaml", true},
		{"/clusters/**/x.yaml", "clusters/x.yaml", true},
		{"/clusters/**", "clusters/b/apps/x.yaml", true},
		{"/_base/", "_base/charts/web/Chart.yaml", true},
		{"?ase", "x/base", true},
		// A wildcard last segment does not cover directory contents (as docs/*).
		{"*.d", "conf.d/x.conf", false},
		{"/a?c", "a/c", false},
		{"#literal", "#literal", true},
	}
	for _, tt := range tests {
		r := &OwnerRule{Pattern: tt.pattern, alts: compile(tt.pattern, GitHub)}
		if got := r.match(tt.path); got != tt.want {
			t.Errorf("GitHub %q ~ %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestGitLabPatterns(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"*", "clusters/a/apps/x.yaml", true},
		{"README.md", "README.md", true},
		{"README.md", "internal/README.md", true},
		// Relative paths are globstar paths, even with a middle slash.
		{"internal/README.md", "docs/api/internal/README.md", true},
		{"/docs/", "docs/a/b/c.md", true},
		{"/docs/*", "docs/a.md", true},
		{"/docs/*", "docs/a/b.md", false},
		{"/docs/**/*.md", "docs/a.md", true},
		{"/docs/**/*.md", "docs/a/b/c.md", true},
		// fnmatch: a literal directory path without a trailing slash is only a file.
		{"/docs", "docs/a.md", false},
		{"/clusters/{a,b}/", "clusters/b/x.yaml", true},
		{"/clusters/{a,b}/", "clusters/c/x.yaml", false},
		{"/clusters/[ab]*/", "clusters/alpha/x.yaml", true},
		{"/clusters/[!ab]*/", "clusters/alpha/x.yaml", false},
		{"*.yaml", ".hidden.yaml", true},
	}
	for _, tt := range tests {
		r := &OwnerRule{Pattern: tt.pattern, alts: compile(tt.pattern, GitLab)}
		if got := r.match(tt.path); got != tt.want {
			t.Errorf("GitLab %q ~ %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

const githubCodeOwners = `# Platform team owns everything by default.
*                        @acme/platform

# Production clusters need the SRE team.
/clusters/*-prod/        @acme/sre @acme/platform   # inline comment
/_base/                  @acme/platform

\#notes.md               alice@example.com
/clusters/legacy/generated.yaml
bad-owner.yaml           acme-without-at
`

func TestParseGitHub(t *testing.T) {
	co := ParseCodeOwners(".github/CODEOWNERS", GitHub, []byte(githubCodeOwners))
	// The line with an invalid owner is skipped, as GitHub does.
	if len(co.Rules) != 5 {
		t.Fatalf("rules = %d, want 5: %+v", len(co.Rules), co.Rules)
	}
	if r := co.Rules[1]; r.Line != 5 || r.Pattern != "/clusters/*-prod/" || !slices.Equal(r.Owners, []string{"@acme/sre", "@acme/platform"}) {
		t.Errorf("rule 1 = %+v", r)
	}
	if r := co.Rules[3]; r.Pattern != "#notes.md" || !slices.Equal(r.Owners, []string{"alice@example.com"}) {
		t.Errorf("escaped # rule = %+v", r)
	}
	if len(co.Problems) != 1 || co.Problems[0].Line != 10 {
		t.Errorf("problems = %+v, want the invalid owner on line 10", co.Problems)
	}
	// Last match wins: the owner-less line takes ownership away.
	if co.Owners("clusters/legacy/generated.yaml").Owned() {
		t.Error("clusters/legacy/generated.yaml: owned, want unowned (last rule has no owners)")
	}
	own := co.Owners("clusters/agritech-prod/apps/a.yaml")
	if !own.Owned() || len(own.Rules) != 1 || own.Rules[0].Line != 5 {
		t.Errorf("clusters/agritech-prod/apps/a.yaml: %+v, want owned by line 5", own.Rules)
	}
}

const gitlabCodeOwners = `# Unnamed section: required for everything
* @acme/platform

[Production][2] @acme/sre
/clusters/*-prod/
/clusters/erp-saas-prod/values/ @acme/erp @acme/sre
!/clusters/*-prod/README.md

^[Docs] @acme/docs
*.md

[Bases]
/_base/ @@maintainer @acme/platform/bases
`

func TestParseGitLab(t *testing.T) {
	co := ParseCodeOwners(".gitlab/CODEOWNERS", GitLab, []byte(gitlabCodeOwners))
	if len(co.Problems) != 0 {
		t.Fatalf("problems: %+v", co.Problems)
	}
	if len(co.Rules) != 6 {
		t.Fatalf("rules = %d, want 6", len(co.Rules))
	}
	if r := co.Rules[1]; r.Section != "Production" || !slices.Equal(r.Owners, []string{"@acme/sre"}) {
		t.Errorf("section default owners not applied: %+v", r)
	}
	if r := co.Rules[3]; !r.Exclude || r.Pattern != "!/clusters/*-prod/README.md" {
		t.Errorf("exclusion = %+v", r)
	}
	if r := co.Rules[4]; !r.Optional || r.Section != "Docs" {
		t.Errorf("optional section = %+v", r)
	}
	// One rule per section: unnamed + Production (the later, more specific line).
	own := co.Owners("clusters/erp-saas-prod/values/v.yaml")
	if len(own.Rules) != 2 || own.Rules[1].Line != 6 {
		t.Errorf("erp values: %+v", own.Rules)
	}
	// Excluded from Production, optional in Docs, but the unnamed section owns it.
	own = co.Owners("clusters/agritech-prod/README.md")
	if !own.Owned() || len(own.Rules) != 3 || !own.Rules[1].Exclude {
		t.Errorf("README: %+v", own.Rules)
	}
	// Without the unnamed section, an optional-only path is not owned.
	co2 := ParseCodeOwners("CODEOWNERS", GitLab, []byte("^[Docs] @acme/docs\n*.md\n"))
	if co2.Owners("README.md").Owned() {
		t.Error("README.md owned only by an optional section counted as owned")
	}
	// A character class at the start of a pattern is not a section header.
	co4 := ParseCodeOwners("CODEOWNERS", GitLab, []byte("[Docs] @docs\n[abc]*.md @x\n"))
	if len(co4.Rules) != 1 || co4.Rules[0].Pattern != "[abc]*.md" || co4.Rules[0].Section != "Docs" || !co4.Owners("b1.md").Owned() {
		t.Errorf("[abc]*.md: %+v", co4.Rules)
	}
	// A later line in an excluded section cannot include the file again.
	co3 := ParseCodeOwners("CODEOWNERS", GitLab, []byte("* @a\n!*.rb\n/special/*.rb @ruby\n"))
	if own := co3.Owners("special/x.rb"); own.Owned() {
		t.Errorf("special/x.rb: %+v, want excluded", own.Rules)
	}
}
