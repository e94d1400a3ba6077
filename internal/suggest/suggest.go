// Package suggest finds the nearest match of a misspelled name ("did you
// mean telemetry-ingest.yaml?"), for paths and keys.
package suggest

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Nearest returns the candidate closest to name by edit distance, if it is
// close enough to be a likely typo: at most 2 edits, and at most a third of
// name's length (so short names never match everything). Ties go to the
// candidate that sorts first; an exact match is never a suggestion.
func Nearest(name string, candidates []string) (string, bool) {
	limit := min(2, len([]rune(name))/3)
	if limit == 0 {
		limit = 1
	}
	best, bestD := "", limit+1
	for _, c := range slices.Sorted(slices.Values(candidates)) {
		if c == name {
			continue
		}
		d := distance(name, c)
		if strings.EqualFold(c, name) {
			d = 1 // case only
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best, best != ""
}

// distance is the Levenshtein distance with adjacent transpositions
// counted as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Path suggests an existing repo path for a missing one: the nearest entry
// of its parent directory in fsys, the checkout (rel is slash-separated,
// relative to its root). It returns the suggested repo-relative path.
// Directory entries are only listed, never followed.
func Path(fsys fs.FS, rel string) (string, bool) {
	rel = path.Clean(rel)
	if rel == "." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return "", false
	}
	dir, base := path.Split(rel)
	if dir = strings.TrimSuffix(dir, "/"); dir == "" {
		dir = "."
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", false
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	m, ok := Nearest(base, names)
	if !ok {
		return "", false
	}
	return path.Join(dir, m), true
}

// Entry rewrites a path as written (entry, e.g. "../base/workr") whose
// resolved repo path is missing, into the same spelling with the suggested
// last element: "../base/worker".
func Entry(entry, suggested string) string {
	i := strings.LastIndex(strings.TrimRight(entry, "/"), "/")
	return entry[:i+1] + path.Base(suggested)
}
