package secrets

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
)

// ErrBadKey means an age identity list does not parse. The cause is not
// reported, since it could quote key material.
var ErrBadKey = errors.New("not a valid list of age identities (AGE-SECRET-KEY-1...)")

// Keys are the age identities used to verify SOPS MACs. The zero value has
// no keys: MAC verification is then reported as skipped.
type Keys struct {
	identities []age.Identity
	// Source says where the keys came from, for messages (never the key).
	Source string
}

// Len returns the number of identities.
func (k *Keys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.identities)
}

// ParseKeys parses age identities in the keys.txt format (comments and
// blank lines allowed). source names their origin in messages.
func ParseKeys(text, source string) (*Keys, error) {
	ids, err := age.ParseIdentities(strings.NewReader(text))
	if err != nil {
		// age's parse errors may quote a character of the key: not shown.
		return nil, fmt.Errorf("%s: %w", source, ErrBadKey)
	}
	return &Keys{identities: ids, Source: source}, nil
}

// KeysFromEnv loads age identities the way sops does for age: the
// SOPS_AGE_KEY variable (identities inline) and the SOPS_AGE_KEY_FILE
// file. lookup is os.LookupEnv in production. No key configured returns an
// empty Keys and no error; a configured but unreadable key is an error.
func KeysFromEnv(lookup func(string) (string, bool)) (*Keys, error) {
	out := &Keys{}
	var sources []string
	if v, ok := lookup("SOPS_AGE_KEY"); ok && strings.TrimSpace(v) != "" {
		k, err := ParseKeys(v, "SOPS_AGE_KEY")
		if err != nil {
			return nil, err
		}
		out.identities = append(out.identities, k.identities...)
		sources = append(sources, "SOPS_AGE_KEY")
	}
	if p, ok := lookup("SOPS_AGE_KEY_FILE"); ok && p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("SOPS_AGE_KEY_FILE: %w", err)
		}
		k, err := ParseKeys(string(b), "SOPS_AGE_KEY_FILE")
		if err != nil {
			return nil, err
		}
		out.identities = append(out.identities, k.identities...)
		sources = append(sources, "SOPS_AGE_KEY_FILE")
	}
	out.Source = strings.Join(sources, ", ")
	return out, nil
}
