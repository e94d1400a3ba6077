package appset

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// input parses an ApplicationSet manifest as discovery does (object plus node).
func input(t testing.TB, doc string) Input {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := sigsyaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	return Input{Object: obj, File: "apps/set.yaml", Line: 1, Node: &n}
}

func checkout(files map[string]string) *FSCheckout {
	fsys := fstest.MapFS{}
	var list []string
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
		list = append(list, name)
	}
	sortStrings(list)
	return &FSCheckout{FS: fsys, List: list, URLs: func(u string) bool { return u == "https://git.example/config.git" }}
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func field(obj map[string]any, path string) string {
	var v any = obj
	for _, k := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			v = t[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			if i >= len(t) {
				return "<out of range>"
			}
			v = t[i]
		default:
			return "<none>"
		}
	}
	if v == nil {
		return "<none>"
	}
	return fmt.Sprint(v)
}

const header = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: set\n  namespace: argocd\nspec:\n"

var twoClusters = []Cluster{
	{Name: "prod-eu", Server: "https://eu.example:6443", Labels: map[string]string{"env": "prod", "region": "eu"}, Annotations: map[string]string{"team": "a"}},
	{Name: "staging", Server: "https://staging.example:6443", Labels: map[string]string{"env": "staging"}},
}

type tcase struct {
	name     string
	spec     string
	env      Env
	apps     []string          // expected names, sorted
	fields   map[string]string // "app:path" -> value
	findings []string          // "rule@line: substring"
}

func run(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			res := Expand(input(t, header+tc.spec), &env)
			var names []string
			byName := map[string]App{}
			for _, a := range res.Apps {
				names = append(names, a.Name)
				byName[a.Name] = a
			}
			if got, want := strings.Join(names, ","), strings.Join(tc.apps, ","); got != want {
				t.Errorf("apps %q, want %q (findings %+v)", got, want, res.Findings)
			}
			for k, want := range tc.fields {
				app, p, _ := strings.Cut(k, ":")
				a, ok := byName[app]
				if !ok {
					t.Errorf("no app %s", app)
					continue
				}
				got := field(a.Object, p)
				if p == "@line" {
					got = fmt.Sprint(a.Line)
				}
				if got != want {
					t.Errorf("%s %s = %q, want %q", app, p, got, want)
				}
			}
			if len(res.Findings) != len(tc.findings) {
				t.Fatalf("findings %+v, want %v", res.Findings, tc.findings)
			}
			for i, want := range tc.findings {
				f := res.Findings[i]
				head, sub, _ := strings.Cut(want, ": ")
				if got := fmt.Sprintf("%s@%d", f.Rule, f.Line); got != head || !strings.Contains(f.Message, sub) {
					t.Errorf("finding %d = %s %q, want %s %q", i, got, f.Message, head, sub)
				}
			}
		})
	}
}

const tmplLegacy = `  template:
    metadata:
      name: '{{name}}-app'
    spec:
      project: default
      source: {repoURL: https://git.example/config.git, path: 'apps/{{name}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{name}}'}
`

const tmplGo = `  template:
    metadata:
      name: '{{.name}}-app'
    spec:
      project: default
      source: {repoURL: https://git.example/config.git, path: 'apps/{{.name}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{.name}}'}
`

