package policy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// Notification annotations of Argo CD notifications.
const (
	subscribePrefix     = "notifications.argoproj.io/subscribe."
	subscriptionsAnnKey = "notifications.argoproj.io/subscriptions"
)

// hasSubscription reports whether annotations hold a notification
// subscription with recipients.
func hasSubscription(ann map[string]string) bool {
	for k, v := range ann {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if (strings.HasPrefix(k, subscribePrefix) && len(k) > len(subscribePrefix)) || k == subscriptionsAnnKey {
			return true
		}
	}
	return false
}

// checkNotifications: in a production cluster, every Application has a
// notification subscription: on itself, on its AppProject, or a default
// subscription of argocd-notifications-cm whose selector matches it.
func (c *checker) checkNotifications(cl *resource.Cluster, e *env) {
	if !c.enabled(cl.Name, report.RuleRepoNotifications) {
		return
	}
	for _, a := range apps(cl) {
		app := a.Application
		if hasSubscription(app.Metadata.Annotations) {
			continue
		}
		pn := projectName(app)
		if p := e.projects[pn]; p != nil && hasSubscription(p.Metadata.Annotations) {
			continue
		}
		if globallySubscribed(e.subs, app) {
			continue
		}
		c.add(appFinding(report.RuleRepoNotifications, cl, a, app.File, c.appLine(app, "metadata", "annotations"),
			fmt.Sprintf("Application %q in production cluster %q has no notification subscription: add an annotation such as %son-sync-failed.slack: <channel> to it or to AppProject %q", app.Metadata.Name, cl.Name, subscribePrefix, pn)), "")
	}
}

// globallySubscribed reports whether a default subscription of an
// argocd-notifications-cm selects the app (an unparseable selector selects nothing).
func globallySubscribed(subs []*globalSubs, app *argo.Application) bool {
	set := labels.Set(app.Metadata.Labels)
	for _, g := range subs {
		for _, s := range g.subs {
			if len(s.Recipients) == 0 {
				continue
			}
			sel, err := labels.Parse(s.Selector)
			if err != nil {
				continue
			}
			if sel.Matches(set) {
				return true
			}
		}
	}
	return false
}
