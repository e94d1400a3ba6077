package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// StatusOf classifies an error returned by Tags (or any go-containerregistry
// call) the way Check does: NotFound, Unauthorized or Unreachable.
func StatusOf(err error) Status {
	if err == nil {
		return Found
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == 404:
			return NotFound
		case te.StatusCode == 401 || te.StatusCode == 403:
			return Unauthorized
		}
	}
	return Unreachable
}

// netReason names a transport failure by its type.
func netReason(err error) string {
	var (
		dnsErr    *net.DNSError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recErr    tls.RecordHeaderError
		ne        net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		return "DNS lookup of " + dnsErr.Name + " failed"
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return "TLS certificate not trusted (add the CA bundle or mark the host insecure)"
	case errors.As(err, &hostErr):
		return "TLS certificate does not match the host"
	case errors.As(err, &invalid):
		return "TLS certificate invalid"
	case errors.As(err, &recErr):
		return "TLS handshake failed (plain HTTP registry? mark it insecure)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, errNoCertificates):
		return err.Error()
	}
	return err.Error()
}

// tlsFailure reports certificate and handshake failures.
func tlsFailure(err error) bool {
	var (
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid) || errors.As(err, &verifyErr)
}
