package helm

import (
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
)

func TestUnusedValues(t *testing.T) {
	root := t.TempDir()
	values := `replicaCont: 5
replicaCount: 2
global:
  anything: 1
db:
  host: x
resources:
  limits: {cpu: 1}
image:
  tag: "1"
  tagg: "2"
"dashed-key": 1
`
	if err := os.WriteFile(filepath.Join(root, "values.yaml"), []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := &chart.Chart{Metadata: &chart.Metadata{Name: "db"}, Templates: []*chart.File{{Name: "templates/s.yaml", Data: []byte("{{ .Values.port }}")}}}
	ch := &chart.Chart{
		Metadata: &chart.Metadata{Name: "web", Dependencies: []*chart.Dependency{{Name: "db"}}},
		Templates: []*chart.File{{Name: "templates/d.yaml", Data: []byte(`replicas: {{ .Values.replicaCount }}
image: {{ $.Values.image.tag }}
{{- with .Values.resources }}
resources: {{ toYaml . | nindent 2 }}
{{- end }}`)}},
	}
	ch.SetDependencies(sub)
	got := unusedValues(chartReads(ch), root, "", []string{"values.yaml"})
	want := map[string]string{"replicaCont": "replicaCount", "image.tagg": "tag"}
	if len(got) != len(want) {
		t.Fatalf("unused = %+v, want keys %v", got, want)
	}
	for _, u := range got {
		if s, ok := want[u.Key]; !ok || s != u.Suggestion || u.Line == 0 {
			t.Errorf("unexpected %+v", u)
		}
	}

	// .Values used as a whole: any key may be read, nothing is reported
	ch.Templates = append(ch.Templates, &chart.File{Name: "templates/cm.yaml", Data: []byte("{{ toYaml .Values }}")})
	if got := unusedValues(chartReads(ch), root, "", []string{"values.yaml"}); len(got) != 0 {
		t.Errorf("with toYaml .Values: %+v", got)
	}
}
