package policy

import (
	"strings"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/workspace"
)

// sourcePermitted reports whether the project's sourceRepos allow repoURL,
// as Argo CD decides: a matching "!pattern" denies, else any match allows.
// URLs are compared normalised; in patterns * stops at "/" and ** does not.
func sourcePermitted(p *argo.AppProject, repoURL string) bool {
	u := workspace.NormalizeURL(repoURL)
	allowed := false
	for _, pat := range p.Spec.SourceRepos {
		deny := strings.HasPrefix(pat, "!")
		pat = strings.TrimPrefix(pat, "!")
		ok := pat == "*" || globSlash(workspace.NormalizeURL(pat), u)
		switch {
		case ok && deny:
			return false
		case ok:
			allowed = true
		}
	}
	return allowed
}

// destinationPermitted reports whether the project allows the destination,
// following Argo CD's isDestinationMatched ("!" negates a glob; a negated
// entry that fails to match denies). Where the app names its cluster by
// server and the entry by name (or the reverse), only Argo CD's cluster
// secrets can relate them: the cluster part then counts as matching.
func destinationPermitted(p *argo.AppProject, d argo.Destination) bool {
	allowed := false
	for _, e := range p.Spec.Destinations {
		nameM := d.Name != "" && negGlob(e.Name, d.Name)
		serverM := d.Server != "" && negGlob(e.Server, d.Server)
		nsM := negGlob(e.Namespace, d.Namespace)
		unknown := (e.Server == "" && d.Name == "") || (e.Name == "" && d.Server == "")
		if unknown && e.Server == "" && e.Name == "" {
			unknown = false
		}
		if (serverM || nameM || unknown) && nsM {
			allowed = true
			continue
		}
		if unknown {
			continue
		}
		if ((!nameM && isDeny(e.Name)) || (!serverM && isDeny(e.Server))) && nsM {
			return false
		}
		if !nsM && isDeny(e.Namespace) && (serverM || nameM) {
			return false
		}
	}
	return allowed
}

func isDeny(p string) bool { return strings.HasPrefix(p, "!") }

// negGlob matches an Argo CD glob (* matches any run of characters); a
// leading "!" negates it.
func negGlob(pattern, s string) bool {
	if p, ok := strings.CutPrefix(pattern, "!"); ok {
		return !matchSeg(p, s, true)
	}
	return matchSeg(pattern, s, true)
}

// globSlash matches a glob in which * and ? stop at "/" and ** does not.
func globSlash(p, s string) bool {
	for len(p) > 0 {
		switch {
		case strings.HasPrefix(p, "**"):
			p = strings.TrimLeft(p, "*")
			for i := 0; i <= len(s); i++ {
				if globSlash(p, s[i:]) {
					return true
				}
			}
			return false
		case p[0] == '*':
			p = p[1:]
			for i := 0; i <= len(s); i++ {
				if globSlash(p, s[i:]) {
					return true
				}
				if i < len(s) && s[i] == '/' {
					return false
				}
			}
			return false
		case p[0] == '?':
			if s == "" || s[0] == '/' {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}