func TestListGenerator(t *testing.T) {
	run(t, []tcase{
		{name: "legacy elements", spec: `  generators:
  - list:
      elements:
      - name: a
      - name: b
        values: {tier: gold}
` + tmplLegacy, apps: []string{"a-app", "b-app"}, fields: map[string]string{
			"a-app:spec.source.path": "apps/a", "a-app:metadata.namespace": "argocd",
			"a-app:metadata.finalizers.0": ResourcesFinalizer, "b-app:@line": "11", "a-app:@line": "10",
		}},
		{name: "legacy unknown key stays literal", spec: `  generators:
  - list:
      elements: [{name: a}]
  template:
    metadata: {name: '{{name}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{ missing }}/{{name}}'}
      destination: {server: https://kubernetes.default.svc}
`, apps: []string{"a"}, fields: map[string]string{"a:spec.source.path": "{{ missing }}/a"}},
		{name: "legacy non-string value is an error", spec: `  generators:
  - list:
      elements:
      - name: a
        replicas: 3
` + tmplLegacy, findings: []string{"render/appset-generator@11: replicas is a number"}},
		{name: "goTemplate numbers and sprig", spec: `  goTemplate: true
  generators:
  - list:
      elements:
      - {name: a, replicas: 3, big: 1000000}
  template:
    metadata:
      name: '{{.name | upper | lower}}-{{.replicas}}'
      annotations: {big: '{{.big}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{ printf "%s/%v" .name .replicas }}'}
      destination: {server: https://kubernetes.default.svc}
`, apps: []string{"a-3"}, fields: map[string]string{"a-3:spec.source.path": "a/3", "a-3:metadata.annotations.big": "1e+06"}},
		{name: "goTemplate missing key default prints no value", spec: `  goTemplate: true
  generators:
  - list: {elements: [{name: a}]}
  template:
    metadata: {name: '{{.name}}'}
    spec:
      project: default
      source: {repoURL: x, path: 'p/{{.nope}}'}
      destination: {server: https://kubernetes.default.svc}
`, apps: []string{"a"}, fields: map[string]string{"a:spec.source.path": "p/<no value>"}},
		{name: "goTemplate missingkey=error", spec: `  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list: {elements: [{name: a}]}
  template:
    metadata: {name: '{{.name}}'}
    spec:
      project: default
      source:
        repoURL: x
        path: 'p/{{.nope}}'
      destination: {server: https://kubernetes.default.svc}
`, findings: []string{`render/appset-generator@17: map has no entry for key "nope"`}},
		{name: "elementsYaml", spec: `  goTemplate: true
  generators:
  - list:
      elementsYaml: |
        - name: x
        - name: y
` + tmplGo, apps: []string{"true-app", "x-app"}}, // y is YAML 1.1's true, as in the controller
		{name: "empty element: template unrendered, no finalizer", spec: `  generators:
  - list: {elements: [{}]}
  template:
    metadata: {name: fixed}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: https://kubernetes.default.svc}
`, apps: []string{"fixed"}, fields: map[string]string{"fixed:metadata.finalizers": "<none>"}},
		{name: "preserveResourcesOnDeletion and template finalizers", spec: `  syncPolicy: {preserveResourcesOnDeletion: true}
  generators:
  - list: {elements: [{name: a}]}
` + tmplLegacy, apps: []string{"a-app"}, fields: map[string]string{"a-app:metadata.finalizers": "<none>"}},
		{name: "duplicate names drop all", spec: `  generators:
  - list: {elements: [{name: a}, {name: a}, {name: b}]}
` + tmplLegacy, apps: []string{"b-app"}, findings: []string{"render/appset-duplicate@11: duplicate name: a-app"}},
		{name: "invalid name and empty project", spec: `  generators:
  - list:
      elements:
      - {name: Bad_Name, project: default}
      - {name: ok, project: ''}
      - {name: fine, project: default}
  template:
    metadata: {name: '{{name}}'}
    spec:
      project: '{{project}}'
      source: {repoURL: x, path: p}
      destination: {server: https://kubernetes.default.svc}
`, apps: []string{"fine"}, findings: []string{"render/appset-invalid@10: metadata.name \"Bad_Name\"", "render/appset-invalid@11: spec.project is empty"}},
		{name: "templatePatch", spec: `  goTemplate: true
  generators:
  - list: {elements: [{name: a, auto: true}, {name: b, auto: false}]}
` + tmplGo + `  templatePatch: |
    spec:
      project: hacked
    {{- if .auto }}
      syncPolicy:
        automated: {prune: true}
    {{- end }}
    metadata:
      finalizers: [extra]
`, apps: []string{"a-app", "b-app"}, fields: map[string]string{
			"a-app:spec.syncPolicy.automated.prune": "true", "b-app:spec.syncPolicy": "<none>", "a-app:spec.project": "default",
			"a-app:metadata.finalizers.1": "extra", "a-app:metadata.finalizers.0": ResourcesFinalizer,
		}},
		{name: "unsupported generator", spec: `  generators:
  - pullRequest: {github: {owner: o, repo: r}}
  - list: {elements: [{name: a}]}
` + tmplLegacy, apps: []string{"a-app"}, findings: []string{"render/unsupported@8: the pullRequest generator is not supported offline"}},
		{name: "unknown destination", spec: `  generators:
  - list:
      elements:
      - {name: a, cluster: prod-eu}
      - {name: b, cluster: nowhere}
  template:
    metadata: {name: '{{name}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {name: '{{cluster}}'}
`, env: Env{Clusters: twoClusters}, apps: []string{"a"}, findings: []string{"render/appset-destination@11: there are no clusters with this name: nowhere"}},
	})
}

