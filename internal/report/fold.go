package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Rules that several checks produce for one broken file; Fold keeps one.
const (
	ruleMalformedYAML = "render/malformed-yaml"
	ruleRenderFailed  = "render/failed"
	ruleUnparsable    = "secret/unparsable"
)

// Fold makes one finding of each mistake, so a reviewer reads it once:
//
//   - findings of one cluster/app with the same Cause (a missing values file
//     seen by the app sanity check and by the renderer, an object of two
//     Applications seen by the ownership and the duplicate-resource checks)
//     become the one with the most precise location;
//   - a YAML syntax error absorbs the render failures and the "not scanned
//     for secrets" warning of its file; a render failure, the warning at
//     its line;
//   - an apiVersion edited in a base (see APIVersionCause) is one finding
//     at that line for every cluster/app: a patch that no longer matches in
//     one, a removed API in another;
//   - an out-of-bounds symlink is one finding at the link
//     (render/symlink-out-of-bounds): the render failures at the link or at
//     a path through it, and the "does not exist" findings (app sanity,
//     kustomize entries) whose Cause is a missing path through it, fold
//     into it, and it lists the clusters/apps they came from;
//   - the same finding (rule, file, line, message) in several clusters or
//     apps, such as a mistake in a base shared by two clusters, becomes one
//     finding listing every affected cluster/app in Affected.
//
// The most severe severity of the folded findings is kept; the other views'
// messages go to Detail. The result is sorted (see Sort).
func Fold(fs []Finding) []Finding {
	fs = Sort(fs) // exact duplicates (a repo-wide finding of every shard) go first
	fs = foldLinks(fs)
	fs = foldCauses(fs)
	fs = foldSpots(fs)
	fs = foldAPIVersions(fs)
	fs = foldTargets(fs)
	return Sort(fs)
}

// better reports whether a is the better finding to keep: it has a line
// where b has none, else it sorts first.
func better(a, b Finding) bool {
	if (a.Line > 0) != (b.Line > 0) {
		return a.Line > 0
	}
	return Compare(a, b) < 0
}

// absorb folds other into keep: the higher severity, other's message as
// detail.
func absorb(keep *Finding, other Finding) {
	if other.Severity.Rank() > keep.Severity.Rank() {
		keep.Severity = other.Severity
	}
	if other.Rule == keep.Rule && other.Message == keep.Message && other.Location() == keep.Location() {
		// the same finding of another cluster/app: only its target is new
		keep.Affected = mergeTargets(keep.Targets(), other.Targets())
		setPrimary(keep)
		return
	}
	view := other.Rule + ": " + other.Message
	if loc := other.Location(); loc != "" && loc != keep.Location() {
		view = loc + ": " + view
	}
	if other.Detail != "" && other.Detail != keep.Detail {
		view += "\n" + other.Detail
	}
	if !strings.Contains(keep.Detail, view) {
		if keep.Detail != "" {
			keep.Detail += "\n"
		}
		keep.Detail += view
	}
	keep.Affected = mergeTargets(keep.Targets(), other.Targets())
	setPrimary(keep)
}

// setPrimary makes the first affected target the finding's cluster/app,
// unless the finding's own target is affected (its message and resource
// are that target's), and keeps Affected only when it names more than one.
func setPrimary(keep *Finding) {
	own := Target{Cluster: keep.Cluster, App: keep.App}
	if len(keep.Affected) > 0 && (keep.Cluster != "" || keep.App != "") && !slices.Contains(keep.Affected, own) {
		keep.Cluster, keep.App = keep.Affected[0].Cluster, keep.Affected[0].App
	}
	if len(keep.Affected) < 2 {
		keep.Affected = nil
	}
}

