// Package netpolicy decides which remote sources a run may fetch: Helm chart
// repositories and OCI registries, remote value files, and kustomize remote
// bases and URL resources. The policy comes from the trusted side only
// (flags, environment, a config file from outside the checkout); on an
// untrusted run the default fetches nothing.
package netpolicy

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Mode is how much of the network a run may reach.
type Mode string

const (
	// All fetches any remote source (the default on a trusted run).
	All Mode = "all"
	// Allow fetches only from the listed hosts.
	Allow Mode = "allow"
	// Off fetches nothing (the default on an untrusted run).
	Off Mode = "off"
)

// Policy is a remote-fetch policy. The zero value allows everything.
type Policy struct {
	// Mode is all, allow or off; "" means all.
	Mode Mode
	// Hosts are the hosts ("host" or "host:port", case-insensitive) allowed
	// in allow mode. A host without a port matches every port.
	Hosts []string
	// Why says where the policy came from, quoted in refusals, e.g.
	// "untrusted run: set --network to fetch remote sources".
	Why string
}

// Parse reads a policy as written on the command line or in the config:
// "all", "off", or a comma-separated list of hosts (allow mode).
func Parse(s string) (Policy, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", string(All):
		return Policy{Mode: All}, nil
	case string(Off):
		return Policy{Mode: Off}, nil
	}
	var hosts []string
	for _, h := range strings.Split(s, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/@?# ") {
			return Policy{}, fmt.Errorf("network: %q is not a host or host:port", h)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return Policy{}, fmt.Errorf("network: want all, off or a list of hosts, got %q", s)
	}
	slices.Sort(hosts)
	return Policy{Mode: Allow, Hosts: slices.Compact(hosts)}, nil
}

// String is the policy as Parse reads it.
func (p Policy) String() string {
	switch p.Mode {
	case "", All:
		return string(All)
	case Off:
		return string(Off)
	}
	if len(p.Hosts) == 0 {
		return string(Off)
	}
	return strings.Join(p.Hosts, ",")
}

// RefusedError is a fetch the policy does not allow. The source it was for
// is left unrendered; callers report it as a finding.
type RefusedError struct {
	// Host is the host that was not allowed ("" for a URL without one).
	Host string
	// What names the source, e.g. "helm chart repository".
	What string
	// Policy is the policy in force.
	Policy Policy
}

// Error names the host and the policy, never the full URL (which may carry
// a token).
func (e *RefusedError) Error() string {
	why := ""
	if e.Policy.Why != "" {
		why = " (" + e.Policy.Why + ")"
	}
	return fmt.Sprintf("%s on host %q not fetched: network policy is %q%s", e.What, e.Host, e.Policy.String(), why)
}

// Check returns a *RefusedError when the policy does not allow fetching
// rawURL; what names the source in the error.
func (p Policy) Check(what, rawURL string) error {
	host := HostOf(rawURL)
	if p.allows(host) {
		return nil
	}
	return &RefusedError{Host: host, What: what, Policy: p}
}

// CheckHost is Check for a bare host ("host" or "host:port").
func (p Policy) CheckHost(what, host string) error {
	host = strings.ToLower(host)
	if p.allows(host) {
		return nil
	}
	return &RefusedError{Host: host, What: what, Policy: p}
}

func (p Policy) allows(host string) bool {
	switch p.Mode {
	case "", All:
		return true
	case Off:
		return false
	}
	if host == "" {
		return false
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, a := range p.Hosts {
		if a == host || a == name {
			return true
		}
	}
	return false
}

// HostOf returns the lower-cased host[:port] of a URL, also of scp-like git
// addresses (git@host:path) and of scheme-less OCI references
// (host/repo); "" when there is none.
func HostOf(raw string) string {
	s := raw
	if i := strings.Index(s, "::"); i >= 0 && !strings.Contains(s[:i], "/") {
		s = s[i+2:] // git::https://...
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return strings.ToLower(u.Host)
	}
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		if at := strings.LastIndex(s[:i], "@"); at >= 0 {
			s = s[at+1:]
			i -= at + 1
		}
		if c := strings.Index(s[:i], ":"); c >= 0 && strings.Contains(raw, "@") {
			return strings.ToLower(s[:c]) // scp-like user@host:path
		}
		return strings.ToLower(s[:i])
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		s = s[at+1:]
		if c := strings.Index(s, ":"); c >= 0 {
			return strings.ToLower(s[:c])
		}
	}
	return strings.ToLower(s)
}
