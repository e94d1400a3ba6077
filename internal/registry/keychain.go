package registry

import (
	"github.com/google/go-containerregistry/pkg/authn"
)

// Credential names the environment variables holding a username and
// password (or token) for one registry host. The values are read when a
// registry asks for them and never logged.
type Credential struct {
	// Registry is the host ("ghcr.io", "registry.example:5000").
	Registry string
	// UsernameEnv names the username variable; when empty or unset the
	// username is "render-check" (token registries ignore it).
	UsernameEnv string
	// PasswordEnv names the password or token variable.
	PasswordEnv string
}

// EnvKeychain resolves credentials from environment variables named by
// creds, via getenv (os.Getenv in production). A registry without a
// matching entry, or whose password variable is empty, resolves to
// anonymous, so it combines with authn.NewMultiKeychain.
func EnvKeychain(creds []Credential, getenv func(string) string) authn.Keychain {
	return envKeychain{creds: creds, getenv: getenv}
}

type envKeychain struct {
	creds  []Credential
	getenv func(string) string
}

func (k envKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	host := normalizeHost(target.RegistryStr())
	for _, c := range k.creds {
		if normalizeHost(c.Registry) != host || c.PasswordEnv == "" {
			continue
		}
		pw := k.getenv(c.PasswordEnv)
		if pw == "" {
			continue
		}
		user := "render-check"
		if c.UsernameEnv != "" {
			if u := k.getenv(c.UsernameEnv); u != "" {
				user = u
			}
		}
		return authn.FromConfig(authn.AuthConfig{Username: user, Password: pw}), nil
	}
	return authn.Anonymous, nil
}
