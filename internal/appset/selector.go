package appset

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// postSelector is a generator entry's `selector`, matched against the
// flattened parameters. Like the controller's own selector it checks keys
// but not values (parameter values need not be valid label values).
type postSelector struct {
	reqs []requirement
}

type requirement struct {
	key, op string
	values  []string
}

type labelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	} `json:"matchExpressions"`
}

func parsePostSelector(v any) (*postSelector, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var ls labelSelector
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ls); err != nil {
		return nil, fmt.Errorf("decoding selector: %w", err)
	}
	s := &postSelector{}
	for _, k := range sortedKeys(ls.MatchLabels) {
		r, err := newRequirement(k, "=", []string{ls.MatchLabels[k]})
		if err != nil {
			return nil, err
		}
		s.reqs = append(s.reqs, r)
	}
	for _, ex := range ls.MatchExpressions {
		var op string
		switch ex.Operator {
		case "In":
			op = "in"
		case "NotIn":
			op = "notin"
		case "Exists":
			op = "exists"
		case "DoesNotExist":
			op = "!"
		default:
			return nil, fmt.Errorf("%q is not a valid pod selector operator", ex.Operator)
		}
		r, err := newRequirement(ex.Key, op, ex.Values)
		if err != nil {
			return nil, err
		}
		s.reqs = append(s.reqs, r)
	}
	return s, nil
}

func newRequirement(key, op string, vals []string) (requirement, error) {
	var errs []string
	if e := validation.IsQualifiedName(key); len(e) > 0 {
		errs = append(errs, fmt.Sprintf("key: Invalid value: %q: %s", key, strings.Join(e, "; ")))
	}
	switch op {
	case "in", "notin":
		if len(vals) == 0 {
			errs = append(errs, "values: Invalid value: for 'in', 'notin' operators, values set can't be empty")
		}
	case "=":
		if len(vals) != 1 {
			errs = append(errs, "values: Invalid value: exact-match compatibility requires one single value")
		}
	case "exists", "!":
		if len(vals) != 0 {
			errs = append(errs, "values: Invalid value: values set must be empty for exists and does not exist")
		}
	}
	if len(errs) > 0 {
		return requirement{}, errors.New(strings.Join(errs, ", "))
	}
	return requirement{key: key, op: op, values: vals}, nil
}

func (s *postSelector) matches(l map[string]string) bool {
	for _, r := range s.reqs {
		v, has := l[r.key]
		switch r.op {
		case "=", "in":
			if !has || !slices.Contains(r.values, v) {
				return false
			}
		case "notin":
			if has && slices.Contains(r.values, v) {
				return false
			}
		case "exists":
			if !has {
				return false
			}
		case "!":
			if has {
				return false
			}
		}
	}
	return true
}
