// Shared building blocks, found through the `vendor` library path.
{
  labels(app):: { 'app.kubernetes.io/name': app },

  service(app, port, targetPort):: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app, labels: $.labels(app) },
    spec: {
      selector: $.labels(app),
      ports: [{ port: port, targetPort: targetPort }],
    },
  },

  deployment(app, image, port, replicas):: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, labels: $.labels(app) },
    spec: {
      replicas: replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: $.labels(app) },
      template: {
        metadata: { labels: $.labels(app) },
        spec: {
          containers: [{
            name: app,
            image: image,
            ports: [{ containerPort: port }],
          }],
        },
      },
    },
  },
}
