// Command gen writes N Kubernetes resources (Deployments, Services,
// ConfigMaps, ServiceAccounts in turn) as one multi-document YAML stream,
// the input of bench/validate/run.sh.
//
// Usage: go run ./bench/validate/gen -n 100000 > manifests.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%[1]d
  namespace: ns-%[2]d
  labels:
    app: app-%[1]d
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-%[1]d
  template:
    metadata:
      labels:
        app: app-%[1]d
    spec:
      containers:
        - name: app
          image: registry.example/team/app-%[1]d:1.%[2]d.0
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: INDEX
              value: "%[1]d"
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /ready
              port: http
---
`

const service = `apiVersion: v1
kind: Service
metadata:
  name: app-%[1]d
  namespace: ns-%[2]d
spec:
  selector:
    app: app-%[1]d
  ports:
    - name: http
      port: 80
      targetPort: http
---
`

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-%[1]d
  namespace: ns-%[2]d
data:
  config.yaml: |
    index: %[1]d
    mode: production
---
`

const serviceAccount = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: app-%[1]d
  namespace: ns-%[2]d
---
`

func main() {
	n := flag.Int("n", 100000, "number of resources")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	for i := 0; i < *n; i++ {
		tpl := []string{deployment, service, configMap, serviceAccount}[i%4]
		fmt.Fprintf(w, tpl, i/4, i%50)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
