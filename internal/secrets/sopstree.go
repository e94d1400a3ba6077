package secrets

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file mirrors how SOPS turns a YAML (or JSON) document into its tree
// and decides which leaves it encrypts, so that the plaintext and MAC checks
// see exactly the leaves, order and comment context that sops itself sees
// (sops.go walkBranch/walkSlice/shouldBeEncrypted, stores/yaml/store.go).

type regexpT = regexp.Regexp

// sopsRules are the per-file encryption rules from the sops metadata.
type sopsRules struct {
	unencryptedSuffix, encryptedSuffix string
	unencryptedRegex, encryptedRegex   *regexp.Regexp
	unencryptedComment, encryptedComm  *regexp.Regexp
	macOnlyEncrypted                   bool
}

// compileRule compiles a sops regex setting. sops ignores regexp errors
// (regexp.Match returns false), so an invalid pattern never matches; the
// metadata check reports it.
func compileRule(s string) (*regexp.Regexp, bool) {
	if s == "" {
		return nil, true
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return neverMatch, false
	}
	return re, true
}

var neverMatch = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)

// shouldEncrypt reports whether sops encrypts the leaf at path, given the
// active comment stack (sops.go shouldBeEncrypted).
func (r *sopsRules) shouldEncrypt(path []string, comments [][]string, isComment bool) bool {
	encrypted := true
	if r.unencryptedSuffix != "" {
		for _, p := range path {
			if strings.HasSuffix(p, r.unencryptedSuffix) {
				encrypted = false
				break
			}
		}
	}
	if r.encryptedSuffix != "" {
		encrypted = false
		for _, p := range path {
			if strings.HasSuffix(p, r.encryptedSuffix) {
				encrypted = true
				break
			}
		}
	}
	if r.unencryptedRegex != nil {
		for _, p := range path {
			if r.unencryptedRegex.MatchString(p) {
				encrypted = false
				break
			}
		}
	}
	if r.encryptedRegex != nil {
		encrypted = false
		for _, p := range path {
			if r.encryptedRegex.MatchString(p) {
				encrypted = true
				break
			}
		}
	}
	if r.unencryptedComment != nil {
	outerU:
		for _, cs := range comments {
			for _, c := range cs {
				if r.unencryptedComment.MatchString(c) {
					encrypted = false
					break outerU
				}
			}
		}
	}
	if r.encryptedComm != nil && len(comments) > 0 {
		last := len(comments) - 1
		lastLen := len(comments[last])
		encrypted = false
	outerE:
		for i, cs := range comments {
			for j, c := range cs {
				if isComment && i == last && j == lastLen-1 {
					continue
				}
				if r.encryptedComm.MatchString(c) {
					encrypted = true
					break outerE
				}
			}
		}
	}
	return encrypted
}

// sopsLeaf is one leaf sops visits: a scalar value or a comment.
type sopsLeaf struct {
	node      *yaml.Node // the scalar node (nil for comments)
	comment   string     // comment text without '#', when isComment
	isComment bool
	path      []string
	encrypt   bool
}

// sopsWalker enumerates leaves in sops order. budget bounds alias expansion.
type sopsWalker struct {
	rules  *sopsRules
	budget int
	leaves []sopsLeaf
	err    error
}

const walkBudget = 200000

func commentLines(c string) []string {
	if c == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(c, "\n") {
		if l != "" {
			out = append(out, l[1:])
		}
	}
	return out
}

// item is one entry of a sops TreeBranch or slice: a comment or a value.
type item struct {
	comment   string
	isComment bool
	key       string
	value     *yaml.Node
	// handled: the value's own comments were already emitted by the parent
	// (sops passes commentsWereHandled=true for sequence items only).
	handled bool
}

