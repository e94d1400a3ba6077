package policy

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/report"
)

// Where GitHub and GitLab look for CODEOWNERS, in their search order.
var (
	githubLocations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}
	gitlabLocations = []string{"CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"}
)

// FindCodeOwners locates the CODEOWNERS file the platform would use. The
// platform is GitLab when .gitlab/CODEOWNERS exists, or when there is no
// .github/CODEOWNERS and the repo has .gitlab-ci.yml or a .gitlab directory;
// else GitHub. file is "" when there is none (then it is the file to create).
func FindCodeOwners(fsys fs.FS) (file string, flavor Flavor, create string) {
	exists := func(p string) bool {
		st, err := fs.Stat(fsys, p)
		return err == nil && st.Mode().IsRegular()
	}
	isDir := func(p string) bool {
		st, err := fs.Stat(fsys, p)
		return err == nil && st.IsDir()
	}
	flavor = GitHub
	switch {
	case exists(".gitlab/CODEOWNERS"):
		flavor = GitLab
	case exists(".github/CODEOWNERS"):
	case exists(".gitlab-ci.yml") || isDir(".gitlab"):
		flavor = GitLab
	}
	locs, create := githubLocations, ".github/CODEOWNERS"
	if flavor == GitLab {
		locs, create = gitlabLocations, ".gitlab/CODEOWNERS"
	}
	for _, l := range locs {
		if exists(l) {
			return l, flavor, create
		}
	}
	return "", flavor, create
}

// requiredDir is a directory that must have code owners.
type requiredDir struct {
	dir     string
	cluster string
}

func (c *checker) requiredDirs() []requiredDir {
	var out []requiredDir
	for _, cl := range c.clusters {
		if cl.Dir != "" && cl.Dir != "." {
			out = append(out, requiredDir{dir: strings.Trim(cl.Dir, "/"), cluster: cl.Name})
		}
	}
	if b := strings.Trim(c.cfg.BaseDir, "/"); b != "" && c.dirSet[b] {
		out = append(out, requiredDir{dir: b})
	}
	return out
}

// checkCodeOwners: every cluster directory and the base directory is owned,
// every CODEOWNERS line matches a file and parses.
func (c *checker) checkCodeOwners() {
	file, flavor, create := FindCodeOwners(c.repo.FS())
	required := c.requiredDirs()
	if file == "" {
		// A repo without CODEOWNERS has not opted into the rule: one finding,
		// a warning unless repo/codeowners is given a severity in the config.
		if len(required) == 0 {
			return
		}
		dirs := make([]string, 0, len(required))
		for _, d := range required {
			if !slices.Contains(dirs, d.dir+"/") {
				dirs = append(dirs, d.dir+"/")
			}
		}
		if n := len(dirs); n > 5 {
			dirs = append(dirs[:5], fmt.Sprintf("and %d more", n-5))
		}
		c.addUnlessOptedIn(report.Finding{
			Rule: report.RuleRepoCodeOwners, File: create,
			Message: fmt.Sprintf("the repo has no CODEOWNERS file, so %s are owned by nobody; create %s with a line such as \"/%s/ @org/team\"",
				strings.Join(dirs, ", "), create, required[0].dir),
		})
		return
	}
	data, err := c.repo.ReadFile(file)
	if err != nil {
		c.add(report.Finding{Rule: report.RuleRepoCodeOwners, File: file, Message: fmt.Sprintf("reading CODEOWNERS: %v", err)}, "")
		return
	}
	co := ParseCodeOwners(file, flavor, data)
	for _, p := range co.Problems {
		c.add(report.Finding{Rule: report.RuleRepoCodeOwners, File: file, Line: p.Line, Message: fmt.Sprintf("%s CODEOWNERS: %s", flavor, p.Message)}, "")
	}
	for _, d := range required {
		c.checkDirOwned(co, d)
	}
	split := make([][]string, len(c.files))
	for i, f := range c.files {
		split[i] = splitSegs(f)
	}
	for _, r := range co.Rules {
		matched := false
		for _, segs := range split {
			if r.matchSplit(segs) {
				matched = true
				break
			}
		}
		if !matched {
			c.add(report.Finding{
				Rule: report.RuleRepoCodeOwners, File: file, Line: r.Line,
				Message: fmt.Sprintf("pattern %q matches no file in the repo (a typo, or a path that was moved): fix or remove the line", r.Pattern),
			}, "")
		}
	}
}

// checkDirOwned reports a directory some of whose files have no required owner.
func (c *checker) checkDirOwned(co *CodeOwners, d requiredDir) {
	prefix := d.dir + "/"
	var total int
	var unowned []string
	line := 0
	optionalOnly := false
	for _, f := range c.files {
		if !strings.HasPrefix(f, prefix) {
			continue
		}
		total++
		own := co.Owners(f)
		if own.Owned() || own.Exempt() {
			continue
		}
		if len(unowned) == 0 {
			// Point at the rule that took ownership away, if any.
			for _, r := range own.Rules {
				if line == 0 || r.Line > line {
					line = r.Line
				}
				if r.Optional && len(r.Owners) > 0 {
					optionalOnly = true
				}
			}
		}
		unowned = append(unowned, f)
	}
	if len(unowned) == 0 {
		return
	}
	examples := unowned
	if len(examples) > 3 {
		examples = examples[:3]
	}
	msg := fmt.Sprintf("%s/ is not fully owned: %d of %d files have no code owner (e.g. %s); add a line such as \"/%s/ @org/team\"",
		d.dir, len(unowned), total, strings.Join(examples, ", "), d.dir)
	if optionalOnly {
		msg = fmt.Sprintf("%s/ is not fully owned: %d of %d files are owned only by an optional (^[...]) section (e.g. %s); add them to a required section",
			d.dir, len(unowned), total, strings.Join(examples, ", "))
	}
	c.add(report.Finding{Rule: report.RuleRepoCodeOwners, Cluster: d.cluster, File: co.File, Line: line, Message: msg}, "")
}
