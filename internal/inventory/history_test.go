package inventory

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type gitRepo struct {
	t    *testing.T
	root string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	g := &gitRepo{t: t, root: t.TempDir()}
	g.git("init", "-q", "-b", "main")
	return g
}

// gitCmd runs git in root as a fixed test identity.
func gitCmd(root string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.email=x@example.com", "-c", "user.name=tester", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (g *gitRepo) git(args ...string) string {
	g.t.Helper()
	out, err := gitCmd(g.root, args...)
	if err != nil {
		g.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (g *gitRepo) write(rel, content string) {
	g.t.Helper()
	p := filepath.Join(g.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gitRepo) commit(msg string, author string) string {
	g.t.Helper()
	g.git("add", "-A")
	g.git("commit", "-q", "--author", author+" <"+author+"@example.com>", "-m", msg)
	return g.git("rev-parse", "HEAD")
}

func TestBlameFollowsLinesThroughHistory(t *testing.T) {
	g := newGitRepo(t)
	g.write("a b/values.yaml", "image:\n  repository: r\n  tag: \"1\"\nother: x\n")
	g.write("k.yaml", "newTag: a\n")
	c1 := g.commit("one", "ann")
	g.write("a b/values.yaml", "image:\n  repository: r\n  tag: \"2\"\nother: x\n")
	c2 := g.commit("two", "bob")
	// insert two lines above, delete one below: the tag line moves to 5
	g.write("a b/values.yaml", "# top\n# more\nimage:\n  repository: r\n  tag: \"2\"\n")
	c3 := g.commit("three", "cat")
	// a branch changes the tag and is merged: the merge is charged
	g.git("checkout", "-q", "-b", "feature")
	g.write("k.yaml", "newTag: b\n")
	g.commit("feature change", "dan")
	g.git("checkout", "-q", "main")
	g.write("unrelated.yaml", "x: 1\n")
	g.commit("unrelated", "eve")
	g.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
	merge := g.git("rev-parse", "HEAD")

	got, err := Blame(context.Background(), g.root, []LineRef{{"a b/values.yaml", 5}, {"a b/values.yaml", 1}, {"a b/values.yaml", 4}, {"k.yaml", 1}, {"untracked.yaml", 1}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(l LineRef, commit, prev string, hasPrev bool) {
		t.Helper()
		c, ok := got[l]
		if !ok {
			t.Fatalf("%v: no change", l)
		}
		if c.Commit != commit || c.Previous != prev || c.HasPrevious != hasPrev {
			t.Errorf("%v: got %s %q %v, want %s %q %v", l, c.Commit[:7], c.Previous, c.HasPrevious, commit[:7], prev, hasPrev)
		}
	}
	check(LineRef{"a b/values.yaml", 5}, c2, "  tag: \"1\"", true)
	check(LineRef{"a b/values.yaml", 1}, c3, "", false)
	check(LineRef{"a b/values.yaml", 4}, c1, "", false)
	check(LineRef{"k.yaml", 1}, merge, "newTag: a", true)
	if got[LineRef{"a b/values.yaml", 5}].Author != "bob" || got[LineRef{"a b/values.yaml", 5}].Subject != "two" {
		t.Errorf("author/subject: %+v", got[LineRef{"a b/values.yaml", 5}])
	}
	if _, ok := got[LineRef{"untracked.yaml", 1}]; ok {
		t.Error("an untracked file has a change")
	}

	// An edit in the working tree is charged to nobody yet.
	g.write("k.yaml", "newTag: c\n")
	got, err = Blame(context.Background(), g.root, []LineRef{{"k.yaml", 1}})
	if err != nil {
		t.Fatal(err)
	}
	if c := got[LineRef{"k.yaml", 1}]; !c.Uncommitted || c.Commit != "" {
		t.Errorf("uncommitted: %+v", c)
	}

	// Not a git checkout: an error, not a panic.
	if _, err := Blame(context.Background(), t.TempDir(), []LineRef{{"x", 1}}); err == nil {
		t.Error("no error outside git")
	}
}

func TestPreviousToken(t *testing.T) {
	for _, c := range []struct{ cur, prev, token, want string }{
		{`    newTag: "1.2.0"`, `    newTag: "1.1.0"`, "1.2.0", "1.1.0"},
		{`  tag: 1.10`, `  tag: 1.9`, "1.10", "1.9"},
		{`  tag: 1.2`, `  tag: 1.2.1`, "1.2", "1.2.1"},
		{`image: reg/app:2.0 # prod`, `image: reg/app:1.9 # prod`, "2.0", "1.9"},
		{`image: reg/app:2.0`, `image: reg/other:1.9`, "2.0", ""}, // the repository changed too
		{`  tag: 1.2 # new`, `  tag: 1.2 # old`, "1.2", ""},       // only the comment changed
		{`  tag: 1.2`, `  tag: "1.1"`, "1.2", ""},                 // quoting changed
		{`  tag: 1.2`, `  tag: 1.2`, "1.2", ""},                   // no change
		{`  digest: sha256:aa`, `  digest: sha256:bb`, "sha256:aa", "sha256:bb"},
		{`image: reg/app:1.2 # 1.2`, `image: reg/app:1.2 # 1.1`, "1.2", ""}, // only the comment changed
		{`  - image: reg/app:1.2@sha256:aa`, `  - image: reg/app:1.1@sha256:aa`, "1.2", "1.1"},
		{`  - reg/app=reg/new:1.2`, `  - reg/app=reg/new:1.0`, "1.2", "1.0"},
		{`      value: "1.0.1"   # hotfix`, `      value: "1.0.0"   # hotfix`, "1.0.1", "1.0.0"},
		{`  tag: |`, `  tag: 1.0`, "1.2", ""},
	} {
		got, ok := previousToken(c.cur, c.prev, c.token)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%q <- %q: got %q %v, want %q", c.cur, c.prev, got, ok, c.want)
		}
	}
}

// A shallow clone's oldest commit shows every line as added: those lines
// are unknown, not charged to it.
func TestBlameShallowClone(t *testing.T) {
	g := newGitRepo(t)
	g.write("v.yaml", "a: 1\nb: 1\n")
	g.commit("one", "ann")
	g.write("v.yaml", "a: 1\nb: 2\n")
	g.commit("two", "bob")
	g.write("w.yaml", "c: 1\n")
	c3 := g.commit("three", "cat")
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+g.root, clone).CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	got, err := Blame(context.Background(), clone, []LineRef{{"v.yaml", 1}, {"v.yaml", 2}, {"w.yaml", 1}})
	var shallow *ShallowError
	if !errors.As(err, &shallow) || shallow.Unknown != 3 || len(got) != 0 {
		t.Fatalf("depth 1: err %v, got %v", err, got)
	}
	if out, err := exec.Command("git", "-C", clone, "fetch", "-q", "--deepen", "1").CombinedOutput(); err != nil {
		t.Fatalf("deepen: %v\n%s", err, out)
	}
	got, err = Blame(context.Background(), clone, []LineRef{{"v.yaml", 1}, {"v.yaml", 2}, {"w.yaml", 1}})
	if !errors.As(err, &shallow) || shallow.Unknown != 2 || got[LineRef{"w.yaml", 1}].Commit != c3 {
		t.Fatalf("depth 2: err %v, got %v", err, got)
	}
}
