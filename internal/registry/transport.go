package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// hostRouter sends requests for insecure hosts through a transport that does
// not verify TLS, and everything else through the verifying one. The choice
// is per client and per host; nothing process-wide changes.
type hostRouter struct {
	secure   http.RoundTripper
	insecure http.RoundTripper
	hosts    map[string]bool
}

func (h *hostRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	if h.insecure != nil && h.hosts[normalizeHost(req.URL.Host)] {
		return h.insecure.RoundTrip(req)
	}
	return h.secure.RoundTrip(req)
}

// baseTransport builds the per-client HTTP transport from the options.
func baseTransport(o *options) http.RoundTripper {
	if o.transport != nil {
		return o.transport
	}
	secure := http.DefaultTransport.(*http.Transport).Clone()
	secure.MaxIdleConnsPerHost = max(o.concurrency, 2)
	if o.caPool != nil {
		secure.TLSClientConfig = &tls.Config{RootCAs: o.caPool, MinVersion: tls.VersionTLS12}
	}
	r := &hostRouter{secure: secure, hosts: o.insecure}
	if len(o.insecure) > 0 {
		insecure := secure.Clone()
		// Only for the hosts the configuration names as insecure.
		insecure.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // per-host opt-in
		r.insecure = insecure
	}
	return r
}

// retryTransport applies the per-host rate limit, the per-request timeout
// and retries with exponential backoff and jitter on 429, 5xx, timeouts and
// connection failures, honouring Retry-After.
type retryTransport struct {
	inner         http.RoundTripper
	retries       int
	backoff       time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	timeout       time.Duration

	rate  float64
	burst int
	mu    sync.Mutex
	lims  map[string]*rate.Limiter
}

func newRetryTransport(inner http.RoundTripper, o *options) *retryTransport {
	return &retryTransport{
		inner: inner, retries: o.retries, backoff: o.backoff, maxBackoff: o.maxBackoff,
		maxRetryAfter: o.maxRetryAfter, timeout: o.timeout,
		rate: o.rate, burst: o.burst, lims: map[string]*rate.Limiter{},
	}
}

func (t *retryTransport) limiter(host string) *rate.Limiter {
	if t.rate <= 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.lims[host]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(t.rate), t.burst)
		t.lims[host] = l
	}
	return l
}

// cancelBody cancels the per-request context once the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelBody) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	for attempt := 0; ; attempt++ {
		if l := t.limiter(req.URL.Host); l != nil {
			if err := l.Wait(parent); err != nil {
				return nil, err
			}
		}
		r := req
		cancel := context.CancelFunc(func() {})
		if t.timeout > 0 {
			var ctx context.Context
			ctx, cancel = context.WithTimeout(parent, t.timeout)
			r = req.Clone(ctx)
		} else if attempt > 0 {
			r = req.Clone(parent)
		}
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				cancel()
				return nil, errors.New("cannot retry a request whose body cannot be replayed")
			}
			b, err := req.GetBody()
			if err != nil {
				cancel()
				return nil, err
			}
			r.Body = b
		}
		resp, err := t.inner.RoundTrip(r)
		wait, retry := t.shouldRetry(parent, resp, err)
		// wait < 0: Retry-After asks for longer than we accept; report the
		// registry's own answer.
		if !retry || attempt >= t.retries || wait < 0 {
			if resp != nil {
				resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
			} else {
				cancel()
			}
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
		}
		cancel()
		d := max(t.delay(attempt), wait)
		timer := time.NewTimer(d)
		select {
		case <-parent.Done():
			timer.Stop()
			return nil, parent.Err()
		case <-timer.C:
		}
	}
}

// delay is the exponential backoff for attempt n with up to 50% jitter.
func (t *retryTransport) delay(n int) time.Duration {
	d := t.backoff
	for i := 0; i < n && d < t.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, t.maxBackoff)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// shouldRetry decides whether a response or error is worth another attempt,
// and how long the server asked us to wait (-1: longer than we accept).
func (t *retryTransport) shouldRetry(parent context.Context, resp *http.Response, err error) (time.Duration, bool) {
	if parent.Err() != nil {
		return 0, false
	}
	if err != nil {
		return 0, retryableNetError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusRequestTimeout:
	default:
		return 0, false
	}
	ra := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if ra > t.maxRetryAfter {
		return -1, true
	}
	return ra, true
}

// retryableNetError reports transient transport failures: timeouts, refused
// or reset connections, unexpected EOF. TLS and certificate failures and
// unknown hosts are permanent.
func retryableNetError(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
