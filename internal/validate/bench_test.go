package validate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	kcresource "github.com/yannh/kubeconform/pkg/resource"
	kcvalidator "github.com/yannh/kubeconform/pkg/validator"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/check"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/resource"
)

// benchManifests returns n resources: Deployments, Services, ConfigMaps in turn.
func benchManifests(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n  namespace: ns\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: a%d}\n  template:\n    metadata:\n      labels: {app: a%d}\n    spec:\n      containers:\n        - name: app\n          image: registry.example/app:%d\n          ports: [{name: http, containerPort: 8080}]\n          resources: {requests: {cpu: 100m, memory: 128Mi}}\n          readinessProbe: {httpGet: {path: /ready, port: http}}\n---\n", i, i, i, i)
		case 1:
			fmt.Fprintf(&b, "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-%d\n  namespace: ns\nspec:\n  selector: {app: a%d}\n  ports: [{port: 80, targetPort: http}]\n---\n", i, i)
		default:
			fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-%d\n  namespace: ns\ndata:\n  index: \"%d\"\n---\n", i, i)
		}
	}
	return b.Bytes()
}

const benchResources = 3000

// BenchmarkValidateFiles measures render-check's engine on a stream.
func BenchmarkValidateFiles(b *testing.B) {
	data := benchManifests(benchResources)
	v, err := New(Options{KubernetesVersion: "1.34", Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := ValidateFiles(context.Background(), v, []Input{BytesInput("bench.yaml", data)})
		if err != nil || res.Resources != benchResources || len(res.Findings) != 0 {
			b.Fatalf("%v %+v", err, res)
		}
	}
	b.ReportMetric(float64(benchResources*b.N)/b.Elapsed().Seconds(), "resources/s")
}

// kubeconformRun validates data as the kubeconform CLI does: a stream of
// resources fanned out to workers calling ValidateResource.
func kubeconformRun(b *testing.B, kc kcvalidator.Validator, data []byte) {
	resources, errs := kcresource.FromStream(context.Background(), "bench.yaml", io.NopCloser(bytes.NewReader(data)))
	go func() {
		for range errs {
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	valid := 0
	for range max(runtime.GOMAXPROCS(0), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for r := range resources {
				if kc.ValidateResource(r).Status == kcvalidator.Valid {
					n++
				}
			}
			mu.Lock()
			valid += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if valid != benchResources {
		b.Fatalf("kubeconform: %d valid, want %d", valid, benchResources)
	}
}

// BenchmarkCompareKubeconform runs render-check and kubeconform's validator
// (on the exported schemas, strict) over the same stream in each iteration
// and reports the time ratio kubeconform/render-check.
func BenchmarkCompareKubeconform(b *testing.B) {
	data := benchManifests(benchResources)
	dir := b.TempDir()
	if _, err := Export("1.34", dir); err != nil {
		b.Fatal(err)
	}
	kc, err := kcvalidator.New([]string{dir}, kcvalidator.Opts{KubernetesVersion: "1.34.0", Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	v, err := New(Options{KubernetesVersion: "1.34", Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	var ours, theirs time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := ValidateFiles(context.Background(), v, []Input{BytesInput("bench.yaml", data)})
		if err != nil || len(res.Findings) != 0 {
			b.Fatalf("%v %+v", err, res)
		}
		ours += time.Since(start)
		start = time.Now()
		kubeconformRun(b, kc, data)
		theirs += time.Since(start)
	}
	b.ReportMetric(float64(theirs)/float64(ours), "kubeconform/render-check")
	b.ReportMetric(float64(benchResources*b.N)/ours.Seconds(), "render-check-resources/s")
	b.ReportMetric(float64(benchResources*b.N)/theirs.Seconds(), "kubeconform-resources/s")
}

// BenchmarkRunClusters measures the schema check of a run over 20 clusters
// that render the same 30 apps (an Application, a Deployment, a Service and
// a ConfigMap each, the Deployment differing per cluster): CRD schemas are
// compiled once and equal objects judged once for the run.
func BenchmarkRunClusters(b *testing.B) {
	var clusters []*resource.Cluster
	for c := 0; c < 20; c++ {
		cl := &resource.Cluster{Name: fmt.Sprintf("cluster-%02d", c), KubernetesVersion: "1.34"}
		for a := 0; a < 30; a++ {
			name := fmt.Sprintf("svc-%03d", a)
			data := bytes.ReplaceAll(benchManifests(3), []byte("namespace: ns"), []byte("namespace: "+name))
			objs := []map[string]any{{
				"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
				"metadata": map[string]any{"name": name, "namespace": "argocd"},
				"spec": map[string]any{"project": "default",
					"source":      map[string]any{"repoURL": "https://git.example.com/config.git", "path": "apps/" + name},
					"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "team"}},
			}}
			for _, d := range bytes.Split(data, []byte("---\n")) {
				var m map[string]any
				if err := yaml.Unmarshal(d, &m); err != nil {
					b.Fatal(err)
				}
				if m != nil {
					objs = append(objs, m)
				}
			}
			// the Deployment carries the cluster's name: one object per cluster
			objs[1]["metadata"].(map[string]any)["labels"] = map[string]any{"cluster": cl.Name}
			app := &resource.App{Name: name, Cluster: cl.Name}
			for _, o := range objs {
				app.Resources = append(app.Resources, &resource.Resource{Cluster: cl.Name, App: name, Object: o, Origin: resource.Origin{File: "apps/" + name + ".yaml"}})
			}
			cl.Apps = append(cl.Apps, app)
		}
		clusters = append(clusters, cl)
	}
	in := &check.Input{Root: b.TempDir(), Config: config.Default(), Clusters: clusters}
	for b.Loop() {
		res, err := Run(context.Background(), in)
		if err != nil || len(res.Findings) != 0 {
			b.Fatalf("%v, %d findings", err, len(res.Findings))
		}
	}
}

// BenchmarkCatalogLoad is loading the embedded catalog's index (every run
// that looks up a kind no other source has).
func BenchmarkCatalogLoad(b *testing.B) {
	for b.Loop() {
		if _, err := parseCRDCatalog(catalogIndexJSON, catalogBlob); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCatalogApplication is loading the catalog and converting the
// schema of Argo CD's Application (what ArgoUnknownFields needs).
func BenchmarkCatalogApplication(b *testing.B) {
	for b.Loop() {
		c, err := parseCRDCatalog(catalogIndexJSON, catalogBlob)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := c.schema("argoproj.io/v1alpha1", "Application"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