func TestClustersGenerator(t *testing.T) {
	run(t, []tcase{
		{name: "all secrets plus in-cluster", spec: `  generators:
  - clusters: {}
` + tmplLegacy, env: Env{Clusters: twoClusters}, apps: []string{"in-cluster-app", "prod-eu-app", "staging-app"}},
		{name: "no inventory: in-cluster only, said once", spec: `  generators:
  - clusters: {}
  - clusters: {values: {x: z}}
` + tmplLegacy, findings: []string{"render/appset-cluster@8: sees only in-cluster", "render/appset-duplicate@12: duplicate name: in-cluster-app (2 of them)"}},
		{name: "in-cluster not added when a secret has its server", spec: `  generators:
  - clusters: {}
` + tmplLegacy, env: Env{Clusters: []Cluster{{Name: "local", Server: "https://kubernetes.default.svc"}}}, apps: []string{"local-app"}},
		{name: "selector drops in-cluster", spec: `  generators:
  - clusters:
      selector:
        matchLabels: {env: prod}
      values: {ns: 'team-{{metadata.annotations.team}}'}
  template:
    metadata: {name: '{{name}}', labels: {region: '{{metadata.labels.region}}'}}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: '{{server}}', namespace: '{{values.ns}}'}
`, env: Env{Clusters: twoClusters}, apps: []string{"prod-eu"}, fields: map[string]string{
			"prod-eu:spec.destination.namespace": "team-a", "prod-eu:metadata.labels.region": "eu"}},
		{name: "matchExpressions goTemplate", spec: `  goTemplate: true
  generators:
  - clusters:
      selector:
        matchExpressions:
        - {key: env, operator: In, values: [staging, dev]}
  template:
    metadata: {name: '{{.nameNormalized}}-{{index .metadata.labels "env"}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {name: '{{.name}}'}
`, env: Env{Clusters: twoClusters}, apps: []string{"staging-staging"}},
		{name: "bad selector", spec: `  generators:
  - clusters:
      selector:
        matchExpressions:
        - {key: env, operator: Near, values: [x]}
` + tmplLegacy, env: Env{Clusters: twoClusters}, findings: []string{`render/appset-generator@9: "Near" is not a valid label selector operator`}},
		{name: "flatList", spec: `  goTemplate: true
  generators:
  - clusters: {flatList: true}
  template:
    metadata: {name: 'all-{{len .clusters}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: https://kubernetes.default.svc}
`, env: Env{Clusters: twoClusters}, apps: []string{"all-3"}},
		{name: "nameNormalized keeps dots", spec: `  generators:
  - clusters: {selector: {matchLabels: {env: prod}}}
  template:
    metadata: {name: '{{nameNormalized}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: '{{server}}'}
`, env: Env{Clusters: []Cluster{{Name: "Prod_EU.one", Server: "https://x", Labels: map[string]string{"env": "prod"}}}}, apps: []string{"prod-eu.one"}},
		{name: "unknown server", spec: `  generators:
  - list: {elements: [{name: a}]}
  template:
    metadata: {name: '{{name}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: 'https://gone.example'}
`, env: Env{Clusters: twoClusters}, findings: []string{"render/appset-destination@8: error getting cluster by server"}},
		{name: "destination name is a cluster directory", spec: `  generators:
  - list: {elements: [{name: a}]}
  template:
    metadata: {name: '{{name}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {name: agritech-prod}
`, env: Env{ClusterDirs: []string{"agritech-prod"}}, apps: []string{"a"}},
	})
}

