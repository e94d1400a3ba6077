package imagebump

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// imageSpan locates the parts of an image reference string
// ("[registry/]repo[:tag][@digest]") by byte offsets into the string. The
// repository is validated with go-containerregistry's name package; the tag
// separator is the first ':' after the last '/' of the name part, so a
// registry port ("localhost:5000/app") is never taken for a tag.
type imageSpan struct {
	repo      string // the repository part as written
	repoStart int    // start of the repository part (after "old=" in Argo CD's images)
	repoEnd   int    // end of the repository part
	tagStart  int    // start of the tag text (after ':'); -1 when absent
	tagEnd    int
	digStart  int // start of the digest text (after '@'); -1 when absent
	digEnd    int
	canonical string // normalised repository name (registry/repository)
}

// parseImage parses s as an image reference. ok is false when s is not a
// valid reference (e.g. a word, a template, an empty string).
func parseImage(s string) (imageSpan, bool) {
	sp := imageSpan{tagStart: -1, digStart: -1}
	namePart := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		namePart = s[:i]
		sp.digStart, sp.digEnd = i+1, len(s)
		if _, err := name.NewDigest(strings.TrimSuffix(namePart, tagOf(namePart)) + "@" + s[i+1:]); err != nil {
			return sp, false
		}
	}
	sp.repoEnd = len(namePart)
	slash := strings.LastIndexByte(namePart, '/')
	if c := strings.IndexByte(namePart[slash+1:], ':'); c >= 0 {
		sp.repoEnd = slash + 1 + c
		sp.tagStart, sp.tagEnd = sp.repoEnd+1, len(namePart)
		if _, err := name.NewTag(namePart); err != nil {
			return sp, false
		}
	}
	sp.repo = s[:sp.repoEnd]
	canon, ok := canonicalRepo(sp.repo)
	if !ok {
		return sp, false
	}
	sp.canonical = canon
	return sp, true
}

// tagOf returns ":tag" of a name part, or "".
func tagOf(namePart string) string {
	slash := strings.LastIndexByte(namePart, '/')
	if c := strings.IndexByte(namePart[slash+1:], ':'); c >= 0 {
		return namePart[slash+1+c:]
	}
	return ""
}

// canonicalRepo normalises a repository name ("nginx" ->
// "index.docker.io/library/nginx"). ok is false for invalid names.
func canonicalRepo(repo string) (string, bool) {
	if repo == "" || strings.ContainsAny(repo, " \t{}$") {
		return "", false
	}
	r, err := name.NewRepository(repo)
	if err != nil {
		return "", false
	}
	return r.Name(), true
}

// joinRegistry joins a Helm-style registry and repository.
func joinRegistry(registry, repo string) string {
	if registry == "" {
		return repo
	}
	return strings.TrimSuffix(registry, "/") + "/" + strings.TrimPrefix(repo, "/")
}

// templated reports whether s contains a template expression.
func templated(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "${")
}

// templateMayBe reports whether a templated string s could expand to the
// repository canonical (registry/path): its literal text, with template
// expressions removed, must end the repository path at a '/' boundary.
func templateMayBe(s, canonical string) bool {
	lit := s
	for {
		i := strings.Index(lit, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(lit[i:], "}}")
		if j < 0 {
			lit = lit[:i]
			break
		}
		lit = lit[:i] + "\x00" + lit[i+j+2:]
	}
	for {
		i := strings.Index(lit, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(lit[i:], '}')
		if j < 0 {
			lit = lit[:i]
			break
		}
		lit = lit[:i] + "\x00" + lit[i+j+1:]
	}
	parts := strings.Split(lit, "\x00")
	for _, p := range parts {
		p = strings.Trim(p, ":@/ ")
		if p == "" {
			continue
		}
		if canonical == p || strings.HasSuffix(canonical, "/"+p) || strings.Contains(canonical+"/", "/"+p+"/") {
			return true
		}
	}
	return false
}
