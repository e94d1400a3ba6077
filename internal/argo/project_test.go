package argo

import "testing"

func TestDecodeAppProject(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
		"metadata": map[string]any{"name": "shop", "annotations": map[string]any{"notifications.argoproj.io/subscribe.on-sync-failed.slack": "shop"}},
		"spec": map[string]any{
			"sourceRepos":  []any{"https://github.com/acme/*"},
			"destinations": []any{map[string]any{"server": "https://kubernetes.default.svc", "namespace": "shop-*"}},
			"syncWindows": []any{map[string]any{
				"kind": "deny", "schedule": "0 18 * * 5", "duration": "62h", "applications": []any{"*"},
				"manualSync": true, "andOperator": true, "timeZone": "Europe/Paris",
			}},
			"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
		},
	}
	if !IsAppProject(obj) || IsAppProject(map[string]any{"apiVersion": "v1", "kind": "AppProject"}) {
		t.Fatal("IsAppProject")
	}
	p, err := DecodeAppProject(obj)
	if err != nil {
		t.Fatal(err)
	}
	w := p.Spec.SyncWindows
	if p.Metadata.Name != "shop" || len(w) != 1 || w[0].Kind != "deny" || w[0].Duration != "62h" || !w[0].ManualSync || !w[0].AndOperator ||
		p.Spec.Destinations[0].Namespace != "shop-*" || p.Spec.SourceRepos[0] != "https://github.com/acme/*" ||
		p.Metadata.Annotations["notifications.argoproj.io/subscribe.on-sync-failed.slack"] != "shop" {
		t.Errorf("decoded %+v", p)
	}
	bad := map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "spec": map[string]any{"syncWindows": "none"}}
	if _, err := DecodeAppProject(bad); err == nil {
		t.Error("syncWindows as a string decoded without error")
	}
}
