package registry

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/render-check/render-check/internal/rendercache"
)

// verdictFormat names the layout of a stored registry verdict.
const verdictFormat = "image-found/1"

// verdictKey keys the answer about r: registry host, repository, tag and
// digest (canonical form), required platforms (pkey), the host's mirrors
// and insecure setting, and the class of the identity the client would
// present (anonymous or with credentials; never the credentials).
func (c *Client) verdictKey(ctx context.Context, r Ref, pkey string) rendercache.Key {
	host := normalizeHost(r.Registry())
	k := rendercache.NewKey()
	k.String("stage", verdictFormat)
	k.String("host", host)
	k.String("repository", r.Repository.RepositoryStr())
	k.String("tag", r.Tag)
	k.String("digest", r.Digest)
	k.String("platforms", pkey)
	k.Strings("mirrors", c.o.mirrors[host])
	k.String("insecure", strconv.FormatBool(c.o.insecure[host]))
	identity := "anonymous"
	if a, err := authn.Resolve(ctx, c.o.keychain, r.Repository); err != nil {
		identity = "unresolved"
	} else if a != authn.Anonymous {
		identity = "credentials"
	}
	k.String("identity", identity)
	return k.Sum()
}

// ttl is how long a "found" for r is believed.
func (c *Client) ttl(r Ref) time.Duration {
	if r.Digest != "" && r.Tag == "" {
		return c.o.digestTTL
	}
	return c.o.tagTTL
}

// cachedFound returns the stored "found" for r when it is younger than its
// TTL.
func (c *Client) cachedFound(k rendercache.Key, r Ref) (Result, bool) {
	ttl := c.ttl(r)
	if c.o.verdicts == nil || ttl <= 0 {
		return Result{}, false
	}
	b, ok := c.o.verdicts.Get(k)
	if !ok {
		return Result{}, false
	}
	d := rendercache.NewDecoder(b)
	at := time.Unix(0, int64(binary.LittleEndian.Uint64(pad8(d.Raw()))))
	digest, registry := d.String(), d.String()
	if d.Err() != nil || !strings.HasPrefix(digest, "sha256:") {
		c.o.verdicts.Corrupt()
		return Result{}, false
	}
	if age := c.o.now().Sub(at); age < 0 || age >= ttl {
		c.o.verdicts.Stale()
		return Result{}, false // stale (or from the future): ask again
	}
	return Result{Ref: r.Original, Status: Found, Digest: digest, Detail: "cached", Registry: registry}, true
}

// storeFound keeps a "found" answer with the time it was given.
func (c *Client) storeFound(k rendercache.Key, r Ref, res Result) {
	if c.o.verdicts == nil || c.ttl(r) <= 0 || res.Status != Found || res.Digest == "" {
		return
	}
	var e rendercache.Encoder
	e.Raw(binary.LittleEndian.AppendUint64(nil, uint64(c.o.now().UnixNano())))
	e.String(res.Digest)
	e.String(res.Registry)
	c.o.verdicts.Put(k, e.Bytes())
}

func pad8(b []byte) []byte {
	if len(b) == 8 {
		return b
	}
	return make([]byte, 8) // corrupt: the zero time is always stale
}