var repoFiles = map[string]string{
	"apps/a/kustomization.yaml":    "resources: []\n",
	"apps/b/kustomization.yaml":    "resources: []\n",
	"apps/skip/kustomization.yaml": "resources: []\n",
	"apps/.hidden/x.yaml":          "a: 1\n",
	"apps/b/deep/x.yaml":           "a: 1\n",
	"config/eu/prod/config.json":   `{"cluster": {"name": "eu", "tags": ["x", "y"], "size": 1000000, "ratio": 1.10, "none": null}}`,
	"config/us/prod/config.json":   `{"cluster": {"name": "us", "tags": [], "size": 3}}`,
	"config/list/config.yaml":      "- cluster: {name: l1}\n- cluster: {name: l2}\n",
	"config/empty/config.yaml":     "",
}

func TestGitGenerator(t *testing.T) {
	env := Env{Checkout: checkout(repoFiles)}
	run(t, []tcase{
		{name: "directories with exclude", spec: `  generators:
  - git:
      repoURL: https://git.example/config.git
      revision: HEAD
      directories:
      - path: apps/*
      - path: apps/skip
        exclude: true
  template:
    metadata: {name: '{{path.basename}}-{{path[0]}}', annotations: {x: '{{path[5]}}'}}
    spec:
      project: default
      source: {repoURL: https://git.example/config.git, path: '{{path}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{path.basenameNormalized}}'}
`, env: env, apps: []string{"a-apps", "b-apps"}, fields: map[string]string{"a-apps:metadata.annotations.x": "{{path[5]}}", "a-apps:spec.destination.namespace": "a"}},
		{name: "directories goTemplate segments", spec: `  goTemplate: true
  generators:
  - git:
      repoURL: https://git.example/config.git
      directories: [{path: 'apps/*/*'}]
  template:
    metadata: {name: '{{index .path.segments 1}}-{{.path.basename}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{.path.path}}'}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"b-deep"}},
		{name: "files legacy flattened", spec: `  generators:
  - git:
      repoURL: https://git.example/config.git
      files: [{path: 'config/**/config.json'}]
  template:
    metadata: {name: '{{cluster.name}}-{{path.basename}}-{{path[1]}}', annotations: {t: '{{cluster.tags.1}}', s: '{{cluster.size}}', r: '{{cluster.ratio}}', nil: '{{cluster.none}}', f: '{{path.filenameNormalized}}'}}
    spec:
      project: default
      source: {repoURL: x, path: '{{path}}'}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"eu-prod-eu", "us-prod-us"}, fields: map[string]string{"eu-prod-eu:metadata.annotations.t": "y", "us-prod-us:metadata.annotations.t": "{{cluster.tags.1}}", "eu-prod-eu:metadata.annotations.s": "1e+06", "eu-prod-eu:metadata.annotations.r": "1.1", "eu-prod-eu:metadata.annotations.nil": "<nil>", "eu-prod-eu:metadata.annotations.f": "config.json"}},
		{name: "files values", spec: `  generators:
  - git:
      repoURL: https://git.example/config.git
      files: [{path: 'config/**/config.json'}]
      values: {size: 'x{{cluster.size}}'}
  template:
    metadata: {name: '{{cluster.name}}', annotations: {s: '{{values.size}}'}}
    spec:
      project: default
      source: {repoURL: x, path: '{{path}}'}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"eu", "us"}, fields: map[string]string{"eu:metadata.annotations.s": "x1e+06", "us:metadata.annotations.s": "x3"}},
		{name: "files holding lists and empty files, exclude", spec: `  goTemplate: true
  generators:
  - git:
      repoURL: https://git.example/config.git
      files:
      - path: 'config/*/config.yaml'
      - path: config/empty/config.yaml
        exclude: true
  template:
    metadata: {name: '{{.cluster.name}}-{{.path.filename | replace "." "-"}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{.path.path}}'}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"l1-config-yaml", "l2-config-yaml"}},
		{name: "empty file yields one param set", spec: `  generators:
  - git:
      repoURL: https://git.example/config.git
      files: [{path: config/empty/config.yaml}]
  template:
    metadata: {name: 'e-{{path.basename}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{path}}'}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"e-empty"}},
		{name: "external repository", spec: `  generators:
  - git:
      repoURL: https://git.example/other.git
      directories: [{path: '*'}]
` + tmplLegacy, env: env, findings: []string{"render/external-source@8: reads https://git.example/other.git"}},
	})
}

func TestMatrixAndMerge(t *testing.T) {
	env := Env{Clusters: twoClusters, Checkout: checkout(repoFiles)}
	run(t, []tcase{
		{name: "matrix clusters x git, second interpolated", spec: `  generators:
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {env: prod}}}
      - list:
          elements:
          - {app: web, where: '{{name}}'}
  template:
    metadata: {name: '{{app}}-{{where}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: '{{server}}'}
`, env: env, apps: []string{"web-prod-eu"}, fields: map[string]string{"web-prod-eu:@line": "13"}},
		{name: "matrix legacy conflicting key", spec: `  generators:
  - matrix:
      generators:
      - list: {elements: [{name: a}]}
      - list: {elements: [{name: b}]}
` + tmplLegacy, env: env, findings: []string{"render/appset-generator@8: found duplicate key name with different value"}},
		{name: "matrix goTemplate first wins, nested maps merge", spec: `  goTemplate: true
  generators:
  - matrix:
      generators:
      - list: {elements: [{name: a, m: {x: '1'}}]}
      - list: {elements: [{name: b, m: {z: '2'}}]}
  template:
    metadata: {name: '{{.name}}-{{.m.x}}-{{.m.z}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"a-1-2"}},
		{name: "matrix needs two", spec: `  generators:
  - matrix:
      generators:
      - list: {elements: [{name: a}]}
` + tmplLegacy, env: env, findings: []string{"render/appset-generator@8: found less than two generators"}},
		{name: "matrix three levels", spec: `  generators:
  - matrix:
      generators:
      - list: {elements: [{name: a}]}
      - matrix:
          generators:
          - list: {elements: [{x: a}]}
          - matrix:
              generators:
              - list: {elements: [{y: a}]}
              - list: {elements: [{z: a}]}
` + tmplLegacy, env: env, findings: []string{"render/appset-generator@14: two levels at most"}},
		{name: "nested selector in matrix", spec: `  generators:
  - matrix:
      generators:
      - git:
          repoURL: https://git.example/config.git
          directories: [{path: 'apps/*'}]
        selector: {matchLabels: {path.basename: a}}
      - clusters: {selector: {matchLabels: {env: staging}}}
  template:
    metadata: {name: '{{path.basename}}-{{name}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{path}}'}
      destination: {name: '{{name}}'}
`, env: env, apps: []string{"a-staging"}},
		{name: "merge by key, rows only in later generators dropped", spec: `  generators:
  - merge:
      mergeKeys: [name]
      generators:
      - clusters: {values: {size: small}}
      - list:
          elements:
          - {name: prod-eu, values.size: big}
          - {name: nowhere, values.size: huge}
  template:
    metadata: {name: '{{name}}-{{values.size}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: '{{server}}'}
`, env: env, apps: []string{"in-cluster-small", "prod-eu-big", "staging-small"}},
		{name: "merge goTemplate later overrides", spec: `  goTemplate: true
  generators:
  - merge:
      mergeKeys: [k]
      generators:
      - list: {elements: [{k: a, v: base, keep: kept}, {k: b, v: base, keep: kept}]}
      - list: {elements: [{k: a, v: over}]}
  template:
    metadata: {name: '{{.k}}-{{.v}}-{{.keep}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"a-over-kept", "b-base-kept"}},
		{name: "matrix of a merge and a git generator", spec: `  goTemplate: true
  generators:
  - matrix:
      generators:
      - merge:
          mergeKeys: [name]
          generators:
          - clusters: {selector: {matchExpressions: [{key: env, operator: Exists}]}}
          - list: {elements: [{name: staging, size: small}]}
      - git:
          repoURL: https://git.example/config.git
          directories: [{path: 'apps/*'}, {path: apps/skip, exclude: true}]
  template:
    metadata: {name: '{{.path.basename}}-{{.name}}-{{.size | default "std"}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{.path.path}}'}
      destination: {server: '{{.server}}'}
`, env: env, apps: []string{"a-prod-eu-std", "a-staging-small", "b-prod-eu-std", "b-staging-small"}},
		{name: "merge of a matrix and a list", spec: `  generators:
  - merge:
      mergeKeys: [app]
      generators:
      - matrix:
          generators:
          - list: {elements: [{app: web}, {app: api}]}
          - list: {elements: [{tier: std}]}
      - list: {elements: [{app: api, tier: gold}]}
  template:
    metadata: {name: '{{app}}-{{tier}}'}
    spec:
      project: default
      source: {repoURL: x, path: p}
      destination: {server: https://kubernetes.default.svc}
`, env: env, apps: []string{"api-gold", "web-std"}},
		{name: "merge duplicate keys", spec: `  generators:
  - merge:
      mergeKeys: [name]
      generators:
      - list: {elements: [{name: a}, {name: a}]}
      - list: {elements: [{name: a}]}
` + tmplLegacy, env: env, findings: []string{"render/appset-generator@9: not unique by the given mergeKeys"}},
		{name: "merge without keys", spec: `  generators:
  - merge:
      generators:
      - list: {elements: [{name: a}]}
      - list: {elements: [{name: a}]}
` + tmplLegacy, env: env, findings: []string{"render/appset-generator@8: no merge keys"}},
		{name: "generator template overrides", spec: `  generators:
  - list:
      elements: [{name: a}]
      template:
        metadata: {}
        spec:
          source: {repoURL: x, path: 'special/{{name}}'}
` + tmplLegacy, env: env, apps: []string{"a-app"}, fields: map[string]string{"a-app:spec.source.path": "special/a", "a-app:spec.destination.namespace": "a"}},
	})
}

func TestExpandAllDuplicateAcrossSets(t *testing.T) {
	one := input(t, header+"  generators:\n  - list: {elements: [{name: a}]}\n"+tmplLegacy)
	two := input(t, strings.Replace(header, "name: set", "name: other", 1)+"  generators:\n  - list: {elements: [{name: a}, {name: b}]}\n"+tmplLegacy)
	res := ExpandAll([]Input{one, two}, &Env{})
	if len(res.Apps) != 2 || res.Apps[0].AppSet != "set" || res.Apps[1].AppSet != "other" {
		t.Fatalf("apps %+v", res.Apps)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != RuleDuplicate || !strings.Contains(res.Findings[0].Message, "ApplicationSet set") {
		t.Fatalf("findings %+v", res.Findings)
	}
}

// TestExpandAllDuplicateIsNamespaced: Argo CD identifies an Application by
// namespace and name; a set without a namespace generates into the
// control-plane namespace.
func TestExpandAllDuplicateIsNamespaced(t *testing.T) {
	gen := "  generators:\n  - list: {elements: [{name: a}]}\n" + tmplLegacy
	one := input(t, header+gen)
	team := input(t, strings.Replace(strings.Replace(header, "name: set", "name: other", 1), "namespace: argocd", "namespace: team-a", 1)+gen)
	if res := ExpandAll([]Input{one, team}, &Env{}); len(res.Apps) != 2 || len(res.Findings) != 0 {
		t.Fatalf("argocd/a and team-a/a: apps %+v findings %+v", res.Apps, res.Findings)
	}
	bare := input(t, strings.Replace(strings.Replace(header, "name: set", "name: other", 1), "  namespace: argocd\n", "", 1)+gen)
	if res := ExpandAll([]Input{one, bare}, &Env{}); len(res.Apps) != 1 || len(res.Findings) != 1 {
		t.Fatalf("argocd/a and a (control plane): apps %+v findings %+v", res.Apps, res.Findings)
	}
	if res := ExpandAll([]Input{one, bare}, &Env{ArgoCDNamespace: "gitops"}); len(res.Apps) != 2 || len(res.Findings) != 0 {
		t.Fatalf("argocd/a and gitops/a: apps %+v findings %+v", res.Apps, res.Findings)
	}
}

func TestLegacyReplace(t *testing.T) {
	p := map[string]any{"a": "A", "n": 3.0}
	for in, want := range map[string]string{
		"x{{a}}y{{ a }}": "xAyA",
		"{{n}}-{{b}}":    "{{n}}-{{b}}",
		"{{}}":           "{{}}",
		"no tags":        "no tags",
		"{{a}\n}}":       "{{a}\n}}",
		"{{a{{a}}":       "{{a{{a}}",
	} {
		got, err := legacyReplace(in, p)
		if err != nil || got != want {
			t.Errorf("%q -> %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := legacyReplace("{{a}} {{b", p); err == nil {
		t.Error("unclosed tag: want an error")
	}
}

func TestClusterFromSecret(t *testing.T) {
	obj := map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "c1", "labels": map[string]any{SecretTypeLabel: "cluster", "env": "prod"}},
		"data":     map[string]any{"name": "cHJvZA==", "server": "aHR0cHM6Ly9wcm9k", "config": "ENC[AES256_GCM,data:x]"}}
	if !IsClusterSecret(obj) {
		t.Fatal("not a cluster secret")
	}
	c, problem := ClusterFromSecret(obj, "f.yaml", 3)
	if problem != "" || c.Name != "prod" || c.Server != "https://prod" || c.Labels["env"] != "prod" {
		t.Fatalf("%+v %q", c, problem)
	}
	obj["stringData"] = map[string]any{"name": "ENC[AES256_GCM,data:x]"}
	if _, problem := ClusterFromSecret(obj, "f.yaml", 3); !strings.Contains(problem, "name cannot be read") {
		t.Fatalf("problem %q", problem)
	}
}

func TestHostileTemplatesAreBounded(t *testing.T) {
	run(t, []tcase{
		{name: "until", spec: `  goTemplate: true
  generators:
  - list: {elements: [{name: a}]}
  template:
    metadata: {name: '{{.name}}', annotations: {x: '{{range until 1000000000}}x{{end}}'}}
    spec: {project: default, source: {repoURL: x, path: p}, destination: {server: https://kubernetes.default.svc}}
`, findings: []string{"render/appset-generator@11: more than 100000 items"}},
		{name: "output size", spec: `  goTemplate: true
  generators:
  - list: {elements: [{name: a}]}
  template:
    metadata: {name: '{{.name}}', annotations: {x: '{{range until 90000}}xxxxxxxxxxxxxxxxxxxx{{end}}'}}
    spec: {project: default, source: {repoURL: x, path: p}, destination: {server: https://kubernetes.default.svc}}
`, findings: []string{"render/appset-generator@11: template output larger than"}},
	})
}

func TestMatrixExplosionIsBounded(t *testing.T) {
	var a, b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&a, "{x: 'a%d'},", i)
		fmt.Fprintf(&b, "{y: 'b%d'},", i)
	}
	spec := "  generators:\n  - matrix:\n      generators:\n      - list: {elements: [" + a.String() + "]}\n      - list: {elements: [" + b.String() + "]}\n" + tmplLegacy
	res := Expand(input(t, header+spec), &Env{})
	if len(res.Apps) != 0 || len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, "more than 10000 parameter sets") {
		t.Fatalf("%d apps, findings %+v", len(res.Apps), res.Findings)
	}
}

// TestMalformedSpecsNeverPanic feeds shapes the CRD would reject (the repo is
// hostile input): each is a finding or nothing, never a panic.
func TestMalformedSpecsNeverPanic(t *testing.T) {
	for _, spec := range []string{
		"  generators: x\n",
		"  generators: [x, 3, null]\n",
		"  generators: [{list: {elements: x}}]\n  template: x\n",
		"  generators: [{list: {elements: [1, [2], null]}}]\n",
		"  generators: [{list: {elementsYaml: '{a: [}'}}]\n",
		"  generators: [{clusters: {selector: x, values: {a: [1]}}}]\n",
		"  generators: [{clusters: {selector: {matchLabels: {'bad key!': v}}}}]\n",
		"  generators: [{git: {repoURL: https://git.example/config.git, files: [x, {path: 3}], directories: x}}]\n",
		"  generators: [{matrix: {generators: x}}, {merge: {generators: [x, y], mergeKeys: x}}]\n",
		"  generators: [{matrix: {generators: [{list: {elements: [{a: b}]}}, {}]}}]\n",
		"  generators: [{list: {elements: [{a: b}]}, selector: {matchExpressions: [{key: a, operator: Gt, values: [x]}]}}]\n",
		"  goTemplate: true\n  goTemplateOptions: [bogus]\n  generators: [{list: {elements: [{a: b}]}}]\n  template: {metadata: {name: '{{.a}}'}}\n",
		"  generators: [{list: {elements: [{a: b}]}}]\n  templatePatch: '[1, 2]'\n  template: {metadata: {name: x}, spec: 3}\n",
		"  generators: [{list: {elements: [{a: b}]}}]\n  template: {metadata: {name: x, labels: [1]}, spec: {destination: x}}\n",
	} {
		Expand(input(t, header+spec), &Env{Checkout: checkout(repoFiles), Clusters: twoClusters})
	}
}