// branchItems converts a mapping (or document) node into sops TreeBranch
// items, comments included, like stores/yaml appendYamlNodeToTreeBranch.
func (w *sopsWalker) branchItems(n *yaml.Node, handled bool, out []item) []item {
	addC := func(c string) {
		for _, l := range commentLines(c) {
			out = append(out, item{comment: l, isComment: true})
		}
	}
	if !handled {
		addC(n.HeadComment)
		addC(n.LineComment)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = w.branchItems(c, false, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			addC(k.HeadComment)
			addC(k.LineComment)
			hv := v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode
			if hv {
				addC(v.HeadComment)
				addC(v.LineComment)
			}
			out = append(out, item{key: k.Value, value: v})
			if hv {
				addC(v.FootComment)
			}
			addC(k.FootComment)
		}
	case yaml.AliasNode:
		if n.Alias != nil && w.spend() {
			out = w.branchItems(n.Alias, false, out)
		}
	}
	if !handled {
		addC(n.FootComment)
	}
	return out
}

func (w *sopsWalker) spend() bool {
	w.budget--
	if w.budget < 0 {
		w.err = errTooComplex
		return false
	}
	return true
}

// sliceItems converts a sequence node like stores/yaml nodeToTreeValue.
func (w *sopsWalker) sliceItems(n *yaml.Node, handled bool) []item {
	var out []item
	addC := func(c string) {
		for _, l := range commentLines(c) {
			out = append(out, item{comment: l, isComment: true})
		}
	}
	if !handled {
		addC(n.HeadComment)
		addC(n.LineComment)
	}
	for _, it := range n.Content {
		addC(it.HeadComment)
		addC(it.LineComment)
		out = append(out, item{value: it, handled: true})
		addC(it.FootComment)
	}
	if !handled {
		addC(n.FootComment)
	}
	return out
}

// walkDoc visits every leaf of one document (the top-level "sops" key
// excluded) in sops order.
func (w *sopsWalker) walkDoc(doc *yaml.Node) {
	items := w.branchItems(doc, false, nil)
	kept := items[:0:0]
	for _, it := range items {
		if !it.isComment && it.key == "sops" {
			continue
		}
		kept = append(kept, it)
	}
	w.walkBranch(kept, nil, nil)
}

func (w *sopsWalker) walkBranch(items []item, path []string, stack [][]string) {
	stack = append(stack[:len(stack):len(stack)], []string{})
	top := len(stack) - 1
	for _, it := range items {
		if w.err != nil {
			return
		}
		if it.isComment {
			stack[top] = append(stack[top], it.comment)
			w.leaf(sopsLeaf{comment: it.comment, isComment: true, path: path}, stack)
			continue
		}
		p := append(path[:len(path):len(path)], it.key)
		w.walkValue(it.value, p, stack, it.handled)
		stack[top] = []string{}
	}
}

func (w *sopsWalker) walkSlice(items []item, path []string, stack [][]string) {
	stack = append(stack[:len(stack):len(stack)], []string{})
	top := len(stack) - 1
	for _, it := range items {
		if w.err != nil {
			return
		}
		if it.isComment {
			stack[top] = append(stack[top], it.comment)
			w.leaf(sopsLeaf{comment: it.comment, isComment: true, path: path}, stack)
			continue
		}
		w.walkValue(it.value, path, stack, it.handled)
		stack[top] = []string{}
	}
}

func (w *sopsWalker) walkValue(n *yaml.Node, path []string, stack [][]string, handled bool) {
	if !w.spend() {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return // sops neither encrypts nor MACs nil
		}
		w.leaf(sopsLeaf{node: n, path: path}, stack)
	case yaml.MappingNode:
		w.walkBranch(w.branchItems(n, handled, nil), path, stack)
	case yaml.SequenceNode:
		w.walkSlice(w.sliceItems(n, handled), path, stack)
	case yaml.AliasNode:
		// sops decodes an alias to its target with comments not yet handled.
		if n.Alias != nil {
			w.walkValue(n.Alias, path, stack, false)
		}
	}
}

func (w *sopsWalker) leaf(l sopsLeaf, stack [][]string) {
	l.encrypt = w.rules.shouldEncrypt(l.path, stack, l.isComment)
	w.leaves = append(w.leaves, l)
}
