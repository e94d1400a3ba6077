// The guestbook UI: the app name comes from the external variable `app`
// (ARGOCD_APP_NAME), the namespace from the top-level argument `ns`
// (ARGOCD_APP_NAMESPACE).
local params = import 'params.libsonnet';
local lib = import 'guestbook/service.libsonnet';

function(ns)
  local app = std.extVar('app') + '-ui';
  [
    lib.service(app, params.servicePort, params.containerPort) + { metadata+: { namespace: ns } },
    lib.deployment(app, params.image, params.containerPort, params.replicas) + { metadata+: { namespace: ns } },
  ]