// foldGroups folds each group of findings (by key; "" never groups) into the
// best of them.
func foldGroups(fs []Finding, key func(Finding) string, prefer func(a, b Finding) bool) []Finding {
	groups := map[string][]int{}
	var order []string
	for i, f := range fs {
		k := key(f)
		if k == "" {
			continue
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	drop := map[int]bool{}
	for _, k := range order {
		idx := groups[k]
		if len(idx) < 2 {
			continue
		}
		best := idx[0]
		for _, i := range idx[1:] {
			if prefer(fs[i], fs[best]) {
				best = i
			}
		}
		keep := fs[best]
		for _, i := range idx {
			if i != best {
				absorb(&keep, fs[i])
				drop[i] = true
			}
		}
		fs[best] = keep
	}
	out := fs[:0]
	for i, f := range fs {
		if !drop[i] {
			out = append(out, f)
		}
	}
	return out
}

// SharedObjectCause is the Cause of the findings about one object that two
// Applications of a cluster render (the ownership check's and the schema
// check's views): the object's document and identity.
func SharedObjectCause(file string, line int, ref *ResourceRef) string {
	id := ""
	if ref != nil {
		id = ref.APIVersion + " " + ref.String()
	}
	return "shared:" + file + ":" + strconv.Itoa(line) + "#" + id
}

func foldCauses(fs []Finding) []Finding {
	return foldGroups(fs, func(f Finding) string {
		if f.Cause == "" {
			return ""
		}
		return f.Cluster + "\x00" + f.App + "\x00" + f.Cause
	}, func(a, b Finding) bool {
		// the specific view (a missing values file at its valueFiles
		// entry) over the generic render failure
		if fa, fb := a.Rule == ruleRenderFailed, b.Rule == ruleRenderFailed; fa != fb {
			return fb
		}
		return better(a, b)
	})
}

// foldLinks folds the views of each out-of-bounds symlink into the
// render/symlink-out-of-bounds finding at the link.
func foldLinks(fs []Finding) []Finding {
	var links []string
	for _, f := range fs {
		if f.Rule == RuleRenderSymlink && f.File != "" {
			links = append(links, f.File)
		}
	}
	if len(links) == 0 {
		return fs
	}
	// the innermost link a path goes through
	through := func(p string) string {
		best := ""
		for _, l := range links {
			if (p == l || strings.HasPrefix(p, l+"/")) && len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	key := func(f Finding) string {
		switch {
		case f.Rule == RuleRenderSymlink:
			return f.File
		case strings.HasPrefix(f.Cause, "missing:"):
			return through(strings.TrimPrefix(f.Cause, "missing:"))
		case f.Rule == ruleRenderFailed:
			return through(f.File)
		}
		return ""
	}
	targets := map[string][]Target{}
	for _, f := range fs {
		if k := key(f); k != "" && f.Rule != RuleRenderSymlink {
			targets[k] = mergeTargets(targets[k], f.Targets())
		}
	}
	fs = foldGroups(fs, key, func(a, b Finding) bool {
		if sa, sb := a.Rule == RuleRenderSymlink, b.Rule == RuleRenderSymlink; sa != sb {
			return sa
		}
		return better(a, b)
	})
	for i, f := range fs {
		if ts := targets[f.File]; f.Rule == RuleRenderSymlink && len(ts) > 0 {
			fs[i].Cluster, fs[i].App = ts[0].Cluster, ts[0].App
			fs[i].Affected = nil
			if len(ts) > 1 {
				fs[i].Affected = ts
			}
		}
	}
	return fs
}

// foldSpots folds the render failure and the secret scan's "unparsable" of
// a file into the YAML syntax error at the same line.
func foldSpots(fs []Finding) []Finding {
	spot := func(f Finding) string {
		if f.File == "" || f.Line <= 0 {
			return ""
		}
		return f.File + ":" + strconv.Itoa(f.Line)
	}
	malformed := map[string]bool{} // files
	failed := map[string]bool{}    // spots
	for _, f := range fs {
		switch f.Rule {
		case ruleMalformedYAML:
			malformed[f.File] = true
		case ruleRenderFailed:
			failed[spot(f)] = true
		}
	}
	return foldGroups(fs, func(f Finding) string {
		if f.File == "" {
			return ""
		}
		// a file that does not parse: its render failures and "not
		// scanned" warnings (whose parsers may count lines differently)
		// are that one mistake
		if malformed[f.File] && (f.Rule == ruleMalformedYAML || f.Rule == ruleRenderFailed || f.Rule == ruleUnparsable) {
			return f.File
		}
		if s := spot(f); s != "" && failed[s] && (f.Rule == ruleRenderFailed || f.Rule == ruleUnparsable) {
			return s
		}
		return ""
	}, func(a, b Finding) bool {
		if ra, rb := spotRank(a.Rule), spotRank(b.Rule); ra != rb {
			return ra > rb
		}
		return Compare(a, b) < 0
	})
}

// spotRank orders the views of one broken spot: the syntax error is the
// cause, the render failure its consequence, the secret scan's the least.
func spotRank(rule string) int {
	switch rule {
	case ruleMalformedYAML:
		return 2
	case ruleRenderFailed:
		return 1
	}
	return 0
}

// foldTargets folds the same finding of several clusters/apps into one.
func foldTargets(fs []Finding) []Finding {
	return foldGroups(fs, func(f Finding) string {
		if f.File == "" {
			return ""
		}
		res := ""
		if f.Resource != nil {
			res = f.Resource.APIVersion + " " + f.Resource.Kind
		}
		return strings.Join([]string{f.Rule, string(f.Severity), f.File, strconv.Itoa(f.Line), res, f.Message, f.Fingerprint, f.Detail}, "\x00")
	}, better)
}

// mergeTargets unites two target lists, sorted, without the empty target.
func mergeTargets(a, b []Target) []Target {
	out := slices.Concat(a, b)
	out = slices.DeleteFunc(out, func(t Target) bool { return t == Target{} })
	slices.SortFunc(out, func(x, y Target) int {
		if c := cmp.Compare(x.Cluster, y.Cluster); c != 0 {
			return c
		}
		return cmp.Compare(x.App, y.App)
	})
	out = slices.Compact(out)
	// a cluster-wide target adds nothing next to an app of that cluster
	withApps := map[string]bool{}
	for _, t := range out {
		if t.App != "" {
			withApps[t.Cluster] = true
		}
	}
	return slices.DeleteFunc(out, func(t Target) bool { return t.App == "" && withApps[t.Cluster] })
}

// APIVersionCause is the Cause of a render failure that an apiVersion or
// kind edited in the object starting at file:line caused (a patch of an
// overlay no longer matching the base's object): the schema findings at
// that line in other clusters/apps (a removed API, an unknown kind) are the
// same mistake.
func APIVersionCause(file string, line int) string {
	return "apiversion:" + file + ":" + strconv.Itoa(line)
}

// foldAPIVersions folds the render failures an edited apiVersion caused
// and the schema findings at that apiVersion line, of any cluster/app, into
// one: the schema view (it says what is wrong with the version) is kept.
func foldAPIVersions(fs []Finding) []Finding {
	causes := map[string]bool{}
	for _, f := range fs {
		if f.Rule == ruleRenderFailed && strings.HasPrefix(f.Cause, "apiversion:") {
			causes[f.Cause] = true
		}
	}
	if len(causes) == 0 {
		return fs
	}
	return foldGroups(fs, func(f Finding) string {
		if f.Rule == ruleRenderFailed && causes[f.Cause] {
			return f.Cause
		}
		if strings.HasPrefix(f.Rule, "schema/") && f.File != "" && f.Line > 0 {
			if c := APIVersionCause(f.File, f.Line); causes[c] {
				return c
			}
		}
		return ""
	}, func(a, b Finding) bool {
		// a "did you mean" (a misspelt kind) over the schema view, which
		// says what is wrong with the version otherwise
		if da, db := strings.Contains(a.Message, "did you mean"), strings.Contains(b.Message, "did you mean"); da != db {
			return da
		}
		if fa, fb := a.Rule == ruleRenderFailed, b.Rule == ruleRenderFailed; fa != fb {
			return fb
		}
		return better(a, b)
	})
}
