package policy

import (
	"cmp"
	"fmt"
	"slices"
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
		f := appFinding(report.RuleRepoNotifications, cl, a, app.File, c.appLine(app, "metadata", "annotations"),
			fmt.Sprintf("Application %q in production cluster %q has no notification subscription: add an annotation such as %son-sync-failed.slack: <channel> to it or to AppProject %q", app.Metadata.Name, cl.Name, subscribePrefix, pn))
		if !c.notificationsUsed && !c.cfg.RuleSeverityConfigured(cl.Name, report.RuleRepoNotifications) {
			// the repo uses no notifications: folded into one warning
			c.unnotified = append(c.unnotified, f)
			continue
		}
		c.add(f, "")
	}
}

// usesNotifications reports whether the repo uses Argo CD notifications
// anywhere: a subscription on an Application (rendered or in a file) or an
// AppProject, or a default subscription of an argocd-notifications-cm.
func (c *checker) usesNotifications(envs []*env) bool {
	for i, cl := range c.clusters {
		for _, a := range apps(cl) {
			if hasSubscription(a.Application.Metadata.Annotations) {
				return true
			}
		}
		for _, r := range cl.All() {
			if r.Group() == "argoproj.io" && r.Kind() == "Application" {
				md, _ := r.Object["metadata"].(map[string]any)
				ann, _ := md["annotations"].(map[string]any)
				for k, v := range ann {
					if s, _ := v.(string); strings.TrimSpace(s) != "" && (strings.HasPrefix(k, subscribePrefix) || k == subscriptionsAnnKey) {
						return true
					}
				}
			}
		}
		if len(envs[i].subs) > 0 {
			return true
		}
		for _, p := range envs[i].projects {
			if hasSubscription(p.Metadata.Annotations) {
				return true
			}
		}
	}
	for _, p := range c.scanned.projects {
		if hasSubscription(p.Metadata.Annotations) {
			return true
		}
	}
	return len(c.scanned.subs) > 0
}

// foldNotifications reports the production Applications without a
// subscription of a repo that uses no notifications as one warning at the
// first of them: the repo has not adopted notifications yet, and one
// finding says so (giving repo/notifications a severity reports each app).
func (c *checker) foldNotifications() {
	if len(c.unnotified) == 0 {
		return
	}
	slices.SortStableFunc(c.unnotified, func(a, b report.Finding) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	f := c.unnotified[0]
	clusters := map[string]bool{}
	for _, u := range c.unnotified {
		clusters[u.Cluster] = true
	}
	names := sortedKeys(clusters)
	f.App = ""
	f.Message = fmt.Sprintf("the repo uses no Argo CD notifications (no subscription on any Application or AppProject, no argocd-notifications-cm): %d Application(s) of production cluster(s) %s have no notification subscription (first: %q), so a failed sync tells nobody; add an annotation such as %son-sync-failed.slack: <channel> to their AppProject, or set repo/notifications in policy.severity to list each app",
		len(c.unnotified), strings.Join(names, ", "), c.unnotified[0].App, subscribePrefix)
	var why []string
	for _, n := range names {
		_, r := c.cfg.ProductionReason(n)
		why = append(why, r)
	}
	if len(names) == 1 {
		f.Message += " (production cluster: " + why[0] + ")"
	} else {
		for i := range why {
			why[i] = names[i] + ": " + why[i]
		}
		f.Message += " (production clusters: " + strings.Join(why, "; ") + ")"
	}
	c.add(f, report.SeverityWarning)
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
