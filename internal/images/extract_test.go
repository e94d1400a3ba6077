package images

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExtract(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string // image@path
	}{
		{"deployment", `
kind: Deployment
spec:
  template:
    spec:
      initContainers: [{name: init, image: "busybox:1.36"}]
      containers:
      - {name: app, image: "registry.example/app:1.0"}
      - {name: side, image: "localhost:5000/side@sha256:` + strings.Repeat("a", 64) + `"}
`, []string{
			"busybox:1.36@spec.template.spec.initContainers.0.image",
			"registry.example/app:1.0@spec.template.spec.containers.0.image",
			"localhost:5000/side@sha256:" + strings.Repeat("a", 64) + "@spec.template.spec.containers.1.image",
		}},
		{"cronjob", `
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, image: "ghcr.io/o/job:2"}]
`, []string{"ghcr.io/o/job:2@spec.jobTemplate.spec.template.spec.containers.0.image"}},
		{"pod with ephemeral", `
kind: Pod
spec:
  containers: [{name: a, image: nginx}]
  ephemeralContainers: [{name: dbg, image: "busybox"}]
`, []string{"nginx@spec.containers.0.image", "busybox@spec.ephemeralContainers.0.image"}},
		{"argo rollout", `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
spec:
  strategy: {canary: {steps: [{setWeight: 20}]}}
  template:
    spec:
      containers: [{name: r, image: "registry.example/r:3"}]
`, []string{"registry.example/r:3@spec.template.spec.containers.0.image"}},
		{"pod template", `
kind: PodTemplate
template:
  spec:
    containers: [{name: a, image: "x/y:1"}]
`, []string{"x/y:1@template.spec.containers.0.image"}},
		{"configmap and non-container lists", `
kind: ConfigMap
data: {containers: "image: nope:1"}
spec:
  containers: ["just a string", {name: noimage}]
  other: [{image: "not-in-containers:1"}]
`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, u := range Extract(obj(t, tc.doc)) {
				got = append(got, u.Image+"@"+strings.Join(u.Path, "."))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
