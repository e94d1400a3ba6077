package policy

import (
	"testing"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

var ownersRepo = map[string]string{
	"clusters/a-prod/apps/x.yaml":   "kind: ConfigMap\n",
	"clusters/a-prod/README.md":     "# a-prod\n",
	"clusters/b-dev/apps/y.yaml":    "kind: ConfigMap\n",
	"_base/web/kustomization.yaml":  "resources: []\n",
	"README.md":                     "# config\n",
	"clusters/b-dev/values/v.yaml":  "replicas: 1\n",
	"clusters/a-prod/values/v.yaml": "replicas: 3\n",
}

func ownersClusters() []*resource.Cluster {
	return []*resource.Cluster{{Name: "a-prod", Dir: "clusters/a-prod"}, {Name: "b-dev", Dir: "clusters/b-dev"}}
}

func TestCodeOwnersRule(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		config string
		want   []want
	}{
		{
			name: "github: everything owned",
			files: map[string]string{".github/CODEOWNERS": `# default owners
*                    @acme/platform
/clusters/*-prod/    @acme/sre @acme/platform
/_base/              @acme/platform
`},
		},
		{
			name: "no CODEOWNERS file: the repo has not opted in, one warning",
			want: []want{
				{".github/CODEOWNERS", 0, "warning", "the repo has no CODEOWNERS file, so clusters/a-prod/, clusters/b-dev/, _base/ are owned by nobody"},
			},
		},
		{
			name:   "no CODEOWNERS file, opted in: an error",
			config: "policy: {severity: {repo/codeowners: error}}\n",
			want: []want{
				{".github/CODEOWNERS", 0, "error", "the repo has no CODEOWNERS file"},
			},
		},
		{
			name:  "root CODEOWNERS: dev cluster and base owned by nobody",
			files: map[string]string{"CODEOWNERS": "/clusters/a-prod/ @acme/sre\n"},
			want: []want{
				{"CODEOWNERS", 0, "error", "_base/ is not fully owned: 1 of 1 files have no code owner (e.g. _base/web/kustomization.yaml)"},
				{"CODEOWNERS", 0, "error", "clusters/b-dev/ is not fully owned: 2 of 2 files"},
			},
		},
		{
			name:  "a line that matches no file",
			files: map[string]string{"docs/CODEOWNERS": "* @acme/platform\n\n/clusters/c-prod/ @acme/sre\n/clusters/a-prod/*.md @acme/docs\n"},
			want:  []want{{"docs/CODEOWNERS", 3, "error", `pattern "/clusters/c-prod/" matches no file`}},
		},
		{
			name:  "last match wins: an owner-less line takes ownership away",
			files: map[string]string{".github/CODEOWNERS": "* @acme/platform\n/clusters/b-dev/values/\n"},
			want:  []want{{".github/CODEOWNERS", 2, "error", "clusters/b-dev/ is not fully owned: 1 of 2 files have no code owner (e.g. clusters/b-dev/values/v.yaml)"}},
		},
		{
			name:  "invalid owner: GitHub skips the line",
			files: map[string]string{".github/CODEOWNERS": "* @acme/platform acme-platform\n/clusters/ @acme/sre\n"},
			want: []want{
				{".github/CODEOWNERS", 0, "error", "_base/ is not fully owned"},
				{".github/CODEOWNERS", 1, "error", `GitHub CODEOWNERS: invalid owner "acme-platform": GitHub skips the whole line`},
			},
		},
		{
			name: "gitlab: sections, optional section does not count",
			files: map[string]string{".gitlab/CODEOWNERS": `^[Optional review] @acme/devs
/clusters/

[Production][2] @acme/sre
/clusters/a-prod/
!/clusters/a-prod/README.md

[Bases]
/_base/ @@maintainer
`},
			want: []want{{".gitlab/CODEOWNERS", 2, "error", "clusters/b-dev/ is not fully owned: 2 of 2 files are owned only by an optional"}},
		},
		{
			name: "gitlab via .gitlab-ci.yml: root CODEOWNERS with GitLab semantics",
			files: map[string]string{".gitlab-ci.yml": "stages: [check]\n", "CODEOWNERS": `[Everything] @acme/platform
clusters/
_base/
README.md
.gitlab-ci.yml
CODEOWNERS
`},
		},
		{
			name:   "severity: warning everywhere, off for b-dev",
			files:  map[string]string{"CODEOWNERS": "/clusters/a-prod/ @acme/sre\n/nothing/ @x\n"},
			config: "policy: {severity: {repo/codeowners: warning}}\nclusterSettings: {b-dev: {severity: {repo/codeowners: \"off\"}}}\n",
			want: []want{
				{"CODEOWNERS", 0, "warning", "_base/ is not fully owned"},
				{"CODEOWNERS", 2, "warning", `pattern "/nothing/" matches no file`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range ownersRepo {
				files[k] = v
			}
			for k, v := range tt.files {
				files[k] = v
			}
			root := writeRepo(t, files)
			got := only(check(t, root, testConfig(t, tt.config), ownersClusters()...), report.RuleRepoCodeOwners)
			assertFindings(t, got, tt.want)
		})
	}
}

func TestListFilesGit(t *testing.T) {
	root := writeRepo(t, map[string]string{"a/b.yaml": "x: 1\n", ".gitignore": "ignored/\n", "ignored/secret.yaml": "x: 2\n"})
	files, err := workspace.Files(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	// Not a git work tree: a walk sees every file.
	if len(files) != 3 {
		t.Errorf("walk: %v", files)
	}
	gitInit(t, root)
	files, err = workspace.Files(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0] != ".gitignore" || files[1] != "a/b.yaml" {
		t.Errorf("git ls-files: %v, want .gitignore and a/b.yaml (ignored/ excluded)", files)
	}
}
