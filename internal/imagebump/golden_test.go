package imagebump

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden want.* sections")

// goldenCase is one testdata/golden/*.txtar archive: the comment holds
// "key: value" options, files not named want.* are the repo, want.diff is
// the expected diff and want.refs the expected references (or want.error
// the expected refusal).
type goldenCase struct {
	opts  Options
	crlf  bool
	files map[string][]byte
}

func loadGolden(t *testing.T, path string) (*txtar.Archive, goldenCase) {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gc := goldenCase{files: map[string][]byte{}}
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch strings.TrimSpace(k) {
		case "image":
			gc.opts.Image = v
		case "tag":
			gc.opts.Tag = v
		case "digest":
			gc.opts.Digest = v
		case "cluster":
			gc.opts.Clusters = append(gc.opts.Clusters, v)
		case "allow-shared":
			gc.opts.AllowShared = v == "true"
		case "crlf":
			gc.crlf = v == "true"
		default:
			t.Fatalf("%s: unknown option %q", path, k)
		}
	}
	for _, f := range ar.Files {
		if strings.HasPrefix(f.Name, "want.") {
			continue
		}
		data := f.Data
		if gc.crlf {
			data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		}
		gc.files[f.Name] = data
	}
	return ar, gc
}

func writeTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func refLines(refs []Reference) string {
	var b strings.Builder
	for _, r := range refs {
		fmt.Fprintf(&b, "%s:%d %s %s %s -> %s %s %v\n", r.File, r.Line, r.Kind, r.Field, r.Old, r.New, r.Status, r.Clusters)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, gc := loadGolden(t, path)
			dir := writeTree(t, gc.files)
			gc.opts.Root = dir
			res, err := Bump(context.Background(), gc.opts)
			got := map[string]string{}
			if err != nil {
				var re *RefusedError
				if !errors.As(err, &re) {
					t.Fatalf("Bump: %v (want a *RefusedError or success)", err)
				}
				got["want.error"] = err.Error() + "\n"
			} else {
				got["want.diff"] = res.Diff
				got["want.refs"] = refLines(res.References)
			}
			// The files on disk must be the edited ones (or untouched on refusal).
			for name, before := range gc.files {
				after, rerr := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
				if rerr != nil {
					t.Fatal(rerr)
				}
				if err != nil || res == nil || !contains(res.Files, name) {
					if !bytes.Equal(before, after) {
						t.Errorf("%s changed although the bump did not touch it", name)
					}
					continue
				}
				assertOneTokenChange(t, name, before, after, res)
			}
			if *update {
				var kept []txtar.File
				for _, f := range ar.Files {
					if !strings.HasPrefix(f.Name, "want.") {
						kept = append(kept, f)
					}
				}
				for _, k := range []string{"want.error", "want.refs", "want.diff"} {
					if v, ok := got[k]; ok {
						kept = append(kept, txtar.File{Name: k, Data: []byte(v)})
					}
				}
				ar.Files = kept
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wants := 0
			for _, f := range ar.Files {
				if !strings.HasPrefix(f.Name, "want.") {
					continue
				}
				wants++
				if g, ok := got[f.Name]; !ok {
					t.Errorf("%s expected but the bump gave %v", f.Name, keys(got))
				} else if g != string(f.Data) {
					t.Errorf("%s mismatch:\n--- got\n%s\n--- want\n%s", f.Name, g, f.Data)
				}
			}
			if wants == 0 {
				t.Fatal("case has no want.* section; run with -update")
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// assertOneTokenChange checks that before and after differ only in the
// changed references' tag or digest tokens: removing each old token and
// each new token at the changed spots gives the same bytes, and every line
// ending, comment and quote outside them is identical.
func assertOneTokenChange(t *testing.T, name string, before, after []byte, res *Result) {
	t.Helper()
	bl := bytes.SplitAfter(before, []byte("\n"))
	al := bytes.SplitAfter(after, []byte("\n"))
	token := res.Tag
	if res.Digest != "" {
		token = res.Digest
	}
	// Inserted pairs (a kustomization images: entry without newTag or
	// digest) are whole new lines holding just the key and the token.
	if len(al) > len(bl) {
		var kept [][]byte
		for _, l := range al {
			s := strings.TrimRight(strings.TrimSpace(string(l)), "\r")
			if s == "newTag: "+token || s == `newTag: "`+token+`"` || s == "digest: "+token {
				continue
			}
			kept = append(kept, l)
		}
		al = kept
	}
	if len(bl) != len(al) {
		t.Fatalf("%s: line count changed %d -> %d", name, len(bl), len(al))
	}
	changedLines := map[int]bool{}
	for _, r := range res.References {
		if r.File == name && r.Status == StatusChanged {
			changedLines[r.Line] = true
		}
	}
	for i := range bl {
		if bytes.Equal(bl[i], al[i]) {
			continue
		}
		if !changedLines[i+1] {
			t.Errorf("%s:%d changed but no reference was reported there:\n-%q\n+%q", name, i+1, bl[i], al[i])
			continue
		}
		// Common prefix and suffix: the middle of the new line must be
		// (part of) the new token, possibly with added quotes or separator.
		p := 0
		for p < len(bl[i]) && p < len(al[i]) && bl[i][p] == al[i][p] {
			p++
		}
		s := 0
		for s < len(bl[i])-p && s < len(al[i])-p && bl[i][len(bl[i])-1-s] == al[i][len(al[i])-1-s] {
			s++
		}
		mid := string(al[i][p : len(al[i])-s])
		if !strings.Contains(`"`+":"+"@"+token+`"`, mid) && !strings.Contains(":"+token, mid) && !strings.Contains("@"+token, mid) && !strings.Contains(`"`+token+`"`, mid) {
			t.Errorf("%s:%d: the change %q is not just the token %q:\n-%q\n+%q", name, i+1, mid, token, bl[i], al[i])
		}
		if bytes.HasSuffix(bl[i], []byte("\r\n")) != bytes.HasSuffix(al[i], []byte("\r\n")) {
			t.Errorf("%s:%d: line ending changed", name, i+1)
		}
	}
}
